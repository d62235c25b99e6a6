"""The one way papers get into the database: parsed records in, a listing out.

The management command and the admin upload both call `listing_import`. It
runs in one transaction, so an import lands whole or not at all, and it is
idempotent: the same records again change nothing.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import batched

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from papers.importing.records import PaperRecord, ParseWarning
from papers.importing.text import title_key
from papers.models import Listing, ListingEntry, Paper
from papers.services import highlights_reanchor, search_terms_add

BATCH_SIZE = 1000

Progress = Callable[[int, int], None]


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
) -> ImportResult:
    """Upsert the papers of `records` and record one listing per listing date.

    `listing_date` overrides the dates the records carry; records without a
    date go into the listing for `default_date`.
    """
    result = ImportResult(warnings=list(warnings), rejected=rejected, dry_run=dry_run)
    by_date: dict[date, list[PaperRecord]] = defaultdict(list)
    for record in records:
        by_date[listing_date or record.listing_date or default_date].append(record)

    papers, outcomes = _upsert_papers(records, progress=progress)
    listed = {
        day: _listed_once(day, day_records, papers, result)
        for day, day_records in sorted(by_date.items())
    }
    for day_records in listed.values():
        for record in day_records:
            result.counts[outcomes[record]] += 1
    search_terms_add(
        paper_ids=[
            papers[record].pk for record, outcome in outcomes.items() if outcome == "created"
        ]
    )
    # An edited title or abstract moves the passages people highlighted in it.
    highlights_reanchor(
        paper_ids={
            papers[record].pk for record, outcome in outcomes.items() if outcome == "updated"
        }
    )

    for day, day_records in listed.items():
        counts = dict.fromkeys(Outcome, 0)
        for record in day_records:
            counts[outcomes[record]] += 1
        ranked_paper_ids = [papers[record].pk for record in day_records]
        result.listings.append(
            _record_listing(
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
        )

    if dry_run:
        transaction.set_rollback(True)
    return result


def _listed_once(
    day: date,
    day_records: list[PaperRecord],
    papers: dict[PaperRecord, Paper],
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
        paper_id = papers[record].pk
        if paper_id in first_line:
            message = f"same paper as line {first_line[paper_id]} on {day:%Y-%m-%d}: listed once"
            result.warnings.append(ParseWarning(record.line, message, dropped=True))
            result.rejected += 1
        else:
            first_line[paper_id] = record.line
            kept.append(record)
    return kept


def _upsert_papers(
    records: list[PaperRecord], *, progress: Progress | None
) -> tuple[dict[PaperRecord, Paper], dict[PaperRecord, Outcome]]:
    papers: dict[PaperRecord, Paper] = {}
    outcomes: dict[PaperRecord, Outcome] = {}
    # Papers made earlier in this import, so that a paper listed twice (on two
    # dates, say) is created once and counted as unchanged the second time.
    seen_ids: dict[str, Paper] = {}
    seen_keys: dict[str, Paper] = {}
    # The first record of a paper in this import decides its fields; later
    # ones (the paper on another date of a daily list, say) only link it.
    # Otherwise which record wins would depend on batch boundaries, and a
    # re-import would update papers back and forth.
    first_outcomes: dict[tuple[str, int], Outcome] = {}
    done = 0
    for batch in batched(records, BATCH_SIZE, strict=False):
        by_id, by_key = _existing_papers(batch)
        by_id.update(seen_ids)
        by_key.update(seen_keys)
        to_create: list[Paper] = []
        to_update: list[Paper] = []
        for record in batch:
            key = title_key(record.title)
            paper = _match(record, key, by_id, by_key)
            if paper is None:
                paper = Paper(title_key=key, **_fields(record))
                to_create.append(paper)
                outcomes[record] = Outcome.CREATED
            elif _identity(paper) in first_outcomes:
                outcomes[record] = _link_again(paper, record, first_outcomes, to_update)
            elif _enrich(paper, record, key):
                to_update.append(paper)
                outcomes[record] = Outcome.UPDATED
            else:
                outcomes[record] = Outcome.UNCHANGED
            first_outcomes.setdefault(_identity(paper), outcomes[record])
            papers[record] = paper
            if paper.arxiv_id:
                by_id[paper.arxiv_id] = seen_ids[paper.arxiv_id] = paper
            by_key.setdefault(key, paper)
            seen_keys.setdefault(key, paper)
        Paper.objects.bulk_create(to_create)
        for paper in to_create:
            # Saved now, so later batches know it by its pk.
            first_outcomes[_identity(paper)] = Outcome.CREATED
        if to_update:
            now = timezone.now()
            for paper in to_update:
                paper.updated_at = now
            Paper.objects.bulk_update(to_update, [*UPDATABLE_FIELDS, "title_key", "updated_at"])
        done += len(batch)
        if progress:
            progress(done, len(records))
    return papers, outcomes


UPDATABLE_FIELDS = ("arxiv_id", "title", "abstract", "authors", "url", "published")


def _identity(paper: Paper) -> tuple[str, int]:
    # A paper not saved yet has no pk (and Django will not hash it), but it
    # stays the same object for the whole import.
    return ("pk", paper.pk) if paper.pk is not None else ("new", id(paper))


def _link_again(
    paper: Paper,
    record: PaperRecord,
    first_outcomes: dict[tuple[str, int], Outcome],
    to_update: list[Paper],
) -> Outcome:
    """A paper met again in this import keeps its fields, but gains an arXiv id it lacks.

    The id is what the service's identity rule promises: an id that arrives
    later enriches the paper its title matched.
    """
    if not record.arxiv_id or paper.arxiv_id:
        return Outcome.UNCHANGED
    first_outcome = first_outcomes[_identity(paper)]
    paper.arxiv_id = record.arxiv_id
    # A paper made in this batch is inserted with the id; one saved before is updated.
    if paper.pk is not None and paper not in to_update:
        to_update.append(paper)
    return Outcome.UNCHANGED if first_outcome == Outcome.CREATED else Outcome.UPDATED


def _existing_papers(batch: Iterable[PaperRecord]) -> tuple[dict[str, Paper], dict[str, Paper]]:
    batch = list(batch)
    ids = {record.arxiv_id for record in batch if record.arxiv_id}
    keys = {title_key(record.title) for record in batch}
    by_id = {paper.arxiv_id: paper for paper in Paper.objects.filter(arxiv_id__in=ids)}
    by_key: dict[str, Paper] = {}
    # Oldest first, so a title shared by several papers always resolves to the same one.
    for paper in Paper.objects.filter(title_key__in=keys).order_by("pk"):
        by_key.setdefault(paper.title_key, paper)
    return by_id, by_key


def _match(
    record: PaperRecord, key: str, by_id: dict[str, Paper], by_key: dict[str, Paper]
) -> Paper | None:
    if record.arxiv_id:
        if paper := by_id.get(record.arxiv_id):
            return paper
        # An id arriving later enriches the paper its title matched, but two
        # different ids are two papers even when their titles agree.
        candidate = by_key.get(key)
        return candidate if candidate is not None and not candidate.arxiv_id else None
    return by_key.get(key)


def _fields(record: PaperRecord) -> dict:
    return {
        "arxiv_id": record.arxiv_id or None,
        "title": record.title,
        "abstract": record.abstract,
        "authors": list(record.authors),
        "url": record.url,
        "published": record.published,
    }


def _enrich(paper: Paper, record: PaperRecord, key: str) -> bool:
    """Apply what the record states to the paper; True when anything changed.

    A field the record leaves empty keeps its stored value: a trending page
    has no authors, and importing one must not erase them.
    """
    changed = False
    for name, value in _fields(record).items():
        if value in (None, "", []) or getattr(paper, name) == value:
            continue
        setattr(paper, name, value)
        changed = True
    if changed:
        paper.title_key = key
    return changed


def _record_listing(
    *,
    name: str,
    day: date,
    ranked_paper_ids: list[int],
    counts: dict[Outcome, int],
    provenance: dict,
) -> Listing:
    listing, created = Listing.objects.get_or_create(
        name=name,
        date=day,
        defaults={**provenance, **_count_fields(counts)},
    )
    current = list(listing.entries.order_by("rank").values_list("paper_id", flat=True))
    if not created and current == ranked_paper_ids and listing.sha256 == provenance["sha256"]:
        return listing
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
    return listing


def _count_fields(counts: dict[Outcome, int]) -> dict[str, int]:
    return {f"{outcome}_count": number for outcome, number in counts.items()}
