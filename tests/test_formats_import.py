"""import_listing with every listing format, through the management command."""

import gzip
import json
from datetime import date

import pytest
from django.core.management import CommandError

from papers.importing import files
from papers.models import Listing, Paper
from tests.conftest import DATA, import_listing

pytestmark = pytest.mark.django_db

FORMATS = DATA / "formats"
ARXIV_DAILY = FORMATS / "arxiv-cs-daily.head30.jsonl"
SAME_TITLE = FORMATS / "arxiv-cs-daily.same-title.jsonl"
DAILY_PAPERS = FORMATS / "hf-daily-papers.two-days.jsonl"
KAGGLE_CSV = FORMATS / "arxiv-kaggle.head20.csv"
READING_GROUP = FORMATS / "reading-group.bib"
READING_LIST = FORMATS / "reading-list.papershelf.json"

# File, detected format, papers listed, papers made (the daily list names
# four papers on both of its dates).
FIXTURES = [
    ("arxiv-cs-daily.head30.jsonl", "jsonl", 30, 30),
    ("arxiv-cs-daily.same-title.jsonl", "jsonl", 2, 2),
    ("arxiv-kaggle.head30.jsonl", "jsonl", 30, 30),
    ("arxiv-kaggle.head5.json", "json", 5, 5),
    ("hf-daily-papers.two-days.jsonl", "jsonl", 22, 18),
    ("arxiv-kaggle.head20.csv", "csv", 20, 20),
    ("reading-group.bib", "bibtex", 4, 4),
    ("reading-list.papershelf.json", "papershelf", 3, 3),
]


def summary(stdout: str) -> str:
    return stdout.splitlines()[-1]


@pytest.mark.parametrize(("file_name", "source_format", "papers", "created"), FIXTURES)
def test_fixture_imports_with_its_detected_format(file_name, source_format, papers, created):
    stdout, _ = import_listing(str(FORMATS / file_name))

    assert stdout.splitlines()[0] == f"Format: {source_format} (told from the content)"
    assert summary(stdout).startswith(f"{papers} papers: {created} created, 0 updated")
    assert Paper.objects.count() == created
    assert set(Listing.objects.values_list("source_format", flat=True)) == {source_format}


@pytest.mark.parametrize(("file_name", "source_format", "papers", "created"), FIXTURES)
def test_reimport_of_each_fixture_changes_nothing(file_name, source_format, papers, created):
    import_listing(str(FORMATS / file_name))
    before = list(Paper.objects.order_by("pk").values())

    stdout, _ = import_listing(str(FORMATS / file_name))

    assert summary(stdout).startswith(f"{papers} papers: 0 created, 0 updated, {papers} unchanged")
    assert list(Paper.objects.order_by("pk").values()) == before


def test_arxiv_dump_is_one_listing_named_arxiv_listing_dated_today():
    import_listing(str(ARXIV_DAILY))

    listing = Listing.objects.get()
    assert (listing.name, listing.date) == ("arXiv listing", date.today())
    paper = Paper.objects.get(arxiv_id="2503.11731")
    assert paper.authors[:2] == ["Xianming Zeng", "Sicong Du"]
    assert paper.published == date(2025, 3, 18)
    assert listing.entries.get(paper=paper).rank == 1


def test_two_arxiv_papers_sharing_a_title_stay_two_papers():
    stdout, _ = import_listing(str(SAME_TITLE))

    assert summary(stdout) == "2 papers: 2 created, 0 updated, 0 unchanged"
    titles = set(Paper.objects.values_list("title", flat=True))
    assert len(titles) == 1
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["2506.03197", "2510.15349"]


def test_daily_list_over_two_dates_makes_two_ranked_listings():
    stdout, _ = import_listing(str(DAILY_PAPERS))

    assert "Listing date: 2026-04-03 (line 1 says '2026-04-03')" in stdout
    assert "Listing date: 2026-04-04 (line 8 says '2026-04-04')" in stdout
    assert summary(stdout) == "22 papers: 18 created, 0 updated, 4 unchanged"
    first, second = Listing.objects.order_by("date")
    assert (first.name, first.date, second.date) == (
        "Daily papers",
        date(2026, 4, 3),
        date(2026, 4, 4),
    )
    assert list(first.entries.values_list("rank", "paper__arxiv_id")[:3]) == [
        (1, "2604.02268"),
        (2, "2604.02329"),
        (3, "2604.02029"),
    ]
    assert list(second.entries.values_list("rank", "paper__arxiv_id")[:4]) == [
        (1, "2603.26164"),
        (2, "2604.02029"),
        (3, "2604.02329"),
        (4, "2604.02268"),
    ]
    assert second.entries.count() == 15


def test_paper_listed_on_two_dates_keeps_the_first_dates_authors():
    import_listing(str(DAILY_PAPERS))

    # The two days' rows give this paper different author lists.
    paper = Paper.objects.get(arxiv_id="2604.02029")
    assert paper.authors[:3] == ["Cheng Yang", "Tianyu Fu", "Yongbo He"]


def test_date_option_merging_two_dates_lists_each_paper_once():
    stdout, stderr = import_listing(str(DAILY_PAPERS), "--date", "2026-04-05")

    listing = Listing.objects.get()
    assert listing.entries.count() == 18
    assert listing.rejected_count == 4
    assert f"{DAILY_PAPERS}:9: same paper as line 3 on 2026-04-05: listed once" in stderr
    assert summary(stdout) == "18 papers: 18 created, 0 updated, 0 unchanged, 4 warnings"


