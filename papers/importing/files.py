"""A listing file opened for import, the same way by the command and the admin's job.

A gzipped file is decompressed as it is read. A JSON Lines file (an arXiv
dump of any size) is read a line at a time while it is imported, so its
size costs no memory; a file in another format is parsed whole first, from
at most MAX_DECOMPRESSED_BYTES of content, so a small hostile gzip file
cannot fill the memory.
"""

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import BinaryIO

from papers.importing.formats import detect_format, is_jsonl, parse_listing
from papers.importing.json_listing import jsonl_stream
from papers.importing.records import ListingError, ParsedListing, RecordStream
from papers.models import Listing

GZIP_MAGIC = b"\x1f\x8b"
# Four times the largest arXiv dump imported so far (123 MiB).
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
# A line of JSON Lines longer than this is no paper, and is not read whole.
MAX_LINE_BYTES = 16 * 1024 * 1024
HEAD_BYTES = 64 * 1024
# What reading a damaged gzip file raises, wherever the damage is.
GZIP_ERRORS = (OSError, EOFError, zlib.error)


@dataclass(frozen=True)
class ListingFile:
    """A file's listing, parsed or to be streamed, and how its format was chosen."""

    listing: ParsedListing | RecordStream
    source_format: str
    detected: bool

    @property
    def streamed(self) -> bool:
        return isinstance(self.listing, RecordStream)


class ListingFileRejected(ListingError):
    """A file that cannot be imported, its name and the format it was read as in the message.

    A file rejected in a format it was not meant to be in should say so.
    """

    def __init__(
        self, name: str, error: ListingError, source_format: str = "", detected: bool = False
    ) -> None:
        how = "told from the content" if detected else "as asked"
        read_as = f"read as {source_format} ({how}), " if source_format else ""
        super().__init__(f"{name}: {read_as}rejected: {error}")


def listing_file_read(
    file: BinaryIO, *, name: str, source_format: str | None, today: date
) -> ListingFile:
    """The listing in `file` (seekable, at any position), in `source_format` or the one detected.

    A streamed listing reads `file` as its records are iterated, so the file
    must stay open until the import is done. Raises ListingFileRejected.
    """
    gzipped = _head(file, len(GZIP_MAGIC)) == GZIP_MAGIC
    try:
        head = _content(file, gzipped, limit=HEAD_BYTES, cut=True)
    except ListingError as error:
        raise ListingFileRejected(name, error) from error
    if source_format == Listing.Format.JSONL or (source_format is None and is_jsonl(head)):
        file.seek(0)
        content = gzip.GzipFile(fileobj=file) if gzipped else file
        listing = jsonl_stream(_lines(content))
        return ListingFile(listing, Listing.Format.JSONL, detected=source_format is None)
    try:
        data = _content(file, gzipped, limit=MAX_DECOMPRESSED_BYTES)
    except ListingError as error:
        raise ListingFileRejected(name, error) from error
    detected = source_format is None
    if detected:
        source_format = detect_format(data, name.removesuffix(".gz"))
    try:
        listing = parse_listing(data, source_format=source_format, today=today)
    except ListingError as error:
        raise ListingFileRejected(name, error, source_format, detected) from error
    return ListingFile(listing, source_format, detected)


def listing_file_lines(file: BinaryIO) -> int:
    """How many lines the file's content has: as many records as a JSON Lines file can hold.

    A count of the papers to come before they are read, for progress; it
    reads the whole file, decompressing it if need be, and leaves it at
    its start.
    """
    gzipped = _head(file, len(GZIP_MAGIC)) == GZIP_MAGIC
    content = gzip.GzipFile(fileobj=file) if gzipped else file
    lines = 0
    last = b"\n"
    try:
        for chunk in iter(partial(content.read, HEAD_BYTES * 16), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    except GZIP_ERRORS:
        pass  # the import finds the damage, and says where it is
    file.seek(0)
    return lines + (last != b"\n")


def _head(file: BinaryIO, size: int) -> bytes:
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head


def _content(file: BinaryIO, gzipped: bool, *, limit: int, cut: bool = False) -> bytes:
    """Up to `limit` bytes of the file's content (decompressed).

    More is an error, unless `cut` asks for the first `limit` bytes only.
    """
    file.seek(0)
    try:
        if gzipped:
            with gzip.GzipFile(fileobj=file) as archive:
                content = archive.read(limit + 1)
        else:
            content = file.read(limit + 1)
    except GZIP_ERRORS as error:
        raise ListingError(f"not a readable gzip file ({error})") from error
    if cut:
        return content[:limit]
    if len(content) > limit:
        raise ListingError(f"more than {limit // 1024 // 1024} MiB once decompressed")
    return content


def _lines(content: BinaryIO) -> Iterator[bytes]:
    """The content's lines; an overlong line or a damaged gzip file is a ListingError."""
    number = 0
    try:
        for line in iter(partial(content.readline, MAX_LINE_BYTES + 1), b""):
            number += 1
            if len(line) > MAX_LINE_BYTES:
                message = f"a line longer than {MAX_LINE_BYTES // 1024 // 1024} MiB"
                raise ListingError(message, line=number)
            yield line
    except GZIP_ERRORS as error:
        raise ListingError(f"not a readable gzip file ({error})", line=number + 1) from error
