"""Actions on one paper: tags, reading status, notes and highlights.

Each answers htmx with the part of the page that changed and a plain form
post with a redirect back; invalid input answers 422 where it was typed.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import workspace_view
from accounts.models import EDITORS
from papers import anchoring, services
from papers.models import RELATED_PAPER_VECTORS, Note, Paper, ReadingState, Tag
from papers.views.listing import paper_context, paper_page
from papers.views.params import number, numbers
from papers.views.responses import action_response, back_to
from papers.views.rows import decorate_rows, row_context, workspace_choices

ROW = "papers/_rows.html#row-response"
NOTES = "papers/_notes.html#notes-response"


def _paper_url(request: HttpRequest, paper: Paper) -> str:
    return reverse("paper", args=[request.workspace.slug, paper.pk])


def _row_response(request, paper, *, message="", error="") -> HttpResponse:
    if error and not request.htmx:
        return paper_page(request, paper, error=error, status=422)
    return action_response(
        request,
        template=ROW,
        context=row_context(
            request, paper, workspace_tags=workspace_choices(request)["workspace_tags"]
        ),
        fallback=_paper_url(request, paper),
        message=message,
        error=error,
    )


def _tags(request: HttpRequest):
    return Tag.objects.for_user(request.user).filter(workspace=request.workspace)


@require_POST
@workspace_view(roles=EDITORS)
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=pk)
    try:
        tag = services.papers_tag(
            workspace=request.workspace,
            papers=[paper],
            name=request.POST.get("name", ""),
            user=request.user,
        )
    except services.AnnotationError as error:
        return _row_response(request, paper, error=str(error))
    return _row_response(request, paper, message=f"Tagged “{tag.name}”.")


@require_POST
@workspace_view(roles=EDITORS)
def tag_remove(request: HttpRequest, pk: int, tag_id: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=pk)
    tag = get_object_or_404(_tags(request), pk=tag_id)
    services.paper_untag(tag=tag, paper=paper)
    return _row_response(request, paper, message=f"Removed tag “{tag.name}”.")


@require_POST
@workspace_view()
def status_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set, clear (choosing the current status again) or cycle the reader's own status."""
    paper = get_object_or_404(Paper, pk=pk)
    current = ReadingState.objects.for_user(request.user).filter(paper=paper).first()
    current_status = current.status if current else None
    wanted = request.POST.get("status", "")
    if wanted == "cycle":
        status = services.next_status(current_status)
    elif wanted in ReadingState.Status.values:
        status = None if wanted == current_status else wanted
    else:
        return _row_response(request, paper, error="Choose to read, reading or read.")
    services.reading_state_set(user=request.user, paper=paper, status=status)
    label = ReadingState.Status(status).label if status else "No status"
    return _row_response(request, paper, message=f"{label}: {paper.title}")


def _notes_response(request, paper, *, message="", error="", form=None) -> HttpResponse:
    if error and not request.htmx:
        return paper_page(request, paper, error=error, status=422, note_form=form)
    context = {**paper_context(request, paper), "note_form": form or {}}
    return action_response(
        request,
        template=NOTES,
        context=context,
        fallback=_paper_url(request, paper) + "#notes",
        message=message,
        error=error,
    )


def _anchor(paper: Paper, data) -> tuple[anchoring.Anchor | None, str, str]:
    """The highlight a note form describes: (anchor, field, error).

    With JavaScript the page sends the selection's field and offsets; without
    it a person types the quote, which is looked up in the abstract, then the
    title.
    """
    field = data.get("anchor_field", "")
    quote = data.get("quote", "")
    if not field and not quote.strip():
        return None, "", ""
    if field in Note.Field.values:
        try:
            start, end = int(data.get("start", "")), int(data.get("end", ""))
        except ValueError:
            start = end = -1
        anchor = anchoring.anchor_at(getattr(paper, field), start, end)
        if anchor is None or (quote and anchor.quote != quote):
            anchor = anchoring.anchor_for_quote(getattr(paper, field), quote, near=max(start, 0))
        if anchor is not None:
            return anchor, field, ""
    for field in (Note.Field.ABSTRACT, Note.Field.TITLE):
        if anchor := anchoring.anchor_for_quote(getattr(paper, field), quote):
            return anchor, field, ""
    return None, "", f"“{quote.strip()[:80]}” is not in the title or abstract of this paper."


