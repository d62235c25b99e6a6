"""Parser for the plain-text copy of a "trending papers" web page.

Selecting all of a Hugging Face trending page and pasting it into a text file
gives something like this::

    new

    Get trending papers in your email inbox!

    Subscribe

    Mar 14

    EMR-MSF: Self-Supervised Recurrent Monocular Scene Flow ...

    Self-supervised monocular scene flow estimation, aiming to ...

    A Critical Review of Recurrent Neural Networks for Sequence Learning

    Countless learning tasks require dealing with sequential data. ...

The file is read as follows.

* Lines end in LF, CRLF or a lone CR. A line holding only whitespace (or only
  invisible characters) is blank.
* Page chrome ("new", "Subscribe", "Sign up", ...) is recognised only as a
  whole line, wherever it stands; it separates paragraphs and is dropped.
* A date line (``Mar 14``, ``March 14``, ``Mar 14, 2025``) also separates
  paragraphs and dates the papers below it. Without a year it means the latest
  such day not after ``today``.
* The remaining consecutive lines form paragraphs: scrapes hard-wrap titles
  and abstracts, so a paragraph's lines are joined with single spaces.
* Paragraphs alternate title, abstract, title, abstract. A paragraph in a
  title's place that reads like prose was split off the abstract above it, so
  it is joined back rather than shifting every later pair.

Whatever can be worked around becomes a `ParseWarning` naming its line; a file
that cannot be read as text, or holds no paper, raises `ListingError`.
"""

import re
from dataclasses import dataclass
from datetime import MINYEAR, date

from papers.importing.decode import decode_text
from papers.importing.records import (
    DateLine,
    ListingError,
    PaperRecord,
    ParsedListing,
    ParseWarning,
)
from papers.importing.text import clean_text, title_key

# Case-folded, as compared. Deliberately short and explicit: every entry is a
# line that can never be a paper's title or a whole line of its abstract.
PAGE_CHROME = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "subscribe",
        "byak and the research community",
        "trending papers",
        "daily papers",
        "hugging face",
        "sign up",
        "log in",
    }
)

_MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}

# ASCII only, so that case-insensitive matching cannot let a look-alike letter
# (the Kelvin sign, a dotted capital I) through to a month-name lookup.
_DATE_LINE = re.compile(
    rf"(?P<month>{'|'.join(_MONTHS)}) (?P<day>[0-9]{{1,2}})(?:, (?P<year>[0-9]{{4}}))?",
    re.ASCII | re.IGNORECASE,
)

_LINE_BREAK = re.compile(r"\r\n?|\n")

# Titles on these pages run to about 120 characters and are never several
# sentences, while abstracts run to well over 300: a paragraph beyond these
# bounds in a title's place is a piece of the abstract above, not a title.
# A short title may hold sentence ends ("Attention. Is. All."), hence the
# length floor on the sentence test.
TITLE_MAX_LENGTH = 300
SENTENCE_TEST_MIN_LENGTH = 150
PROSE_MIN_SENTENCE_ENDS = 2
_SENTENCE_END = re.compile(r"[.?!] (?=\S)")


@dataclass(frozen=True, slots=True)
class _Paragraph:
    line: int
    text: str
    listing_date: date | None


@dataclass(slots=True)
class _Pair:
    title: _Paragraph
    abstract_line: int
    # Kept as parts so that many continuations still join in linear time.
    abstract_parts: list[str]


def parse_trending(data: bytes, *, today: date) -> ParsedListing:
    """Read a trending-papers page copy into records, warnings and date lines."""
    text = decode_text(data)
    if not clean_text(text):
        raise ListingError("the file is empty")
    listing = ParsedListing()
    paragraphs = _paragraphs(text, today, listing)
    if not paragraphs:
        raise ListingError("no papers found: the file holds only page chrome and dates")
    pairs = _pairs(paragraphs, listing)
    if not pairs:
        line = paragraphs[0].line
        raise ListingError(
            f"no papers found: the paragraph on line {line} has no abstract after it",
            line=line,
        )
    _records(pairs, listing)
    listing.warnings.sort(key=lambda warning: warning.line)
    return listing


def _paragraphs(text: str, today: date, listing: ParsedListing) -> list[_Paragraph]:
    """Split into paragraphs, recording date lines and dropping chrome."""
    paragraphs: list[_Paragraph] = []
    block: list[str] = []
    block_line = 0
    listing_date: date | None = None
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = clean_text(raw)
        date_match = _DATE_LINE.fullmatch(line)
        if line and date_match is None and line.casefold() not in PAGE_CHROME:
            if not block:
                block_line = number
            block.append(line)
            continue
        if block:
            paragraphs.append(_Paragraph(block_line, " ".join(block), listing_date))
            block = []
        if date_match is not None:
            # An impossible date is skipped, leaving the one above in force.
            listing_date = _date_line(date_match, number, today, listing) or listing_date
    if block:
        paragraphs.append(_Paragraph(block_line, " ".join(block), listing_date))
    return paragraphs


def _date_line(
    match: re.Match[str], number: int, today: date, listing: ParsedListing
) -> date | None:
    month = _MONTHS[match["month"].lower()]
    day = int(match["day"])
    if match["year"] is not None:
        resolved = _calendar_date(int(match["year"]), month, day)
    else:
        resolved = _latest_not_after(month, day, today)
    if resolved is None:
        listing.warnings.append(
            ParseWarning(number, f"{match[0]} is not a calendar date: the line was skipped")
        )
    else:
        listing.date_lines.append(DateLine(number, match[0], resolved))
    return resolved


def _calendar_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _latest_not_after(month: int, day: int, today: date) -> date | None:
    # 2000 is a leap year, so this rejects only days no year has (Feb 30).
    if _calendar_date(2000, month, day) is None:
        return None
    for year in range(today.year, MINYEAR - 1, -1):
        candidate = _calendar_date(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def _pairs(paragraphs: list[_Paragraph], listing: ParsedListing) -> list[_Pair]:
    """Pair titles with abstracts, joining split-off abstract pieces back."""
    pairs: list[_Pair] = []
    title: _Paragraph | None = None
    for paragraph in paragraphs:
        if title is not None:
            pairs.append(_Pair(title, paragraph.line, [paragraph.text]))
            title = None
        elif pairs and _reads_as_continuation(paragraph.text):
            previous = pairs[-1]
            previous.abstract_parts.append(paragraph.text)
            message = (
                "this paragraph reads as a continuation of the abstract above "
                f"(line {previous.abstract_line}), so it was joined to it"
            )
            listing.warnings.append(ParseWarning(paragraph.line, message))
        else:
            title = paragraph
    if title is not None:
        listing.warnings.append(
            ParseWarning(title.line, "title without an abstract: not imported", dropped=True)
        )
    return pairs


def _reads_as_continuation(text: str) -> bool:
    if len(text) > TITLE_MAX_LENGTH:
        return True
    return (
        len(text) > SENTENCE_TEST_MIN_LENGTH
        and len(_SENTENCE_END.findall(text)) >= PROSE_MIN_SENTENCE_ENDS
    )


def _records(pairs: list[_Pair], listing: ParsedListing) -> None:
    first_line: dict[str, int] = {}
    for pair in pairs:
        title = pair.title
        key = title_key(title.text)
        if key in first_line:
            listing.warnings.append(
                ParseWarning(
                    title.line, f"same paper as line {first_line[key]}: listed once", dropped=True
                )
            )
            continue
        first_line[key] = title.line
        listing.records.append(
            PaperRecord(
                line=title.line,
                title=title.text,
                abstract=" ".join(pair.abstract_parts),
                listing_date=title.listing_date,
            )
        )
