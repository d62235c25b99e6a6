"""The admin for papers and what people add to them, and the imports (papers.imports_admin).

Tables here can be large (a million papers, listings of as many entries), so
lists skip the full count, listings link to their entries instead of editing
them inline, and deleting a listing summarises its entries instead of naming
each one. Every account has a personal workspace, so workspace filters offer
only the workspaces that have rows.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Workspace
from papers.imports_admin import ImportJobAdmin
from papers.models import (
    ImportJob,
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingList,
    ReadingState,
    SearchTerm,
    Tag,
    Tagging,
)
from papers.services import TAG_MAX_LENGTH, AnnotationError, papers_merge, papers_tag

admin.site.register(ImportJob, ImportJobAdmin)

# A merge is checked by a person, paper by paper: more than this is not a
# set of duplicates but a slip of the select-all box.
MERGE_MAX = 10
# The intermediate pages name this many of the selected papers.
SELECTED_SHOWN = 20


class HasArxivIdFilter(admin.SimpleListFilter):
    title = "arXiv id"
    parameter_name = "arxiv"

    def lookups(self, request, model_admin):
        return [("yes", "Has one"), ("no", "Has none")]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(arxiv_id__isnull=self.value() == "no")
        return queryset


class PaperListingsInline(admin.TabularInline):
    model = ListingEntry
    verbose_name = "place on a listing"
    verbose_name_plural = "listings"
    fields = ("listing", "rank")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TagPapersForm(forms.Form):
    workspace = forms.ModelChoiceField(Workspace.objects.order_by("name"))
    name = forms.CharField(label="Tag", max_length=TAG_MAX_LENGTH)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("title", "arxiv_id", "published", "created_at", "updated_at")
    list_filter = (
        HasArxivIdFilter,
        ("published", admin.DateFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("title", "=arxiv_id")
    exclude = ("search_vector",)
    readonly_fields = ("title_key", "created_at", "updated_at")
    inlines = [PaperListingsInline]
    actions = ["tag_papers", "merge_papers"]
    show_full_result_count = False

    def has_tag_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("papers.add_tagging")

    @admin.action(description="Tag the selected papers", permissions=["tag"])
    def tag_papers(self, request: HttpRequest, queryset: QuerySet):
        form = TagPapersForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            workspace = form.cleaned_data["workspace"]
            try:
                tag = papers_tag(
                    workspace=workspace,
                    papers=queryset,
                    name=form.cleaned_data["name"],
                    user=request.user,
                )
            except AnnotationError as error:
                form.add_error("name", str(error))
            else:
                count = queryset.count()
                message = f"Tagged {count} paper{'s' if count != 1 else ''} “{tag}” in {workspace}."
                self.message_user(request, message, messages.SUCCESS)
                return None
        return self._intermediate(
            request, queryset, "admin/papers/paper/tag_papers.html", "Tag papers", form=form
        )

    @admin.action(
        description="Merge the selected papers (duplicates)", permissions=["change", "delete"]
    )
    def merge_papers(self, request: HttpRequest, queryset: QuerySet):
        papers = list(_with_uses(queryset.order_by("pk")[: MERGE_MAX + 1]))
        if not 2 <= len(papers) <= MERGE_MAX:
            self.message_user(
                request, f"Select from 2 to {MERGE_MAX} papers to merge.", messages.WARNING
            )
            return None
        keep = next((p for p in papers if str(p.pk) == request.POST.get("keep")), None)
        if "apply" in request.POST and keep is not None:
            papers_merge(keep=keep, duplicates=papers)
            self.message_user(
                request, f"Merged {len(papers)} papers into “{keep}”.", messages.SUCCESS
            )
            return HttpResponseRedirect(reverse("admin:papers_paper_change", args=[keep.pk]))
        # The paper with an arXiv id, else the oldest, is the likely one to keep.
        default = next((p for p in papers if p.arxiv_id), papers[0])
        return self._intermediate(
            request,
            queryset,
            "admin/papers/paper/merge_papers.html",
            "Merge duplicate papers",
            papers=papers,
            default_keep=default.pk,
        )

    def _intermediate(
        self, request: HttpRequest, queryset: QuerySet, template: str, title: str, **context
    ) -> TemplateResponse:
        """An action's second step: the choice, with the selection carried along."""
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "action": request.POST["action"],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "select_across": request.POST.get("select_across") == "1",
                "count": queryset.count(),
                "shown": queryset.order_by("pk")[:SELECTED_SHOWN],
                **context,
            },
            status=422 if "apply" in request.POST else 200,
        )


