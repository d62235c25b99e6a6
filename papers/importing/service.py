"""The one way papers get into the database: parsed records in, a listing out.

The management command and the admin upload both call `listing_import`. It
runs in one transaction, so an import lands whole or not at all, and it is
idempotent: the same records again change nothing. Every import is recorded
as an `ImportJob`, its history, and `import_undo` takes one back out.

Imports write one at a time: each takes `imports_lock` first (see there).
"""

import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from itertools import batched
from queue import Full, Queue

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from papers.importing.formats import DAILY_LIST_NAME, DEFAULT_NAMES, listing_name
from papers.importing.records import PaperRecord, ParsedListing, ParseWarning, RecordStream
from papers.importing.seen import PaperSet, SeenFilter
from papers.importing.text import title_key
from papers.importing.vocabulary import VocabularyCount
from papers.models import (
    ImportFile,
    ImportJob,
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingState,
    SearchTerm,
    Tagging,
)
from papers.services import highlights_reanchor, search_terms_count, search_terms_remove

BATCH_SIZE = 1000

# Papers done, and how many there are when that is known before the end.
# Called while the import's connection is writing a COPY: it must not use
# that connection (an admin job writes its progress on one of its own).
Progress = Callable[[int, int | None], None]

# The advisory lock of the write phase (PostgreSQL's two-key form; the first
# key is a namespace of our own, apart from papers.models.WORKER_LOCK).
IMPORT_LOCK = (0x7073_0001, 0)


