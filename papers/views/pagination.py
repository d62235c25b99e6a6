"""Pages of results whose total is counted only up to a limit.

Counting a million matches costs more than finding the first 25, so past
COUNT_LIMIT the page says "more than 10,000" instead of an exact number.
"""

from functools import cached_property

from django.core.paginator import Paginator

COUNT_LIMIT = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        # Only the ids: a search's relevance and rank annotations, computed
        # for every row of the subquery, would cost more than the count.
        return self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_LIMIT

    @property
    def shown_count(self) -> str:
        return f"more than {COUNT_LIMIT:,}" if self.capped else f"{self.count:,}"
