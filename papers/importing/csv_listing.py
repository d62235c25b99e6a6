"""CSV listings: a header line naming the columns, then a paper a row.

The columns are the fields `papers.importing.fields` describes: ``title`` is
required, ``abstract``, ``arxiv_id`` (or ``id``), ``authors``, ``url`` and
``published`` are optional, in any order; header names are matched without
regard to case or surrounding spaces, and other columns are ignored. Fields
are separated by commas and quoted with double quotes, so a quoted title or
abstract may run over several lines; each row's line is the physical line it
starts on.

A spreadsheet that held arXiv ids as numbers turned ``0704.0010`` into
``704.001``; such ids are recovered (see `papers.importing.fields.arxiv_id`).
A row whose number of fields differs from the header's is skipped with a
warning: its columns cannot be told apart.
"""

import csv
import io
from collections.abc import Iterator
from datetime import date

from papers.importing.decode import listing_text
from papers.importing.fields import Item, listing_from, paper_from_fields
from papers.importing.records import ListingError, ParsedListing, ParseWarning


def parse_csv(data: bytes, *, today: date) -> ParsedListing:
    """Read a CSV file with a header line; `today` is unused (rows state their dates)."""
    return listing_from(_csv_papers(listing_text(data)))


def _csv_papers(text: str) -> Iterator[Item]:
    rows = csv.reader(io.StringIO(text, newline=""))
    columns = [name.strip().casefold() for name in _next_row(rows, line=1) or []]
    if "title" not in columns:
        raise ListingError(
            "no title column: the first line must name the columns, one of them 'title'", line=1
        )
    while True:
        line = rows.line_num + 1
        row = _next_row(rows, line=line)
        if row is None:
            return
        if not any(value.strip() for value in row):
            continue
        if len(row) != len(columns):
            message = (
                f"this row has {len(row)} fields but the header names {len(columns)}: not imported"
            )
            yield ParseWarning(line, message, dropped=True)
            continue
        fields: dict[str, str] = {}
        for name, value in zip(columns, row, strict=True):
            # With a column named twice, the first one counts.
            fields.setdefault(name, value)
        yield from paper_from_fields(fields, line=line)


def _next_row(rows, *, line: int) -> list[str] | None:
    try:
        return next(rows, None)
    except csv.Error as error:
        raise ListingError(f"not valid CSV: {error}", line=line) from None
