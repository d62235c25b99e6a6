"""Text clean-up and decoding shared by the listing formats."""

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.importing.formats import PARSERS
from papers.importing.records import ListingError
from papers.importing.text import clean_abstract, clean_text, decode_latex


def test_hard_wraps_become_spaces():
    assert clean_abstract("An abstract that\nwraps at\neighty columns.") == (
        "An abstract that wraps at eighty columns."
    )


def test_indented_line_starts_a_paragraph_as_arxiv_writes_it():
    assert clean_abstract("  First paragraph\nwrapped.\n  Second one.\n") == (
        "First paragraph wrapped.\n\nSecond one."
    )


def test_blank_lines_part_paragraphs_and_collapse_to_one():
    assert clean_abstract("One.\r\n\r\n \r\n\r\nTwo.") == "One.\n\nTwo."


def test_each_paragraph_is_cleaned_like_a_title():
    assert clean_abstract("Soft\u00adhyphen  and\u200b zero\twidth.\n\nB") == (
        "Softhyphen and zero width.\n\nB"
    )


def test_empty_abstract_stays_empty():
    assert clean_abstract(" \n\n ") == ""


def _clean_text_by_the_rule(value: str) -> str:
    visible = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", visible).strip())


@given(st.text(st.characters(max_codepoint=127)) | st.text())
def test_clean_text_shortcut_for_ascii_gives_what_the_rule_gives(value):
    assert clean_text(value) == _clean_text_by_the_rule(value)


def test_tex_accents_and_braces_are_decoded():
    assert decode_latex("Bal\\'azs {\\\"u}ber {\\'E}tude {BERT}") == "Balázs über Étude BERT"


def test_tex_logos_survive_decoding():
    assert decode_latex("The {\\TeX}book and \\LaTeX{}") == "The TeXbook and LaTeX"


def test_math_stays_as_written():
    assert decode_latex("$\\alpha$-stable") == "$\\alpha$-stable"


@pytest.mark.parametrize("source_format", sorted(PARSERS))
def test_every_format_rejects_a_bad_byte_with_the_same_message_and_line(source_format):
    with pytest.raises(ListingError, match="not UTF-8 text: invalid byte 0xff") as caught:
        PARSERS[source_format](b"title\nA \xff", today=None)

    assert caught.value.line == 2
    assert caught.value.offset == 8


@pytest.mark.parametrize("source_format", sorted(PARSERS))
def test_every_format_rejects_a_nul_byte(source_format):
    with pytest.raises(ListingError, match="NUL byte"):
        PARSERS[source_format](b"title\nA\x00", today=None)
