"""Text-quote anchors for highlights: find a quote again after the text changed.

An anchor stores the exact quote, up to CONTEXT characters on each side and
the offsets where it stood. When a re-import edits an abstract, the quote is
looked for again; among several occurrences the one whose surroundings best
match the stored context wins, then the one nearest the old position. A
quote that is gone leaves the note detached, never deleted.
"""

from dataclasses import dataclass
from itertools import pairwise

CONTEXT = 32


@dataclass(frozen=True, slots=True)
class Anchor:
    quote: str
    prefix: str
    suffix: str
    start: int
    end: int


def anchor_at(text: str, start: int, end: int) -> Anchor | None:
    """The anchor for text[start:end], or None when the offsets are not a real selection."""
    if not (0 <= start < end <= len(text)) or not text[start:end].strip():
        return None
    return Anchor(
        quote=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
        start=start,
        end=end,
    )


def anchor_for_quote(text: str, quote: str, *, near: int = 0) -> Anchor | None:
    """Anchor a quote typed without offsets (the no-JavaScript form), nearest `near`."""
    quote = quote.strip()
    if not quote:
        return None
    starts = _occurrences(text, quote)
    if not starts:
        return None
    start = min(starts, key=lambda s: abs(s - near))
    return anchor_at(text, start, start + len(quote))


def reanchor(text: str, *, quote: str, prefix: str, suffix: str, start: int) -> Anchor | None:
    starts = _occurrences(text, quote)
    if not starts:
        return None
    best = max(
        starts,
        key=lambda s: (
            _common_suffix(text[max(0, s - len(prefix)) : s], prefix)
            + _common_prefix(text[s + len(quote) : s + len(quote) + len(suffix)], suffix),
            -abs(s - start),
        ),
    )
    return anchor_at(text, best, best + len(quote))


def _occurrences(text: str, quote: str) -> list[int]:
    found, at = [], text.find(quote)
    while at != -1:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    note_ids: tuple[int, ...] = ()


def segments(text: str, highlights: list[tuple[int, int, int]]) -> list[Segment]:
    """Split `text` at highlight boundaries; each piece knows which notes cover it.

    `highlights` holds (note id, start, end); overlapping highlights are fine.
    """
    bounds = sorted(
        {0, len(text)}
        | {min(max(point, 0), len(text)) for _, start, end in highlights for point in (start, end)}
    )
    pieces = []
    for left, right in pairwise(bounds):
        if left == right:
            continue
        covering = tuple(note for note, start, end in highlights if start <= left and right <= end)
        pieces.append(Segment(text[left:right], covering))
    return pieces
