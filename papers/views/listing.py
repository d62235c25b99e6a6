from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import workspace_view
from papers.models import Listing, Paper

PAPERS_PER_PAGE = 25


@workspace_view()
def papers(request: HttpRequest) -> HttpResponse:
    """The workspace's papers page: with no query, the latest listing in rank order."""
    listing = Listing.objects.latest_first().first()
    page = None
    if listing is not None:
        entries = listing.entries.select_related("paper").order_by("rank")
        page = Paginator(entries, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    template = "papers/papers.html#results" if request.htmx else "papers/papers.html"
    return render(request, template, {"listing": listing, "page": page})


@workspace_view()
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper, pk=pk)
    entries = paper.entries.select_related("listing").order_by("-listing__date", "listing__name")
    return render(request, "papers/paper.html", {"paper": paper, "entries": entries})
