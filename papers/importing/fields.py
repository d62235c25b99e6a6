"""What the structured formats share: a paper's fields, and the listing's order.

JSON (Lines or array), CSV and Papershelf files name a paper's fields as the
arXiv metadata dumps and the daily-list scrapers do, so their files import
without renaming anything:

``title``
    Required: a record without one is left out, with a warning.
``abstract``
    Optional (daily lists have none). Hard wraps are undone, paragraphs kept.
``id`` or ``arxiv_id``
    ``arXiv:2401.01234v2`` and ``2401.01234`` both give ``2401.01234``;
    old-style ids such as ``hep-th/9901001`` are kept as they are. A value that
    is no arXiv id is ignored, with a warning.
``authors_parsed``, else ``authors``
    ``authors_parsed`` is arXiv's ``[[last, first, suffix], ...]``; ``authors``
    is a list of names or one string ``"A, B and C"`` (arXiv writes it in TeX,
    so ``Bal\\'azs`` reads Balázs).
``url`` or ``paper_url``
    An http(s) address; anything else is ignored, with a warning.
``published``, else ``first_listed``, else ``update_date``
    An ISO date (``2025-03-18``, a time after it is allowed); other forms
    (``11/26/2008``) are ambiguous and ignored.
``listing_date`` and ``rank``
    A daily list's day and the paper's place on it.

Values that are empty (``""``, ``null``) count as missing.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from papers.importing.records import (
    DateLine,
    PaperRecord,
    ParsedListing,
    ParseWarning,
    no_papers_error,
)
from papers.importing.text import clean_abstract, clean_text, decode_latex, title_key

# What a format's internal generator yields, in file order.
Item = PaperRecord | ParseWarning

# Paper.url is a 500-character column.
URL_MAX_LENGTH = 500
SHOWN_MAX_LENGTH = 60

_ARXIV_PREFIX = re.compile(r"arxiv:", re.IGNORECASE)
_VERSION = re.compile(r"v[0-9]+$")
_NEW_STYLE_ID = re.compile(r"[0-9]{4}\.[0-9]{4,5}")
_OLD_STYLE_ID = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z-]+)?/[0-9]{7}")
# Spreadsheets read "0704.0010" as the number 704.001, losing the leading
# zero of the year-month and the trailing zeros of the sequence number.
_MANGLED_ID = re.compile(r"([0-9]{3,4})\.([0-9]{1,4})")
# From January 2015 (1501) arXiv numbers papers with five digits, before with four.
FIVE_DIGIT_IDS_FROM = "1501"
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ].*)?", re.DOTALL)
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_WEB_ADDRESS = re.compile(r"https?://\S+", re.IGNORECASE)


def paper_from_fields(fields: Mapping[str, object], *, line: int) -> Iterator[Item]:
    """The paper a record's fields describe, after a warning for each value ignored."""
    title = clean_text(_text(fields.get("title")))
    if not title:
        yield ParseWarning(line, "no title: not imported", dropped=True)
        return
    stated_date = _first_value(fields, "listing_date")
    listing_date = iso_date(stated_date)
    if stated_date is not None and listing_date is None:
        message = f"listing_date {shown(stated_date)} is not a date (YYYY-MM-DD): not imported"
        yield ParseWarning(line, message, dropped=True)
        return
    stated_id = _first_value(fields, "id", "arxiv_id")
    paper_id = arxiv_id(_text(stated_id))
    if stated_id is not None and paper_id is None:
        yield ParseWarning(line, f"{shown(stated_id)} is not an arXiv id: imported without one")
    stated_url = _first_value(fields, "url", "paper_url")
    url = web_address(_text(stated_url))
    if stated_url is not None and url is None:
        message = f"{shown(stated_url)} is not a web address: imported without it"
        yield ParseWarning(line, message)
    stated_rank = _first_value(fields, "rank")
    rank = _rank(stated_rank)
    if stated_rank is not None and rank is None:
        message = f"rank {shown(stated_rank)} is not a whole number: listed after ranked papers"
        yield ParseWarning(line, message)
    yield PaperRecord(
        line=line,
        title=title,
        abstract=clean_abstract(_text(fields.get("abstract"))),
        arxiv_id=paper_id or "",
        authors=_authors(fields),
        url=url or "",
        published=_published(fields),
        listing_date=listing_date,
        rank=rank,
    )


def arxiv_id(value: str, *, spreadsheets: bool = True) -> str | None:
    """The version-less arXiv id a value states, or None when it states none.

    With `spreadsheets`, an id a spreadsheet turned into a number is read
    back (see _MANGLED_ID); without, only an id as arXiv writes it is one.
    """
    text = _VERSION.sub("", _ARXIV_PREFIX.sub("", value.strip(), count=1))
    if spreadsheets and (mangled := _MANGLED_ID.fullmatch(text)):
        # Undo the spreadsheet: pad the year-month to four digits on the left
        # and the number to its month's width on the right (704.001 is
        # 0704.0010, 704.2 is 0704.2000). A well-formed id passes unchanged.
        year_month = mangled[1].zfill(4)
        width = 5 if year_month >= FIVE_DIGIT_IDS_FROM else 4
        text = f"{year_month}.{mangled[2].ljust(width, '0')}"
    if _NEW_STYLE_ID.fullmatch(text) or _OLD_STYLE_ID.fullmatch(text):
        return text
    return None