def imports_lock() -> None:
    """Wait until no other import is writing; hold the lock until this transaction ends.

    Two imports of overlapping files at once would each miss the papers the
    other has inserted but not committed: a paper without an arXiv id
    (matched by its title, which is not unique) would be created twice, and
    papers with ids would collide on the unique index, in opposite orders
    when the files list them differently: a deadlock. Taken as the
    transaction's first statement, the lock makes the second import wait and
    then see what the first committed (each statement of a READ COMMITTED
    transaction does). A transaction-level lock cannot be left behind: it
    ends with the transaction, also when the worker holding it is killed.
    Imports are rare and an admin's, so one at a time costs little.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", IMPORT_LOCK)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class ImportResult:
    listings: list[Listing] = field(default_factory=list)
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    warnings: list[ParseWarning] = field(default_factory=list)
    rejected: int = 0
    dry_run: bool = False
    # What each record came to, for a preview of the first rows.
    outcomes: dict[PaperRecord, Outcome] = field(default_factory=dict)
    # The listings written (created, or rewritten with other papers or from
    # another file), as against confirmed unchanged by a re-import.
    listings_written: list[Listing] = field(default_factory=list)
    # When the same file was imported before and nothing has changed since:
    # that import's time (the file was not read again).
    unchanged_since: datetime | None = None

    @property
    def papers(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts[outcome]} {outcome}" for outcome in Outcome)
        text = f"{self.papers} papers: {counts}"
        if self.warnings:
            text += f", {len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        if self.unchanged_since:
            text += (
                f" (imported before, on {timezone.localtime(self.unchanged_since):%Y-%m-%d %H:%M},"
                " and nothing has changed since: the file was not read again)"
            )
        if self.dry_run:
            text += " (dry run: nothing was written)"
        return text


@transaction.atomic
def listing_import(
    *,
    listing: ParsedListing | RecordStream,
    name: str | None,
    source_format: str,
    file_name: str,
    sha256: str,
    default_date: date,
    listing_date: date | None = None,
    imported_by: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    job: ImportJob | None = None,
    reread: bool = False,
) -> ImportResult:
    """Upsert the papers of `listing` and record one listing per listing date.

    The records are read once, a batch at a time, and what the listings
    need of each (its line, date, rank and paper) is spooled to a file, so a
    RecordStream of any size imports in the same memory (see _upsert_papers).
    `name` defaults to the file's own. `listing_date` overrides the dates the
    records carry; records without a date go into the listing for
    `default_date`. `job` is the admin import the records are a file of;
    without one (the command), the import is recorded as a job of its own.
    A file imported before is not read again when nothing has changed
    since (see _imported_unchanged), unless `reread`.
    """
    started = timezone.now()
    imports_lock()
    result = ImportResult(dry_run=dry_run)
    earlier = (
        None
        if reread
        else _imported_unchanged(
            listing=listing,
            name=name,
            source_format=source_format,
            sha256=sha256,
            default_date=default_date,
            listing_date=listing_date,
        )
    )
    if earlier is None:
        name, records, created, vocabulary, bulk = _records_imported(
            listing,
            result,
            name=name,
            source_format=source_format,
            file_name=file_name,
            sha256=sha256,
            default_date=default_date,
            listing_date=listing_date,
            imported_by=imported_by,
            progress=progress,
        )
    else:
        _found_unchanged(result, *earlier, sha256=sha256)
        name, records = result.listings[0].name, result.papers
        created, vocabulary, bulk = 0, Counter(), False

    if dry_run:
        transaction.set_rollback(True)
        return result
    if job is None:
        job = _command_job(
            result,
            started=started,
            records=records,
            file_name=file_name,
            sha256=sha256,
            source_format=source_format,
            listing_name=name,
            listing_date=listing_date,
            imported_by=imported_by,
        )
    _history_link(job, result, created=created, bulk=bulk)
    if earlier is None:
        _entries_drop()
    search_terms_count(vocabulary)
    if created >= ANALYZE_AFTER:
        _papers_table_tidy()
    return result


def _records_imported(
    listing: ParsedListing | RecordStream,
    result: ImportResult,
    *,
    name: str | None,
    source_format: str,
    file_name: str,
    sha256: str,
    default_date: date,
    listing_date: date | None,
    imported_by: User | None,
    progress: Progress | None,
) -> tuple[str, int, int, Counter[str], bool]:
    """Read the records, write the papers and the listings into `result`.

    Returns the listings' name, the number of records, the number of papers
    created and the words of their text, for the import's history and the
    vocabulary, and whether it was a bulk load (see _references_checked_once).
    Every record's entry is left in the ENTRIES table, which _history_link
    reads the papers created from.
    """

    def day_of(record: PaperRecord) -> date:
        return listing_date or record.listing_date or default_date

    with _EntrySpool() as spool:
        created, vocabulary, bulk = _upsert_papers(
            listing.records,
            day_of=day_of,
            progress=progress,
            outcomes=result.outcomes,
            spool=spool,
        )
        with connection.cursor() as cursor:
            spool.load(cursor)
    # Read only now: a stream finds its warnings as it is read.
    result.warnings = list(listing.warnings)
    result.rejected = sum(warning.dropped for warning in result.warnings)
    day_counts = _listed_once(result)
    for counts in day_counts.values():
        for outcome, number in counts.items():
            result.counts[outcome] += number
    # An edited title or abstract moves the passages people highlighted in it.
    highlights_reanchor(paper_ids=_entries_papers(Outcome.UPDATED))
    name = name or listing_name(listing, source_format)
    with _references_checked_once(ListingEntry, bulk=bulk):
        for day, counts in day_counts.items():
            written_listing, written = _record_listing(
                name=name,
                day=day,
                counts=counts,
                provenance={
                    "source_format": source_format,
                    "file_name": file_name,
                    "sha256": sha256,
                    "imported_by": imported_by,
                    "rejected_count": result.rejected,
                },
            )
            result.listings.append(written_listing)
            if written:
                result.listings_written.append(written_listing)
    return name, spool.count, created, vocabulary, bulk


def _imported_unchanged(
    *,
    listing: ParsedListing | RecordStream,
    name: str | None,
    source_format: str,
    sha256: str,
    default_date: date,
    listing_date: date | None,
) -> tuple[ImportJob, list[Listing]] | None:
    """The earlier import of this file and its listings, if importing it again would change nothing.

    That is: the same bytes under the same name and date options, its
    listings still there, and nothing written since (no listing imported
    after them, no paper edited after them), so every record would be found
    unchanged. Reading a million records only to find that takes minutes;
    these checks take a few indexed lookups. Undated records go into the
    listing of the day of the import, so an undated import counts only on
    the day it was made.
    """
    earlier = (
        ImportJob.objects.filter(
            phase=ImportJob.Phase.IMPORT,
            state=ImportJob.State.SUCCEEDED,
            files__sha256=sha256,
            listing_date=listing_date,
            listings__isnull=False,
        )
        .order_by("-imported_at")
        .first()
    )
    if earlier is None:
        return None
    listings = list(earlier.listings.order_by("date", "pk"))
    if name is not None:
        names = {name}
    elif isinstance(listing, RecordStream) and not listing.name:
        # Whether a stream's records are dated is known only once it is read.
        names = {DAILY_LIST_NAME, DEFAULT_NAMES[source_format]}
    else:
        names = {listing_name(listing, source_format)}
    if any(day.sha256 != sha256 or day.name not in names for day in listings):
        return None
    last = max(day.imported_at for day in listings)
    undated = any(day.date == timezone.localdate(day.imported_at) for day in listings)
    if listing_date is None and undated and timezone.localdate(last) != default_date:
        return None
    if Listing.objects.filter(imported_at__gt=last).exists():
        return None
    if Paper.objects.filter(updated_at__gt=last).exists():
        return None
    if any(day.entries.count() != sum(_entry_counts(day)) for day in listings):
        return None
    return earlier, listings


def _found_unchanged(
    result: ImportResult, earlier: ImportJob, listings: list[Listing], *, sha256: str
) -> None:
    """The result of importing again what `earlier` imported: every paper unchanged."""
    result.listings = listings
    result.unchanged_since = earlier.imported_at
    result.counts[Outcome.UNCHANGED] = sum(sum(_entry_counts(listing)) for listing in listings)
    # The file's warnings as its first import found them, under that name.
    named = earlier.files.filter(sha256=sha256).values_list("name", flat=True).first()
    result.warnings = [
        ParseWarning(line=warning["line"], message=warning["message"], dropped=warning["rejected"])
        for warning in earlier.warnings
        if warning["file"] == named
    ]
    result.rejected = sum(warning.dropped for warning in result.warnings)


def _entry_counts(listing: Listing) -> tuple[int, int, int]:
    return listing.created_count, listing.updated_count, listing.unchanged_count


# An import that creates this many papers tidies the papers table after itself.
ANALYZE_AFTER = 10_000


def papers_table_reclaim(results: Iterable[ImportResult]) -> None:
    """Give back the space of the papers a rolled-back import wrote: a check, a dry run.

    Run after the rollback, outside any transaction (VACUUM cannot run in
    one). The rows it wrote are dead and at the end of the table, where
    VACUUM cuts them off. Left there, the import that follows a check of a
    first load of a million papers wrote after 2.7 GB of dead rows, and every
    sequential scan of the table (a search's first probe among them) read
    them before reaching a live one.
    """
    if sum(result.counts[Outcome.CREATED] for result in results) < ANALYZE_AFTER:
        return
    # The listing's entries and the vocabulary were written and rolled back too.
    tables = ", ".join(model._meta.db_table for model in (Paper, ListingEntry, SearchTerm))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {tables}")


def _papers_table_tidy() -> None:
    """Merge what the GIN indexes have pending, and update the planner's statistics.

    Every search reads a GIN index's pending list whole, so a large import
    leaves none behind. Without fresh statistics the planner would go on
    describing the table as it was before, until autovacuum gets to it: a
    query that expects a few hundred papers can take minutes over a million.
    """
    table = Paper._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gin_clean_pending_list(index.indexrelid::regclass)"
            " FROM pg_index AS index JOIN pg_class AS class ON class.oid = index.indexrelid"
            " JOIN pg_am AS method ON method.oid = class.relam"
            " WHERE index.indrelid = %s::regclass AND method.amname = 'gin'",
            [table],
        )
        cursor.execute(f"ANALYZE {table}")


@dataclass(eq=False, slots=True)
class _Entry:
    """What a listing needs of a record once its text is written: where, when, which paper."""

    line: int
    day: date
    # Which of the file's dates the record states, in order of first
    # appearance: a day that `listing_date` merges lists them one after another.
    group: int
    rank: int | None
    paper: "_Paper"
    outcome: Outcome


# Every record's entry, in file order (seq), and each day's listing made of
# them: ranked, each paper once. Temporary tables of the import's transaction.
ENTRIES = "papers_import_entries"
LISTED = "papers_import_listed"
# A day's records by the rank the file gives, unranked after ranked, else in file order.
RANK_ORDER = "grp, file_rank IS NULL, file_rank, seq"
# How much of the spool's file goes to the database at a time.
SPOOL_BLOCK = 1 << 20


class _EntrySpool:
    """The import's entries, written to a temporary file as they come, then loaded into ENTRIES.

    A listing is made of its entries once every record is matched; kept in
    memory until then, a million of them took 150 MB. The file is in the
    text format of COPY, and loaded once the papers' COPY is done: a
    connection runs one COPY at a time.
    """

    def __init__(self) -> None:
        self.count = 0
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed on leaving)

    def __enter__(self) -> "_EntrySpool":
        return self

    def __exit__(self, *exception) -> None:
        self._file.close()

    def write(self, entries: list[_Entry]) -> None:
        lines = []
        for entry in entries:
            self.count += 1
            rank = r"\N" if entry.rank is None else entry.rank
            lines.append(
                f"{self.count}\t{entry.line}\t{entry.day}\t{entry.group}\t{rank}"
                f"\t{entry.paper.pk}\t{entry.outcome}\n"
            )
        self._file.write("".join(lines).encode())

    def load(self, cursor) -> None:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {ENTRIES} (seq integer, line integer, day date, grp integer,"
            " file_rank integer, paper_id bigint, outcome text) ON COMMIT DROP"
        )
        self._file.seek(0)
        with cursor.copy(f"COPY {ENTRIES} FROM STDIN") as copy:
            while block := self._file.read(SPOOL_BLOCK):
                copy.write(block)


def _entries_papers(outcome: Outcome) -> set[int]:
    """The papers of the entries that came to `outcome`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT paper_id FROM {ENTRIES} WHERE outcome = %s", [outcome])
        return {pk for (pk,) in cursor.fetchall()}


def _entries_drop() -> None:
    """Drop the import's tables of entries: a job's next file makes its own."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {ENTRIES}, {LISTED}")


def import_job_tally(*, job: ImportJob, result: ImportResult, file_name: str) -> None:
    """Add one file's counts and warnings to its job (in memory: the caller saves)."""
    for outcome in Outcome:
        field_name = f"{outcome}_count"
        setattr(job, field_name, getattr(job, field_name) + result.counts[outcome])
    job.rejected_count += result.rejected
    job.warnings = [
        *job.warnings,
        *(
            {"file": file_name, "line": w.line, "message": w.message, "rejected": w.dropped}
            for w in result.warnings
        ),
    ]


def _command_job(
    result: ImportResult,
    *,
    started: datetime,
    records: int,
    file_name: str,
    sha256: str,
    source_format: str,
    listing_name: str,
    listing_date: date | None,
    imported_by: User | None,
) -> ImportJob:
    now = timezone.now()
    job = ImportJob(
        origin=ImportJob.Origin.COMMAND,
        phase=ImportJob.Phase.IMPORT,
        state=ImportJob.State.SUCCEEDED,
        created_by=imported_by,
        source_format=source_format,
        listing_name=listing_name,
        listing_date=listing_date,
        phase_started_at=started,
        progress_at=now,
        imported_at=now,
        duration=now - started,
        rows_total=records,
        rows_done=records,
    )
    import_job_tally(job=job, result=result, file_name=file_name)
    job.save()
    ImportFile.objects.create(
        job=job, position=0, name=file_name, sha256=sha256, source_format=source_format
    )
    return job


def _history_link(job: ImportJob, result: ImportResult, *, created: int, bulk: bool) -> None:
    """Link the job to what it wrote: the undo removes exactly that."""
    job.listings.add(*result.listings_written)
    if not created:
        return
    # From the entries, each paper created once: the first record of a paper
    # created it, and the paper's later ones came to another outcome.
    through = ImportJob.papers_created.through
    with _references_checked_once(through, bulk=bulk), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through._meta.db_table} (importjob_id, paper_id)"
            f" SELECT %s, paper_id FROM {ENTRIES} WHERE outcome = %s",
            [job.pk, Outcome.CREATED],
        )


