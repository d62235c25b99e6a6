from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import workspace_view
from papers import anchoring
from papers.models import Listing, Note, Paper, Tag
from papers.views.rows import STATUSES, decorate_rows

PAPERS_PER_PAGE = 25


@workspace_view()
def papers(request: HttpRequest) -> HttpResponse:
    """The workspace's papers page: with no query, the latest listing in rank order."""
    listing = Listing.objects.latest_first().first()
    page = None
    if listing is not None:
        ranked = (
            Paper.objects.filter(entries__listing=listing)
            .annotate(rank=F("entries__rank"))
            .order_by("rank")
        )
        page = Paginator(ranked, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
        decorate_rows(request, page.object_list)
    context = {
        "listing": listing,
        "page": page,
        "statuses": STATUSES,
        "workspace_tags": Tag.objects.for_user(request.user).filter(workspace=request.workspace),
    }
    template = "papers/papers.html#results" if request.htmx else "papers/papers.html"
    return render(request, template, context)


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
