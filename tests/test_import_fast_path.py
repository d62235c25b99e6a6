import hashlib
from datetime import date

import pytest

from papers.importing.records import PaperRecord, ParsedListing
from papers.importing.service import listing_import
from papers.models import ImportJob, Paper

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = date(2026, 3, 2), date(2026, 3, 3)


def imported(*records: PaperRecord, reread: bool = False):
    return listing_import(
        reread=reread,
        listing=ParsedListing(records=list(records)),
        name="Daily",
        source_format="jsonl",
        file_name="daily.jsonl",
        # The file's digest: another list of records is another file.
        sha256=hashlib.sha256(repr(records).encode()).hexdigest(),
        default_date=MONDAY,
    )


def test_a_mixed_import_creates_enriches_and_links_as_each_record_says():
    by_id = Paper.objects.create(
        arxiv_id="2603.00001",
        title="Old title",
        title_key="old title",
        abstract="Old.",
        authors=["Ada"],
    )
    by_title = Paper.objects.create(title="Sparse Things", title_key="sparse things", abstract="S.")
    records = [
        # A trending page states no authors: the stored ones stay.
        PaperRecord(line=1, title="New title", abstract="New.", arxiv_id="2603.00001"),
        # An id arriving later enriches the paper its title matched.
        PaperRecord(line=2, title="Sparse things", abstract="S.", arxiv_id="2603.00002"),
        PaperRecord(line=3, title="Fresh", abstract="F.", authors=("Bo",), listing_date=MONDAY),
        # The same paper the next day, with other authors: the first record decides.
        PaperRecord(line=4, title="Fresh", abstract="F.", authors=("Cy",), listing_date=TUESDAY),
    ]

    result = imported(*records)

    assert [result.outcomes[record] for record in records] == [
        "updated",
        "updated",
        "created",
        "unchanged",
    ]
    by_id.refresh_from_db()
    assert (by_id.title, by_id.title_key, by_id.authors) == ("New title", "new title", ["Ada"])
    by_title.refresh_from_db()
    assert (by_title.arxiv_id, by_title.title) == ("2603.00002", "Sparse things")
    fresh = Paper.objects.get(title="Fresh")
    assert fresh.authors == ["Bo"]
    assert fresh.last_listed == TUESDAY
    job = ImportJob.objects.get()
    assert list(job.papers_created.all()) == [fresh]


def test_reimport_of_a_mixed_import_changes_nothing():
    records = [
        PaperRecord(line=1, title="One", abstract="A.", arxiv_id="2603.00003"),
        PaperRecord(line=2, title="Two", abstract="B."),
        # The same paper the next day, now with its id.
        PaperRecord(
            line=3, title="two", abstract="B.", arxiv_id="2603.00004", listing_date=TUESDAY
        ),
    ]
    imported(*records)
    before = list(Paper.objects.order_by("pk").values())

    result = imported(*records, reread=True)

    assert result.summary() == "3 papers: 0 created, 0 updated, 3 unchanged"
    assert list(Paper.objects.order_by("pk").values()) == before