def _with_uses(papers: QuerySet) -> QuerySet:
    """What people added to each paper, counted, for choosing which of duplicates to keep."""
    return papers.annotate(
        tagging_count=Count("taggings", distinct=True),
        note_count=Count("notes", distinct=True),
        list_item_count=Count("list_items", distinct=True),
        reading_state_count=Count("reading_states", distinct=True),
        entry_count=Count("entries", distinct=True),
    )


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "date",
        "source_format",
        "paper_count",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "imported_by",
        "imported_at",
    )
    list_filter = ("source_format", "date", ("imported_by", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "file_name", "=sha256")
    date_hierarchy = "date"
    readonly_fields = ("sha256", "imported_at", "entries")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(paper_count=Count("entries"))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, listing: Listing) -> int:
        return listing.paper_count

    @admin.display(description="papers in rank order")
    def entries(self, listing: Listing) -> str:
        url = reverse("admin:papers_listingentry_changelist")
        return format_html(
            '<a href="{}?listing__exact={}">{} papers</a>', url, listing.pk, listing.paper_count
        )

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Each listing with the number of its entries, rather than every entry by name."""
        listings = Listing.objects.filter(pk__in=[listing.pk for listing in objs]).annotate(
            entry_count=Count("entries")
        )
        deleted = [
            f"{listing}, with its {listing.entry_count} places of papers (the papers stay)"
            for listing in listings
        ]
        counts = {
            Listing._meta.verbose_name_plural: len(listings),
            ListingEntry._meta.verbose_name_plural: sum(item.entry_count for item in listings),
        }
        allowed = request.user.has_perms(["papers.delete_listing", "papers.delete_listingentry"])
        return deleted, counts, set() if allowed else {"listings"}, []


@admin.register(ListingEntry)
class ListingEntryAdmin(admin.ModelAdmin):
    list_display = ("listing", "rank", "paper")
    list_filter = ("listing__source_format", "listing__date")
    search_fields = ("listing__name", "paper__title", "=paper__arxiv_id")
    list_select_related = ("listing", "paper")
    raw_id_fields = ("listing", "paper")
    ordering = ("-listing__date", "listing", "rank")
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "paper_count", "created_at")
    list_filter = (("workspace", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "workspace__name")
    list_select_related = ("workspace",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_counts()

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, tag: Tag) -> int:
        return tag.paper_count


@admin.register(Tagging)
class TaggingAdmin(admin.ModelAdmin):
    list_display = ("tag", "workspace", "paper", "added_by", "created_at")
    list_filter = (("tag__workspace", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("tag__name", "paper__title")
    list_select_related = ("tag__workspace", "paper", "added_by")
    raw_id_fields = ("paper",)
    autocomplete_fields = ("tag",)

    @admin.display(description="workspace", ordering="tag__workspace__name")
    def workspace(self, tagging: Tagging) -> Workspace:
        return tagging.tag.workspace


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = (
        "excerpt",
        "paper",
        "workspace",
        "author",
        "visibility",
        "is_highlight",
        "detached",
        "created_at",
    )
    list_filter = (
        "visibility",
        "detached",
        "anchor_field",
        ("workspace", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("body", "quote", "paper__title", "author__username")
    list_select_related = ("paper", "workspace", "author")
    raw_id_fields = ("paper", "parent")
    readonly_fields = ("start", "end", "created_at", "updated_at")

    @admin.display(description="note")
    def excerpt(self, note: Note) -> str:
        return note.body if len(note.body) <= 80 else f"{note.body[:79]}…"

    @admin.display(description="highlight", boolean=True)
    def is_highlight(self, note: Note) -> bool:
        return note.is_highlight


@admin.register(ReadingState)
class ReadingStateAdmin(admin.ModelAdmin):
    list_display = ("user", "paper", "status", "changed_at")
    list_filter = ("status", "changed_at")
    search_fields = ("user__username", "paper__title")
    list_select_related = ("user", "paper")
    raw_id_fields = ("paper",)
    autocomplete_fields = ("user",)


class ListItemInline(admin.TabularInline):
    model = ListItem
    fields = ("position", "paper", "comment", "added_by")
    raw_id_fields = ("paper",)
    readonly_fields = ("added_by",)
    extra = 0


@admin.register(ReadingList)
class ReadingListAdmin(admin.ModelAdmin):
    list_display = ("title", "workspace", "paper_count", "is_public", "updated_at")
    list_filter = (("workspace", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("title", "description", "workspace__name")
    list_select_related = ("workspace",)
    readonly_fields = ("public_token", "feed_token", "created_by", "created_at", "updated_at")
    inlines = [ListItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(paper_count=Count("items"))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, reading_list: ReadingList) -> int:
        return reading_list.paper_count

    @admin.display(description="public link", boolean=True)
    def is_public(self, reading_list: ReadingList) -> bool:
        return bool(reading_list.public_token)


@admin.register(ListItem)
class ListItemAdmin(admin.ModelAdmin):
    list_display = ("reading_list", "position", "paper", "added_by", "added_at")
    list_filter = (("reading_list__workspace", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("reading_list__title", "paper__title", "comment")
    list_select_related = ("reading_list", "paper", "added_by")
    raw_id_fields = ("paper",)


@admin.register(SearchTerm)
class SearchTermAdmin(admin.ModelAdmin):
    """The search vocabulary, to look at: imports keep it, so it is not edited by hand."""

    list_display = ("word", "ndoc")
    search_fields = ("word",)
    ordering = ("-ndoc", "word")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