@contextmanager
def _references_checked_once(model: type[models.Model], *, bulk: bool) -> Iterator[None]:
    """In a bulk load, check the rows' references to papers once, at the end.

    Each row written to a table with a foreign key is checked by a lookup
    that also locks the row it refers to, at commit. A million listing
    entries and a million links to the papers an import created lock every
    paper twice, which writes the whole papers table out again: at 1M
    papers, longer than the listing itself takes to write. A bulk load
    already holds the papers table for itself (see _indexes_drop), so
    it drops the keys to papers while it writes and adds them back after:
    adding one checks every row at once, with a join. Keys to other tables
    stay: the admin's progress updates write to the import job's meanwhile.
    A failure rolls the drop back with everything else.
    """
    if not bulk:
        yield
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), confrelid = %s::regclass"
            " FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [Paper._meta.db_table, table],
        )
        keys = cursor.fetchall()
        dropped = [(name, definition) for name, definition, dropping in keys if dropping]
        kept = ", ".join(f'"{name}"' for name, _, dropping in keys if not dropping)
        for name, _ in dropped:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    with connection.cursor() as cursor:
        if kept:
            # A table cannot be altered while checks of its rows are pending:
            # the kept keys check them now (all of Django's are deferred).
            cursor.execute(f"SET CONSTRAINTS {kept} IMMEDIATE")
            cursor.execute(f"SET CONSTRAINTS {kept} DEFERRED")
        for name, definition in dropped:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _listed_once(result: ImportResult) -> dict[date, dict[Outcome, int]]:
    """Make each day's listing of the entries: ranked, less those naming a paper it already has.

    Parsers of whole files keep a paper once per date, but two records can
    still meet in one paper here: in a stream, when `listing_date` merges a
    file's dates into one, or when a title matches a paper whose id another
    record gave. Fills LISTED; returns each day's counts of outcomes.
    """
    with connection.cursor() as cursor:
        # A million entries are sorted in memory, not in files on disk.
        cursor.execute("SELECT set_config('work_mem', %s, true)", [SORT_MEMORY])
        cursor.execute(
            f"SELECT EXISTS (SELECT FROM {ENTRIES} GROUP BY day, paper_id HAVING count(*) > 1)"
        )
        entries = ENTRIES
        if cursor.fetchone()[0]:
            _repeats_warn(cursor, result)
            entries = (
                f"(SELECT DISTINCT ON (day, paper_id) * FROM {ENTRIES}"
                f" ORDER BY day, paper_id, {RANK_ORDER}) AS first"
            )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {LISTED} ON COMMIT DROP AS"
            " SELECT day, paper_id, outcome,"
            f"  row_number() OVER (PARTITION BY day ORDER BY {RANK_ORDER}) AS position"
            f" FROM {entries}"
        )
        cursor.execute(
            f"SELECT day, outcome, count(*) FROM {LISTED} GROUP BY day, outcome ORDER BY day"
        )
        day_counts: dict[date, dict[Outcome, int]] = {}
        for day, outcome, number in cursor.fetchall():
            day_counts.setdefault(day, dict.fromkeys(Outcome, 0))[Outcome(outcome)] = number
        if len(day_counts) > 1:
            # Each day's listing reads its own entries.
            cursor.execute(f"CREATE INDEX ON {LISTED} (day, position)")
        # Autovacuum never analyzes a temporary table.
        cursor.execute(f"ANALYZE {LISTED}")
    return day_counts


