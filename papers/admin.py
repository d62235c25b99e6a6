from django.contrib import admin

from papers.models import Listing, ListingEntry, Paper


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("title", "arxiv_id", "published", "updated_at")
    search_fields = ("title", "arxiv_id")
    exclude = ("search_vector",)
    readonly_fields = ("title_key", "created_at", "updated_at")


class ListingEntryInline(admin.TabularInline):
    model = ListingEntry
    extra = 0
    raw_id_fields = ["paper"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "date",
        "source_format",
        "created_count",
        "updated_count",
        "unchanged_count",
        "rejected_count",
        "imported_by",
        "imported_at",
    )
    list_filter = ("source_format", "date")
    search_fields = ("name", "file_name")
    readonly_fields = ("sha256", "imported_at")
    inlines = [ListingEntryInline]
