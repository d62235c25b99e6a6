"""The one way papers get into the database: parsed records in, a listing out.

The management command and the admin upload both call `listing_import`. It
runs in one transaction, so an import lands whole or not at all, and it is
idempotent: the same records again change nothing. Every import is recorded
as an `ImportJob`, its history, and `import_undo` takes one back out.

Imports write one at a time: each takes `imports_lock` first (see there).
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from itertools import batched

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from papers.importing.records import PaperRecord, ParseWarning
from papers.importing.text import title_key
from papers.models import (
    ImportFile,
    ImportJob,
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingState,
    Tagging,
)
from papers.services import highlights_reanchor, search_terms_add, search_terms_remove

BATCH_SIZE = 1000

Progress = Callable[[int, int], None]

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

    @property
    def papers(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts[outcome]} {outcome}" for outcome in Outcome)
        text = f"{self.papers} papers: {counts}"
        if self.warnings:
            text += f", {len(self.warnings)} warning{'s' if len(self.warnings) != 1 else ''}"
        if self.dry_run:
            text += " (dry run: nothing was written)"
        return text


@transaction.atomic
def listing_import(
    *,
    records: list[PaperRecord],
    warnings: list[ParseWarning],
    name: str,
    source_format: str,
    file_name: str,
    sha256: str,
    default_date: date,
    listing_date: date | None = None,
    imported_by: User | None = None,
    rejected: int = 0,
    dry_run: bool = False,
    progress: Progress | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Upsert the papers of `records` and record one listing per listing date.

    `listing_date` overrides the dates the records carry; records without a
    date go into the listing for `default_date`. `job` is the admin import
    the records are a file of; without one (the command), the import is
    recorded as a job of its own.
    """
    started = timezone.now()
    imports_lock()
    result = ImportResult(warnings=list(warnings), rejected=rejected, dry_run=dry_run)

    def day_of(record: PaperRecord) -> date:
        return listing_date or record.listing_date or default_date

    by_date: dict[date, list[PaperRecord]] = defaultdict(list)
    for record in records:
        by_date[day_of(record)].append(record)

    paper_ids, outcomes = _upsert_papers(records, day_of=day_of, progress=progress)
    listed = {
        day: _listed_once(day, day_records, paper_ids, result)
        for day, day_records in sorted(by_date.items())
    }
    for day_records in listed.values():
        for record in day_records:
            result.counts[outcomes[record]] += 1
    result.outcomes = outcomes
    created_ids = [
        paper_ids[record] for record, outcome in outcomes.items() if outcome == Outcome.CREATED
    ]
    search_terms_add(paper_ids=created_ids)
    # An edited title or abstract moves the passages people highlighted in it.
    highlights_reanchor(
        paper_ids={
            paper_ids[record] for record, outcome in outcomes.items() if outcome == "updated"
        }
    )

    for day, day_records in listed.items():
        counts = dict.fromkeys(Outcome, 0)
        for record in day_records:
            counts[outcomes[record]] += 1
        ranked_paper_ids = [paper_ids[record] for record in day_records]
        listing, written = _record_listing(
            name=name,
            day=day,
            ranked_paper_ids=ranked_paper_ids,
            counts=counts,
            provenance={
                "source_format": source_format,
                "file_name": file_name,
                "sha256": sha256,
                "imported_by": imported_by,
                "rejected_count": result.rejected,
            },
        )
        result.listings.append(listing)
        if written:
            result.listings_written.append(listing)

    if dry_run:
        transaction.set_rollback(True)
        return result
    if job is None:
        job = _command_job(
            result,
            started=started,
            records=len(records),
            file_name=file_name,
            sha256=sha256,
            source_format=source_format,
            listing_name=name,
            listing_date=listing_date,
            imported_by=imported_by,
        )
    _history_link(job, result, created_ids)
    return result


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


def _history_link(job: ImportJob, result: ImportResult, created_ids: list[int]) -> None:
    """Link the job to what it wrote: the undo removes exactly that."""
    job.listings.add(*result.listings_written)
    # One statement, since bulk_create would first make every row of a
    # million-paper import an object in memory.
    created = ImportJob.papers_created.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {created} (importjob_id, paper_id) SELECT %s, unnest(%s::bigint[])",
            [job.pk, created_ids],
        )