def iso_date(value: object) -> date | None:
    """The date an ISO 8601 value states (a time after it is allowed), or None."""
    match = _ISO_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _author_names(value: str) -> tuple[str, ...]:
    """Names from arXiv's one-string form: "A. Bal\\'azs, B. Berger and C. Yuan"."""
    if "\\" in value or "{" in value:
        value = decode_latex(value)
    return tuple(name for part in _AUTHOR_SEPARATOR.split(value) if (name := clean_text(part)))


def web_address(value: str) -> str | None:
    """The value when it is an http(s) address that fits the paper's url column."""
    address = value.strip()
    if _WEB_ADDRESS.fullmatch(address) and len(address) <= URL_MAX_LENGTH:
        return address
    return None


def _authors(fields: Mapping[str, object]) -> tuple[str, ...]:
    parsed = fields.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = (_name_from_parts(parts) for parts in parsed if isinstance(parts, list))
        return tuple(name for name in names if name)
    stated = fields.get("authors")
    if isinstance(stated, str):
        return _author_names(stated)
    if isinstance(stated, list):
        return tuple(name for value in stated if (name := clean_text(_text(value))))
    return ()


def _name_from_parts(parts: list) -> str:
    last, first, suffix = [*map(_text, parts[:3]), "", "", ""][:3]
    return clean_text(f"{first} {last} {suffix}")


def _published(fields: Mapping[str, object]) -> date | None:
    for name in ("published", "first_listed", "update_date"):
        if stated := iso_date(fields.get(name)):
            return stated
    return None


def _rank(stated: object) -> int | None:
    if isinstance(stated, str) and stated.strip().isascii() and stated.strip().isdigit():
        return int(stated)
    # bool is an int to Python, but `true` is no place in a list.
    if isinstance(stated, int) and not isinstance(stated, bool):
        return stated
    return None


def _first_value(fields: Mapping[str, object], *names: str) -> object:
    """The first of the named fields that holds a value, or None."""
    for name in names:
        value = fields.get(name)
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def shown(value: object) -> str:
    """A stated value for a warning, cut short: a warning is one line."""
    shown = repr(value)
    return shown if len(shown) <= SHOWN_MAX_LENGTH else f"{shown[: SHOWN_MAX_LENGTH - 1]}…"


def listing_from(items: Iterable[Item]) -> ParsedListing:
    """Collect a format's records and warnings into a listing, in listing order.

    Records go in rank order within each listing date (file order where no
    rank is given, unranked after ranked). A paper listed twice on one date
    is kept once, at its first place.
    """
    listing = ParsedListing()
    records: list[PaperRecord] = []
    for item in items:
        if isinstance(item, ParseWarning):
            listing.warnings.append(item)
        else:
            records.append(item)
    listing.records = _first_of_each_paper(_in_rank_order(records), listing.warnings)
    listing.date_lines = _date_lines(records)
    listing.warnings.sort(key=lambda warning: warning.line)
    if not listing.records:
        raise no_papers_error(listing.warnings)
    return listing


def _in_rank_order(records: list[PaperRecord]) -> list[PaperRecord]:
    date_order: dict[date | None, int] = {}
    for record in records:
        date_order.setdefault(record.listing_date, len(date_order))
    # sorted() is stable: records without a rank, or with equal ranks, keep file order.
    return sorted(
        records,
        key=lambda record: (
            date_order[record.listing_date],
            record.rank is None,
            record.rank or 0,
        ),
    )


class _PapersOnADate:
    """Which papers a listing date already has, by the import service's identity rule.

    Two records are one paper when their arXiv ids agree, or when one has no
    id and their titles agree; two different ids are two papers whatever
    their titles. Title keys are computed only once a record without an id
    needs them: an arXiv dump, every record with an id, needs none.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, int] = {}
        self.by_title_without_id: dict[str, int] = {}
        self.by_title: dict[str, int] = {}
        self.not_yet_by_title: list[PaperRecord] = []

    def earlier_line(self, record: PaperRecord) -> int | None:
        if record.arxiv_id:
            if record.arxiv_id in self.by_id:
                return self.by_id[record.arxiv_id]
            if not self.by_title_without_id:
                return None
            return self.by_title_without_id.get(title_key(record.title))
        return self._titles().get(title_key(record.title))

    def add(self, record: PaperRecord) -> None:
        if record.arxiv_id:
            self.by_id[record.arxiv_id] = record.line
        else:
            self.by_title_without_id.setdefault(title_key(record.title), record.line)
        self.not_yet_by_title.append(record)

    def _titles(self) -> dict[str, int]:
        for record in self.not_yet_by_title:
            self.by_title.setdefault(title_key(record.title), record.line)
        self.not_yet_by_title.clear()
        return self.by_title


def _first_of_each_paper(
    records: list[PaperRecord], warnings: list[ParseWarning]
) -> list[PaperRecord]:
    dates: dict[date | None, _PapersOnADate] = {}
    kept: list[PaperRecord] = []
    for record in records:
        papers = dates.setdefault(record.listing_date, _PapersOnADate())
        earlier = papers.earlier_line(record)
        if earlier is None:
            papers.add(record)
            kept.append(record)
            continue
        on_date = f" on {record.listing_date:%Y-%m-%d}" if record.listing_date else ""
        message = f"same paper as line {earlier}{on_date}: listed once"
        warnings.append(ParseWarning(record.line, message, dropped=True))
    return kept


def _date_lines(records: list[PaperRecord]) -> list[DateLine]:
    """One date line per listing date, at the first record that states it."""
    first: dict[date, int] = {}
    for record in records:
        if record.listing_date is not None:
            first.setdefault(record.listing_date, record.line)
    return [DateLine(line, f"{day:%Y-%m-%d}", day) for day, line in first.items()]
