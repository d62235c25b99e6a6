"""The Papershelf export read back as a listing (pure Python, no Django)."""

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.papershelf import parse_papershelf
from papers.importing.records import ListingError, ParsedListing

READING_LIST = Path(__file__).parent / "data" / "formats" / "reading-list.papershelf.json"
TODAY = date(2026, 11, 28)


def export(papers: list, **top) -> bytes:
    document = {"papershelf": 1, "kind": "reading-list", "title": "Reading", **top}
    return json.dumps({**document, "papers": papers}, indent=2).encode()


def test_export_gives_its_papers_in_position_order_whatever_the_array_order():
    listing = parse_papershelf(READING_LIST.read_bytes(), today=TODAY)

    assert [(record.rank, record.title) for record in listing.records] == [
        (1, "Attention Is All You Need"),
        (2, "Étude of \u03b1-Stable Diffusion"),
        (3, "The TeXbook"),
    ]
    assert listing.warnings == []


def test_title_becomes_the_listing_name():
    listing = parse_papershelf(READING_LIST.read_bytes(), today=TODAY)

    assert listing.name == "Diffusion reading group"


def test_every_paper_field_is_read():
    listing = parse_papershelf(READING_LIST.read_bytes(), today=TODAY)

    etude = listing.records[1]
    assert etude.line == 8
    assert etude.arxiv_id == "2401.01234"
    assert etude.abstract == "We study heavy-tailed noise.\n\nA second paragraph follows."
    assert etude.authors == ("Jörg Müller", "Émilie Dupont")
    assert etude.url == "https://arxiv.org/abs/2401.01234"
    assert etude.published == date(2024, 1, 5)
    texbook = listing.records[2]
    assert (texbook.arxiv_id, texbook.url, texbook.published) == ("", "", None)
    assert all(record.listing_date is None for record in listing.records)


def test_export_without_a_title_leaves_the_name_to_the_importer():
    listing = parse_papershelf(export([{"position": 1, "title": "A"}], title=""), today=TODAY)

    assert listing.name is None


def test_other_version_is_rejected_naming_its_line():
    with pytest.raises(ListingError, match="version 2 cannot be read") as caught:
        parse_papershelf(export([{"position": 1, "title": "A"}], papershelf=2), today=TODAY)

    assert caught.value.line == 2


def test_json_without_a_papershelf_member_is_rejected():
    with pytest.raises(ListingError, match="not a Papershelf export"):
        parse_papershelf(b'{"kind": "reading-list", "papers": []}', today=TODAY)


def test_other_kind_is_rejected():
    with pytest.raises(ListingError, match="not a reading-list export"):
        parse_papershelf(export([], kind="tag"), today=TODAY)


def test_papers_that_are_not_an_array_are_rejected():
    with pytest.raises(ListingError, match='"papers" must be an array'):
        parse_papershelf(b'{"papershelf": 1, "kind": "reading-list", "papers": {}}', today=TODAY)


def test_broken_json_is_rejected_naming_line_and_column():
    with pytest.raises(ListingError, match="not valid JSON") as caught:
        parse_papershelf(b'{\n  "papershelf": 1,\n  "kind" "reading-list"\n}', today=TODAY)

    assert caught.value.line == 3


def test_position_that_is_not_a_number_is_a_warning_and_goes_last():
    listing = parse_papershelf(
        export([{"position": "one", "title": "A"}, {"position": 2, "title": "B"}]), today=TODAY
    )

    assert [record.title for record in listing.records] == ["B", "A"]
    assert "position 'one' is not a whole number" in listing.warnings[0].message


def test_paper_without_title_is_dropped_with_a_warning():
    listing = parse_papershelf(
        export([{"position": 1, "title": ""}, {"position": 2, "title": "B"}]), today=TODAY
    )

    assert [record.title for record in listing.records] == ["B"]
    assert listing.warnings[0].dropped


def test_members_not_in_the_format_are_ignored():
    listing = parse_papershelf(
        export([{"position": 1, "title": "A", "id": "2401.00001", "tags": ["x"]}]), today=TODAY
    )

    assert listing.records[0].arxiv_id == ""


@given(
    st.one_of(
        st.binary(),
        st.text().map(str.encode),
        st.lists(
            st.dictionaries(
                st.sampled_from(["position", "title", "arxiv_id", "authors", "published", "url"]),
                st.none() | st.integers() | st.text() | st.lists(st.text(), max_size=2),
            ),
            max_size=4,
        ).map(export),
    )
)
def test_arbitrary_bytes_give_a_listing_or_a_listing_error(data):
    try:
        listing = parse_papershelf(data, today=TODAY)
    except ListingError as error:
        assert error.message
    else:
        assert isinstance(listing, ParsedListing)
