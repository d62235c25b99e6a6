from django.urls import path

from papers.views import listing

urlpatterns = [
    path("w/<slug:slug>/papers/", listing.papers, name="workspace_papers"),
    path("w/<slug:slug>/papers/<int:pk>/", listing.paper_detail, name="paper"),
]
