"""BibTeX listings: every ``@entry`` with a title is a paper.

The file is split into entries by bibtexparser (``@string`` abbreviations are
resolved, ``@comment`` and ``@preamble`` ignored). From each entry:

* ``title``, ``author`` and ``abstract`` have their TeX decoded
  (``Bal\\'azs`` and ``{\\"u}`` read Balázs and ü) and braces removed; math
  (``$\\alpha$``) stays as written. An entry without a title is skipped with
  a warning.
* ``author`` is split on ``and`` (not inside braces); ``Last, First`` and
  ``Last, Jr, First`` are turned round to ``First Last Jr``; ``others`` (et al.)
  is dropped.
* The arXiv id comes from ``eprint`` (unless ``archivePrefix`` or
  ``eprinttype`` names another archive), else from a DOI ``10.48550/arXiv.…``,
  else from an arXiv ``url``.
* ``url`` is kept when it is an http(s) address.
* ``date`` (biblatex: ``2024``, ``2024-03`` or ``2024-03-05``), else ``year``
  and ``month`` (``mar``, ``March`` or ``3``), give the publication date: the
  first of the month, or January 1 when only the year is known.

An entry bibtexparser cannot read is skipped with a warning naming the line
of its ``@``.
"""

import logging
import re
from collections.abc import Iterator
from datetime import date

import bibtexparser
from bibtexparser.exceptions import ParsingException
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
)

from papers.importing.decode import listing_text
from papers.importing.fields import Item, arxiv_id, iso_date, listing_from, web_address
from papers.importing.records import ListingError, PaperRecord, ParsedListing, ParseWarning
from papers.importing.text import clean_abstract, clean_text, decode_latex

# bibtexparser logs each entry it gives up on, with 0-based line numbers; the
# parser reports the same entries as warnings with the lines people see.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)
_ARXIV_URL = re.compile(
    r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?", re.IGNORECASE
)
_YEAR = re.compile(r"[0-9]{4}")
_YEAR_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# "and others" is BibTeX for et al.
_ET_AL = "others"


def parse_bibtex(data: bytes, *, today: date) -> ParsedListing:
    """Read a BibTeX file; `today` is unused (entries state their dates)."""
    return listing_from(_bibtex_papers(listing_text(data)))


def _bibtex_papers(text: str) -> Iterator[Item]:
    try:
        library = bibtexparser.parse_string(text)
    except ParsingException as error:
        raise ListingError(f"not valid BibTeX: {error}") from None
    for block in library.blocks:
        # bibtexparser counts lines from 0.
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            # A key used twice is a clash of citation keys, not of papers
            # (the same paper twice is found by its id or title). bibtexparser
            # leaves such an entry raw, so it is read again on its own, where
            # the file's @string abbreviations do not reach.
            for entry in bibtexparser.parse_string(block.raw).entries:
                yield from _paper(entry, line)
        elif isinstance(block, DuplicateFieldKeyBlock):
            named = ", ".join(sorted(block.duplicate_keys))
            message = f"this entry states {named} twice: not imported"
            yield ParseWarning(line, message, dropped=True)
        elif isinstance(block, ParsingFailedBlock):
            yield ParseWarning(line, f"{_failure(block)}: not imported", dropped=True)
        elif isinstance(block, Entry):
            yield from _paper(block, line)


def _failure(block: ParsingFailedBlock) -> str:
    reason = getattr(block.error, "abort_reason", None) or str(block.error)
    return f"not a readable BibTeX entry ({clean_text(reason)})"


def _paper(entry: Entry, line: int) -> Iterator[Item]:
    fields = _fields(entry)
    title = clean_text(decode_latex(fields.get("title", "")))
    if not title:
        yield ParseWarning(line, "this entry has no title: not imported", dropped=True)
        return
    yield PaperRecord(
        line=line,
        title=title,
        abstract=_abstract(fields.get("abstract", "")),
        arxiv_id=_arxiv_id(fields) or "",
        authors=_authors(fields.get("author", "")),
        url=web_address(fields.get("url", "")) or "",
        published=_published(fields),
    )


def _abstract(value: str) -> str:
    # Only a blank line parts paragraphs in TeX; BibTeX files indent the lines
    # of a long field for looks, which `clean_abstract` would read as breaks.
    flush_left = "\n".join(line.strip() for line in value.splitlines())
    return clean_abstract(decode_latex(flush_left))


def _fields(entry: Entry) -> dict[str, str]:
    """The entry's fields by lower-case name (BibTeX names ignore case)."""
    fields: dict[str, str] = {}
    for field in entry.fields:
        if isinstance(field.value, str):
            fields.setdefault(field.key.casefold(), field.value)
    return fields


def _arxiv_id(fields: dict[str, str]) -> str | None:
    archive = fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv"
    stated = [fields.get("eprint", "")] if archive.strip().casefold() == "arxiv" else []
    if doi := _ARXIV_DOI.fullmatch(fields.get("doi", "").strip()):
        stated.append(doi[1])
    if url := _ARXIV_URL.fullmatch(fields.get("url", "").strip()):
        stated.append(url[1])
    return next((found for value in stated if (found := arxiv_id(value))), None)


def _authors(value: str) -> tuple[str, ...]:
    names = []
    for name in split_multiple_persons_names(value):
        if name.strip() == _ET_AL:
            continue
        # Turns "Last, First" and "Last, Jr, First" into "First Last Jr".
        in_order = parse_single_name_into_parts(name, strict=False).merge_first_name_first
        if cleaned := clean_text(decode_latex(in_order)):
            names.append(cleaned)
    return tuple(names)


def _published(fields: dict[str, str]) -> date | None:
    return _from_date_field(fields.get("date", "").strip()) or _from_year_and_month(fields)


def _from_date_field(stated: str) -> date | None:
    if exact := iso_date(stated):
        return exact
    if year_month := _YEAR_MONTH.fullmatch(stated):
        return _first_day(int(year_month[1]), int(year_month[2]))
    if _YEAR.fullmatch(stated):
        return _first_day(int(stated), 1)
    return None


def _from_year_and_month(fields: dict[str, str]) -> date | None:
    year = fields.get("year", "").strip()
    if not _YEAR.fullmatch(year):
        return None
    month = fields.get("month", "").strip().casefold()
    number = int(month) if month.isascii() and month.isdigit() else _MONTHS.get(month, 1)
    return _first_day(int(year), number) or _first_day(int(year), 1)


def _first_day(year: int, month: int) -> date | None:
    try:
        return date(year, month, 1)
    except ValueError:
        return None
