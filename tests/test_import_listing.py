import io
import os
import subprocess
import sys
from datetime import date

import pytest
from django.core.management import CommandError
from django.db import connection

from papers.importing import service
from papers.models import Listing, ListingEntry, Paper
from tests.conftest import DATA, SAMPLE, import_listing

pytestmark = pytest.mark.django_db

FIRST_TITLE = (
    "EMR-MSF: Self-Supervised Recurrent Monocular Scene Flow Exploiting Ego-Motion Rigidity"
)
LAST_TITLE = "Mask-Enhanced Autoregressive Prediction: Pay Less Attention to Learn More"


def snapshot() -> tuple:
    """Everything an import can change, to prove that a rejected one changed nothing."""
    return (
        list(Paper.objects.order_by("pk").values_list("pk", "title", "abstract", "updated_at")),
        list(Listing.objects.order_by("pk").values()),
        list(ListingEntry.objects.order_by("pk").values_list("listing", "paper", "rank")),
    )


def test_sample_listing_imports_51_papers_in_file_order():
    stdout, stderr = import_listing(str(SAMPLE))

    assert stdout.splitlines()[-1] == "51 papers: 51 created, 0 updated, 0 unchanged"
    assert stderr == ""
    listing = Listing.objects.get()
    ranked = list(listing.entries.order_by("rank").values_list("rank", "paper__title"))
    assert [rank for rank, _ in ranked] == list(range(1, 52))
    assert ranked[0][1] == FIRST_TITLE
    assert ranked[-1][1] == LAST_TITLE
    assert (listing.created_count, listing.updated_count, listing.unchanged_count) == (51, 0, 0)
    assert listing.source_format == "trending"
    assert len(listing.sha256) == 64


def test_listing_date_comes_from_the_date_line_and_is_reported():
    stdout, _ = import_listing(str(SAMPLE))

    listing = Listing.objects.get()
    assert listing.date.month == 3 and listing.date.day == 14
    assert listing.date <= date.today()
    assert f"Listing date: {listing.date:%Y-%m-%d}" in stdout


def test_reimport_changes_nothing_and_skips_reading_a_file_imported_unchanged():
    import_listing(str(SAMPLE))
    before = snapshot()

    again, _ = import_listing(str(SAMPLE))
    reread, _ = import_listing(str(SAMPLE), "--reread")

    assert again.splitlines()[-1].startswith("51 papers: 0 created, 0 updated, 51 unchanged (")
    assert "nothing has changed since: the file was not read again" in again
    assert reread.splitlines()[-1] == "51 papers: 0 created, 0 updated, 51 unchanged"
    assert snapshot() == before


def test_a_paper_edited_since_makes_a_reimport_read_the_file_again():
    import_listing(str(SAMPLE))
    paper = Paper.objects.get(title=FIRST_TITLE)
    written = paper.abstract
    paper.abstract = "Edited in the admin."
    paper.save()

    stdout, _ = import_listing(str(SAMPLE))

    assert stdout.splitlines()[-1] == "51 papers: 0 created, 1 updated, 50 unchanged"
    assert Paper.objects.get(pk=paper.pk).abstract == written


def test_a_listing_imported_since_makes_a_reimport_read_the_file_again(tmp_path):
    import_listing(str(SAMPLE))
    other = tmp_path / "other.txt"
    other.write_text(f"Mar 15\n\n{FIRST_TITLE}\n\nA newer abstract.\n")
    import_listing(str(other))

    stdout, _ = import_listing(str(SAMPLE))

    assert stdout.splitlines()[-1] == "51 papers: 0 created, 1 updated, 50 unchanged"


def test_another_date_is_another_listing_even_for_the_same_file():
    import_listing(str(SAMPLE))

    stdout, _ = import_listing(str(SAMPLE), "--date", "2025-01-31")

    assert stdout.splitlines()[-1] == "51 papers: 0 created, 0 updated, 51 unchanged"
    assert Listing.objects.count() == 2


def test_dry_run_writes_nothing_but_reports_what_would_happen():
    stdout, _ = import_listing(str(SAMPLE), "--dry-run")

    assert stdout.splitlines()[-1].startswith("51 papers: 51 created, 0 updated, 0 unchanged")
    assert "dry run" in stdout.splitlines()[-1]
    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0


