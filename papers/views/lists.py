"""Reading lists: curated, ordered, annotated, exported, followed and shared read-only."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.decorators import login_not_required
from django.contrib.syndication.views import Feed
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from accounts.access import workspace_view
from accounts.models import EDITORS
from papers import exports, services
from papers.markdown import render_markdown
from papers.models import (
    RELATED_PAPER_VECTORS,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingList,
    ReadingState,
)
from papers.search import Scope, search
from papers.views.links import ids_url
from papers.views.params import number, numbers
from papers.views.responses import action_response, back_to
from papers.views.rows import tag_papers

EXPORT_LIMIT = 5000
# A list's page shows its first items, this many more at each "Load more":
# a list that took a whole search (up to EXPORT_LIMIT papers) at once took
# 450 ms to show its 2,000 items, and as long again after each move.
ITEMS_SHOWN = 50


def _lists(request: HttpRequest):
    return ReadingList.objects.for_user(request.user).filter(workspace=request.workspace)


def _list(request: HttpRequest, list_id: int) -> ReadingList:
    reading_list = get_object_or_404(_lists(request).select_related("created_by"), pk=list_id)
    reading_list.workspace = request.workspace  # the same row: no need to read it again
    return reading_list


def _item(reading_list: ReadingList, item_id: int) -> ListItem:
    return get_object_or_404(reading_list.items.select_related("reading_list"), pk=item_id)


def _list_url(reading_list: ReadingList) -> str:
    return reverse("list_detail", args=[reading_list.workspace.slug, reading_list.pk])


def _with_years(papers):
    """The year an export gives a paper without a date: that of its latest listing."""
    latest = ListingEntry.objects.filter(paper=OuterRef("pk")).order_by("-listing__date")
    return papers.annotate(listed_on=Subquery(latest.values("listing__date")[:1]))


_UNSHOWN_PAPER_FIELDS = [
    f"paper__{field.name}"
    for field in Paper._meta.concrete_fields
    if field.name not in {"id", "title", "arxiv_id"}
]


def list_entries(
    reading_list: ReadingList, *, for_export: bool = False, limit: int | None = None
) -> list[exports.ExportEntry]:
    """The list's items (the first `limit` of them) with what the workspace shares about each paper.

    An export also gives each paper a year (the pages show none), which
    looks up each paper's latest listing.
    """
    items = reading_list.items.select_related("added_by").order_by("position")
    if for_export:
        # An export gives every field.
        items = list(items[:limit])
        papers = _with_years(Paper.objects.filter(pk__any={item.paper_id for item in items}))
        papers = {paper.pk: paper for paper in papers}
    else:
        # A page shows a paper's title and arXiv id, read with the items.
        items = list(items.select_related("paper").defer(*_UNSHOWN_PAPER_FIELDS)[:limit])
        papers = {item.paper_id: item.paper for item in items}
    notes = _by_paper(
        Note.objects.shared_in(reading_list.workspace)
        .filter(paper__pk__any=set(papers))
        .select_related("author")
        .order_by("created_at")
    )
    entries = []
    days: dict[date, str] = {}
    for item in items:
        paper = papers[item.paper_id]
        entry = exports.ExportEntry(
            paper=paper,
            comment=item.comment,
            notes=notes.get(paper.pk, []),
            year=paper.listed_on.year if for_export and paper.listed_on else None,
        )
        entry.item = item
        # Written five times each by the item (its ids and labels): escaped once.
        entry.id_text = escape(item.pk)
        entry.title_html = escape(paper.title)
        # Formatted once a day: a list's items come in batches, and the
        # date filter took 40 µs an item (2 ms of a 50-item list's page).
        day = timezone.localdate(item.added_at)
        if day not in days:
            days[day] = date_format(day, "M j, Y")
        entry.added_on = days[day]
        entries.append(entry)
    return entries


def _by_paper(rows: Iterable[Note | ReadingState]) -> dict[int, list]:
    """The rows of each paper, in the order they came."""
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.paper_id, []).append(row)
    return grouped


def _items_shown(request: HttpRequest, reading_list: ReadingList) -> dict:
    """How many of the list's first items its page shows (`shown`), of how many (`total`).

    As many as the page asks for, at least ITEMS_SHOWN: a page that showed
    more shows as many again after a change. `more` says whether items
    follow them; `next_shown` is what "Load more" asks for.
    """
    asked = request.POST.get("shown") if request.method == "POST" else request.GET.get("shown")
    shown = max(ITEMS_SHOWN, number(asked))
    total = reading_list.items.count()
    return {
        "shown": shown,
        "total": total,
        "total_text": f"{total:,}",
        "more": total > shown,
        "next_shown": shown + ITEMS_SHOWN,
    }


def _entries_shown(
    request: HttpRequest, reading_list: ReadingList, limit: int
) -> list[exports.ExportEntry]:
    """The list's first `limit` items as its page shows them to a member.

    Each paper with its link and the workspace's tags of it, who in the
    workspace has which status, and the item's links.
    """
    entries = list_entries(reading_list, limit=limit)
    papers = [entry.paper for entry in entries]
    tag_papers(request, papers)
    # Who has which status, as the page says it ("ada: to read").
    shared: dict[int, list[str]] = {}
    for paper_id, name, status in (
        ReadingState.objects.shared_in(request.workspace)
        .filter(paper__pk__any={paper.pk for paper in papers})
        .order_by("user__username")
        .values_list("paper_id", "user__username", "status")
    ):
        label = ReadingState.Status(status).label.lower()
        shared.setdefault(paper_id, []).append(f"{name}: {label}")
    slug = request.workspace.slug
    comment_url = ids_url("item_comment", slug, reading_list.pk)
    move_url = ids_url("item_move", slug, reading_list.pk)
    remove_url = ids_url("item_remove", slug, reading_list.pk)
    for entry in entries:
        entry.shared_states = shared.get(entry.paper.pk, [])
        entry.comment_url = comment_url(entry.item.pk)
        entry.move_url = move_url(entry.item.pk)
        entry.remove_url = remove_url(entry.item.pk)
    return entries


def _items(request: HttpRequest, reading_list: ReadingList) -> dict:
    shown = _items_shown(request, reading_list)
    return {**shown, "entries": _entries_shown(request, reading_list, shown["shown"])}


@workspace_view()
def lists(request: HttpRequest) -> HttpResponse:
    reading_lists = _lists(request).annotate(item_count=Count("items"))
    return render(request, "papers/lists.html", {"reading_lists": reading_lists})


@require_POST
@workspace_view(roles=EDITORS)
def list_new(request: HttpRequest) -> HttpResponse:
    try:
        reading_list = services.reading_list_create(
            workspace=request.workspace,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            user=request.user,
        )
    except services.AnnotationError as error:
        context = {"reading_lists": _lists(request), "error": str(error), "form": request.POST}
        return render(request, "papers/lists.html", context, status=422)
    return redirect(_list_url(reading_list))


@workspace_view()
def list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    reading_list = _list(request, list_id)
    context = {
        "reading_list": reading_list,
        **_items(request, reading_list),
        "description": render_markdown(reading_list.description),
        "feed_url": request.build_absolute_uri(
            reverse("list_feed", args=[reading_list.feed_token])
        ),
        "public_url": request.build_absolute_uri(
            reverse("public_list", args=[reading_list.public_token])
        )
        if reading_list.public_token
        else "",
    }
    template = "papers/list.html#items" if request.htmx else "papers/list.html"
    return render(request, template, context)


def _items_response(request, reading_list, *, message="", error="") -> HttpResponse:
    if error and not request.htmx:
        response = list_detail(request, request.workspace.slug, reading_list.pk)
        response.status_code = 422
        return response
    return action_response(
        request,
        template="papers/list.html#items",
        context={"reading_list": reading_list, **_items(request, reading_list), "error": error},
        fallback=_list_url(reading_list),
        message=message,
        error=error,
    )


@require_POST
@workspace_view(roles=EDITORS)
def list_edit(request: HttpRequest, list_id: int) -> HttpResponse:
    reading_list = _list(request, list_id)
    try:
        services.reading_list_update(
            reading_list=reading_list,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
        )
    except services.AnnotationError as error:
        return _items_response(request, reading_list, error=str(error))
    return redirect(_list_url(reading_list))


@require_POST
@workspace_view(roles=EDITORS)
def list_delete(request: HttpRequest, list_id: int) -> HttpResponse:
    services.reading_list_delete(reading_list=_list(request, list_id))
    return redirect("lists", slug=request.workspace.slug)


@require_POST
@workspace_view(roles=EDITORS)
def list_add(request: HttpRequest) -> HttpResponse:
    """Add a paper, the selected papers, or a whole search to a list."""
    reading_list = _lists(request).filter(pk=number(request.POST.get("list"))).first()
    fallback = reverse("workspace_papers", args=[request.workspace.slug])
    if "q" in request.POST:
        found = search(
            request.POST["q"],
            scope=Scope(request.user, request.workspace),
            every=request.POST.get("every") == "1",
        )
        papers = list(found.papers[:EXPORT_LIMIT])
    else:
        papers = list(
            Paper.objects.filter(pk__in=numbers(request.POST.getlist("paper"))).order_by("pk")
        )
    message, error = "", ""
    if reading_list is None:
        error = "Choose a reading list."
    elif not papers:
        error = "Select at least one paper."
    else:
        added = services.list_add_papers(
            reading_list=reading_list,
            papers=papers,
            user=request.user,
            comment=request.POST.get("comment", ""),
        )
        message = f"Added {added} paper{'s' if added != 1 else ''} to “{reading_list.title}”."
    if error and not request.htmx:
        context = {"error": error, "back": back_to(request, fallback)}
        return render(request, "papers/bulk_error.html", context, status=422)
    return action_response(
        request,
        template="papers/lists.html#added",
        context={"message": error or message},
        fallback=fallback,
        message=message,
        error=error,
    )


@require_POST
@workspace_view(roles=EDITORS)
def item_comment(request: HttpRequest, list_id: int, item_id: int) -> HttpResponse:
    reading_list = _list(request, list_id)
    try:
        services.list_item_comment(
            item=_item(reading_list, item_id), comment=request.POST.get("comment", "")
        )
    except services.AnnotationError as error:
        return _items_response(request, reading_list, error=str(error))
    return _items_response(request, reading_list, message="Comment saved.")


@require_POST
@workspace_view(roles=EDITORS)
def item_move(request: HttpRequest, list_id: int, item_id: int) -> HttpResponse:
    reading_list = _list(request, list_id)
    item = _item(reading_list, item_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.list_move_item(item=item, offset=offset)
    return _items_response(
        request, reading_list, message=f"Moved {'up' if offset < 0 else 'down'}."
    )


@require_POST
@workspace_view(roles=EDITORS)
def item_remove(request: HttpRequest, list_id: int, item_id: int) -> HttpResponse:
    reading_list = _list(request, list_id)
    services.list_remove_item(item=_item(reading_list, item_id))
    return _items_response(request, reading_list, message="Removed from the list.")


@require_POST
@workspace_view(roles=EDITORS)
def list_reorder(request: HttpRequest, list_id: int) -> HttpResponse:
    reading_list = _list(request, list_id)
    ids = numbers(request.POST.getlist("item"))
    services.list_reorder(reading_list=reading_list, item_ids=ids)
    return _items_response(request, reading_list, message="New order saved.")


@require_POST
@workspace_view(roles=EDITORS)
def list_sharing(request: HttpRequest, list_id: int) -> HttpResponse:
    """Turn the public link on or off, rotate it, or rotate the feed's token."""
    reading_list = _list(request, list_id)
    action = request.POST.get("action")
    if action in ("public-on", "public-rotate"):
        services.list_public_link(reading_list=reading_list, enabled=True)
    elif action == "public-off":
        services.list_public_link(reading_list=reading_list, enabled=False)
    elif action == "feed-rotate":
        services.list_feed_rotate(reading_list=reading_list)
    return redirect(_list_url(reading_list) + "#sharing")


