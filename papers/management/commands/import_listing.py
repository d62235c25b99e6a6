"""Import a listing file (or standard input) into Papershelf.

    manage.py import_listing data/hf-trending-mar-14.txt
    curl ... | manage.py import_listing - --date 2026-03-14

The format is told from the content unless --format names it; a gzipped
file is decompressed first. The file is parsed in full first; a file that
cannot be read as a listing is rejected with the line and the reason, and
nothing is written. Otherwise the import runs in one transaction and the last
line of standard output is the summary.
"""

import gzip
import hashlib
import io
import sys
import zlib
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from papers.importing.formats import PARSERS, detect_format, listing_name, parse_listing
from papers.importing.records import ListingError, ParsedListing
from papers.importing.service import listing_import

PROGRESS_WIDTH = 30
AUTO = "auto"
GZIP_MAGIC = b"\x1f\x8b"
# A cap on what a gzipped file may expand to, so a small hostile file cannot
# fill the memory: four times the largest arXiv dump imported so far (123 MiB).
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024


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
            "--dry-run",
            action="store_true",
            help="parse and match everything, report what would change, write nothing",
        )

    def handle(self, *args, path: str, **options) -> None:
        file_name, raw = self._read(path)
        data = self._decompressed(file_name, raw)
        detected = options["format"] == AUTO
        source_format = (
            detect_format(data, file_name.removesuffix(".gz")) if detected else options["format"]
        )
        today = timezone.localdate()
        try:
            parsed = parse_listing(data, source_format=source_format, today=today)
        except ListingError as error:
            # A file rejected for a format it was not meant to be in should say so.
            read_as = f" read as {source_format} (told from the content)," if detected else ""
            raise CommandError(f"{file_name}:{read_as} rejected: {error}") from error

        if options["verbosity"] >= 1:
            if detected:
                self.stdout.write(f"Format: {source_format} (told from the content)")
            self._say_dates(parsed, options["date"], today)

        result = listing_import(
            records=parsed.records,
            warnings=parsed.warnings,
            rejected=sum(warning.dropped for warning in parsed.warnings),
            name=options["name"] or listing_name(parsed, source_format),
            source_format=source_format,
            file_name=Path(file_name).name,
            sha256=hashlib.sha256(raw).hexdigest(),
            default_date=today,
            listing_date=options["date"],
            dry_run=options["dry_run"],
            progress=self._progress if self.stderr.isatty() else None,
        )
        # The import service adds warnings of its own (a paper met twice on
        # one listing), so the warnings are the result's, not the parser's.
        for warning in result.warnings:
            self.stderr.write(f"{file_name}:{warning.line}: {warning.message}")
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _read(self, path: str) -> tuple[str, bytes]:
        if path == "-":
            return "<stdin>", sys.stdin.buffer.read()
        try:
            return path, Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot read: {error.strerror}") from error

    def _decompressed(self, file_name: str, data: bytes) -> bytes:
        if not data.startswith(GZIP_MAGIC):
            return data
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as archive:
                content = archive.read(MAX_DECOMPRESSED_BYTES + 1)
        except (OSError, EOFError, zlib.error) as error:
            message = f"{file_name}: rejected: not a readable gzip file ({error})"
            raise CommandError(message) from error
        if len(content) > MAX_DECOMPRESSED_BYTES:
            raise CommandError(
                f"{file_name}: rejected: more than {MAX_DECOMPRESSED_BYTES // 1024 // 1024} MiB "
                "once decompressed"
            )
        return content

    def _say_dates(self, parsed: ParsedListing, chosen: date | None, today: date) -> None:
        if chosen:
            self.stdout.write(f"Listing date: {chosen:%Y-%m-%d} (from --date)")
        elif parsed.date_lines:
            for date_line in parsed.date_lines:
                self.stdout.write(
                    f"Listing date: {date_line.date:%Y-%m-%d} "
                    f"(line {date_line.line} says '{date_line.text}')"
                )
        if not chosen and any(record.listing_date is None for record in parsed.records):
            self.stdout.write(f"Listing date: {today:%Y-%m-%d} (today: the file states no date)")

    def _progress(self, done: int, total: int) -> None:
        filled = PROGRESS_WIDTH * done // total
        bar = "#" * filled + "-" * (PROGRESS_WIDTH - filled)
        self.stderr.write(f"\r[{bar}] {done:,}/{total:,} papers", ending="")
        if done == total:
            self.stderr.write("")