# Memory for sorting the entries (see _listed_once).
SORT_MEMORY = "256MB"


def _repeats_warn(cursor, result: ImportResult) -> None:
    """A warning for each entry naming a paper its day has on an earlier line."""
    cursor.execute(
        "SELECT day, line, first_line FROM ("
        f"  SELECT *, row_number() OVER same AS nth, first_value(line) OVER same AS first_line"
        f"  FROM {ENTRIES} WINDOW same AS (PARTITION BY day, paper_id ORDER BY {RANK_ORDER})"
        f") AS entry WHERE nth > 1 ORDER BY day, {RANK_ORDER}"
    )
    for day, line, first_line in cursor.fetchall():
        message = f"same paper as line {first_line} on {day:%Y-%m-%d}: listed once"
        result.warnings.append(ParseWarning(line, message, dropped=True))
        result.rejected += 1


def _upsert_papers(
    records: Iterable[PaperRecord],
    *,
    day_of: Callable[[PaperRecord], date],
    progress: Progress | None,
    outcomes: dict[PaperRecord, Outcome],
    spool: "_EntrySpool",
) -> tuple[int, Counter[str], bool]:
    """Match each record to a paper, create or enrich the papers.

    Writes an entry per record to `spool`; returns the number of papers
    created, the vocabulary of their text, and whether this was a bulk load
    that built the table's indexes anew. Matching is sequential, in Python,
    on what it needs (ids and title keys); the papers' text goes to the
    database with COPY, a batch at a time: new papers straight into their
    table, the records of known papers into a staging table that one UPDATE
    compares and applies. The words of the papers created are counted as
    they go, in a process of their own for a large import (see
    VocabularyCount). The first records' outcomes go into `outcomes`, for a
    preview.

    Memory does not grow with the file: each batch looks up the papers its
    ids and title keys name, this import's among them, and what the import
    remembers of them is a few bits each (see papers.importing.seen).
    """
    total = len(records) if isinstance(records, Sized) else None
    # Into an empty table (a first load), a record can only name a paper of
    # this import: ids and keys are looked up only when the filter has
    # perhaps seen them, which in a file of distinct papers is never, and
    # the COPY of new papers stays open from one batch to the next.
    seen = SeenFilter()
    met, made = PaperSet(), PaperSet()
    # The titles a paper was met under besides the one it is stored under
    # (the same id under a revised title, say): later batches look titles up
    # in the table, which knows only the stored one. Few in any file.
    other_titles: dict[str, _Paper] = {}
    groups: dict[date | None, int] = {}
    created = 0
    # The search indexes' definitions, once dropped to be built again at the end.
    rebuilt: list[str] | None = None
    papers_before = Paper.objects.count()
    next_progress = 0.0
    with (
        connection.cursor() as cursor,
        _NewPapers(cursor, day_of) as new_papers,
        VocabularyCount() as vocabulary,
    ):
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (paper_id bigint, link_arxiv_id text,"
            " arxiv_id text, title text, title_key text, abstract text, authors jsonb,"
            " url text, published date) ON COMMIT DROP"
        )
        for batch, keys in _read_ahead(_prepared(records)):
            ids = {record.arxiv_id for record in batch if record.arxiv_id}
            wanted_keys = set(keys)
            if not papers_before:
                ids = {arxiv_id for arxiv_id in ids if seen.add(arxiv_id)}
                wanted_keys = {key for key in wanted_keys if seen.add(key)}
            by_id, by_key = {}, {}
            if ids or wanted_keys:
                new_papers.close()
                by_id, by_key = _existing_papers(
                    ids, wanted_keys, met=met, made=made, other_titles=other_titles
                )
            batch_entries: list[_Entry] = []
            to_create: list[tuple[_Paper, PaperRecord, str]] = []
            # The known papers this batch writes to: the first record of
            # each in this import, and which took an arXiv id on a later one.
            to_update: dict[_Paper, tuple[_Entry, PaperRecord, str] | None] = {}
            linked: set[_Paper] = set()
            for record, key in zip(batch, keys, strict=True):
                paper = _match(record, key, by_id, by_key)
                group = groups.setdefault(record.listing_date, len(groups))
                entry = _Entry(
                    record.line, day_of(record), group, record.rank, paper, Outcome.UNCHANGED
                )
                met_before = paper is not None and paper.met
                if paper is None:
                    entry.paper = paper = _Paper(
                        pk=None, arxiv_id=record.arxiv_id or None, created=True
                    )
                    to_create.append((paper, record, key))
                    entry.outcome = Outcome.CREATED
                elif met_before:
                    entry.outcome = _link_again(paper, record, linked)
                else:
                    # Unchanged unless the UPDATE below finds that the record changes the paper.
                    to_update[paper] = (entry, record, key)
                    if record.arxiv_id:
                        paper.arxiv_id = record.arxiv_id
                paper.met = True
                batch_entries.append(entry)
                if paper.arxiv_id:
                    by_id[paper.arxiv_id] = paper
                # The first paper this import met under a title key keeps it.
                named = by_key.get(key)
                if named is None or not named.met:
                    by_key[key] = paper
                    if met_before:
                        other_titles[key] = paper
            new_papers.write(to_create)
            vocabulary.add([(record.title, record.abstract) for _, record, _ in to_create])
            created += len(to_create)
            if rebuilt is None and created >= REBUILD_AFTER and created >= papers_before:
                new_papers.close()
                rebuilt = _indexes_drop(cursor, into_empty=not papers_before)
            for paper in linked:
                to_update.setdefault(paper, None)
            if to_update:
                new_papers.close()
            changed = _papers_update(cursor, to_update, linked)
            for paper, first in to_update.items():
                if first is not None and paper.pk in changed:
                    first[0].outcome = Outcome.UPDATED
            for paper, _, _ in to_create:
                made.add(paper.pk)
            for record, entry in zip(batch, batch_entries, strict=True):
                met.add(entry.paper.pk)
                if len(outcomes) < OUTCOMES_KEPT:
                    outcomes[record] = entry.outcome
            spool.write(batch_entries)
            if progress and time.monotonic() >= next_progress:
                progress(spool.count, total)
                next_progress = time.monotonic() + PROGRESS_EVERY
        new_papers.close()
        if progress:
            progress(spool.count, total)
        cursor.execute(f"DROP TABLE {STAGING}")
        if rebuilt:
            _indexes_build(cursor, rebuilt)
        counted = vocabulary.total()
    return created, counted, rebuilt is not None