def _download(text: str, fmt: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{slugify(name) or "papers"}.{fmt}"'
    return response


def _export(title: str, description: str, entries, fmt: str) -> HttpResponse:
    if fmt == "md":
        text = exports.export_markdown(title, description, entries)
    elif fmt == "bib":
        text = exports.export_bibtex(entries)
    elif fmt == "csv":
        text = exports.export_csv(entries)
    else:
        text = exports.export_json(title, description, entries, now=timezone.now())
    return _download(text, fmt, title)


@workspace_view()
def list_export(request: HttpRequest, list_id: int, fmt: str) -> HttpResponse:
    reading_list = _list(request, list_id)
    entries = list_entries(reading_list, for_export=True)
    return _export(reading_list.title, reading_list.description, entries, fmt)


@workspace_view()
def papers_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Export a search result (the first EXPORT_LIMIT papers, in the result's order).

    A file holds every match, as the page's "check every paper" finds them.
    """
    q = request.GET.get("q", "")
    found = search(
        q,
        scope=Scope(request.user, request.workspace),
        sort=request.GET.get("sort", ""),
        every=True,
    )
    papers = list(_with_years(found.papers)[:EXPORT_LIMIT])
    entries = [
        exports.ExportEntry(paper=p, year=p.listed_on.year if p.listed_on else None) for p in papers
    ]
    return _export(f"Papers {q}".strip() if q else "Papers", "", entries, fmt)


@login_not_required
def public_list(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only page a list's public link shows: no log-in, nothing private."""
    reading_list = get_object_or_404(ReadingList.objects.public(token).select_related("workspace"))
    shown = _items_shown(request, reading_list)
    context = {
        "reading_list": reading_list,
        **shown,
        "entries": list_entries(reading_list, limit=shown["shown"]),
        "description": render_markdown(reading_list.description),
    }
    response = render(request, "papers/public_list.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


class ListFeed(Feed):
    """Atom feed of a list's items, newest first, at an unguessable, revocable address."""

    feed_type = Atom1Feed

    def get_object(self, request, token: str) -> ReadingList:
        reading_list = ReadingList.objects.by_feed_token(token).select_related("workspace").first()
        if reading_list is None:
            raise Http404
        return reading_list

    def title(self, obj: ReadingList) -> str:
        return obj.title

    def subtitle(self, obj: ReadingList) -> str:
        return obj.description[:500] or f"A reading list of {obj.workspace.name}"

    def link(self, obj: ReadingList) -> str:
        return _list_url(obj)

    def items(self, obj: ReadingList):
        items = obj.items.select_related("paper", "added_by").defer(*RELATED_PAPER_VECTORS)
        return items.order_by("-added_at")[:50]

    def item_title(self, item: ListItem) -> str:
        return item.paper.title

    def item_description(self, item: ListItem) -> str:
        comment = render_markdown(item.comment) if item.comment else ""
        return f"{comment}<p>{escape(item.paper.abstract[:600])}</p>"

    def item_link(self, item: ListItem) -> str:
        if item.paper.arxiv_id:
            return f"https://arxiv.org/abs/{item.paper.arxiv_id}"
        return item.paper.url or f"{_list_url(item.reading_list)}#item-{item.pk}"

    def item_guid(self, item: ListItem) -> str:
        return f"papershelf:list-item:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: ListItem):
        return item.added_at

    def item_updateddate(self, item: ListItem):
        return item.added_at

    def item_author_name(self, item: ListItem) -> str:
        return item.added_by.get_username() if item.added_by else "deleted user"


list_feed = login_not_required(ListFeed())
