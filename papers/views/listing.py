from datetime import date
from typing import NamedTuple

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import workspace_view
from papers import anchoring
from papers.models import Note, Paper
from papers.search import (
    SORTS,
    Scope,
    closest_titles,
    did_you_mean,
    related_papers,
    search,
)
from papers.snippets import add_snippets
from papers.views.lists import EXPORT_LIMIT
from papers.views.pagination import CappedPaginator
from papers.views.rows import decorate_rows, workspace_choices

PAPERS_PER_PAGE = 25


@workspace_view()
def papers(request: HttpRequest) -> HttpResponse:
    """The workspace's papers page: search results, or the latest listing in rank order."""
    raw = request.GET.get("q", "")
    sort = request.GET.get("sort", "")
    # "Check every paper", offered where a search stopped before it had.
    every = request.GET.get("every") == "1"
    found = search(raw, scope=Scope(request.user, request.workspace), sort=sort, every=every)
    # A search's text gives its matches as ids already (see papers.search).
    paginator = CappedPaginator(
        found.papers, PAPERS_PER_PAGE, page_by_sample=not found.text, counted=found.counted
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    decorate_rows(request, rows)
    add_snippets(rows, found.text)
    context = {
        "q": raw,
        "sort": sort if sort in SORTS else "",
        "found": found,
        "page": page,
        "rows": rows,
        "sorts": SORTS,
        "listing": found.listing,
        "export_limit": f"{EXPORT_LIMIT:,}",
    }
    if request.htmx and request.htmx.target == "load-more":
        return render(request, "papers/papers.html#rows-page", context)
    context.update(workspace_choices(request))  # the forms above and beside the rows
    context["facets"] = facets(request, paginator)
    if found.text and page.paginator.count < FEW_RESULTS:
        context["did_you_mean"] = did_you_mean(found.text)
        if not page.paginator.count and context["did_you_mean"]:
            # Titles holding the query's words as typed would have matched it.
            context["closest_titles"] = closest_titles(found.text, context["did_you_mean"])
    template = "papers/papers.html#results" if request.htmx else "papers/papers.html"
    return render(request, template, context)


FEW_RESULTS = 3
FACET_SIZE = 12


# Counting facets costs an index probe per matching paper and facet, and
# planning each part a look at every id; above this many matches, they are
# counted over a sample of this many. Five hundred tell which tags and
# listings are common among the results; the facets of the tag filter's
# page at a million papers took 3.6-5.3 ms over a thousand, 1.9 over 500.
FACET_SAMPLE = 500

# The three facets in one statement, the sample's ids one array parameter
# that each part reads as `paper_id = ANY(...)`: the planner knows how few
# they are and looks each one up (the facets of `year:2025` at a million
# papers: 1.95 ms; read from a CTE that unnests the array, 2.8; as a
# subquery, the planner counted a million listing entries to find theirs).
# As three ORM statements the facets took 8.7 ms of the tag filter's page
# at a million papers, 4 ms of it composing and sending them. The slice of
# the paginator's ids is a constant to the planner, which takes it first.
FACETS_SQL = """
(SELECT 'tags', tag.name, count(*)
   FROM papers_tagging tagging JOIN papers_tag tag ON tag.id = tagging.tag_id
  WHERE tag.workspace_id = %(workspace)s
    AND tagging.paper_id = ANY((%(ids)s::bigint[])[1:%(sampled)s])
  GROUP BY tag.name ORDER BY 3 DESC, 2 LIMIT %(size)s)
UNION ALL
(SELECT 'statuses', state.status, count(*)
   FROM papers_readingstate state
  WHERE state.user_id = %(user)s AND state.paper_id = ANY((%(ids)s::bigint[])[1:%(sampled)s])
  GROUP BY state.status)
UNION ALL
(SELECT 'listings', to_char(listing.date, 'YYYY-MM-DD'), count(*)
   FROM papers_listingentry entry JOIN papers_listing listing ON listing.id = entry.listing_id
  WHERE entry.paper_id = ANY((%(ids)s::bigint[])[1:%(sampled)s])
  GROUP BY listing.date ORDER BY listing.date DESC LIMIT %(size)s)
"""


class Facet(NamedTuple):
    value: str | date
    count: int


def facets(request: HttpRequest, matches: CappedPaginator) -> dict:
    """Counts for the current query: by the workspace's tags, my statuses, and listings.

    When more than FACET_SAMPLE papers match, the counts are over the first
    FACET_SAMPLE of the ids the paginator kept while counting (any papers
    make a sample), and the page says so. The tags are the
    workspace's (the view checked the reader's membership), the statuses the
    reader's own.
    """
    found: dict[str, list[Facet]] = {"tags": [], "statuses": [], "listings": []}
    if matches.count:
        parameters = {
            "ids": matches.sample,
            "sampled": FACET_SAMPLE,
            "workspace": request.workspace.pk,
            "user": request.user.pk,
            "size": FACET_SIZE,
        }
        with connection.cursor() as cursor:
            cursor.execute(FACETS_SQL, parameters)
            for kind, value, count in cursor.fetchall():
                found[kind].append(
                    Facet(date.fromisoformat(value) if kind == "listings" else value, count)
                )
        # UNION ALL keeps each part's order in practice, not by definition.
        found["tags"].sort(key=lambda facet: (-facet.count, facet.value))
        found["statuses"].sort()
        found["listings"].sort(reverse=True)
    return {**found, "sample": f"{FACET_SAMPLE:,}" if matches.count > FACET_SAMPLE else ""}


def paper_page(
    request: HttpRequest, paper: Paper, *, error: str = "", status: int = 200, **extra
) -> HttpResponse:
    """The paper page, also re-rendered with an error when a plain form post was invalid."""
    return render(
        request,
        "papers/paper.html",
        {**paper_context(request, paper), "error": error, **extra},
        status=status,
    )


def paper_context(request: HttpRequest, paper: Paper) -> dict:
    decorate_rows(request, [paper])
    notes = list(
        Note.objects.for_user(request.user)
        .filter(workspace=request.workspace, paper=paper)
        .select_related("author")
    )
    threads = [note for note in notes if note.parent_id is None]
    replies: dict[int, list[Note]] = {}
    for note in notes:
        if note.parent_id is not None:
            replies.setdefault(note.parent_id, []).append(note)
    for note in threads:
        note.thread_replies = replies.get(note.pk, [])
    anchored = [note for note in notes if note.quote and not note.detached]
    return {
        "paper": paper,
        "threads": threads,
        "title_segments": _segments(paper.title, anchored, Note.Field.TITLE),
        "abstract_segments": _segments(paper.abstract, anchored, Note.Field.ABSTRACT),
        "detached": [note for note in notes if note.detached],
        **workspace_choices(request),
        "related": related_papers(paper),
        "entries": paper.entries.select_related("listing").order_by(
            "-listing__date", "listing__name"
        ),
    }


def _segments(text: str, notes: list[Note], field: str) -> list[anchoring.Segment]:
    return anchoring.segments(
        text, [(note.pk, note.start, note.end) for note in notes if note.anchor_field == field]
    )


@workspace_view()
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return paper_page(request, get_object_or_404(Paper, pk=pk))
