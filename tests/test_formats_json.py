"""JSON array listings (pure Python, no Django)."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.json_listing import parse_json
from papers.importing.records import ListingError, ParsedListing

KAGGLE_ARRAY = Path(__file__).parent / "data" / "formats" / "arxiv-kaggle.head5.json"
TODAY = date(2026, 11, 28)


def parse(text: str) -> ParsedListing:
    return parse_json(text.encode(), today=TODAY)


def test_array_of_arxiv_records_gives_each_paper_at_the_line_its_object_starts():
    listing = parse_json(KAGGLE_ARRAY.read_bytes(), today=TODAY)

    assert [record.arxiv_id for record in listing.records] == [
        "0704.0001",
        "0704.0002",
        "0704.0003",
        "0704.0004",
        "0704.0005",
    ]
    lines = KAGGLE_ARRAY.read_text().splitlines()
    for record in listing.records:
        assert lines[record.line - 1].strip() == "{"
        assert f'"id": "{record.arxiv_id}"' in lines[record.line]
    assert listing.records[0].authors[0] == "C. Balázs"


def test_objects_sharing_a_line_share_its_number():
    listing = parse('[{"title": "A"}, {"title": "B"},\n {"title": "C"}]')

    assert [(record.line, record.title) for record in listing.records] == [
        (1, "A"),
        (1, "B"),
        (2, "C"),
    ]


def test_syntax_error_rejects_the_file_naming_line_and_column():
    with pytest.raises(ListingError) as caught:
        parse('[\n  {"title": "A"},\n  {"title" "B"}\n]')

    assert caught.value.line == 3
    assert "not valid JSON" in caught.value.message
    assert "column 12" in caught.value.message


def test_missing_comma_between_objects_names_its_line_and_column():
    with pytest.raises(ListingError, match="expected ',' or ']'") as caught:
        parse('[{"title": "A"}\n {"title": "B"}]')

    assert caught.value.line == 2
    assert "column 2" in caught.value.message


def test_text_after_the_array_rejects_the_file():
    with pytest.raises(ListingError, match="more text after") as caught:
        parse('[{"title": "A"}]\n\n[]')

    assert caught.value.line == 3


def test_file_that_is_not_an_array_is_rejected():
    with pytest.raises(ListingError, match="not a JSON array"):
        parse('{"title": "A"}')


def test_unclosed_array_is_rejected():
    with pytest.raises(ListingError, match="not valid JSON"):
        parse('[{"title": "A"},')


def test_value_that_is_not_an_object_is_dropped_with_a_warning():
    listing = parse('[\n"a string",\n{"title": "A"}\n]')

    assert [record.title for record in listing.records] == ["A"]
    assert listing.warnings[0].line == 2
    assert listing.warnings[0].dropped


def test_empty_array_has_no_papers():
    with pytest.raises(ListingError, match="no papers found"):
        parse("[ ]")


def test_deep_nesting_is_a_listing_error_not_a_crash():
    with pytest.raises(ListingError, match="not valid JSON"):
        parse("[" + "[" * 100_000 + "]" * 100_000 + "]")


@given(
    st.one_of(st.binary(), st.text().map(str.encode), st.text().map(lambda t: f"[{t}]".encode()))
)
def test_arbitrary_bytes_give_a_listing_or_a_listing_error(data):
    try:
        listing = parse_json(data, today=TODAY)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)
