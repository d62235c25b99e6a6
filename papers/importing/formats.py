"""Listing formats by name: each maps to a pure parser from bytes to records."""

from collections.abc import Callable
from datetime import date

from papers.importing.records import ParsedListing
from papers.importing.trending import parse_trending
from papers.models import Listing

Parser = Callable[..., ParsedListing]

PARSERS: dict[str, Parser] = {
    Listing.Format.TRENDING: parse_trending,
}

DEFAULT_NAMES: dict[str, str] = {
    Listing.Format.TRENDING: "Trending papers",
}


def parse_listing(data: bytes, *, source_format: str, today: date) -> ParsedListing:
    return PARSERS[source_format](data, today=today)
