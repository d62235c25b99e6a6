"""A search result's snippet: the passages of its abstract that hold the query's words, marked.

PostgreSQL's ts_headline parses every abstract shown, word by word, to
find the words a query matches: 5-7 ms for the 25 rows of a page at any
size, on this machine, while the page's search took 10. Python finds the
same words in 1.5-3 ms, its statement included. An abstract's word
matches a query's word when their stems meet, as the search index
matches them; only the stems come from PostgreSQL, in one statement for
the page: of the query's words, and of the abstracts' words that begin
as one of them does (a word's stem begins as the word, but for its last
letters: `studies`, `study` and `studied` are all `studi`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from papers.models import Paper
from papers.search import wanted_words

# The letters a word and the abstract's forms of it are taken to share.
PREFIX_LETTERS = 4
# A passage's words, and those before its first match.
PASSAGE_WORDS = 30
LEAD_WORDS = 5

_STEMS_SQL = """SELECT word, tsvector_to_array(to_tsvector('english', word))
  FROM unnest(%s::text[]) AS word"""


def add_snippets(papers: Sequence[Paper], text: str) -> None:
    """Give each paper whose abstract holds a word of the query `text` its `snippet`.

    The others keep theirs: the abstract's beginning. A query without words changes none.
    """
    wanted = wanted_words(text)
    if not wanted:
        return
    prefixes = "|".join(sorted({re.escape(word[:PREFIX_LETTERS]) for word in wanted}))
    begins = re.compile(rf"(?:{prefixes})[^\W_]*")
    abstracts = {paper.pk: Abstract.read(paper.abstract, begins) for paper in papers}
    candidates = {word for abstract in abstracts.values() for _, word in abstract.candidates}
    if not candidates:
        return
    with connection.cursor() as cursor:
        cursor.execute(_STEMS_SQL, [sorted(candidates | wanted)])
        stems = {word: frozenset(word_stems) for word, word_stems in cursor.fetchall()}
    searched = frozenset().union(*(stems[word] for word in wanted))
    matching = {word: shared for word in candidates if (shared := stems[word] & searched)}
    for paper in papers:
        if (snippet := abstracts[paper.pk].snippet(matching)) is not None:
            paper.snippet = snippet


@dataclass(frozen=True)
class Abstract:
    """An abstract's words, and the words in it that may be forms of the query's."""

    words: list[str]
    # The words with one space between them, and in lower case, each character where it was.
    text: str
    lowered: str
    # (where, word in lower case) of each word that begins as one of the query's.
    candidates: list[tuple[int, str]]

    @classmethod
    def read(cls, abstract: str, begins: re.Pattern) -> "Abstract":
        words = abstract.split()
        text = " ".join(words)
        # Only the dotted capital I lowers to two characters.
        lowered = text.replace("\u0130", "i").lower()
        candidates = [
            (match.start(), match.group())
            for match in begins.finditer(lowered)
            # Tested here rather than in the pattern: a pattern that starts
            # with a look-behind is tried at every character, ten times slower.
            if not match.start() or not lowered[match.start() - 1].isalnum()
        ]
        return cls(words, text, lowered, candidates)

    def snippet(self, matching: dict[str, frozenset[str]]) -> SafeString | None:
        """The best passage, or the two best, with the matches marked; None if nothing matches.

        `matching`: the words that match, each with the query's stems it matches.
        """
        hits = [(where, word) for where, word in self.candidates if word in matching]
        if not hits:
            return None
        # One space between words: a word's number is that of the spaces before it.
        stems = [(self.lowered.count(" ", 0, where), matching[word]) for where, word in hits]
        first = _best_passage(stems, len(self.words), taken=None)
        second = _best_passage(stems, len(self.words), taken=first)
        if second is None:
            # The query's words all in one place: a longer passage there.
            stop = min(len(self.words), first.start + 2 * PASSAGE_WORDS)
            passages = [range(first.start, stop)]
        else:
            passages = sorted([first, second], key=lambda passage: passage.start)
            if passages[0].stop == passages[1].start:
                passages = [range(passages[0].start, passages[1].stop)]
        html = " … ".join(
            self._marked(self._start(passage.start), self._start(passage.stop) - 1, hits)
            for passage in passages
        )
        before = "… " if passages[0].start else ""
        after = " …" if passages[-1].stop < len(self.words) else ""
        return mark_safe(f"{before}{html}{after}")

    def _start(self, number: int) -> int:
        """Where word `number` starts in `text` (one past the end for the number of words).

        Joined rather than summed word by word: a passage's ends are all a
        snippet needs, and summing every word's length in Python took a
        fifth of the snippets' time (0.3-0.4 ms of 1.8 for the 25 rows of
        `model`, alternating runs at 18 M loop steps/s).
        """
        return len(" ".join(self.words[:number])) + 1 if number else 0

    def _marked(self, start: int, stop: int, hits: list[tuple[int, str]]) -> str:
        """The text from `start` to `stop`, escaped, its hits between <mark> and </mark>."""
        parts, end = [], start
        for where, word in hits:
            if start <= where < stop:
                parts += [escape(self.text[end:where]), "<mark>"]
                end = where + len(word)
                parts += [escape(self.text[where:end]), "</mark>"]
        parts.append(escape(self.text[end:stop]))
        return "".join(parts)


def _best_passage(
    hits: list[tuple[int, frozenset[str]]], length: int, taken: range | None
) -> range | None:
    """The passage of PASSAGE_WORDS words holding the most of the query's stems, then of matches.

    Each starts LEAD_WORDS before a match. With `taken`, the best passage
    apart from it that holds a stem `taken` lacks, if any.
    """
    covered = frozenset().union(*(stems for at, stems in hits if taken and at in taken))
    best, best_score = None, None
    for at, _ in hits:
        start = max(0, at - LEAD_WORDS)
        if taken is not None:
            if at in taken:
                continue
            if at >= taken.stop:
                start = max(start, taken.stop)
        stop = min(length, start + PASSAGE_WORDS)
        if taken is not None and stop > taken.start and start < taken.stop:
            stop = taken.start
        inside = [stems for position, stems in hits if start <= position < stop]
        new = frozenset().union(*inside) - covered
        if taken is not None and not new:
            continue
        score = (len(new), len(inside))
        if best_score is None or score > best_score:
            best, best_score = range(start, stop), score
    return best
