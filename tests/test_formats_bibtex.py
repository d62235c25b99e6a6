"""BibTeX listings (pure Python, no Django)."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.bibtex import parse_bibtex
from papers.importing.records import ListingError, ParsedListing

READING_GROUP = Path(__file__).parent / "data" / "formats" / "reading-group.bib"
TODAY = date(2026, 11, 28)


def parse(text: str) -> ParsedListing:
    return parse_bibtex(text.encode(), today=TODAY)


@pytest.fixture(scope="module")
def reading_group() -> ParsedListing:
    return parse_bibtex(READING_GROUP.read_bytes(), today=TODAY)


def test_fixture_gives_the_four_entries_with_titles_in_file_order(reading_group):
    assert [(record.line, record.title) for record in reading_group.records] == [
        (
            5,
            "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
        ),
        (20, "Étude of $\\alpha$-Stable Diffusion"),
        (28, "Attention Is All You Need"),
        (44, "The TeXbook"),
    ]


def test_tex_accents_are_decoded_and_last_first_names_turned_round(reading_group):
    assert reading_group.records[0].authors == (
        "C. Balázs",
        "E. L. Berger",
        "P. M. Nadolsky",
        "C.-P. Yuan",
    )
    # "and others" is BibTeX for et al.
    assert reading_group.records[1].authors == ("Jörg Müller", "Émilie Dupont")
    assert reading_group.records[2].authors == ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar")
    assert reading_group.records[3].authors == ("Donald E. Knuth",)


def test_arxiv_id_comes_from_eprint_url_or_doi(reading_group):
    assert [record.arxiv_id for record in reading_group.records] == [
        "0704.0001",
        "2401.01234",
        "1706.03762",
        "",
    ]


def test_url_is_kept_when_it_is_a_web_address(reading_group):
    assert reading_group.records[1].url == "https://arxiv.org/abs/2401.01234v3"
    assert reading_group.records[3].url.startswith("https://www-cs-faculty.stanford.edu/")


def test_published_from_year_and_month_date_or_year_alone(reading_group):
    assert [record.published for record in reading_group.records] == [
        date(2007, 4, 1),
        date(2024, 1, 5),
        date(2017, 1, 1),
        date(1984, 1, 1),
    ]


def test_abstract_keeps_blank_line_paragraphs_but_not_indented_continuations(reading_group):
    assert reading_group.records[0].abstract == (
        "A fully differential calculation in perturbative quantum chromodynamics is presented."
        "\n\nPredictions are shown for distributions of diphoton pairs."
    )


def test_broken_entry_and_entry_without_title_are_warnings_at_their_at_line(reading_group):
    assert [(w.line, w.dropped) for w in reading_group.warnings] == [(35, True), (39, True)]
    assert reading_group.warnings[0].message.startswith("not a readable BibTeX entry")
    assert reading_group.warnings[1].message == "this entry has no title: not imported"


def test_eprint_of_another_archive_is_not_an_arxiv_id():
    listing = parse("@misc{a, title={T}, eprint={hal-01234567}, archivePrefix={HAL}}")

    assert listing.records[0].arxiv_id == ""


def test_biblatex_eprinttype_arxiv_is_read():
    listing = parse("@online{a, title={T}, eprint={2401.01234}, eprinttype={arxiv}}")

    assert listing.records[0].arxiv_id == "2401.01234"


def test_field_names_ignore_case():
    listing = parse("@ARTICLE{a, TITLE={T}, Author={Doe, Jane}, YEAR={2020}, Month={March}}")

    record = listing.records[0]
    assert (record.title, record.authors, record.published) == (
        "T",
        ("Jane Doe",),
        date(2020, 3, 1),
    )


def test_braced_and_in_an_author_is_part_of_the_name():
    listing = parse("@misc{a, title={T}, author={{Simon and Schuster} and Doe, J.}}")

    assert listing.records[0].authors == ("Simon and Schuster", "J. Doe")


def test_string_abbreviations_are_resolved_in_titles():
    listing = parse('@string{x = "Deep Learning"}\n@misc{a, title = x}')

    assert listing.records[0].title == "Deep Learning"


def test_same_key_twice_is_two_papers_when_the_titles_differ():
    listing = parse("@misc{a, title={One}}\n@misc{a, title={Two}, eprint={2401.00001}, year=2020}")

    assert [record.title for record in listing.records] == ["One", "Two"]
    assert (listing.records[1].arxiv_id, listing.records[1].published) == (
        "2401.00001",
        date(2020, 1, 1),
    )


def test_same_paper_twice_is_listed_once():
    listing = parse(
        "@misc{a, title={One}, eprint={2401.00001}}\n@misc{b, title={1}, eprint={2401.00001v2}}"
    )

    assert len(listing.records) == 1
    assert listing.warnings[0].message == "same paper as line 1: listed once"


def test_file_without_entries_is_rejected():
    with pytest.raises(ListingError, match="no papers found"):
        parse("% only a comment\n@comment{nothing here}\n")


@given(
    st.one_of(
        st.binary(),
        st.text().map(str.encode),
        st.text(alphabet="@{}=,\"#%\\' \naebtilmsc").map(lambda t: f"@misc{{{t}".encode()),
    )
)
def test_arbitrary_bytes_give_a_listing_or_a_listing_error(data):
    try:
        listing = parse_bibtex(data, today=TODAY)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)
