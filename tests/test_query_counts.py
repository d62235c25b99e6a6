"""The most used pages issue as many SQL statements with 60 papers as with 3.

A page whose statements grow with its rows (one query per paper, tag, list
item or note) is fast on a test database and slow on a real shelf. Each page
is loaded on a small shelf, the shelf grows twentyfold (more papers in the
latest listing, tagged, to read, on the reading list, noted, and the paper
shown in two listings with more related papers), and the page is loaded
again: the count must not move. tests/test_search.py checks the same for the
number of rows a search shows on one database.

The shelf is built with the models and services directly, not the import
command, so that these counts depend on the pages alone.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers.models import Listing, ListingEntry, Paper, ReadingState
from papers.services import (
    list_add_papers,
    note_create,
    papers_tag,
    reading_list_create,
    reading_state_set,
    search_terms_add,
)

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 60
FIRST_DAY = date(2026, 3, 14)
TOPICS = ["sparse attention", "state space models", "retrieval", "memory", "long context"]


class Shelf:
    """A reader's papers: every one in the latest listing, tagged, to read, listed and noted."""

    def __init__(self, reader, workspace) -> None:
        self.reader, self.workspace = reader, workspace
        self.reading_list = reading_list_create(workspace=workspace, title="Shelf", user=reader)
        self.day = FIRST_DAY
        # Reading states shown on the list come from people who share them.
        reader.share_reading_status = True
        reader.save(update_fields=["share_reading_status"])

    def grow_to(self, count: int) -> None:
        """Add papers up to `count`, and a new latest listing with all of them in it."""
        known = Paper.objects.count()
        new = [self._paper(number) for number in range(known, count)]
        new = Paper.objects.bulk_create(new)
        search_terms_add(paper_ids=[paper.pk for paper in new])
        self.day += timedelta(days=1)
        listing = Listing.objects.create(
            name="Daily papers", date=self.day, source_format=Listing.Format.JSONL
        )
        everything = list(Paper.objects.order_by("pk"))
        ListingEntry.objects.bulk_create(
            ListingEntry(listing=listing, paper=paper, rank=rank)
            for rank, paper in enumerate(everything, start=1)
        )
        Paper.objects.update(last_listed=self.day)
        papers_tag(workspace=self.workspace, papers=new, name="shelf", user=self.reader)
        list_add_papers(reading_list=self.reading_list, papers=new, user=self.reader)
        for paper in new:
            reading_state_set(user=self.reader, paper=paper, status=ReadingState.Status.TO_READ)
            note_create(
                workspace=self.workspace, paper=paper, author=self.reader, body="Read section 3."
            )

    def _paper(self, number: int) -> Paper:
        topic, other = TOPICS[number % len(TOPICS)], TOPICS[(number + 1) % len(TOPICS)]
        title = f"Efficient {topic} for language models, study {number}"
        return Paper(
            arxiv_id=f"2603.{number:05d}",
            title=title,
            title_key=title.casefold(),
            abstract=f"We combine {topic} with {other} in language models and measure recall.",
            authors=[f"Author {number}", "Second Author"],
            published=FIRST_DAY,
        )

    def pages(self) -> dict[str, tuple[str, dict]]:
        papers = reverse("workspace_papers", args=[self.workspace.slug])
        first = Paper.objects.order_by("pk").first()
        return {
            "listing, first page": (papers, {}),
            "paper page": (first.url_in(self.workspace), {}),
            "tag filter": (papers, {"q": "tag:shelf"}),
            "reading list": (
                reverse("list_detail", args=[self.workspace.slug, self.reading_list.pk]),
                {},
            ),
            "search results": (papers, {"q": "language models"}),
        }


def statements(client, path: str, params: dict) -> list[str]:
    # The first visit of a workspace records it as the person's last one: a
    # write that later visits do not repeat.
    client.get(path, params)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    "page", ["listing, first page", "paper page", "tag filter", "reading list", "search results"]
)
def test_page_issues_as_many_queries_with_many_papers_as_with_few(
    reader_client, reader, workspace, page
):
    shelf = Shelf(reader, workspace)
    shelf.grow_to(FEW)
    few = statements(reader_client, *shelf.pages()[page])

    shelf.grow_to(MANY)
    many = statements(reader_client, *shelf.pages()[page])

    assert len(many) == len(few), "\n".join(
        [f"{len(few)} statements with {FEW} papers, {len(many)} with {MANY}:", *many]
    )


def test_shelf_pages_show_its_papers(reader_client, reader, workspace):
    """The counts above are of pages that show the shelf, not of empty or error pages."""
    shelf = Shelf(reader, workspace)
    shelf.grow_to(MANY)

    shown = {
        name: reader_client.get(path, params).text for name, (path, params) in shelf.pages().items()
    }

    assert all("for language models, study" in html for html in shown.values())
    assert "study 0" in shown["paper page"]
    assert "study 0" in shown["reading list"]
    # Its first 50 items: the page shows a long list 50 at a time.
    assert "study 49" in shown["reading list"] and "study 50" not in shown["reading list"]
    assert "(50 of 60 shown)" in shown["reading list"]
    assert f"{MANY} papers in rank order" in shown["listing, first page"]
