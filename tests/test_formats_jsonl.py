"""JSON Lines listings: arXiv metadata dumps and daily lists (pure Python, no Django)."""

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.json_listing import parse_jsonl
from papers.importing.records import ListingError, ParsedListing

FORMATS = Path(__file__).parent / "data" / "formats"
ARXIV_DAILY = FORMATS / "arxiv-cs-daily.head30.jsonl"
SAME_TITLE = FORMATS / "arxiv-cs-daily.same-title.jsonl"
KAGGLE = FORMATS / "arxiv-kaggle.head30.jsonl"
DAILY_PAPERS = FORMATS / "hf-daily-papers.two-days.jsonl"
TODAY = date(2026, 11, 28)


def parse(*objects: dict | str) -> ParsedListing:
    lines = [value if isinstance(value, str) else json.dumps(value) for value in objects]
    return parse_jsonl("\n".join(lines).encode(), today=TODAY)


def test_arxiv_daily_slice_gives_its_30_papers_with_ids_authors_and_dates():
    listing = parse_jsonl(ARXIV_DAILY.read_bytes(), today=TODAY)

    assert len(listing.records) == 30
    assert listing.warnings == []
    first = listing.records[0]
    assert first.line == 1
    assert first.arxiv_id == "2503.11731"
    assert first.title.startswith("Industrial-Grade Sensor Simulation via Gaussian Splatting")
    assert first.authors[:2] == ("Xianming Zeng", "Sicong Du")
    assert first.published == date(2025, 3, 18)
    assert first.listing_date is None
    assert [record.line for record in listing.records] == list(range(1, 31))


def test_hard_wrapped_abstract_is_unwrapped_and_its_paragraph_break_kept():
    listing = parse_jsonl(KAGGLE.read_bytes(), today=TODAY)

    abstract = next(r.abstract for r in listing.records if r.arxiv_id == "0704.0010")
    first, second = abstract.split("\n\n")
    assert first.startswith("Partial cubes are isometric subgraphs of hypercubes. Structures on")
    assert "\n" not in first and "  " not in first
    assert second.startswith("The operations of Cartesian product and pasting")


def test_title_hard_wrap_becomes_a_space():
    listing = parse_jsonl(KAGGLE.read_bytes(), today=TODAY)

    assert listing.records[0].title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )


def test_authors_parsed_gives_decoded_first_last_names():
    listing = parse_jsonl(KAGGLE.read_bytes(), today=TODAY)

    assert listing.records[0].authors == (
        "C. Balázs",
        "E. L. Berger",
        "P. M. Nadolsky",
        "C. -P. Yuan",
    )
    assert listing.records[0].published == date(2008, 11, 26)


def test_one_author_string_is_split_on_commas_and_and_with_tex_accents_decoded():
    listing = parse({"title": "T", "authors": "C. Bal\\'azs, J. M{\\\"u}ller and A. Smith"})

    assert listing.records[0].authors == ("C. Balázs", "J. Müller", "A. Smith")


def test_authors_as_a_list_are_kept_in_order():
    listing = parse({"title": "T", "authors": ["  Ada   Lovelace ", "", "Alan Turing"]})

    assert listing.records[0].authors == ("Ada Lovelace", "Alan Turing")


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("2401.01234", "2401.01234"),
        ("arXiv:2401.01234v3", "2401.01234"),
        ("  2401.01234v12 ", "2401.01234"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.AG/0101001", "math.AG/0101001"),
    ],
)
def test_arxiv_id_is_normalised(stated, expected):
    listing = parse({"id": stated, "title": "T"})

    assert listing.records[0].arxiv_id == expected
    assert listing.warnings == []


def test_arxiv_id_field_is_read_like_id():
    listing = parse({"arxiv_id": "arXiv:2512.02834v1", "title": "T"})

    assert listing.records[0].arxiv_id == "2512.02834"


def test_value_that_is_no_arxiv_id_is_ignored_with_a_warning():
    listing = parse({"id": "doi:10.1000/182", "title": "T"})

    assert listing.records[0].arxiv_id == ""
    assert listing.warnings[0].line == 1
    assert "is not an arXiv id" in listing.warnings[0].message
    assert not listing.warnings[0].dropped


