"""Telling a listing file's format from its content."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.formats import PARSERS, detect_format

DATA = Path(__file__).parent / "data"
FORMATS = DATA / "formats"


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("arxiv-cs-daily.head30.jsonl", "jsonl"),
        ("arxiv-kaggle.head30.jsonl", "jsonl"),
        ("hf-daily-papers.two-days.jsonl", "jsonl"),
        ("arxiv-kaggle.head5.json", "json"),
        ("arxiv-kaggle.head20.csv", "csv"),
        ("reading-group.bib", "bibtex"),
        ("reading-list.papershelf.json", "papershelf"),
    ],
)
def test_each_fixture_is_detected_from_its_content_alone(file_name, expected):
    assert detect_format((FORMATS / file_name).read_bytes()) == expected


def test_trending_page_copy_is_the_fallback():
    assert detect_format((DATA / "hf-trending-mar-14.txt").read_bytes()) == "trending"


def test_one_line_papershelf_export_is_not_taken_for_json_lines():
    data = json.dumps({"papershelf": 1, "kind": "reading-list", "papers": []}).encode()

    assert detect_format(data) == "papershelf"


def test_json_lines_with_a_broken_first_line_is_still_json_lines():
    assert detect_format(b'{"title": "A",\n{"title": "B"}\n') == "jsonl"


def test_pretty_printed_object_without_papershelf_member_is_json_lines():
    # Its parser then says which lines are not JSON objects.
    assert detect_format(b'{\n  "title": "A"\n}\n') == "jsonl"


def test_bibtex_after_comments_and_blank_lines():
    assert detect_format(b"% exported by Zotero\n\n  @article{a, title={T}}") == "bibtex"


def test_csv_needs_a_title_column_in_its_first_line():
    assert detect_format(b"id, Title ,abstract\n1,T,A\n") == "csv"
    assert detect_format(b"name,abstract\nT,A\n") == "trending"


def test_byte_order_mark_does_not_hide_the_format():
    assert detect_format(b'\xef\xbb\xbf[{"title": "A"}]') == "json"


def test_extension_decides_when_the_content_says_nothing_certain():
    assert detect_format(b"name,abstract\nT,A\n", "papers.CSV") == "csv"
    assert detect_format(b"nothing here", "refs.bib") == "bibtex"
    assert detect_format(b"A title\n\nAn abstract.\n", "listing.txt") == "trending"


def test_content_beats_the_extension():
    assert detect_format(b"@misc{a, title={T}}", "refs.csv") == "bibtex"


@given(st.binary(), st.text())
def test_detection_always_names_a_format(data, file_name):
    assert detect_format(data, file_name) in PARSERS
