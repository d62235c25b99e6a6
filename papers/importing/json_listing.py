"""JSON listings: one paper per line (JSON Lines, ``jsonl``) or an array (``json``).

Each paper is a JSON object with the fields `papers.importing.fields`
describes, so these files import as they come:

* the arXiv metadata dumps, a paper a line: the daily cs.* scrape
  (``id``, ``title``, ``authors`` as a list, ``abstract``, ``first_listed``)
  and the Kaggle snapshot (``authors`` as one TeX string, ``authors_parsed``,
  ``update_date``, abstracts hard-wrapped with ``\\n  `` between paragraphs);
* daily lists such as Hugging Face's Daily Papers, a row per paper and day
  (``listing_date``, ``rank``, ``arxiv_id``, ``title``, ``paper_url``, no
  abstract): each day becomes a listing, ranked as the file ranks it.

A JSON Lines file is forgiving: a line that is not valid JSON, or not an
object, is skipped with a warning naming it, since one bad line in a dump of
thousands should not stop the rest. An array is one JSON document, so a
syntax error anywhere rejects the file, naming the line and column.
"""

import codecs
import io
import json
import re
from collections.abc import Generator, Iterable, Iterator
from datetime import date

from papers.importing.decode import listing_text
from papers.importing.fields import Item, listing_from, paper_from_fields
from papers.importing.records import ListingError, ParsedListing, ParseWarning, RecordStream

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def parse_jsonl(data: bytes, *, today: date) -> ParsedListing:
    """Read a JSON Lines file, a paper a line; `today` is unused (records state dates)."""
    return listing_from(jsonl_items(io.BytesIO(data)))


def jsonl_stream(lines: Iterable[bytes]) -> RecordStream:
    """A JSON Lines file read a line at a time while it is imported (see RecordStream)."""
    return RecordStream(jsonl_items(lines))


def parse_json(data: bytes, *, today: date) -> ParsedListing:
    """Read a JSON array of papers; `today` is unused (records state dates)."""
    return listing_from(_array_papers(listing_text(data)))


def jsonl_items(lines: Iterable[bytes]) -> Iterator[Item]:
    """The papers and warnings of a JSON Lines file given as its lines of bytes.

    Each line is decoded on its own, so the file is never held whole; what
    `listing_text` rejects (a bad byte, a NUL, an empty file) is rejected
    here too, with the same line and byte.
    """
    number = offset = 0
    empty = True
    for raw in lines:
        for line, start in _line_texts(raw, offset):
            number += 1
            text = _line_text(line, number=number, offset=start)
            if not text.strip():
                continue
            empty = False
            yield from _jsonl_line(text, number)
        offset += len(raw)
    if empty:
        raise ListingError("the file is empty")


def _line_texts(raw: bytes, offset: int) -> Iterator[tuple[bytes, int]]:
    """The lines in one LF-ended line of bytes, with their offsets in the file.

    CR and CRLF end lines too, as `listing_text` counts them.
    """
    raw = raw.removesuffix(b"\n").removesuffix(b"\r")
    if b"\r" not in raw:
        yield raw, offset
        return
    for line in raw.split(b"\r"):
        yield line, offset
        offset += len(line) + 1


def _line_text(line: bytes, *, number: int, offset: int) -> str:
    """One line as text; a bad byte or a NUL is a ListingError naming its line and byte."""
    if number == 1 and line.startswith(codecs.BOM_UTF8):
        line, offset = line[len(codecs.BOM_UTF8) :], offset + len(codecs.BOM_UTF8)
    nul = line.find(b"\0")
    end = nul if nul != -1 else len(line)
    try:
        text = line[:end].decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text: invalid byte 0x{line[error.start]:02x}"
        raise ListingError(message, line=number, offset=offset + error.start) from None
    if nul != -1:
        message = "contains a NUL byte: this is not a text file"
        raise ListingError(message, line=number, offset=offset + nul)
    return text


def _jsonl_line(line: str, number: int) -> Iterator[Item]:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as error:
        yield ParseWarning(number, f"{_problem(error)}: not imported", dropped=True)
        return
    yield from _paper_from_object(value, line=number)