Prepared = tuple[tuple[PaperRecord, ...], list[str]]


def _prepared(records: Iterable[PaperRecord]) -> Iterator[Prepared]:
    """The records in batches, each with its records' title keys, which matching needs."""
    for batch in batched(records, BATCH_SIZE, strict=False):
        yield batch, [title_key(record.title) for record in batch]


# How many prepared batches the reading thread may be ahead.
READ_AHEAD = 4
_END = object()


def _read_ahead(batches: Iterator[Prepared]) -> Iterator[Prepared]:
    """The batches, read and prepared by a thread of their own while the caller writes.

    Reading a file is Python's work and writing it the database's: in one
    thread they take turns; with a reading thread the server computes one
    batch's search vectors while the next batch is parsed (the thread runs
    while this one waits on the server). An error in the file is raised here,
    in the caller's thread and transaction.
    """
    queue: Queue = Queue(maxsize=READ_AHEAD)
    stopped = threading.Event()

    def put(item) -> None:
        while not stopped.is_set():
            try:
                queue.put(item, timeout=0.1)
                return
            except Full:
                continue

    def read() -> None:
        try:
            for batch in batches:
                put(batch)
                if stopped.is_set():
                    return
        except Exception as error:  # re-raised in the caller's thread
            put(error)
        else:
            put(_END)

    thread = threading.Thread(target=read, name="import-reader", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not _END:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stopped.set()
        thread.join()


# Seconds between two progress reports.
PROGRESS_EVERY = 1.0
# How many records' outcomes an import keeps for its preview.
OUTCOMES_KEPT = 100


# An import that has created this many papers, and at least as many as the
# table held before it, builds the indexes of papers_paper anew instead of
# adding to them (see `_indexes_drop`).
REBUILD_AFTER = 20_000
# Memory for building them: the default 64 MB makes the build spill to disk.
BUILD_MEMORY = "512MB"


def _indexes_drop(cursor, *, into_empty: bool) -> list[str]:
    """Drop indexes of papers_paper for the rest of the import; their definitions.

    Adding a paper's hundred-odd words to the GIN indexes costs more the
    larger they grow: at 100k new papers, half again the COPY itself. An
    import that at least doubles the table builds them afterwards instead,
    in a few seconds. Into an empty table, where matching looks nothing up,
    the other indexes go too, but for the unique ones, which keep ids and
    arXiv ids unique as the rows go in: at a million papers the title keys'
    indexes outgrow the server's buffers, and building them is the cheaper
    way. Dropping takes the table's exclusive lock until the import commits,
    so searches wait for a first load or a larger one, not for everyday
    imports; a failed import restores the indexes as they were.
    """
    cursor.execute(
        "SELECT class.relname, pg_get_indexdef(index.indexrelid)"
        " FROM pg_index AS index JOIN pg_class AS class ON class.oid = index.indexrelid"
        " JOIN pg_am AS method ON method.oid = class.relam"
        " WHERE index.indrelid = %s::regclass AND NOT index.indisunique"
        " AND (method.amname = 'gin' OR %s)",
        [Paper._meta.db_table, into_empty],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    if into_empty:
        # Matching still looks up the title keys the import has perhaps met:
        # a hash index of them costs the load a second per million papers.
        table = Paper._meta.db_table
        cursor.execute(f"CREATE INDEX {KEY_LOOKUP} ON {table} USING hash (title_key)")
    return [definition for _, definition in indexes]


# The index of title keys that a first load looks papers up by meanwhile.
KEY_LOOKUP = "papers_import_title_key"


def _indexes_build(cursor, definitions: list[str]) -> None:
    cursor.execute(f"DROP INDEX IF EXISTS {KEY_LOOKUP}")
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [BUILD_MEMORY])
    for definition in definitions:
        cursor.execute(definition)


# Where the records of papers already known wait for the UPDATE that applies them.
STAGING = "papers_import_staging"
UPDATABLE_FIELDS = ("arxiv_id", "title", "abstract", "authors", "url", "published")


@dataclass(eq=False, slots=True)
class _Paper:
    """A paper as matching sees it: which one, its arXiv id, what this import did to it."""

    pk: int | None
    arxiv_id: str | None
    # The first record of a paper in this import decides its fields; later
    # ones (the paper on another date of a daily list, say) only link it.
    # Otherwise which record wins would depend on batch boundaries, and a
    # re-import would update papers back and forth.
    met: bool = False
    created: bool = False


def _link_again(paper: _Paper, record: PaperRecord, linked: set[_Paper]) -> Outcome:
    """A paper met again in this import keeps its fields, but gains an arXiv id it lacks.

    The id is what the service's identity rule promises: an id that arrives
    later enriches the paper its title matched.
    """
    if not record.arxiv_id or paper.arxiv_id:
        return Outcome.UNCHANGED
    paper.arxiv_id = record.arxiv_id
    # A paper made in this batch is inserted with the id; one saved before is updated.
    if paper.pk is not None:
        linked.add(paper)
    return Outcome.UNCHANGED if paper.created else Outcome.UPDATED


def _existing_papers(
    ids: set[str],
    keys: set[str],
    *,
    met: PaperSet,
    made: PaperSet,
    other_titles: dict[str, _Paper],
) -> tuple[dict[str, _Paper], dict[str, _Paper]]:
    """The stored papers that `ids` and title `keys` name, this import's among them.

    A title key can name several papers (titles are not unique): it names
    the first this import met under it, else the oldest, so that a title
    shared by several papers always resolves to the same one. A paper this
    import met under a title it is not stored under is in `other_titles`,
    and was the first met under that title.
    """
    known: dict[int, _Paper] = {}

    def paper(pk: int, arxiv_id: str | None) -> _Paper:
        if pk not in known:
            known[pk] = _Paper(pk=pk, arxiv_id=arxiv_id, met=pk in met, created=pk in made)
        return known[pk]

    by_id = {
        arxiv_id: paper(pk, arxiv_id)
        for pk, arxiv_id in Paper.objects.filter(arxiv_id__in=ids).values_list("pk", "arxiv_id")
    }
    by_key: dict[str, _Paper] = {}
    named = Paper.objects.filter(title_key__in=keys).order_by("title_key", "pk")
    for key, pk, arxiv_id in named.values_list("title_key", "pk", "arxiv_id"):
        candidate, first = paper(pk, arxiv_id), by_key.get(key)
        if first is None or (candidate.met and not first.met):
            by_key[key] = candidate
    if aliased := {key: other_titles[key].pk for key in keys & other_titles.keys()}:
        stored = Paper.objects.filter(pk__in=aliased.values()).values_list("pk", "arxiv_id")
        papers = {pk: paper(pk, arxiv_id) for pk, arxiv_id in stored}
        by_key.update((key, papers[pk]) for key, pk in aliased.items())
    return by_id, by_key


def _match(
    record: PaperRecord, key: str, by_id: dict[str, _Paper], by_key: dict[str, _Paper]
) -> _Paper | None:
    """The paper a record names: by its arXiv id, else by its title key, else None (new)."""
    if record.arxiv_id:
        if paper := by_id.get(record.arxiv_id):
            return paper
        # An id arriving later enriches the paper its title matched, but two
        # different ids are two papers even when their titles agree.
        candidate = by_key.get(key)
        return candidate if candidate is not None and not candidate.arxiv_id else None
    return by_key.get(key)


def _fields(record: PaperRecord) -> tuple:
    """The record's values of UPDATABLE_FIELDS, an empty one as None (as COPY writes NULL)."""
    return (
        record.arxiv_id or None,
        record.title or None,
        record.abstract or None,
        json.dumps(record.authors) if record.authors else None,
        record.url or None,
        record.published,
    )


class _NewPapers:
    """Writes new papers with one COPY that stays open from one batch to the next.

    Ids are taken from the sequence in order before the rows go in, so the
    oldest paper keeps the smallest. Closing a COPY waits for the server to
    finish it, and the server would then wait for the next batch to be
    matched; kept open, it computes one batch's search vectors while the
    next is matched. It is closed whenever the cursor is needed for anything
    else (looking papers up, updating known ones, taking more ids).

    Each paper goes in as last listed on its record's day, which
    `_record_listing` would otherwise set by rewriting every new row (and
    its search indexes) once more; a later day of the same paper still moves
    it on there.
    """

    # Ids are taken as needed at first, then in growing blocks up to this many.
    MOST_IDS_AT_ONCE = 65_536

    def __init__(self, cursor, day_of: Callable[[PaperRecord], date]):
        self.cursor = cursor
        self.day_of = day_of
        self.now = timezone.now()
        # The ids taken and not yet given, largest first (popped from the end).
        self.ids: list[int] = []
        self.given = 0
        self.copying: AbstractContextManager | None = None
        self.copy = None

    def __enter__(self) -> "_NewPapers":
        return self

    def __exit__(self, *exception) -> None:
        if self.copying is not None:
            copying, self.copying = self.copying, None
            copying.__exit__(*exception)

    def write(self, to_create: list[tuple[_Paper, PaperRecord, str]]) -> None:
        if len(self.ids) < len(to_create):
            self._take_ids(len(to_create) - len(self.ids))
        if to_create and self.copying is None:
            columns = ", ".join(
                ("id", *UPDATABLE_FIELDS, "title_key", "last_listed", "created_at", "updated_at")
            )
            self.copying = self.cursor.copy(f"COPY {Paper._meta.db_table} ({columns}) FROM STDIN")
            self.copy = self.copying.__enter__()
        for paper, record, key in to_create:
            paper.pk = self.ids.pop()
            self.given += 1
            # The id is the paper's: a later record of the batch may have given it.
            self.copy.write_row(
                (
                    paper.pk,
                    paper.arxiv_id,
                    record.title,
                    record.abstract,
                    json.dumps(record.authors),
                    record.url,
                    record.published,
                    key,
                    self.day_of(record),
                    self.now,
                    self.now,
                )
            )

    def close(self) -> None:
        """Finish the COPY (if one is open): the rows are in, and the cursor is free."""
        self.__exit__(None, None, None)

    def _take_ids(self, needed: int) -> None:
        self.close()
        count = max(needed, min(self.given, self.MOST_IDS_AT_ONCE))
        table = Paper._meta.db_table
        self.cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
            " FROM generate_series(1, %s) ORDER BY 1 DESC",
            [count],
        )
        self.ids = [pk for (pk,) in self.cursor.fetchall()] + self.ids