@require_POST
@workspace_view(roles=EDITORS)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=pk)
    parent = None
    if parent_id := request.POST.get("parent"):
        parent = get_object_or_404(
            Note.objects.for_user(request.user).filter(workspace=request.workspace, paper=paper),
            pk=number(parent_id),
        )
    anchor, field, error = _anchor(paper, request.POST)
    visibility = request.POST.get("visibility", Note.Visibility.WORKSPACE)
    if visibility not in Note.Visibility.values:
        visibility = Note.Visibility.WORKSPACE
    if not error:
        try:
            services.note_create(
                workspace=request.workspace,
                paper=paper,
                author=request.user,
                body=request.POST.get("body", ""),
                visibility=visibility,
                parent=parent,
                anchor=anchor,
                anchor_field=field,
            )
        except services.AnnotationError as problem:
            error = str(problem)
    if error:
        return _notes_response(request, paper, error=error, form=request.POST)
    return _notes_response(request, paper, message="Note saved.")


def _own_note(request: HttpRequest, note_id: int) -> Note:
    """A note the requesting editor wrote, in this workspace; anything else is a 404."""
    return get_object_or_404(
        Note.objects.for_user(request.user).select_related("paper").defer(*RELATED_PAPER_VECTORS),
        pk=note_id,
        workspace=request.workspace,
        author=request.user,
    )


@workspace_view(roles=EDITORS)
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _own_note(request, note_id)
    if request.method == "GET":
        template = "papers/note_edit.html#note-edit" if request.htmx else "papers/note_edit.html"
        return render(request, template, {"note": note})
    visibility = request.POST.get("visibility")
    try:
        services.note_update(
            note=note,
            body=request.POST.get("body", ""),
            visibility=visibility if visibility in Note.Visibility.values else None,
        )
    except services.AnnotationError as error:
        template = "papers/note_edit.html#note-edit" if request.htmx else "papers/note_edit.html"
        note.body = request.POST.get("body", "")
        return render(request, template, {"note": note, "error": str(error)}, status=422)
    return _notes_response(request, note.paper, message="Note updated.")


@require_POST
@workspace_view(roles=EDITORS)
def note_delete(request: HttpRequest, note_id: int) -> HttpResponse:
    note = _own_note(request, note_id)
    paper = note.paper
    services.note_delete(note=note)
    return _notes_response(request, paper, message="Note deleted.")


@require_POST
@workspace_view(roles=EDITORS)
def papers_bulk_tag(request: HttpRequest) -> HttpResponse:
    """Tag the papers selected on a result page, all at once."""
    papers = list(Paper.objects.filter(pk__in=numbers(request.POST.getlist("paper"))))
    message, error = "", ""
    if not papers:
        error = "Select at least one paper to tag."
    else:
        try:
            tag = services.papers_tag(
                workspace=request.workspace,
                papers=papers,
                name=request.POST.get("name", ""),
                user=request.user,
            )
            message = f"Tagged {len(papers)} paper{'s' if len(papers) != 1 else ''} “{tag.name}”."
        except services.AnnotationError as problem:
            error = str(problem)
    fallback = reverse("workspace_papers", args=[request.workspace.slug])
    if error and not request.htmx:
        context = {"error": error, "back": back_to(request, fallback)}
        return render(request, "papers/bulk_error.html", context, status=422)
    decorate_rows(request, papers)
    return action_response(
        request,
        template="papers/_rows.html#bulk-result",
        context={"papers": papers, "workspace_tags": workspace_choices(request)["workspace_tags"]},
        fallback=fallback,
        message=message,
        error=error,
    )
