"""The workspace's tags page: counts for everyone, rename, merge and delete for editors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import workspace_view
from accounts.models import EDITORS
from papers import services
from papers.models import Tag
from papers.views.params import number
from papers.views.responses import action_response

TAGS = "papers/tags.html#tag-table"


def _workspace_tags(request: HttpRequest):
    return Tag.objects.for_user(request.user).filter(workspace=request.workspace)


def _tags_response(request, *, message="", error="", status_tag=None) -> HttpResponse:
    context = {"tags": _workspace_tags(request).with_counts(), "error_tag": status_tag}
    if error and not request.htmx:
        return render(request, "papers/tags.html", {**context, "error": error}, status=422)
    return action_response(
        request,
        template=TAGS,
        context=context,
        fallback=reverse("tags", args=[request.workspace.slug]),
        message=message,
        error=error,
    )


@workspace_view()
def tags(request: HttpRequest) -> HttpResponse:
    return render(request, "papers/tags.html", {"tags": _workspace_tags(request).with_counts()})


@require_POST
@workspace_view(roles=EDITORS)
def tag_rename(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = get_object_or_404(_workspace_tags(request), pk=tag_id)
    old = tag.name
    try:
        services.tag_rename(tag=tag, name=request.POST.get("name", ""))
    except services.AnnotationError as error:
        return _tags_response(request, error=str(error), status_tag=tag.pk)
    return _tags_response(request, message=f"Renamed “{old}” to “{tag.name}”.")


@require_POST
@workspace_view(roles=EDITORS)
def tag_merge(request: HttpRequest, tag_id: int) -> HttpResponse:
    source = get_object_or_404(_workspace_tags(request), pk=tag_id)
    target = _workspace_tags(request).filter(pk=number(request.POST.get("into"))).first()
    if target is None:
        return _tags_response(request, error="Choose a tag to merge into.", status_tag=source.pk)
    try:
        services.tag_merge(source=source, target=target)
    except services.AnnotationError as error:
        return _tags_response(request, error=str(error), status_tag=source.pk)
    return _tags_response(request, message=f"Merged “{source.name}” into “{target.name}”.")


@require_POST
@workspace_view(roles=EDITORS)
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = get_object_or_404(_workspace_tags(request), pk=tag_id)
    services.tag_delete(tag=tag)
    return _tags_response(request, message=f"Deleted tag “{tag.name}”.")