def test_papershelf_export_round_trips_its_papers_in_position_order():
    import_listing(str(READING_LIST))

    exported = json.loads(READING_LIST.read_text())
    listing = Listing.objects.get()
    assert listing.name == exported["title"]
    entries = listing.entries.order_by("rank").select_related("paper")
    imported = [
        {
            "position": entry.rank,
            "arxiv_id": entry.paper.arxiv_id,
            "title": entry.paper.title,
            "abstract": entry.paper.abstract,
            "authors": entry.paper.authors,
            "url": entry.paper.url or None,
            "published": entry.paper.published.isoformat() if entry.paper.published else None,
        }
        for entry in entries
    ]
    expected = [
        {key: value for key, value in paper.items() if key != "comment"}
        for paper in sorted(exported["papers"], key=lambda paper: paper["position"])
    ]
    assert imported == expected


def test_name_option_beats_the_exports_title():
    import_listing(str(READING_LIST), "--name", "Spring term")

    assert Listing.objects.get().name == "Spring term"


def test_bibtex_warnings_go_to_stderr_with_the_line_of_the_entry():
    stdout, stderr = import_listing(str(READING_GROUP))

    assert stderr.splitlines() == [
        f"{READING_GROUP}:35: not a readable BibTeX entry (Unexpected block start: `@article`. "
        "Was still looking for field-value closing `}`): not imported",
        f"{READING_GROUP}:39: this entry has no title: not imported",
    ]
    assert summary(stdout) == "4 papers: 4 created, 0 updated, 0 unchanged, 2 warnings"
    assert Listing.objects.get().rejected_count == 2
    assert Paper.objects.get(arxiv_id="0704.0001").authors[0] == "C. Balázs"


def test_csv_import_recovers_mangled_ids():
    import_listing(str(KAGGLE_CSV))

    assert Paper.objects.filter(arxiv_id="0704.0010").exists()
    assert Listing.objects.get().name == "CSV import"


def test_same_paper_from_two_formats_is_one_paper():
    import_listing(str(KAGGLE_CSV))

    stdout, _ = import_listing(str(READING_GROUP))

    # The BibTeX entry for 0704.0001 finds the paper the CSV made.
    assert summary(stdout).startswith("4 papers: 3 created, 1 updated")
    assert Paper.objects.filter(arxiv_id="0704.0001").count() == 1


def test_id_arriving_later_in_the_same_file_enriches_the_paper(tmp_path):
    listing = tmp_path / "daily.jsonl"
    rows = [
        {"listing_date": "2026-04-03", "rank": 1, "title": "Attention Is All You Need"},
        {
            "listing_date": "2026-04-04",
            "rank": 1,
            "arxiv_id": "1706.03762",
            "title": "Attention is all you need",
        },
    ]
    listing.write_text("\n".join(json.dumps(row) for row in rows))

    import_listing(str(listing))
    stdout, _ = import_listing(str(listing), "--reread")

    assert Paper.objects.get().arxiv_id == "1706.03762"
    assert summary(stdout) == "2 papers: 0 created, 0 updated, 2 unchanged"


def test_gzipped_file_is_decompressed_first(tmp_path):
    packed = tmp_path / "arxiv.jsonl.gz"
    packed.write_bytes(gzip.compress(ARXIV_DAILY.read_bytes()))

    stdout, _ = import_listing(str(packed))

    assert stdout.splitlines()[0].startswith("Format: jsonl")
    assert summary(stdout) == "30 papers: 30 created, 0 updated, 0 unchanged"
    assert Listing.objects.get().file_name == "arxiv.jsonl.gz"


def test_gzipped_file_expanding_past_the_cap_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_DECOMPRESSED_BYTES", 1000)
    packed = tmp_path / "bomb.jsonl.gz"
    packed.write_bytes(gzip.compress(b" " * 1001))

    with pytest.raises(CommandError, match="more than 0 MiB once decompressed"):
        import_listing(str(packed))


def test_broken_gzip_file_is_rejected(tmp_path):
    packed = tmp_path / "broken.jsonl.gz"
    packed.write_bytes(gzip.compress(ARXIV_DAILY.read_bytes())[:200])

    with pytest.raises(CommandError, match="not a readable gzip file"):
        import_listing(str(packed))
    assert Paper.objects.count() == 0


def test_format_option_overrides_detection(tmp_path):
    listing = tmp_path / "listing.txt"
    listing.write_text('{"title": "A paper"}\n')

    stdout, _ = import_listing(str(listing), "--format", "jsonl")

    assert "Format:" not in stdout
    assert Listing.objects.get().source_format == "jsonl"


def test_trending_page_is_still_detected():
    stdout, _ = import_listing(str(DATA / "hf-trending-mar-14.txt"))

    assert stdout.splitlines()[0] == "Format: trending (told from the content)"
    assert summary(stdout) == "51 papers: 51 created, 0 updated, 0 unchanged"


def test_rejected_file_names_the_line_and_writes_nothing(tmp_path):
    listing = tmp_path / "broken.json"
    listing.write_text('[\n  {"title": "A"},\n  {"title": }\n]')

    with pytest.raises(CommandError, match=r"rejected: not valid JSON: .*column 13 \(line 3\)"):
        import_listing(str(listing))
    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0


def test_rejected_file_says_which_format_it_was_read_as(tmp_path):
    listing = tmp_path / "refs.bib"
    listing.write_text("@misc{broken,\n  title = {never closed\n")

    with pytest.raises(CommandError, match=r"read as bibtex \(told from the content\), rejected"):
        import_listing(str(listing))
