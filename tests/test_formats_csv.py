"""CSV listings with a header line (pure Python, no Django)."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.csv_listing import parse_csv
from papers.importing.fields import arxiv_id
from papers.importing.records import ListingError, ParsedListing

KAGGLE_CSV = Path(__file__).parent / "data" / "formats" / "arxiv-kaggle.head20.csv"
TODAY = date(2026, 11, 28)


def parse(text: str) -> ParsedListing:
    return parse_csv(text.encode(), today=TODAY)


def test_kaggle_slice_gives_its_20_papers_at_the_lines_their_rows_start():
    listing = parse_csv(KAGGLE_CSV.read_bytes(), today=TODAY)

    assert len(listing.records) == 20
    assert listing.warnings == []
    assert [record.line for record in listing.records[:4]] == [2, 18, 30, 44]
    lines = KAGGLE_CSV.read_text().splitlines()
    for record in listing.records:
        assert lines[record.line - 1].startswith("704.")


def test_ids_a_spreadsheet_turned_into_numbers_are_recovered():
    listing = parse_csv(KAGGLE_CSV.read_bytes(), today=TODAY)

    ids = [record.arxiv_id for record in listing.records]
    assert ids == [f"0704.{number:04d}" for number in range(1, 21)]


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("704.0001", "0704.0001"),
        ("704.001", "0704.0010"),
        ("704.2", "0704.2000"),
        ("912.5", "0912.5000"),
        # From January 2015 arXiv numbers have five digits.
        ("1501.0001", "1501.00010"),
        ("2401.12345", "2401.12345"),
    ],
)
def test_mangled_id_is_padded_back(stated, expected):
    assert arxiv_id(stated) == expected


def test_quoted_title_over_two_lines_is_one_line_of_title():
    listing = parse_csv(KAGGLE_CSV.read_bytes(), today=TODAY)

    assert listing.records[0].title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert listing.records[0].authors == (
        "C. Balázs",
        "E. L. Berger",
        "P. M. Nadolsky",
        "C.-P. Yuan",
    )


def test_abstract_paragraphs_survive_in_a_quoted_field():
    listing = parse_csv(KAGGLE_CSV.read_bytes(), today=TODAY)

    abstract = listing.records[9].abstract
    assert abstract.count("\n\n") == 1
    assert abstract.startswith("Partial cubes are isometric subgraphs of hypercubes.")


def test_columns_in_any_order_with_any_case_and_an_id_column():
    listing = parse(
        " Abstract ,URL,TITLE,Published,ID,Authors\n"
        "An abstract.,https://example.org/p,A title,2024-01-05,arXiv:2401.01234v2,A. B and C. D\n"
    )

    record = listing.records[0]
    assert (record.title, record.abstract, record.arxiv_id) == (
        "A title",
        "An abstract.",
        "2401.01234",
    )
    assert record.url == "https://example.org/p"
    assert record.published == date(2024, 1, 5)
    assert record.authors == ("A. B", "C. D")


def test_only_a_title_column_is_required():
    listing = parse("title\nA paper\n")

    assert listing.records[0].title == "A paper"
    assert listing.records[0].abstract == ""


def test_missing_title_column_is_rejected_naming_line_1():
    with pytest.raises(ListingError, match="no title column") as caught:
        parse("name,abstract\nA paper,An abstract.\n")

    assert caught.value.line == 1


def test_row_after_a_quoted_multiline_field_gets_its_physical_line():
    listing = parse('title,abstract\nFirst,"line one\nline two\n\nline four"\nSecond,x\n')

    assert [(record.line, record.title) for record in listing.records] == [
        (2, "First"),
        (6, "Second"),
    ]
    assert listing.records[0].abstract == "line one line two\n\nline four"


def test_row_with_the_wrong_number_of_fields_is_dropped_with_a_warning():
    listing = parse("title,abstract\nA, with a comma,abstract\nB,fine\n")

    assert [record.title for record in listing.records] == ["B"]
    assert listing.warnings[0].line == 2
    assert "3 fields but the header names 2" in listing.warnings[0].message
    assert listing.warnings[0].dropped


def test_blank_rows_are_skipped_silently():
    listing = parse("title,abstract\n\n,\nA,b\n")

    assert [record.line for record in listing.records] == [4]
    assert listing.warnings == []


def test_row_without_a_title_is_dropped_with_a_warning():
    listing = parse("title,abstract\n,orphan abstract\nA,b\n")

    assert listing.warnings[0].line == 2
    assert listing.warnings[0].message == "no title: not imported"


def test_crlf_file_counts_lines_like_lf():
    listing = parse_csv(b'title,abstract\r\nA,"x\r\ny"\r\nB,z\r\n', today=TODAY)

    assert [record.line for record in listing.records] == [2, 4]


@given(
    st.one_of(
        st.binary(),
        st.text().map(str.encode),
        st.text().map(lambda t: f"title,abstract\n{t}".encode()),
    )
)
def test_arbitrary_bytes_give_a_listing_or_a_listing_error(data):
    try:
        listing = parse_csv(data, today=TODAY)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)