def test_malformed_line_is_a_warning_naming_the_line_and_is_dropped():
    listing = parse({"title": "First"}, '{"title": "Broken",', {"title": "Third"})

    assert [record.title for record in listing.records] == ["First", "Third"]
    assert len(listing.warnings) == 1
    warning = listing.warnings[0]
    assert warning.line == 2
    assert warning.message.startswith("not valid JSON: ")
    assert warning.dropped


def test_line_that_is_not_an_object_is_dropped_with_a_warning():
    listing = parse({"title": "First"}, "[1, 2]")

    assert listing.warnings[0].line == 2
    assert "not a JSON object" in listing.warnings[0].message


def test_file_where_no_line_is_a_paper_is_rejected_naming_the_first_problem():
    with pytest.raises(ListingError, match="no papers found") as caught:
        parse("", "{broken", "{also broken")

    assert caught.value.line == 2


def test_empty_file_is_rejected():
    with pytest.raises(ListingError, match="empty"):
        parse_jsonl(b"\n \n", today=TODAY)


def test_record_without_title_is_dropped_with_a_warning():
    listing = parse({"id": "2401.00001", "title": "  "}, {"title": "Kept"})

    assert [record.title for record in listing.records] == ["Kept"]
    assert listing.warnings[0].line == 1
    assert listing.warnings[0].message == "no title: not imported"
    assert listing.warnings[0].dropped


def test_record_without_abstract_is_imported_with_an_empty_abstract():
    listing = parse({"title": "A daily-list paper"})

    assert listing.records[0].abstract == ""


def test_published_comes_from_published_then_first_listed_then_update_date():
    listing = parse(
        {"title": "A", "published": "2024-02-03", "first_listed": "2025-01-01"},
        {"title": "B", "first_listed": "2025-03-18", "update_date": "2008-11-26"},
        {"title": "C", "update_date": "2008-11-26T10:00:00Z"},
        {"title": "D", "published": "03/02/2024"},
    )

    assert [record.published for record in listing.records] == [
        date(2024, 2, 3),
        date(2025, 3, 18),
        date(2008, 11, 26),
        None,
    ]


def test_daily_list_fixture_gives_two_dates_ranked_as_the_file_ranks_them():
    listing = parse_jsonl(DAILY_PAPERS.read_bytes(), today=TODAY)

    assert len(listing.records) == 22
    assert [(line.line, line.date) for line in listing.date_lines] == [
        (1, date(2026, 4, 3)),
        (8, date(2026, 4, 4)),
    ]
    first_day = [r for r in listing.records if r.listing_date == date(2026, 4, 3)]
    assert [r.rank for r in first_day] == list(range(1, 8))
    assert first_day[0].arxiv_id == "2604.02268"
    assert first_day[0].url == "https://huggingface.co/papers/2604.02268"
    assert all(record.abstract == "" for record in listing.records)


def test_daily_list_records_are_put_in_rank_order_within_each_date_gaps_allowed():
    listing = parse(
        {"listing_date": "2026-04-04", "rank": 7, "title": "Day two, seventh"},
        {"listing_date": "2026-04-03", "rank": 3, "title": "Day one, third"},
        {"listing_date": "2026-04-04", "rank": 2, "title": "Day two, second"},
        {"listing_date": "2026-04-03", "rank": 1, "title": "Day one, first"},
    )

    assert [(r.listing_date.day, r.title) for r in listing.records] == [
        (4, "Day two, second"),
        (4, "Day two, seventh"),
        (3, "Day one, first"),
        (3, "Day one, third"),
    ]


def test_unreadable_rank_is_a_warning_and_the_paper_goes_after_the_ranked_ones():
    listing = parse(
        {"listing_date": "2026-04-03", "rank": "first", "title": "Unranked"},
        {"listing_date": "2026-04-03", "rank": "2", "title": "Second"},
    )

    assert [record.title for record in listing.records] == ["Second", "Unranked"]
    assert "rank 'first' is not a whole number" in listing.warnings[0].message


