from django.urls import path, register_converter

from papers.views import annotations, listing, lists, reading, tags


class ExportFormat:
    regex = "md|bib|csv|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "export")

urlpatterns = [
    path("w/<slug:slug>/papers/", listing.papers, name="workspace_papers"),
    path("w/<slug:slug>/papers/<int:pk>/", listing.paper_detail, name="paper"),
    path("w/<slug:slug>/papers/<int:pk>/tags/", annotations.tag_add, name="tag_add"),
    path(
        "w/<slug:slug>/papers/<int:pk>/tags/<int:tag_id>/remove/",
        annotations.tag_remove,
        name="tag_remove",
    ),
    path("w/<slug:slug>/papers/<int:pk>/status/", annotations.status_set, name="status_set"),
    path("w/<slug:slug>/papers/<int:pk>/notes/", annotations.note_add, name="note_add"),
    path("w/<slug:slug>/papers/bulk-tag/", annotations.papers_bulk_tag, name="bulk_tag"),
    path("w/<slug:slug>/notes/", reading.notes, name="notes"),
    path("w/<slug:slug>/notes/<int:note_id>/edit/", annotations.note_edit, name="note_edit"),
    path("w/<slug:slug>/notes/<int:note_id>/delete/", annotations.note_delete, name="note_delete"),
    path("w/<slug:slug>/queue/", reading.queue, name="queue"),
    path(
        "w/<slug:slug>/papers/export.<export:fmt>",
        lists.papers_export,
        name="papers_export",
    ),
    path("w/<slug:slug>/lists/", lists.lists, name="lists"),
    path("w/<slug:slug>/lists/new/", lists.list_new, name="list_new"),
    path("w/<slug:slug>/lists/add/", lists.list_add, name="list_add"),
    path("w/<slug:slug>/lists/<int:list_id>/", lists.list_detail, name="list_detail"),
    path("w/<slug:slug>/lists/<int:list_id>/edit/", lists.list_edit, name="list_edit"),
    path("w/<slug:slug>/lists/<int:list_id>/delete/", lists.list_delete, name="list_delete"),
    path("w/<slug:slug>/lists/<int:list_id>/reorder/", lists.list_reorder, name="list_reorder"),
    path("w/<slug:slug>/lists/<int:list_id>/sharing/", lists.list_sharing, name="list_sharing"),
    path(
        "w/<slug:slug>/lists/<int:list_id>/export.<export:fmt>",
        lists.list_export,
        name="list_export",
    ),
    path(
        "w/<slug:slug>/lists/<int:list_id>/items/<int:item_id>/comment/",
        lists.item_comment,
        name="item_comment",
    ),
    path(
        "w/<slug:slug>/lists/<int:list_id>/items/<int:item_id>/move/",
        lists.item_move,
        name="item_move",
    ),
    path(
        "w/<slug:slug>/lists/<int:list_id>/items/<int:item_id>/remove/",
        lists.item_remove,
        name="item_remove",
    ),
    path("public/lists/<str:token>/", lists.public_list, name="public_list"),
    path("feeds/lists/<str:token>/", lists.list_feed, name="list_feed"),
    path("w/<slug:slug>/tags/", tags.tags, name="tags"),
    path("w/<slug:slug>/tags/<int:tag_id>/rename/", tags.tag_rename, name="tag_rename"),
    path("w/<slug:slug>/tags/<int:tag_id>/merge/", tags.tag_merge, name="tag_merge"),
    path("w/<slug:slug>/tags/<int:tag_id>/delete/", tags.tag_delete, name="tag_delete"),
]
