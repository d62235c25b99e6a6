from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import workspace_view
from papers import anchoring
from papers.models import (
    Listing,
    ListingEntry,
    Note,
    Paper,
    ReadingList,
    ReadingState,
    Tag,
    Tagging,
)
from papers.search import (
    SORTS,
    Scope,
    add_snippets,
    closest_titles,
    did_you_mean,
    related_papers,
    search,
)
from papers.views.pagination import CappedPaginator
from papers.views.rows import STATUSES, decorate_rows

PAPERS_PER_PAGE = 25


@workspace_view()
def papers(request: HttpRequest) -> HttpResponse:
    """The workspace's papers page: search results, or the latest listing in rank order."""
    raw = request.GET.get("q", "")
    sort = request.GET.get("sort", "")
    found = search(raw, scope=Scope(request.user, request.workspace), sort=sort)
    paginator = CappedPaginator(found.papers, PAPERS_PER_PAGE, sample_size=FACET_SAMPLE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    decorate_rows(request, rows)
    add_snippets(rows, found.query)
    context = {
        "q": raw,
        "sort": sort if sort in SORTS else "",
        "found": found,
        "page": page,
        "rows": rows,
        "sorts": SORTS,
        "listing": None if raw.strip() else Listing.objects.latest_first().first(),
        "statuses": STATUSES,
        "workspace_tags": Tag.objects.for_user(request.user).filter(workspace=request.workspace),
        "my_lists": _reading_lists(request),
    }
    if request.htmx and request.htmx.target == "load-more":
        return render(request, "papers/papers.html#rows-page", context)
    context["facets"] = facets(request, paginator)
    if found.text and page.paginator.count < FEW_RESULTS:
        context["did_you_mean"] = did_you_mean(found.text)
        if not page.paginator.count:
            context["closest_titles"] = closest_titles(found.text, context["did_you_mean"])
    template = "papers/papers.html#results" if request.htmx else "papers/papers.html"
    return render(request, template, context)


FEW_RESULTS = 3
FACET_SIZE = 12


# Counting facets costs an index probe per matching paper and facet; above
# this many matches, they are counted over a sample of this many. A thousand
# is plenty to tell which tags and listings are common among the results; the
# tag filter's page at a million papers spent 17 ms more counting 2,000.
FACET_SAMPLE = 1000


def facets(request: HttpRequest, matches: CappedPaginator) -> dict:
    """Counts for the current query: by the workspace's tags, my statuses, and listings.

    When more than FACET_SAMPLE papers match, the counts are over the sample
    of FACET_SAMPLE of them that the paginator kept while counting (any
    papers make a sample), and the page says so.
    """
    if not matches.count:
        return {"tags": [], "statuses": [], "listings": [], "sample": ""}
    # The ids go in as one array parameter: as a subquery the planner has no
    # idea how few they are, and counted a million listing entries to find
    # theirs.
    matching = RawSQL("SELECT unnest(%s::bigint[])", [matches.sample])
    tags = (
        Tagging.objects.filter(
            paper__in=matching,
            tag__in=Tag.objects.for_user(request.user).filter(workspace=request.workspace),
        )
        .values("tag__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "tag__name")[:FACET_SIZE]
    )
    statuses = (
        ReadingState.objects.for_user(request.user)
        .filter(paper__in=matching)
        .values("status")
        .annotate(count=Count("pk"))
        .order_by("status")
    )
    listings = (
        ListingEntry.objects.filter(paper__in=matching)
        .values("listing__date")
        .annotate(count=Count("pk"))
        .order_by("-listing__date")[:FACET_SIZE]
    )
    return {
        "tags": list(tags),
        "statuses": list(statuses),
        "listings": list(listings),
        "sample": f"{FACET_SAMPLE:,}" if matches.count > FACET_SAMPLE else "",
    }


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
        "statuses": STATUSES,
        "threads": threads,
        "title_segments": _segments(paper.title, anchored, Note.Field.TITLE),
        "abstract_segments": _segments(paper.abstract, anchored, Note.Field.ABSTRACT),
        "detached": [note for note in notes if note.detached],
        "workspace_tags": Tag.objects.for_user(request.user).filter(workspace=request.workspace),
        "related": related_papers(paper),
        "my_lists": _reading_lists(request),
        "entries": paper.entries.select_related("listing").order_by(
            "-listing__date", "listing__name"
        ),
    }


def _reading_lists(request: HttpRequest):
    return ReadingList.objects.for_user(request.user).filter(workspace=request.workspace)


def _segments(text: str, notes: list[Note], field: str) -> list[anchoring.Segment]:
    return anchoring.segments(
        text, [(note.pk, note.start, note.end) for note in notes if note.anchor_field == field]
    )


@workspace_view()
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return paper_page(request, get_object_or_404(Paper, pk=pk))
