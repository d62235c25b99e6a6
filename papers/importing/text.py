"""Text clean-up shared by every parser and by the Paper model.

Scraped listings carry hard wraps, doubled spaces, zero-width spaces and
soft hyphens; stored text must not, or the same paper scraped twice would
look changed.
"""

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def clean_text(value: str) -> str:
    """Trim, drop invisible format characters, collapse whitespace, NFC."""
    visible = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", _WHITESPACE.sub(" ", visible).strip())


def title_key(title: str) -> str:
    """The identity of a title: NFKC, case-folded, punctuation and spacing collapsed.

    "Attention Is All You Need" and "attention is all you need." share a key;
    two different titles almost never do.
    """
    folded = unicodedata.normalize("NFKC", clean_text(title)).casefold()
    return _NOT_WORD.sub(" ", folded).strip()
