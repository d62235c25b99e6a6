"""Pages of results whose total is counted only up to a limit.

Counting a million matches costs more than finding the first 25, so past
COUNT_LIMIT the page says "more than 10,000" instead of an exact number.
"""

from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections

COUNT_LIMIT = 10_000


class CappedPaginator(Paginator):
    """Pages of a queryset of papers, counted up to COUNT_LIMIT.

    The same pass over the matches that counts them keeps the ids of the
    first `sample_size` (`sample`), for the page's facets to count over.
    """

    def __init__(self, object_list, per_page, *, sample_size: int = 0, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.sample_size = sample_size

    @cached_property
    def _matches(self) -> tuple[int, str]:
        # Only the ids: a search's relevance and rank annotations, computed
        # for every row of the subquery, would cost more than the count.
        ids = self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1]
        try:
            matching, params = ids.query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing by construction
            return 0, "{}"
        # The sample comes back as one array literal, written by the server,
        # which the facets' statements take as a parameter: as a list of
        # numbers psycopg would parse and dump every one of them in Python.
        with connections[ids.db].cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce((array_agg(id))[1:%s], '{}')::text "
                f"FROM ({matching}) AS matches (id)",
                [self.sample_size, *params],
            )
            return cursor.fetchone()

    @cached_property
    def count(self) -> int:
        return self._matches[0]

    @property
    def sample(self) -> str:
        """The ids of up to `sample_size` matches, as a PostgreSQL array literal."""
        return self._matches[1]

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
        reads only the index that holds the sort keys. The same statement
        computes the query's annotations (a paper's rank) for the rows
        chosen, and the rows are then read by id alone: the filters were
        applied once already.
        """
        page = super().page(number)
        names = list(self.object_list.query.annotations)
        chosen = list(page.object_list.values_list("pk", *names))
        rows = self.object_list.model._default_manager.in_bulk([pk for pk, *_ in chosen])
        page.object_list = []
        for pk, *values in chosen:
            row = rows[pk]
            for name, value in zip(names, values, strict=True):
                setattr(row, name, value)
            page.object_list.append(row)
        return page