def test_paper_known_from_another_listing_is_linked_not_duplicated():
    import_listing(str(SAMPLE))

    stdout, _ = import_listing(str(SAMPLE), "--date", "2026-03-15", "--name", "Weekly picks")

    assert stdout.splitlines()[-1] == "51 papers: 0 created, 0 updated, 51 unchanged"
    assert Paper.objects.count() == 51
    assert Listing.objects.count() == 2
    paper = Paper.objects.get(title=FIRST_TITLE)
    assert sorted(paper.entries.values_list("listing__name", "rank")) == [
        ("Trending papers", 1),
        ("Weekly picks", 1),
    ]


def test_changed_abstract_updates_the_paper(tmp_path):
    import_listing(str(SAMPLE))
    edited = tmp_path / "edited.txt"
    text = SAMPLE.read_text()
    old_start = "Countless learning tasks require dealing with sequential data."
    edited.write_text(text.replace(old_start, "Many learning tasks involve sequential data."))

    stdout, _ = import_listing(str(edited))

    assert stdout.splitlines()[-1] == "51 papers: 0 created, 1 updated, 50 unchanged"
    paper = Paper.objects.get(
        title="A Critical Review of Recurrent Neural Networks for Sequence Learning"
    )
    assert paper.abstract.startswith("Many learning tasks involve sequential data.")
    assert Listing.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"new\n\nSubscribe\n\nMar 14\n", "no papers"),
        (b"A title\n\nAn abstract.\n\nTitle two\n\nAb\x00stract\n", "NUL"),
        (b"A title\n\nAn abstract \xff here.\n", "UTF-8"),
    ],
)
def test_rejected_file_exits_with_the_reason_and_changes_nothing(tmp_path, content, reason):
    import_listing(str(SAMPLE))
    before = snapshot()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)

    with pytest.raises(CommandError, match=reason):
        import_listing(str(bad))

    assert snapshot() == before


def test_failure_midway_rolls_back_everything(monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_record_listing", fail)

    with pytest.raises(RuntimeError):
        import_listing(str(SAMPLE))

    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0


def test_warnings_go_to_stderr_with_file_and_line(tmp_path):
    listing = tmp_path / "odd.txt"
    listing.write_text(
        "Mar 14\n\nFirst paper\n\nIts abstract.\n\nFIRST PAPER\n\nThe same again.\n\nLonely title\n"
    )

    stdout, stderr = import_listing(str(listing))

    warnings = stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{listing}:7: ")
    assert warnings[1].startswith(f"{listing}:11: ")
    assert stdout.splitlines()[-1] == "1 papers: 1 created, 0 updated, 0 unchanged, 2 warnings"
    assert Listing.objects.get().rejected_count == 2
    # Imported again unchanged, without reading it: the same warnings.
    again, stderr_again = import_listing(str(listing))
    assert "not read again" in again
    assert stderr_again == stderr


def test_date_option_overrides_the_file(tmp_path):
    stdout, _ = import_listing(str(SAMPLE), "--date", "2025-01-31")

    assert Listing.objects.get().date == date(2025, 1, 31)
    assert "Listing date: 2025-01-31 (from --date)" in stdout


def test_file_without_a_date_line_is_dated_today(tmp_path):
    listing = tmp_path / "undated.txt"
    listing.write_text("A paper\n\nIts abstract.\n")

    stdout, _ = import_listing(str(listing))

    assert Listing.objects.get().date == date.today()
    assert "the file states no date" in stdout


def test_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.read_bytes())))

    stdout, _ = import_listing("-")

    assert stdout.splitlines()[-1] == "51 papers: 51 created, 0 updated, 0 unchanged"
    assert Listing.objects.get().file_name == "<stdin>"


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="cannot read"):
        import_listing(str(DATA / "no-such-listing.txt"))


def test_command_exits_non_zero_on_a_rejected_file(tmp_path):
    bad = tmp_path / "binary.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    settings = connection.settings_dict
    url = f"postgresql://{settings['USER']}@/{settings['NAME']}?host={settings['HOST']}"

    result = subprocess.run(
        [sys.executable, "manage.py", "import_listing", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
        check=False,
    )

    assert result.returncode != 0
    assert "binary.txt" in result.stderr and "rejected" in result.stderr
    assert result.stdout == ""
