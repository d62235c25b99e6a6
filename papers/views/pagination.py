"""Pages of results whose total is counted only up to a limit.

Counting a million matches costs more than finding the first 25, so past
COUNT_LIMIT the page says "more than 10,000" instead of an exact number.
"""

from functools import cached_property

from django.core.paginator import Page, Paginator

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

    def page(self, number) -> Page:
        """The page's rows, chosen by their ids first and only then read whole.

        A paper's row carries its abstract. Sorting thousands of matches as
        whole rows reads each of them from the table; sorting their ids
        reads only the index that holds the sort keys. The rows shown are
        then fetched by id, with the query's annotations (a paper's rank).
        """
        page = super().page(number)
        ids = list(page.object_list.values_list("pk", flat=True))
        rows = self.object_list.filter(pk__in=ids).order_by().in_bulk()
        page.object_list = [rows[pk] for pk in ids]
        return page
