"""Listing formats by name: each maps to a pure parser from bytes to records.

`detect_format` tells the format from the content, so that an admin can drop
in any listing file without naming its format.
"""

import csv
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import PurePath

from papers.importing.bibtex import parse_bibtex
from papers.importing.csv_listing import parse_csv
from papers.importing.json_listing import parse_json, parse_jsonl
from papers.importing.papershelf import parse_papershelf
from papers.importing.records import ParsedListing, RecordStream
from papers.importing.trending import parse_trending
from papers.models import Listing

Parser = Callable[..., ParsedListing]

PARSERS: dict[str, Parser] = {
    Listing.Format.TRENDING: parse_trending,
    Listing.Format.JSONL: parse_jsonl,
    Listing.Format.JSON: parse_json,
    Listing.Format.CSV: parse_csv,
    Listing.Format.BIBTEX: parse_bibtex,
    Listing.Format.PAPERSHELF: parse_papershelf,
}

DEFAULT_NAMES: dict[str, str] = {
    Listing.Format.TRENDING: "Trending papers",
    Listing.Format.JSONL: "arXiv listing",
    Listing.Format.JSON: "arXiv listing",
    Listing.Format.CSV: "CSV import",
    Listing.Format.BIBTEX: "BibTeX import",
    Listing.Format.PAPERSHELF: "Papershelf import",
}
# JSON records that carry their own listing dates are a site's daily lists
# (Hugging Face Daily Papers), not an arXiv dump.
DAILY_LIST_NAME = "Daily papers"
_DATED_RECORD_FORMATS = {Listing.Format.JSONL, Listing.Format.JSON}

# When the content says nothing certain, the file's extension decides, so a
# broken .csv is reported as a CSV problem rather than as an odd page copy.
_EXTENSIONS = {
    ".jsonl": Listing.Format.JSONL,
    ".ndjson": Listing.Format.JSONL,
    ".json": Listing.Format.JSON,
    ".csv": Listing.Format.CSV,
    ".bib": Listing.Format.BIBTEX,
}
# Enough of the file to hold its first lines: detection never reads it all,
# except for a pretty-printed JSON object, which has to be parsed whole.
_HEAD_SIZE = 64 * 1024
_LINE_BREAK = re.compile(r"\r\n?|\n")


def parse_listing(data: bytes, *, source_format: str, today: date) -> ParsedListing:
    return PARSERS[source_format](data, today=today)


def listing_name(parsed: ParsedListing | RecordStream, source_format: str) -> str:
    """The name the file gives its listing, else a name for its kind of file.

    A stream knows whether its records are dated only once it has been read.
    """
    if parsed.name:
        return parsed.name
    if source_format in _DATED_RECORD_FORMATS and parsed.dated:
        return DAILY_LIST_NAME
    return DEFAULT_NAMES[source_format]


def detect_format(data: bytes, file_name: str = "") -> str:
    """The format a listing file is in, told from its first characters.

    A JSON object with a "papershelf" member is a Papershelf export; a JSON
    array is a JSON listing; a first line holding a JSON object is JSON
    Lines; an ``@`` before anything but blank and ``%`` comment lines is
    BibTeX; a first line with a comma and a ``title`` column is CSV. Anything
    else is a trending-page copy, unless the file name's extension says what
    it is.
    """
    head = data[:_HEAD_SIZE].decode("utf-8", errors="replace").removeprefix("\ufeff")
    stripped = head.lstrip()
    if stripped.startswith("{"):
        return _json_object_format(data, stripped)
    if stripped.startswith("["):
        return Listing.Format.JSON
    if _starts_with_entry(head):
        return Listing.Format.BIBTEX
    if _has_title_column(head):
        return Listing.Format.CSV
    return _EXTENSIONS.get(PurePath(file_name).suffix.casefold(), Listing.Format.TRENDING)


def is_jsonl(head: bytes) -> bool:
    """Whether a file's first bytes alone show JSON Lines: a first line that is one object.

    Enough to read the rest a line at a time; anything less certain is
    told from the whole file by `detect_format`.
    """
    first_line = _lines(head.decode("utf-8", errors="replace").removeprefix("\ufeff").lstrip())[0]
    try:
        document = json.loads(first_line)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and "papershelf" not in document


def _json_object_format(data: bytes, head: str) -> str:
    try:
        document = json.loads(_lines(head)[0])
    except (ValueError, RecursionError):
        # Not one object a line: a pretty-printed object, or a broken first
        # line of JSON Lines. Only the whole document can tell.
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            return Listing.Format.JSONL
    if isinstance(document, dict) and "papershelf" in document:
        return Listing.Format.PAPERSHELF
    return Listing.Format.JSONL


def _starts_with_entry(head: str) -> bool:
    for line in _lines(head):
        stripped = line.strip()
        if stripped and not stripped.startswith("%"):
            return stripped.startswith("@")
    return False


def _has_title_column(head: str) -> bool:
    first_line = _lines(head)[0]
    if "," not in first_line:
        return False
    columns = next(csv.reader([first_line]), [])
    return any(column.strip().casefold() == "title" for column in columns)


def _lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)