def _papers_update(
    cursor, to_update: dict[_Paper, tuple[_Entry, PaperRecord, str] | None], linked: set[_Paper]
) -> set[int]:
    """Apply each first record's non-empty fields and each later arXiv id; the ids changed.

    A field the record leaves empty keeps its stored value: a trending page
    has no authors, and importing one must not erase them. The ids returned
    are of the papers whose first record changed something, not of those that
    only took an arXiv id from a later record.
    """
    if not to_update:
        return set()
    cursor.execute(f"TRUNCATE {STAGING}")
    with cursor.copy(f"COPY {STAGING} FROM STDIN") as copy:
        for paper, first in to_update.items():
            link = paper.arxiv_id if paper in linked else None
            if first is None:
                copy.write_row((paper.pk, link, *[None] * 7))
            else:
                _, record, key = first
                arxiv_id, title, abstract, authors, url, published = _fields(record)
                copy.write_row(
                    (paper.pk, link, arxiv_id, title, key, abstract, authors, url, published)
                )
    # Autovacuum never analyzes a temporary table; without statistics the
    # planner has chosen nested loops over the whole papers table here.
    cursor.execute(f"ANALYZE {STAGING}")
    table = Paper._meta.db_table
    changed = " OR ".join(
        f"paper.{name} IS DISTINCT FROM coalesce(staged.{name}, paper.{name})"
        for name in UPDATABLE_FIELDS
    )
    assignments = ", ".join(
        f"{name} = coalesce(staged.{name}, paper.{name})" for name in UPDATABLE_FIELDS[1:]
    )
    cursor.execute(
        f"""
        WITH staged AS (
            SELECT staged.*, ({changed}) AS changed
            FROM {STAGING} AS staged JOIN {table} AS paper ON paper.id = staged.paper_id
        )
        UPDATE {table} AS paper SET
            {assignments},
            arxiv_id = coalesce(staged.arxiv_id, staged.link_arxiv_id, paper.arxiv_id),
            title_key = CASE WHEN staged.changed THEN staged.title_key ELSE paper.title_key END,
            updated_at = %s
        FROM staged
        WHERE paper.id = staged.paper_id AND (staged.changed OR staged.link_arxiv_id IS NOT NULL)
        RETURNING paper.id, staged.changed
        """,
        [timezone.now()],
    )
    return {pk for pk, changed in cursor.fetchall() if changed}


