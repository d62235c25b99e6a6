"""Import a listing file (or standard input) into Papershelf.

    manage.py import_listing data/hf-trending-mar-14.txt
    curl ... | manage.py import_listing - --date 2026-03-14

The file is parsed in full first; a file that cannot be read as a listing is
rejected with the line and the reason, and nothing is written. Otherwise the
import runs in one transaction and the last line of standard output is the
summary.
"""

import hashlib
import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from papers.importing.formats import DEFAULT_NAMES, PARSERS, parse_listing
from papers.importing.records import ListingError, ParsedListing
from papers.importing.service import listing_import
from papers.models import Listing

PROGRESS_WIDTH = 30


class Command(BaseCommand):
    help = "Import a listing of papers from a file, or from standard input with '-'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the listing file, or - for standard input")
        parser.add_argument(
            "--format",
            choices=sorted(PARSERS),
            default=Listing.Format.TRENDING,
            help="the file's format (default: %(default)s)",
        )
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="the listing's date as YYYY-MM-DD, overriding any date in the file",
        )
        parser.add_argument("--name", help="the listing's name (default: by format)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="parse and match everything, report what would change, write nothing",
        )

    def handle(self, *args, path: str, **options) -> None:
        source_format = options["format"]
        file_name, data = self._read(path)
        today = timezone.localdate()
        try:
            parsed = parse_listing(data, source_format=source_format, today=today)
        except ListingError as error:
            raise CommandError(f"{file_name}: rejected: {error}") from error

        for warning in parsed.warnings:
            self.stderr.write(f"{file_name}:{warning.line}: {warning.message}")
        if options["verbosity"] >= 1:
            self._say_dates(parsed, options["date"], today)

        result = listing_import(
            records=parsed.records,
            warnings=parsed.warnings,
            rejected=sum(warning.dropped for warning in parsed.warnings),
            name=options["name"] or DEFAULT_NAMES[source_format],
            source_format=source_format,
            file_name=Path(file_name).name,
            sha256=hashlib.sha256(data).hexdigest(),
            default_date=today,
            listing_date=options["date"],
            dry_run=options["dry_run"],
            progress=self._progress if self.stderr.isatty() else None,
        )
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _read(self, path: str) -> tuple[str, bytes]:
        if path == "-":
            return "<stdin>", sys.stdin.buffer.read()
        try:
            return path, Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot read: {error.strerror}") from error

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
