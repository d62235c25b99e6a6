"""Tests for the trending-papers page parser (pure Python, no Django)."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.records import DateLine, ListingError, ParsedListing, ParseWarning
from papers.importing.text import title_key
from papers.importing.trending import parse_trending

SAMPLE = Path(__file__).parent / "data" / "hf-trending-mar-14.txt"
TODAY = date(2026, 11, 28)
ABSTRACT = "We study a problem. Our method works well."
LONG_PROSE = "More results follow in the appendix. " * 10


def parse(text: str | bytes, *, today: date = TODAY) -> ParsedListing:
    data = text.encode() if isinstance(text, str) else text
    return parse_trending(data, today=today)


def titles(listing: ParsedListing) -> list[str]:
    return [record.title for record in listing.records]


def test_real_sample_gives_51_records_dated_mar_14_without_warnings():
    listing = parse(SAMPLE.read_bytes())

    assert len(listing.records) == 51
    assert listing.records[0].title == (
        "EMR-MSF: Self-Supervised Recurrent Monocular Scene Flow Exploiting Ego-Motion Rigidity"
    )
    assert listing.records[-1].title == (
        "Mask-Enhanced Autoregressive Prediction: Pay Less Attention to Learn More"
    )
    assert {record.listing_date for record in listing.records} == {date(2026, 3, 14)}
    assert all(record.abstract for record in listing.records)
    assert listing.warnings == []
    assert listing.date_lines == [DateLine(9, "Mar 14", date(2026, 3, 14))]


def test_record_line_is_the_title_paragraphs_first_line():
    listing = parse("\n\nFirst title\n\nFirst abstract.\n\nSecond\ntitle\n\nAbstract two.")

    assert [record.line for record in listing.records] == [3, 7]


def test_leading_byte_order_mark_is_dropped():
    listing = parse(b"\xef\xbb\xbfA title\n\nAn abstract.")

    assert titles(listing) == ["A title"]
    assert listing.records[0].line == 1


def test_crlf_and_lone_cr_are_line_breaks():
    listing = parse(b"Title one\r\n\r\nAbstract one.\r\rTitle two\n\nAbstract two.")

    assert titles(listing) == ["Title one", "Title two"]
    assert [record.abstract for record in listing.records] == ["Abstract one.", "Abstract two."]
    assert [record.line for record in listing.records] == [1, 5]


def test_whitespace_only_lines_are_blank():
    listing = parse("Title one\n   \t\nAbstract one.\n \u00a0 \nTitle two\n\t\nAbstract two.")

    assert titles(listing) == ["Title one", "Title two"]
    assert listing.records[1].line == 5


def test_hard_wrapped_title_and_abstract_are_joined_with_single_spaces():
    listing = parse(
        "A title wrapped\n  over two lines\n\nAn abstract   that\nwraps\t\nthree times."
    )

    assert titles(listing) == ["A title wrapped over two lines"]
    assert listing.records[0].abstract == "An abstract that wraps three times."


def test_chrome_lines_are_dropped_wherever_they_stand():
    text = (
        "new\nSubscribe\nTitle one\n\nAbstract one.\n\nSign up\n\nTitle two\n"
        "Get trending papers in your email inbox!\nAbstract two.\nbyAK and the research community"
    )
    listing = parse(text)

    assert titles(listing) == ["Title one", "Title two"]
    assert [record.abstract for record in listing.records] == ["Abstract one.", "Abstract two."]
    assert [record.line for record in listing.records] == [3, 9]
    assert listing.warnings == []


def test_chrome_is_recognised_after_cleaning_and_case_folding():
    listing = parse("  SUBSCRIBE\u200b \n\nTRENDING  papers\nA title\n\nAn abstract.")

    assert titles(listing) == ["A title"]


def test_chrome_words_inside_a_title_or_abstract_are_kept():
    listing = parse("Subscribe to new ideas\n\nSign up for a new\nsubscribe model.")

    assert titles(listing) == ["Subscribe to new ideas"]
    assert listing.records[0].abstract == "Sign up for a new subscribe model."


def test_papers_before_any_date_line_have_no_listing_date():
    listing = parse("Title one\n\nAbstract one.\n\nMar 14\n\nTitle two\n\nAbstract two.")

    assert [record.listing_date for record in listing.records] == [None, date(2026, 3, 14)]


def test_two_date_lines_give_papers_different_dates():
    text = "Mar 14\n\nTitle one\n\nAbstract one.\n\nMar 13\nTitle two\n\nAbstract two."
    listing = parse(text)

    assert [record.listing_date for record in listing.records] == [
        date(2026, 3, 14),
        date(2026, 3, 13),
    ]
    assert listing.date_lines == [
        DateLine(1, "Mar 14", date(2026, 3, 14)),
        DateLine(7, "Mar 13", date(2026, 3, 13)),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mar 14", date(2026, 3, 14)),
        ("March 14", date(2026, 3, 14)),
        ("Nov 28", date(2026, 11, 28)),
        ("Nov 29", date(2025, 11, 29)),
        ("Dec 25", date(2025, 12, 25)),
        ("Feb 29", date(2024, 2, 29)),
        ("Sept 3", date(2026, 9, 3)),
        ("mar 14", date(2026, 3, 14)),
        ("Mar 14, 2025", date(2025, 3, 14)),
        ("Feb 29, 2024", date(2024, 2, 29)),
    ],
)
def test_date_line_resolves_to_the_latest_such_day_not_after_today(line, expected):
    listing = parse(f"{line}\n\nA title\n\nAn abstract.")

    assert listing.records[0].listing_date == expected
    assert listing.date_lines == [DateLine(1, line, expected)]


def test_feb_29_without_year_skips_century_years_that_are_not_leap():
    listing = parse("Feb 29\n\nA title\n\nAn abstract.", today=date(2103, 6, 1))

    assert listing.records[0].listing_date == date(2096, 2, 29)


@pytest.mark.parametrize("line", ["Feb 30", "Apr 31", "Mar 0", "Feb 29, 2025"])
def test_impossible_date_is_a_warning_and_otherwise_ignored(line):
    listing = parse(f"Mar 14\n\nTitle one\n\nAbstract one.\n\n{line}\nTitle two\n\nAbstract two.")

    assert titles(listing) == ["Title one", "Title two"]
    assert listing.records[1].listing_date == date(2026, 3, 14)
    assert listing.records[1].line == 8
    assert listing.warnings == [
        ParseWarning(7, f"{line} is not a calendar date: the line was skipped")
    ]
    assert [date_line.line for date_line in listing.date_lines] == [1]


def test_lines_that_only_look_like_dates_are_text():
    listing = parse("Marching 14\n\nAbstract one.\n\nMay 2024\n\nAbstract two.")

    assert titles(listing) == ["Marching 14", "May 2024"]
    assert listing.date_lines == []


def test_invisible_characters_are_removed_from_stored_text():
    listing = parse("Zero\u200bwidth\u00adtitle\n\nAn\u2060 ab\u00adstract\ufeff here.")

    assert titles(listing) == ["Zerowidthtitle"]
    assert listing.records[0].abstract == "An abstract here."


def test_text_is_normalised_to_nfc():
    listing = parse("Cafe\u0301 models\n\nNai\u0308ve abstract.")

    assert titles(listing) == ["Caf\u00e9 models"]
    assert listing.records[0].abstract == "Na\u00efve abstract."


def test_latex_is_kept_verbatim():
    listing = parse("Bounds for $\\alpha$-mixing\n\nWe show $O(n^{1/2})$ and \\emph{more}.")

    assert titles(listing) == ["Bounds for $\\alpha$-mixing"]
    assert listing.records[0].abstract == "We show $O(n^{1/2})$ and \\emph{more}."


def test_long_paragraph_in_title_place_is_joined_to_previous_abstract_with_warning():
    text = f"Title one\n\nAbstract one.\n\n{LONG_PROSE}\n\nTitle two\n\nAbstract two."
    listing = parse(text)

    assert titles(listing) == ["Title one", "Title two"]
    assert listing.records[0].abstract == f"Abstract one. {LONG_PROSE.strip()}"
    assert listing.records[1].abstract == "Abstract two."
    assert listing.warnings == [
        ParseWarning(
            5,
            "this paragraph reads as a continuation of the abstract above (line 3), "
            "so it was joined to it",
        )
    ]


def test_several_sentence_paragraph_in_title_place_is_joined_to_previous_abstract():
    prose = "We add ablations here. They confirm the trend. The code is public for everyone to use."
    assert 150 < len(prose + " " + prose) <= 300
    text = f"Title one\n\nAbstract one.\n\n{prose}\n{prose}\n\nTitle two\n\nAbstract two."
    listing = parse(text)

    assert titles(listing) == ["Title one", "Title two"]
    assert [warning.line for warning in listing.warnings] == [5]


def test_short_title_with_sentences_is_still_a_title():
    title = "Attention. Is. All. You. Need."
    listing = parse(f"Title one\n\nAbstract one.\n\n{title}\n\nAbstract two.")

    assert titles(listing) == ["Title one", title]
    assert listing.warnings == []


def test_long_first_paragraph_is_kept_as_title():
    listing = parse(f"{LONG_PROSE}\n\nAbstract one.\n\nTitle two\n\nAbstract two.")

    assert titles(listing) == [LONG_PROSE.strip(), "Title two"]
    assert listing.warnings == []


def test_trailing_title_without_abstract_is_a_warning():
    listing = parse("Title one\n\nAbstract one.\n\nTitle two\n\nnew")

    assert titles(listing) == ["Title one"]
    assert listing.warnings == [
        ParseWarning(5, "title without an abstract: not imported", dropped=True)
    ]


def test_same_paper_twice_is_listed_once_with_warning():
    text = (
        "Attention Is All You Need\n\nFirst abstract.\n\nOther paper\n\nOther abstract.\n\n"
        "attention is all you need.\n\nSecond abstract."
    )
    listing = parse(text)

    assert titles(listing) == ["Attention Is All You Need", "Other paper"]
    assert listing.records[0].abstract == "First abstract."
    assert listing.warnings == [ParseWarning(9, "same paper as line 1: listed once", dropped=True)]


def test_warnings_come_in_line_order():
    text = "Feb 30\n\nSame\n\nAbstract.\n\nSame\n\nAbstract.\n\nFeb 31\n\nLeft over"
    listing = parse(text)

    assert [warning.line for warning in listing.warnings] == [1, 7, 11, 13]


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t \r", b"\xef\xbb\xbf", "\u200b\n".encode()])
def test_empty_file_is_rejected(data):
    with pytest.raises(ListingError) as raised:
        parse(data)

    assert raised.value.message == "the file is empty"


def test_chrome_only_file_is_rejected():
    with pytest.raises(ListingError) as raised:
        parse("new\n\nSubscribe\n\nMar 14\n\nFeb 30\n")

    assert raised.value.message.startswith("no papers found: the file holds only page chrome")


def test_single_title_without_abstract_is_rejected():
    with pytest.raises(ListingError) as raised:
        parse("new\n\nMar 14\n\nA lonely title\n")

    assert raised.value.message.startswith("no papers found")
    assert raised.value.line == 5


def test_nul_byte_rejects_the_whole_file_with_line_and_offset():
    data = b"Title\r\nAbstract.\rmore\x00text"

    with pytest.raises(ListingError) as raised:
        parse(data)

    assert raised.value.message == "contains a NUL byte: this is not a text file"
    assert raised.value.offset == data.index(b"\x00") == 21
    assert raised.value.line == 3


def test_invalid_utf8_rejects_the_whole_file_with_line_and_offset():
    data = b"Title\r\nAbstract.\rmore \xff text\n\nfine"

    with pytest.raises(ListingError) as raised:
        parse(data)

    assert raised.value.message == "not UTF-8 text: invalid byte 0xff"
    assert raised.value.offset == data.index(b"\xff") == 22
    assert raised.value.line == 3
    assert str(raised.value) == "not UTF-8 text: invalid byte 0xff (line 3, byte 22)"


def test_bad_byte_offset_counts_the_byte_order_mark():
    with pytest.raises(ListingError) as raised:
        parse(b"\xef\xbb\xbfTitle \xc3( broken")

    assert raised.value.message == "not UTF-8 text: invalid byte 0xc3"
    assert (raised.value.line, raised.value.offset) == (1, 9)


def test_first_bad_byte_is_the_one_reported():
    with pytest.raises(ListingError) as raised:
        parse(b"Title\n\xfe\n\x00")

    assert (raised.value.message, raised.value.offset) == ("not UTF-8 text: invalid byte 0xfe", 6)

    with pytest.raises(ListingError) as raised:
        parse(b"Title\n\x00\n\xfe")

    assert (raised.value.message, raised.value.offset) == (
        "contains a NUL byte: this is not a text file",
        6,
    )


def test_many_continuations_and_papers_parse_in_one_pass():
    pairs = "".join(f"Title {n}\n\nAbstract {n}.\n\n" for n in range(20_000))
    continuations = f"{LONG_PROSE}\n\n" * 5_000
    listing = parse(pairs + continuations)

    assert len(listing.records) == 20_000
    assert len(listing.records[-1].abstract) > 5_000 * len(LONG_PROSE.strip())
    assert len(listing.warnings) == 5_000


@given(st.one_of(st.binary(), st.text().map(str.encode)))
def test_arbitrary_bytes_give_a_listing_or_a_listing_error(data):
    try:
        listing = parse_trending(data, today=TODAY)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)


# One line of text: no line breaks, no NUL, no surrogates (they cannot be UTF-8).
_line_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\r\n\x00"),
    max_size=100,
)


@given(st.lists(st.tuples(_line_text, _line_text), min_size=1, max_size=20))
def test_records_match_the_pairs_with_distinct_title_keys(pairs):
    # The prefixes keep every title and abstract from being blank, chrome or a
    # date line, and every title short enough to be read as a title.
    text = "\n\n".join(f"Paper: {title}\n\nAbstract: {abstract}" for title, abstract in pairs)
    listing = parse_trending(text.encode(), today=TODAY)

    assert len(listing.records) == len({title_key(f"Paper: {title}") for title, _ in pairs})