def _listed_once(
    day: date,
    day_records: list[PaperRecord],
    paper_ids: dict[PaperRecord, int],
    result: ImportResult,
) -> list[PaperRecord]:
    """The day's records, less those naming a paper the day's listing already has.

    Parsers keep a paper once per date, but two records can still meet in one
    paper here: when `listing_date` merges a file's dates into one, or when a
    title matches a paper whose id another record gave.
    """
    first_line: dict[int, int] = {}
    kept: list[PaperRecord] = []
    for record in day_records:
        paper_id = paper_ids[record]
        if paper_id in first_line:
            message = f"same paper as line {first_line[paper_id]} on {day:%Y-%m-%d}: listed once"
            result.warnings.append(ParseWarning(record.line, message, dropped=True))
            result.rejected += 1
        else:
            first_line[paper_id] = record.line
            kept.append(record)
    return kept


def _upsert_papers(
    records: list[PaperRecord], *, day_of: Callable[[PaperRecord], date], progress: Progress | None
) -> tuple[dict[PaperRecord, int], dict[PaperRecord, Outcome]]:
    """Match each record to a paper, create or enrich the papers; their ids and outcomes.

    Matching is sequential, in Python, on what it needs (ids and title keys);
    the papers' text goes to the database with COPY, a batch at a time: new
    papers straight into their table, the records of known papers into a
    staging table that one UPDATE compares and applies.
    """
    paper_ids: dict[PaperRecord, int] = {}
    outcomes: dict[PaperRecord, Outcome] = {}
    # Papers met earlier in this import, so that a paper listed twice (on two
    # dates, say) is created once and counted as unchanged the second time.
    seen_ids: dict[str, _Paper] = {}
    seen_keys: dict[str, _Paper] = {}
    known: dict[int, _Paper] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (paper_id bigint, link_arxiv_id text,"
            " arxiv_id text, title text, title_key text, abstract text, authors jsonb,"
            " url text, published date) ON COMMIT DROP"
        )
        done = 0
        for batch in batched(records, BATCH_SIZE, strict=False):
            keys = [title_key(record.title) for record in batch]
            by_id, by_key = _existing_papers(batch, keys, known)
            by_id.update(seen_ids)
            by_key.update(seen_keys)
            matched: list[_Paper] = []
            to_create: list[tuple[_Paper, PaperRecord, str]] = []
            # The known papers this batch writes to: the first record of
            # each in this import, and which took an arXiv id on a later one.
            to_update: dict[_Paper, tuple[PaperRecord, str] | None] = {}
            linked: set[_Paper] = set()
            for record, key in zip(batch, keys, strict=True):
                paper = _match(record, key, by_id, by_key)
                if paper is None:
                    paper = _Paper(pk=None, arxiv_id=record.arxiv_id or None, created=True)
                    to_create.append((paper, record, key))
                    outcomes[record] = Outcome.CREATED
                elif paper.met:
                    outcomes[record] = _link_again(paper, record, linked)
                else:
                    # Unless the UPDATE below finds that the record changes the paper.
                    outcomes[record] = Outcome.UNCHANGED
                    to_update[paper] = (record, key)
                    if record.arxiv_id:
                        paper.arxiv_id = record.arxiv_id
                paper.met = True
                matched.append(paper)
                if paper.arxiv_id:
                    by_id[paper.arxiv_id] = seen_ids[paper.arxiv_id] = paper
                by_key.setdefault(key, paper)
                seen_keys.setdefault(key, paper)
            _papers_insert(cursor, to_create, day_of)
            for paper in linked:
                to_update.setdefault(paper, None)
            changed = _papers_update(cursor, to_update, linked)
            for paper, first in to_update.items():
                if first is not None and paper.pk in changed:
                    outcomes[first[0]] = Outcome.UPDATED
            for record, paper in zip(batch, matched, strict=True):
                paper_ids[record] = paper.pk
            for paper, _, _ in to_create:
                known[paper.pk] = paper
            done += len(batch)
            if progress:
                progress(done, len(records))
        cursor.execute(f"DROP TABLE {STAGING}")
    return paper_ids, outcomes


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
    batch: Iterable[PaperRecord], keys: list[str], known: dict[int, _Paper]
) -> tuple[dict[str, _Paper], dict[str, _Paper]]:
    """The papers the batch's ids and title keys name, as `known` has them if it does."""
    ids = {record.arxiv_id for record in batch if record.arxiv_id}
    by_id = {
        arxiv_id: known.setdefault(pk, _Paper(pk=pk, arxiv_id=arxiv_id))
        for pk, arxiv_id in Paper.objects.filter(arxiv_id__in=ids).values_list("pk", "arxiv_id")
    }
    # Oldest first, so a title shared by several papers always resolves to the same one.
    oldest = (
        Paper.objects.filter(title_key__in=set(keys))
        .order_by("title_key", "pk")
        .distinct("title_key")
        .values_list("title_key", "pk", "arxiv_id")
    )
    by_key = {
        key: known.setdefault(pk, _Paper(pk=pk, arxiv_id=arxiv_id)) for key, pk, arxiv_id in oldest
    }
    return by_id, by_key


