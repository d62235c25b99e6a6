"""The record type every parser produces and the import service consumes."""

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
