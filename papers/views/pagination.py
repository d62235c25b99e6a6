"""Pages of results whose total is counted only up to a limit.

Counting matches costs an index probe each: 7 ms for the 5,000 papers of
a tag at a million papers, against 1.3 ms for 1,000. Past COUNT_LIMIT the
page gives PostgreSQL's estimate instead ("about 5,000"), and its "Load
more" asks for the next page whatever the estimate says.
"""

import math
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections

COUNT_LIMIT = 1_000


class CappedPage(Page):
    """A page that knows whether another follows from its rows, not from the count."""

    more = False

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedPaginator(Paginator):
    """Pages of a queryset of papers, counted up to COUNT_LIMIT, estimated beyond.

    The same pass over the matches that counts them keeps their ids
    (`sample`: all of them up to COUNT_LIMIT, the first COUNT_LIMIT + 1
    beyond), for the page's facets to count over. With `page_by_sample`, a
    page of a count that is exact is chosen among those ids (for a queryset
    of conditions; one that is a list of ids already gains nothing).
    `counted` is that count and those ids where they were read already
    (`count_matches`).
    """

    def __init__(
        self,
        object_list,
        per_page,
        *,
        page_by_sample: bool = False,
        counted: tuple[int, str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.page_by_sample = page_by_sample
        if counted is not None:
            self._matches = counted

    @cached_property
    def _matches(self) -> tuple[int, str]:
        return count_matches(self.object_list)

    @property
    def capped(self) -> bool:
        return self._matches[0] > COUNT_LIMIT

    @cached_property
    def estimate(self) -> int:
        """How many match by the planner's statistics, rounded; 0 if COUNT_LIMIT or fewer."""
        ids = self.object_list.order_by().values("pk")  # as count_matches reads them
        matching, params = ids.query.sql_with_params()
        with connections[ids.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {matching}", params)
            (plan,) = cursor.fetchone()  # psycopg reads the JSON plan into lists and dicts
        rows = int(plan[0]["Plan"]["Plan Rows"])
        if rows <= COUNT_LIMIT:
            return 0
        # Two significant digits: an estimate is not exact, and should not look it.
        return round(rows, 1 - int(math.log10(rows)))

    @cached_property
    def count(self) -> int:
        """The number of matches; past COUNT_LIMIT, the estimate (at least COUNT_LIMIT + 1)."""
        if self.capped:
            return max(self.estimate, COUNT_LIMIT + 1)
        return self._matches[0]

    @property
    def sample(self) -> str:
        """The ids of the matches counted, as a PostgreSQL array literal."""
        return self._matches[1]

    @property
    def shown_count(self) -> str:
        if not self.capped:
            return f"{self.count:,}"
        if self.estimate:
            return f"about {self.estimate:,}"
        return f"more than {COUNT_LIMIT:,}"

    def validate_number(self, number) -> int:
        """Past the count's limit the last page is not known: any page may have rows."""
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer") from error
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number) -> Page:
        """The page's rows, chosen by their ids first and only then read whole.

        A page past the last match reads nothing.

        A paper's row carries its abstract. Sorting thousands of matches as
        whole rows reads each of them from the table; sorting their ids
        reads only the index that holds the sort keys. The same statement
        computes the query's annotations (a paper's rank) for the rows
        chosen, and one more row's, which says whether a next page follows;
        the rows chosen are then read by id alone, in the same statement
        (the filters were applied once already).
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        matches = self.object_list
        if not self.capped and bottom >= self.count:
            return CappedPage([], number, self)
        if self.page_by_sample and not self.capped:
            # Every match is in the sample: the page sorts those. PostgreSQL
            # may otherwise walk the sort order's index and test each paper
            # against the filters, which reads the whole table when fewer
            # match than a page holds (`tag:x -tag:x`: 0.55 s at a million).
            # Looked up one by one (see papers.search.AmongIds).
            matches = matches.filter(pk__among=self.sample)
        names = list(matches.query.annotations)
        chosen = matches[bottom : bottom + self.per_page + 1].values_list("pk", *names)
        rows = list(chosen.model._default_manager.raw(*_read_whole(chosen, names)))
        page = CappedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page


def count_matches(papers, id_field: str = "pk") -> tuple[int, str]:
    """The papers of a queryset counted up to COUNT_LIMIT + 1, and their ids.

    `id_field` is the papers' id in the queryset's rows (of a table that
    holds each paper once at most).

    Only the ids are read: a search's relevance and rank annotations,
    computed for every row of the subquery, would cost more than the count.
    They come back as one array literal, written by the server, which the
    facets' statements take as a parameter: as a list of numbers psycopg
    would parse and dump every one of them in Python.
    """
    ids = papers.order_by().values(id_field)[: COUNT_LIMIT + 1]
    try:
        matching, params = ids.query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing by construction
        return 0, "{}"
    with connections[ids.db].cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(array_agg(id), '{}')::text "
            f"FROM ({matching}) AS matches (id)",
            params,
        )
        return cursor.fetchone()


def _read_whole(chosen, names: list[str]) -> tuple[str, tuple]:
    """The statement reading whole the rows `chosen` picks, in its order, with its `names`.

    `chosen` gives ids, then the values of `names`. Its rows are numbered as
    they come out of its own sort and limit, joined by id to their table,
    and returned in that order. A row has the columns the model's default
    manager reads (not the papers' search vectors).
    """
    model = chosen.model
    fields, deferring = model._default_manager.get_queryset().query.deferred_loading
    quote = connections[chosen.db].ops.quote_name
    columns = [
        f"paper.{quote(field.column)}"
        for field in model._meta.concrete_fields
        if field.primary_key or (field.name not in fields) == deferring
    ]
    sql, params = chosen.query.sql_with_params()
    renamed = ", ".join(quote(name) for name in ["chosen_id", *names])
    # The sort and limit are `chosen`'s: row_number() counts its rows as they come.
    return (
        f"SELECT {', '.join([*columns, *(f'chosen.{quote(name)}' for name in names)])} "
        f"FROM (SELECT row_number() OVER () AS position, * FROM ({sql}) AS ordered ({renamed}))"
        f" AS chosen JOIN {quote(model._meta.db_table)} AS paper"
        f" ON paper.{quote(model._meta.pk.column)} = chosen.chosen_id ORDER BY chosen.position",
        params,
    )