def test_unreadable_listing_date_drops_the_paper_with_a_warning():
    listing = parse(
        {"listing_date": "yesterday", "title": "Lost"}, {"listing_date": "2026-04-03", "title": "K"}
    )

    assert [record.title for record in listing.records] == ["K"]
    assert listing.warnings[0].line == 1
    assert listing.warnings[0].dropped


def test_same_id_twice_on_one_date_keeps_the_first_and_names_its_line():
    listing = parse(
        {"listing_date": "2026-04-03", "rank": 1, "arxiv_id": "2604.02268", "title": "SKILL0"},
        {"listing_date": "2026-04-03", "rank": 2, "arxiv_id": "2604.02268v2", "title": "Again"},
    )

    assert [record.title for record in listing.records] == ["SKILL0"]
    warning = listing.warnings[0]
    assert warning.line == 2
    assert warning.message == "same paper as line 1 on 2026-04-03: listed once"
    assert warning.dropped


def test_same_title_twice_without_ids_keeps_the_first():
    listing = parse({"title": "Attention Is All You Need"}, {"title": "attention is all you need."})

    assert len(listing.records) == 1
    assert listing.warnings[0].message == "same paper as line 1: listed once"


def test_record_with_an_id_matching_an_earlier_title_without_one_is_the_same_paper():
    listing = parse(
        {"title": "Attention Is All You Need"},
        {"id": "1706.03762", "title": "Attention is all you need"},
    )

    assert len(listing.records) == 1
    assert listing.warnings[0].line == 2


def test_same_paper_on_two_dates_is_listed_on_both():
    listing = parse_jsonl(DAILY_PAPERS.read_bytes(), today=TODAY)

    dates = {r.listing_date for r in listing.records if r.arxiv_id == "2604.02029"}
    assert dates == {date(2026, 4, 3), date(2026, 4, 4)}
    assert listing.warnings == []


def test_two_ids_with_the_same_title_stay_two_papers():
    listing = parse_jsonl(SAME_TITLE.read_bytes(), today=TODAY)

    assert [record.arxiv_id for record in listing.records] == ["2506.03197", "2510.15349"]
    assert listing.records[0].title == listing.records[1].title
    assert listing.warnings == []


def test_url_that_is_not_a_web_address_is_ignored_with_a_warning():
    listing = parse({"title": "T", "url": "javascript:alert(1)"})

    assert listing.records[0].url == ""
    assert "is not a web address" in listing.warnings[0].message


def test_crlf_lines_are_counted_like_lf():
    listing = parse_jsonl(b'{"title": "A"}\r\n\r\n{"title": "B"}\r\n', today=TODAY)

    assert [record.line for record in listing.records] == [1, 3]


def test_byte_order_mark_is_dropped():
    listing = parse_jsonl(b'\xef\xbb\xbf{"title": "A"}', today=TODAY)

    assert listing.records[0].title == "A"


def test_bytes_that_are_not_utf8_are_rejected_with_their_line():
    with pytest.raises(ListingError, match="not UTF-8") as caught:
        parse_jsonl(b'{"title": "A"}\n{"title": "\xff"}\n', today=TODAY)

    assert caught.value.line == 2


@given(st.one_of(st.binary(), st.text().map(str.encode)))
def test_arbitrary_bytes_give_a_listing_or_a_listing_error(data):
    try:
        listing = parse_jsonl(data, today=TODAY)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)
_fields = st.dictionaries(
    st.sampled_from(
        [
            "id",
            "arxiv_id",
            "title",
            "abstract",
            "authors",
            "authors_parsed",
            "url",
            "paper_url",
            "published",
            "first_listed",
            "update_date",
            "listing_date",
            "rank",
        ]
    ),
    _json_values,
)


@given(st.lists(_fields, min_size=1, max_size=5))
def test_any_json_objects_give_a_listing_or_a_listing_error(objects):
    try:
        listing = parse(*objects)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)