def _record_listing(
    *,
    name: str,
    day: date,
    counts: dict[Outcome, int],
    provenance: dict,
) -> tuple[Listing, bool]:
    """The day's listing, and whether it was written (rather than found as it was)."""
    listing, created = Listing.objects.get_or_create(
        name=name,
        date=day,
        defaults={**provenance, **_count_fields(counts)},
    )
    same_entries = not created and _entries_same(listing, day)
    if same_entries and listing.sha256 == provenance["sha256"]:
        return listing, False
    if not created:
        for attribute, value in {**provenance, **_count_fields(counts)}.items():
            setattr(listing, attribute, value)
        listing.save()
    if not same_entries:
        listing.entries.all().delete()
        _entries_insert(listing, day)
        # Papers created by this import went in as last listed on this day.
        if counts[Outcome.CREATED] < sum(counts.values()):
            Paper.objects.filter(entries__listing=listing).filter(
                Q(last_listed__isnull=True) | Q(last_listed__lt=day)
            ).update(last_listed=day)
    return listing, True


def _entries_same(listing: Listing, day: date) -> bool:
    """Whether the listing holds the day's papers of LISTED, in the same ranks."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT EXISTS (SELECT FROM"
            f" (SELECT paper_id, position FROM {LISTED} WHERE day = %s) AS new"
            f" FULL JOIN (SELECT paper_id, rank FROM {ListingEntry._meta.db_table}"
            "  WHERE listing_id = %s) AS old"
            " ON old.paper_id = new.paper_id AND old.rank = new.position"
            " WHERE old.paper_id IS NULL OR new.paper_id IS NULL)",
            [day, listing.pk],
        )
        return cursor.fetchone()[0]


def _entries_insert(listing: Listing, day: date) -> None:
    """The listing's entries: the day's of LISTED, in rank order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ListingEntry._meta.db_table} (listing_id, paper_id, rank)"
            f" SELECT %s, paper_id, position FROM {LISTED} WHERE day = %s ORDER BY position",
            [listing.pk, day],
        )


