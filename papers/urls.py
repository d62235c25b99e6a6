from django.urls import path

from papers.views import listing

urlpatterns = [
    path("", listing.home, name="home"),
    path("papers/<int:pk>/", listing.paper_detail, name="paper"),
]