def _match(
    record: PaperRecord, key: str, by_id: dict[str, _Paper], by_key: dict[str, _Paper]
) -> _Paper | None:
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


def _papers_insert(
    cursor,
    to_create: list[tuple[_Paper, PaperRecord, str]],
    day_of: Callable[[PaperRecord], date],
) -> None:
    """Insert the new papers with ids taken in order, so the oldest keeps the smallest.

    Each is inserted as last listed on its record's day, which `_record_listing`
    would otherwise set by rewriting every new row (and its search indexes)
    once more; a later day of the same paper still moves it on there.
    """
    if not to_create:
        return
    table = Paper._meta.db_table
    cursor.execute(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
        " FROM generate_series(1, %s) ORDER BY 1",
        [len(to_create)],
    )
    now = timezone.now()
    columns = ", ".join(
        ("id", *UPDATABLE_FIELDS, "title_key", "last_listed", "created_at", "updated_at")
    )
    pks = [pk for (pk,) in cursor.fetchall()]
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for (paper, record, key), pk in zip(to_create, pks, strict=True):
            paper.pk = pk
            # The id is the paper's: a later record of the batch may have given it.
            copy.write_row(
                (
                    pk,
                    paper.arxiv_id,
                    record.title,
                    record.abstract,
                    json.dumps(record.authors),
                    record.url,
                    record.published,
                    key,
                    day_of(record),
                    now,
                    now,
                )
            )


def _papers_update(
    cursor, to_update: dict[_Paper, tuple[PaperRecord, str] | None], linked: set[_Paper]
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
                record, key = first
                arxiv_id, title, abstract, authors, url, published = _fields(record)
                copy.write_row(
                    (paper.pk, link, arxiv_id, title, key, abstract, authors, url, published)
                )
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
    ranked_paper_ids: list[int],
    counts: dict[Outcome, int],
    provenance: dict,
) -> tuple[Listing, bool]:
    """The day's listing, and whether it was written (rather than found as it was)."""
    listing, created = Listing.objects.get_or_create(
        name=name,
        date=day,
        defaults={**provenance, **_count_fields(counts)},
    )
    current = list(listing.entries.order_by("rank").values_list("paper_id", flat=True))
    if not created and current == ranked_paper_ids and listing.sha256 == provenance["sha256"]:
        return listing, False
    if not created:
        for attribute, value in {**provenance, **_count_fields(counts)}.items():
            setattr(listing, attribute, value)
        listing.save()
    if current != ranked_paper_ids:
        listing.entries.all().delete()
        ListingEntry.objects.bulk_create(
            ListingEntry(listing=listing, paper_id=paper_id, rank=rank)
            for rank, paper_id in enumerate(ranked_paper_ids, start=1)
        )
        Paper.objects.filter(entries__listing=listing).filter(
            Q(last_listed__isnull=True) | Q(last_listed__lt=day)
        ).update(last_listed=day)
    return listing, True


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