def _count_fields(counts: dict[Outcome, int]) -> dict[str, int]:
    return {f"{outcome}_count": number for outcome, number in counts.items()}


# Why a paper an import brought in stays when the import is undone.
KEPT_REASONS = {
    "tagged": "tagged",
    "noted": "has notes or highlights",
    "on_reading_list": "on a reading list",
    "has_status": "has someone's reading status",
    "listed_elsewhere": "in another listing",
}
# The undo page names this many of the papers that stay, and counts the rest.
KEPT_SHOWN = 200


@dataclass
class UndoPlan:
    """What undoing an import removes, and what it leaves and why."""

    listings: list[Listing]
    # Listings a later import rewrote: they are that import's now.
    listings_rewritten: list[tuple[Listing, ImportJob]]
    papers: QuerySet
    kept: QuerySet

    def kept_shown(self) -> list[dict]:
        return [
            {
                "id": paper.pk,
                "title": paper.title,
                "reasons": [text for name, text in KEPT_REASONS.items() if getattr(paper, name)],
            }
            for paper in self.kept.order_by("pk")[:KEPT_SHOWN]
        ]


def import_undo_plan(job: ImportJob) -> UndoPlan:
    """Its listings, and the papers it brought in that nobody has used since.

    A paper stays when anyone has tagged, annotated, listed or read it, or
    another listing has it: removing it would take someone's work with it.
    """
    later = ImportJob.objects.live().filter(imported_at__gt=job.imported_at)
    rewritten = {}
    # Not job.listings.filter(...): a related manager's next filter reuses its
    # join, which would look for `later` among this very job.
    mine = Listing.objects.filter(imports=job)
    for listing in mine.filter(imports__in=later).distinct():
        rewritten[listing.pk] = (listing, later.filter(listings=listing).latest("imported_at"))
    listings = [listing for listing in mine if listing.pk not in rewritten]
    brought_in = Paper.objects.filter(
        pk__in=ImportJob.papers_created.through.objects.filter(importjob=job).values("paper")
    )
    papers = _with_uses(brought_in, listings)
    unused = Q(**dict.fromkeys(KEPT_REASONS, False))
    return UndoPlan(
        listings=listings,
        listings_rewritten=list(rewritten.values()),
        papers=papers.filter(unused),
        kept=papers.exclude(unused),
    )


def _with_uses(papers: QuerySet, listings: list[Listing]) -> QuerySet:
    here = OuterRef("pk")
    return papers.annotate(
        tagged=Exists(Tagging.objects.filter(paper=here)),
        noted=Exists(Note.objects.filter(paper=here)),
        on_reading_list=Exists(ListItem.objects.filter(paper=here)),
        has_status=Exists(ReadingState.objects.filter(paper=here)),
        listed_elsewhere=Exists(
            ListingEntry.objects.filter(paper=here).exclude(listing__in=listings)
        ),
    )


@transaction.atomic
def import_undo(*, job: ImportJob, progress: Progress | None = None) -> dict:
    """Remove the listings an import wrote and the papers only it brought in.

    Returns the report the job keeps: what went, and what stayed and why.
    Fields the import changed on papers that were there before it are not
    put back: the import did not keep their old values.
    """
    imports_lock()
    # Planned under the lock, so no import can list these papers meanwhile.
    plan = import_undo_plan(job)
    paper_ids = list(plan.papers.values_list("pk", flat=True))
    report = {
        "papers_removed": len(paper_ids),
        "listings_removed": [str(listing) for listing in plan.listings],
        "listings_rewritten": [
            {"listing": str(listing), "import": later.pk}
            for listing, later in plan.listings_rewritten
        ],
        "papers_kept": plan.kept_shown(),
        "papers_kept_count": plan.kept.count(),
    }
    ListingEntry.objects.filter(listing__in=plan.listings).delete()
    Listing.objects.filter(pk__in=[listing.pk for listing in plan.listings]).delete()
    done = 0
    for batch in batched(paper_ids, BATCH_SIZE, strict=False):
        _papers_delete(list(batch))
        done += len(batch)
        if progress:
            progress(done, len(paper_ids))
    return report


def _papers_delete(paper_ids: list[int]) -> None:
    """Delete papers the plan found unused.

    A plain DELETE rather than the ORM's cascade: should something have come
    to refer to one of them since the plan was read (a tag added that very
    moment), its foreign key fails the undo, which can be retried, where a
    cascade would have deleted the tag without a word.
    """
    search_terms_remove(paper_ids=paper_ids)
    ImportJob.papers_created.through.objects.filter(paper_id__in=paper_ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Paper._meta.db_table} WHERE id = ANY(%s)", [paper_ids])
