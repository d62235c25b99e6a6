"""The record type every parser produces and the import service consumes."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class PaperRecord:
    """One paper as a listing file states it, with the line it starts on."""

    line: int
    title: str
    abstract: str
    arxiv_id: str = ""
    authors: tuple[str, ...] = ()
    url: str = ""
    published: date | None = None
    listing_date: date | None = None
    # The position the file gives the paper on its listing date, when it gives
    # one; parsers put records in this order, and the listing ranks by order.
    rank: int | None = None


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something odd the parser worked around; the import still goes ahead.

    `dropped` marks a warning about input that was left out (a title without
    an abstract, a paper listed twice): those count as rejected.
    """

    line: int
    message: str
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class DateLine:
    """A date the page states (`Mar 14`), resolved to a calendar date."""

    line: int
    text: str
    date: date


@dataclass(slots=True)
class ParsedListing:
    records: list[PaperRecord] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    date_lines: list[DateLine] = field(default_factory=list)
    # The listing's name when the file states one (a Papershelf export's title).
    name: str | None = None

    @property
    def dated(self) -> bool:
        """Whether any record states its listing date (a daily list, not a dump)."""
        return any(record.listing_date for record in self.records)

    @property
    def undated(self) -> bool:
        """Whether any record leaves its listing date to the import."""
        return any(record.listing_date is None for record in self.records)


class RecordStream:
    """A listing read while it is imported, for files too large to hold.

    Iterating `records` reads the file: records come in file order (the
    import ranks and dedupes them per date), and `warnings` and `date_lines`
    fill up as the lines are read. A file without a single record is a
    ListingError when the records run out.
    """

    name: str | None = None

    def __init__(self, items: Iterable["PaperRecord | ParseWarning"]):
        self._items = items
        self.warnings: list[ParseWarning] = []
        self.date_lines: list[DateLine] = []
        self.dated = False
        self.undated = False
        self.records = self._records()

    def _records(self) -> Iterator[PaperRecord]:
        dates: set[date] = set()
        found = False
        for item in self._items:
            if isinstance(item, ParseWarning):
                self.warnings.append(item)
                continue
            found = True
            if item.listing_date is None:
                self.undated = True
            elif item.listing_date not in dates:
                self.dated = True
                dates.add(item.listing_date)
                text = f"{item.listing_date:%Y-%m-%d}"
                self.date_lines.append(DateLine(item.line, text, item.listing_date))
            yield item
        if not found:
            raise no_papers_error(self.warnings)


def no_papers_error(warnings: list[ParseWarning]) -> "ListingError":
    """What a file without a single paper is rejected with: its first problem, if any."""
    if warnings:
        first = min(warnings, key=lambda warning: warning.line)
        return ListingError(f"no papers found; the first problem: {first.message}", line=first.line)
    return ListingError("no papers found")


class ListingError(Exception):
    """The file as a whole cannot be imported; nothing is written."""

    def __init__(self, message: str, *, line: int | None = None, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.offset = offset

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return f"{self.message} ({', '.join(where)})" if where else self.message
