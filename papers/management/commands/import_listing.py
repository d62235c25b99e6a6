"""Import a listing file (or standard input) into Papershelf.

    manage.py import_listing data/hf-trending-mar-14.txt
    curl ... | manage.py import_listing - --date 2026-03-14

The format is told from the content unless --format names it; a gzipped
file is decompressed as it is read. A JSON Lines file (an arXiv dump of any
size) is read a line at a time while it is imported; other formats are parsed
in full first. A file that cannot be read as a listing is rejected with the
line and the reason, and nothing is written: the import runs in one
transaction. The last line of standard output is the summary.
"""

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from papers.importing.files import MAX_DECOMPRESSED_BYTES, ListingFileRejected, listing_file_read
from papers.importing.formats import PARSERS
from papers.importing.records import ListingError, ParsedListing, RecordStream
from papers.importing.service import listing_import, papers_table_reclaim

PROGRESS_WIDTH = 30
AUTO = "auto"
CHUNK_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import a listing of papers from a file, or from standard input with '-'. "
        "A gzipped file (.gz) is decompressed first, up to "
        f"{MAX_DECOMPRESSED_BYTES // 1024 // 1024} MiB of content."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the listing file, or - for standard input")
        parser.add_argument(
            "--format",
            choices=[AUTO, *sorted(PARSERS)],
            default=AUTO,
            help="the file's format (default: %(default)s, told from the content)",
        )
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="the listing's date as YYYY-MM-DD, overriding any date in the file",
        )
        parser.add_argument(
            "--name", help="the listing's name (default: the file's own, else by format)"
        )
        parser.add_argument(
            "--reread",
            action="store_true",
            help="read the file even when it was imported before and nothing has changed since",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="parse and match everything, report what would change, write nothing",
        )

    def handle(self, *args, path: str, **options) -> None:
        chosen = None if options["format"] == AUTO else options["format"]
        with _opened(path) as (file_name, file):
            sha256 = _sha256(file)
            try:
                opened = listing_file_read(
                    file, name=file_name, source_format=chosen, today=timezone.localdate()
                )
            except ListingFileRejected as error:
                raise CommandError(str(error)) from error
            listing, source_format = opened.listing, opened.source_format
            if opened.detected and options["verbosity"] >= 1:
                self.stdout.write(f"Format: {source_format} (told from the content)")
            try:
                result = listing_import(
                    listing=listing,
                    name=options["name"],
                    source_format=source_format,
                    file_name=Path(file_name).name,
                    sha256=sha256,
                    default_date=timezone.localdate(),
                    listing_date=options["date"],
                    dry_run=options["dry_run"],
                    reread=options["reread"],
                    progress=self._progress(file) if self.stderr.isatty() else None,
                )
            except ListingError as error:
                rejected = ListingFileRejected(file_name, error, source_format, opened.detected)
                raise CommandError(str(rejected)) from error
            finally:
                if self.stderr.isatty():
                    self.stderr.write("")
        if options["dry_run"]:
            papers_table_reclaim([result])
        if options["verbosity"] >= 1:
            self._say_dates(listing, options["date"])
        # The import service adds warnings of its own (a paper met twice on
        # one listing), so the warnings are the result's, not the parser's.
        for warning in result.warnings:
            self.stderr.write(f"{file_name}:{warning.line}: {warning.message}")
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _say_dates(self, listing: ParsedListing | RecordStream, chosen: date | None) -> None:
        if chosen:
            self.stdout.write(f"Listing date: {chosen:%Y-%m-%d} (from --date)")
            return
        for date_line in listing.date_lines:
            self.stdout.write(
                f"Listing date: {date_line.date:%Y-%m-%d} "
                f"(line {date_line.line} says '{date_line.text}')"
            )
        if listing.undated:
            today = timezone.localdate()
            self.stdout.write(f"Listing date: {today:%Y-%m-%d} (today: the file states no date)")

    def _progress(self, file: BinaryIO):
        """A progress bar: through the papers when their number is known, else the file."""
        size = os.fstat(file.fileno()).st_size or 1

        def show(done: int, total: int | None) -> None:
            fraction = done / total if total else file.tell() / size
            filled = min(PROGRESS_WIDTH, int(PROGRESS_WIDTH * fraction))
            bar = "#" * filled + "-" * (PROGRESS_WIDTH - filled)
            self.stderr.write(f"\r[{bar}] {done:,} papers", ending="")

        return show


@contextmanager
def _opened(path: str) -> Iterator[tuple[str, BinaryIO]]:
    """The file to import, opened; standard input is copied to a temporary file first.

    The file is read twice (its checksum, then its content), which a pipe
    cannot be.
    """
    if path == "-":
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool, CHUNK_BYTES)
            spool.seek(0)
            yield "<stdin>", spool
        return
    try:
        file = Path(path).open("rb")  # noqa: SIM115 (closed below, after the import)
    except OSError as error:
        raise CommandError(f"{path}: cannot read: {error.strerror}") from error
    with file:
        yield path, file


def _sha256(file: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(partial(file.read, CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()