def _array_papers(text: str) -> Iterator[Item]:
    for line, value in _array_document(text):
        yield from _paper_from_object(value, line=line)


def _paper_from_object(value: object, *, line: int) -> Iterator[Item]:
    if not isinstance(value, dict):
        yield ParseWarning(line, "not a JSON object: not imported", dropped=True)
        return
    yield from paper_from_fields(value, line=line)


def array_values(text: str, start: int) -> Generator[tuple[int, object], None, int]:
    """Each value of the JSON array at `start`, with the line it starts on.

    Returns the position after the closing bracket. Decoding value by value,
    rather than the whole array at once, is what tells each value's line.
    """
    line = text.count("\n", 0, start) + 1
    counted = start
    position = _skip_space(text, start + 1)
    if text.startswith("]", position):
        return position + 1
    while True:
        line += text.count("\n", counted, position)
        counted = position
        value, end = _decode_value(text, position)
        yield line, value
        position = _skip_space(text, end)
        if text.startswith("]", position):
            return position + 1
        if not text.startswith(",", position):
            raise error_at(text, position, "not valid JSON: expected ',' or ']' after a value")
        position = _skip_space(text, position + 1)


def _object_members(text: str, start: int) -> Generator[tuple[str, int, object], None, int]:
    """Each member of the JSON object at `start`: its name, where its value starts, the value.

    Returns the position after the closing brace.
    """
    position = _skip_space(text, start + 1)
    if text.startswith("}", position):
        return position + 1
    while True:
        if not text.startswith('"', position):
            raise error_at(text, position, "not valid JSON: expected a name in double quotes")
        name, end = _decode_value(text, position)
        position = _skip_space(text, end)
        if not text.startswith(":", position):
            raise error_at(text, position, "not valid JSON: expected ':' after a name")
        value_at = _skip_space(text, position + 1)
        value, end = _decode_value(text, value_at)
        yield name, value_at, value
        position = _skip_space(text, end)
        if text.startswith("}", position):
            return position + 1
        if not text.startswith(",", position):
            raise error_at(text, position, "not valid JSON: expected ',' or '}' after a value")
        position = _skip_space(text, position + 1)


def _array_document(text: str) -> Iterator[tuple[int, object]]:
    """Each value of a document that is one JSON array, with the line it starts on."""
    start = _skip_space(text, 0)
    if not text.startswith("[", start):
        raise error_at(text, start, "not a JSON array: a JSON listing starts with '['")
    end = yield from array_values(text, start)
    _check_nothing_after(text, end, "']'")


def object_document(text: str) -> Iterator[tuple[str, int, object]]:
    """Each member of a document that is one JSON object: name, value position, value."""
    start = _skip_space(text, 0)
    if not text.startswith("{", start):
        raise error_at(text, start, "not a JSON object: the file must start with '{'")
    end = yield from _object_members(text, start)
    _check_nothing_after(text, end, "'}'")


def _skip_space(text: str, position: int) -> int:
    return _SPACE.match(text, position).end()


def _check_nothing_after(text: str, end: int, closing: str) -> None:
    rest = _skip_space(text, end)
    if rest != len(text):
        raise error_at(text, rest, f"not valid JSON: more text after the closing {closing}")


def _decode_value(text: str, position: int) -> tuple[object, int]:
    """The JSON value at `position` and where it ends; a syntax error is a ListingError."""
    try:
        return _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as error:
        raise ListingError(_problem(error), line=error.lineno) from None
    except (ValueError, RecursionError) as error:
        raise error_at(text, position, _problem(error)) from None


def error_at(text: str, position: int, message: str) -> ListingError:
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return ListingError(f"{message} at column {column}", line=line)


def _problem(error: ValueError | RecursionError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} at column {error.colno}"
    if isinstance(error, RecursionError):
        return "not valid JSON: nested too deeply"
    # Python refuses to read integers of more than 4300 digits.
    return f"not valid JSON: {error}"
