"""Large JSON Lines files: read as a stream, and a first load builds the search indexes anew.

The corpus-sized behaviour is exercised at a small scale by lowering the
thresholds: batches of a few records, and an index rebuild after ten.
"""

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.db import IntegrityError, connection, transaction

from papers.importing import seen, service
from papers.models import ImportJob, Listing, Paper, SearchTerm
from tests.conftest import DATA, SAMPLE, import_listing, papers_table_bytes

pytestmark = pytest.mark.django_db

DUMP = DATA / "formats" / "arxiv-cs-daily.head30.jsonl"
SEARCH_INDEXES = {
    "paper_search_vector",
    "paper_vector_sample",
    "paper_title_vector",
}


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(service, "BATCH_SIZE", 4)
    monkeypatch.setattr(service, "REBUILD_AFTER", 10)


def gin_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes"
            " WHERE tablename = 'papers_paper' AND indexdef LIKE '%% USING gin %%'"
        )
        return {name for (name,) in cursor.fetchall()}


def all_indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'papers_paper'"
        )
        return set(cursor.fetchall())


def test_a_first_load_rebuilds_the_search_indexes_and_finds_every_paper(
    small_batches, monkeypatch, tmp_path
):
    dump = tmp_path / "dump.jsonl.gz"
    dump.write_bytes(gzip.compress(DUMP.read_bytes()))
    dropped = []
    drop = service._indexes_drop
    monkeypatch.setattr(
        service,
        "_indexes_drop",
        lambda cursor, **kwargs: dropped.append(1) or drop(cursor, **kwargs),
    )
    indexes_before = all_indexes()

    stdout, _ = import_listing(str(dump))

    assert dropped == [1]
    assert stdout.splitlines()[-1] == "30 papers: 30 created, 0 updated, 0 unchanged"
    assert gin_indexes() == SEARCH_INDEXES
    assert all_indexes() == indexes_before
    found = Paper.objects.filter(search_vector="splatting").values_list("arxiv_id", flat=True)
    assert "2503.11731" in found
    assert Paper.objects.filter(title_vector="splatting").exists()
    assert SearchTerm.objects.get(word="splatting").ndoc >= 1


@pytest.mark.parametrize("filter_bits", [seen.FILTER_BITS, 8], ids=["sized", "always-perhaps"])
def test_a_first_load_matches_papers_its_earlier_batches_wrote(
    small_batches, monkeypatch, tmp_path, filter_bits
):
    # With 8 bits the filter answers "perhaps" to nearly everything, and every
    # id and title is looked up: the outcome must be the same.
    monkeypatch.setattr(service, "SeenFilter", lambda: seen.SeenFilter(filter_bits))
    records = [json.loads(line) for line in DUMP.read_text().splitlines()[:15]]
    untitled_id = {key: value for key, value in records[14].items() if key != "id"}
    id_less = {key: value for key, value in records[1].items() if key != "id"}
    repeats = [
        untitled_id,  # line 1: its paper gets the id only at line 18
        *records[:14],  # lines 2-15: a new paper each; the indexes are rebuilt after ten
        records[0],  # line 16: the paper of line 2, by its id
        id_less,  # line 17: the paper of line 3, by its title
        records[14],  # line 18: the id of the paper of line 1
    ]
    dump = tmp_path / "repeats.jsonl"
    dump.write_text("".join(json.dumps(record) + "\n" for record in repeats))

    stdout, stderr = import_listing(str(dump))

    assert stdout.splitlines()[-1].startswith("15 papers: 15 created, 0 updated, 0 unchanged")
    assert Paper.objects.count() == 15
    assert Paper.objects.get(arxiv_id=records[14]["id"]).entries.get().rank == 1
    assert "repeats.jsonl:16: same paper as line 2 " in stderr
    assert "repeats.jsonl:17: same paper as line 3 " in stderr
    assert "repeats.jsonl:18: same paper as line 1 " in stderr
    ranked = Listing.objects.get().entries.order_by("rank").values_list("paper__arxiv_id")
    assert [arxiv_id for (arxiv_id,) in ranked] == [
        record["id"] for record in (records[14], *records[:14])
    ]
    assert ImportJob.objects.get().papers_created.count() == 15


@pytest.mark.parametrize("into", ["an empty table", "a table of other papers"])
def test_a_paper_listed_under_two_titles_is_found_by_either_in_a_later_batch(
    small_batches, tmp_path, into
):
    records = [json.loads(line) for line in DUMP.read_text().splitlines()[:12]]
    if into == "a table of other papers":
        before = tmp_path / "before.jsonl"
        before.write_text("".join(json.dumps(record) + "\n" for record in records[6:]))
        import_listing(str(before))
    renamed = {**records[0], "title": "A Revised Title for the First Paper"}
    id_less = {key: value for key, value in renamed.items() if key != "id"}
    lines = [
        records[0],  # line 1: the paper, under its own title
        renamed,  # line 2: the same paper by its id, under another title
        *records[1:6],  # lines 3-7: so that the next line is read in a later batch
        id_less,  # line 8: no id, the title of line 2
    ]
    dump = tmp_path / "two-titles.jsonl"
    dump.write_text("".join(json.dumps(record) + "\n" for record in lines))
    papers_before = Paper.objects.count()

    stdout, stderr = import_listing(str(dump))

    assert stdout.splitlines()[-1].startswith("6 papers: 6 created, 0 updated, 0 unchanged")
    assert Paper.objects.count() == papers_before + 6
    assert Paper.objects.get(arxiv_id=records[0]["id"]).title == records[0]["title"]
    assert "two-titles.jsonl:8: same paper as line 1 " in stderr
    again, _ = import_listing(str(dump))
    assert Paper.objects.count() == papers_before + 6
    assert again.splitlines()[-1].startswith("6 papers: 0 created, 0 updated, 6 unchanged")


