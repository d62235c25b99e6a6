"""Pages about a person's reading: their queue and the workspace's notes."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import workspace_view
from accounts.models import User
from papers.models import RELATED_PAPER_VECTORS, Note, ReadingState, Tag
from papers.views.rows import STATUSES, decorate_rows, workspace_choices

NOTES_PER_PAGE = 30
QUEUE_LENGTH = 200


@workspace_view()
def queue(request: HttpRequest) -> HttpResponse:
    """My queue: what I mean to read and am reading, most recently changed first."""
    status = request.GET.get("status")
    if status not in ReadingState.Status.values:
        status = None
    states = ReadingState.objects.for_user(request.user)
    wanted = [status] if status else [ReadingState.Status.TO_READ, ReadingState.Status.READING]
    papers = [
        state.paper
        for state in states.filter(status__in=wanted)
        .select_related("paper")
        .defer(*RELATED_PAPER_VECTORS)[:QUEUE_LENGTH]
    ]
    decorate_rows(request, papers)
    counts = {value: states.filter(status=value).count() for value in ReadingState.Status.values}
    context = {
        "papers": papers,
        "status": status,
        "counts": counts,
        "statuses": STATUSES,
        "workspace_tags": workspace_choices(request)["workspace_tags"],
    }
    return render(request, "papers/queue.html", context)


@workspace_view()
def notes(request: HttpRequest) -> HttpResponse:
    """All the notes of the workspace this person may see, newest first."""
    visible = (
        Note.objects.for_user(request.user)
        .filter(workspace=request.workspace)
        .select_related("author", "paper")
        .defer(*RELATED_PAPER_VECTORS)
        .order_by("-created_at")
    )
    person = request.GET.get("person", "")
    tag = request.GET.get("tag", "")
    if person:
        visible = visible.filter(author__username=person)
    if tag:
        visible = visible.filter(
            paper__taggings__tag__in=Tag.objects.for_user(request.user).filter(
                workspace=request.workspace, name__iexact=tag
            )
        )
    page = Paginator(visible, NOTES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "person_filter": person,
        "tag": tag,
        "people": User.objects.filter(memberships__workspace=request.workspace).order_by(
            "username"
        ),
        "tags": Tag.objects.for_user(request.user).filter(workspace=request.workspace),
    }
    return render(request, "papers/notes.html", context)
