from django.urls import path

from papers.views import annotations, listing, reading, tags

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
    path("w/<slug:slug>/tags/", tags.tags, name="tags"),
    path("w/<slug:slug>/tags/<int:tag_id>/rename/", tags.tag_rename, name="tag_rename"),
    path("w/<slug:slug>/tags/<int:tag_id>/merge/", tags.tag_merge, name="tag_merge"),
    path("w/<slug:slug>/tags/<int:tag_id>/delete/", tags.tag_delete, name="tag_delete"),
]
