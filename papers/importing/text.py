"""Text clean-up shared by every parser and by the Paper model.

Scraped listings carry hard wraps, doubled spaces, zero-width spaces and
soft hyphens; stored text must not, or the same paper scraped twice would
look changed.
"""

import re
import unicodedata

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

_WHITESPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_LINE_BREAK = re.compile(r"\r\n?")
# A blank line, or a line break followed by indentation (arXiv's "\n  "),
# starts a new paragraph; `[^\S\n]` is whitespace other than a line break.
_PARAGRAPH_BREAK = re.compile(r"\n(?:[^\S\n]*\n)+[^\S\n]*|\n[^\S\n]+")
# pylatexenc drops macros it does not know, and it does not know the TeX
# logos, which paper titles name ("The {\TeX}book").
_LATEX_MACROS = get_default_latex_context_db()
_LATEX_MACROS.add_context_category(
    "tex-logos",
    prepend=True,
    macros=[MacroTextSpec(logo, simplify_repl=logo) for logo in ("TeX", "LaTeX", "BibTeX")],
)
# Math stays as written ($\alpha$): turned into text it would lose its meaning.
_LATEX = LatexNodes2Text(latex_context=_LATEX_MACROS, math_mode="verbatim")


def clean_text(value: str) -> str:
    """Trim, drop invisible format characters, collapse whitespace, NFC."""
    if value.isascii():
        # ASCII has no format characters and is already NFC, and str.split()
        # splits on exactly the characters `\s` matches: the same result,
        # several times faster on the long abstracts of an arXiv dump.
        return " ".join(value.split())
    visible = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", _WHITESPACE.sub(" ", visible).strip())


def title_key(title: str) -> str:
    """The identity of a title: NFKC, case-folded, punctuation and spacing collapsed.

    "Attention Is All You Need" and "attention is all you need." share a key;
    two different titles almost never do.
    """
    folded = unicodedata.normalize("NFKC", clean_text(title)).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


def clean_abstract(value: str) -> str:
    """Unwrap a hard-wrapped abstract, keeping its paragraphs apart.

    A blank line or an indented line starts a paragraph; paragraphs are joined
    with a blank line, and each is cleaned as `clean_text` cleans a title.
    """
    text = _LINE_BREAK.sub("\n", value).strip() if "\r" in value else value.strip()
    paragraphs = (clean_text(paragraph) for paragraph in _PARAGRAPH_BREAK.split(text))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def decode_latex(value: str) -> str:
    """TeX accents and commands as Unicode, braces removed: `Bal\\'azs` is Balázs."""
    return _LATEX.latex_to_text(value)