def foreign_keys() -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        )
        return set(cursor.fetchall())


def test_a_first_load_keeps_every_foreign_key_and_its_links_hold(small_batches):
    before = foreign_keys()
    assert any(table == "papers_listingentry" for table, _, _ in before)

    import_listing(str(DUMP))

    assert foreign_keys() == before
    listing = Listing.objects.get()
    assert listing.entries.count() == 30
    assert ImportJob.objects.get().papers_created.count() == 30
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO papers_listingentry (listing_id, paper_id, rank) VALUES (%s, -1, 99)",
            [listing.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO papers_listingentry (listing_id, paper_id, rank) VALUES (-1, %s, 99)",
            [Paper.objects.first().pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_an_import_into_a_larger_table_keeps_its_indexes(small_batches, monkeypatch):
    import_listing(str(DUMP))
    dropped = []
    monkeypatch.setattr(service, "_indexes_drop", lambda cursor, **kwargs: dropped.append(1))

    stdout, _ = import_listing(str(DATA / "formats" / "arxiv-kaggle.head20.csv"))

    assert "20 created" in stdout.splitlines()[-1]
    assert dropped == []


def test_a_bad_line_after_the_indexes_were_dropped_leaves_everything_as_it_was(
    small_batches, tmp_path
):
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(DUMP.read_bytes() + b'{"title": "Bad \xff byte", "abstract": "x"}\n')

    with pytest.raises(CommandError, match=r"not UTF-8 text: invalid byte 0xff \(line 31"):
        import_listing(str(broken))

    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0
    assert gin_indexes() == SEARCH_INDEXES


# The papers an import counts in its own process before a child counts the
# rest: all of these files', or only the first batch's.
@pytest.mark.parametrize("counted_here", [10_000, 6], ids=["here", "in-a-child"])
def test_the_vocabulary_counts_each_paper_once_across_first_and_mixed_imports(
    small_batches, tmp_path, monkeypatch, counted_here
):
    from collections import Counter

    from papers.importing import vocabulary
    from papers.importing.vocabulary import vocabulary_words

    monkeypatch.setattr(vocabulary, "COUNT_HERE_UP_TO", counted_here)

    lines = DUMP.read_bytes().splitlines(keepends=True)
    # Each file lists a paper twice; the second holds known papers and new
    # ones in the same batches.
    first = tmp_path / "first.jsonl"
    first.write_bytes(b"".join(lines[:20] + lines[5:6]))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"".join(lines[14:] + lines[25:26]))

    import_listing(str(first))
    import_listing(str(mixed))

    expected = Counter()
    for title, abstract in Paper.objects.values_list("title", "abstract"):
        expected.update(vocabulary_words(title, abstract))
    assert Paper.objects.count() == 30
    assert dict(SearchTerm.objects.values_list("word", "ndoc")) == dict(expected)


def test_an_import_fails_when_the_child_counting_its_words_is_gone(monkeypatch):
    from papers.importing import vocabulary

    monkeypatch.setattr(vocabulary, "COUNT_HERE_UP_TO", 0)
    with vocabulary.VocabularyCount() as counting:
        counting.add([("Sparse attention", "We study sparse attention.")])
        counting._child.kill()
        with pytest.raises(vocabulary.VocabularyCountFailed, match="exit code -9"):
            counting.total()


def _running(pid: int) -> bool:
    """Whether the process is there and not a zombie (a container's init may not reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_child_counting_words_stops_when_its_importing_process_is_killed():
    importing = (
        "import os\n"
        "from papers.importing import vocabulary\n"
        "vocabulary.COUNT_HERE_UP_TO = 0\n"
        "counting = vocabulary.VocabularyCount()\n"
        "counting.add([('Sparse attention', 'We study sparse attention.')])\n"
        "print(counting._child.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", importing],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=60,
    )
    assert killed.returncode == -9
    child = int(killed.stdout)
    deadline = time.monotonic() + 15
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child)


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_of_a_large_import_leaves_the_papers_table_as_small_as_it_was(
    compact_papers_table, monkeypatch
):
    # Thirty papers stand for the tens of thousands that make a dry run large.
    monkeypatch.setattr(service, "ANALYZE_AFTER", 10)
    import_listing(str(SAMPLE))
    before = papers_table_bytes()

    stdout, _ = import_listing(str(DUMP), "--dry-run")

    assert "30 created" in stdout
    assert Paper.objects.count() == 51
    # Its rows were rolled back; left in the table, an import after it
    # would write after them, and every scan of the table would read them.
    assert papers_table_bytes() <= before
