"""Listing files uploaded in the admin: limited, sniffed, stored in chunks, read back.

An upload is stored in the database (`ImportFile`, `ImportFileChunk`) so that
the worker that imports it needs nothing but the database: the web and the
worker may be different containers or machines. It is written and read a
chunk at a time, so storing a large file never holds it in memory. The
worker copies it to a temporary file and reads that as the command reads
a file (see papers.importing.files): a JSON Lines file a line at a time,
others whole, within the upload limit (`PAPERSHELF_MAX_UPLOAD_MB`) and the
gzip cap.
"""

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import connection, transaction
from django.http import HttpRequest

from papers.importing.decode import decode_text
from papers.importing.files import GZIP_MAGIC
from papers.importing.records import ListingError
from papers.models import ImportFile, ImportFileChunk, ImportJob

CHUNK_SIZE = 1024 * 1024
# Chunks fetched at a time when a file is read back.
SPOOLED_CHUNKS = 4
# Enough to tell a text file from an image or an archive at upload time.
SNIFF_SIZE = 64 * 1024
# The longest UTF-8 sequence less its first byte: how much of a character the
# end of a sniffed head may cut off.
_UTF8_TAIL = 3


def upload_limit_bytes() -> int:
    return settings.PAPERSHELF_MAX_UPLOAD_MB * 1024 * 1024


class UploadLimitHandler(FileUploadHandler):
    """Stops keeping the files of a request once together they pass the upload limit.

    What follows is read and dropped rather than the connection cut, so the
    form's other fields (its CSRF token among them) still arrive and the page
    can say what happened: `upload_limit_exceeded` tells it.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > upload_limit_bytes():
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_limit_exceeded(request: HttpRequest) -> bool:
    return any(
        isinstance(handler, UploadLimitHandler) and handler.exceeded
        for handler in request.upload_handlers
    )


def upload_problem(head: bytes, *, whole: bool) -> str | None:
    """Why a file starting with `head` cannot be a listing, or None if it may be one.

    Run on the first bytes of each upload, so that an image or an archive
    named .csv is turned away at once, with the reason, before anything is
    stored; the check that follows reads every line. `whole` says `head` is
    the whole file, so a character cut at its end is a fault.
    """
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16).decompress(head, SNIFF_SIZE)
        except zlib.error as error:
            return f"not a readable gzip file ({error})"
        whole = False
    if not head.strip():
        return "the file is empty"
    try:
        decode_text(head)
    except ListingError as error:
        cut_character = not whole and (error.offset or 0) >= len(head) - _UTF8_TAIL
        if not cut_character:
            return str(error)
    return None


def import_file_store(
    *, job: ImportJob, position: int, name: str, chunks: Iterable[bytes]
) -> ImportFile:
    """Store one file of an import a chunk at a time, hashing it on the way."""
    stored = ImportFile.objects.create(job=job, position=position, name=name, sha256="", size=0)
    digest = hashlib.sha256()
    size = 0
    for index, data in enumerate(_rechunked(chunks)):
        ImportFileChunk.objects.create(file=stored, index=index, data=data)
        digest.update(data)
        size += len(data)
    stored.sha256 = digest.hexdigest()
    stored.size = size
    stored.save(update_fields=["sha256", "size"])
    return stored


def _rechunked(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The same bytes in pieces of CHUNK_SIZE (the last one shorter)."""
    pending = bytearray()
    for data in chunks:
        pending += data
        while len(pending) >= CHUNK_SIZE:
            yield bytes(pending[:CHUNK_SIZE])
            del pending[:CHUNK_SIZE]
    if pending:
        yield bytes(pending)


def import_file_spool(stored: ImportFile, into: BinaryIO) -> None:
    """Write the file's bytes, as uploaded, into `into`, a few chunks at a time.

    The chunks come in PostgreSQL's binary format, as stored: as text, each
    would come hex-encoded, twice its size, to be decoded (a 620 MiB upload
    took 2.9-5.9 s so, and 0.6-0.9 s as bytes).
    """
    connection.ensure_connection()
    with (
        transaction.atomic(),  # a server-side cursor lives in a transaction
        connection.connection.cursor(name=f"import_file_{stored.pk}", binary=True) as cursor,
    ):
        cursor.itersize = SPOOLED_CHUNKS
        cursor.execute(
            f"SELECT data FROM {ImportFileChunk._meta.db_table} WHERE file_id = %s ORDER BY index",
            [stored.pk],
        )
        for (data,) in cursor:
            into.write(data)
    into.seek(0)
