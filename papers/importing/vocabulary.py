"""The search vocabulary: which words papers use, and how many papers use each.

A paper counts once for each word of its title and abstract (letters only,
three or more, in lower case: as the search box reads them). Finding and
counting a hundred-odd words a paper is half of an import's own Python work
after the parse. In the import's process it would compete for the
interpreter lock with the thread that parses the file and the one that
feeds the database its rows; a large import counts its new papers in a
child process instead, on the core the database's COPY leaves free.

This module imports nothing from Django, so that the child starts in a
fraction of a second.
"""

import multiprocessing
import re
from collections import Counter
from collections.abc import Iterable
from queue import Empty, Full

# The words of the vocabulary: letters only, three or more (as the search box reads them).
VOCABULARY_WORD = re.compile(r"[^\W\d_]{3,}")
# The same words in ASCII text, where the letters are a-z once lowered: a
# third quicker to find, which a million-paper import notices.
ASCII_VOCABULARY_WORD = re.compile(r"[a-z]{3,}")


def vocabulary_words(title: str, abstract: str) -> set[str]:
    """The words a paper counts for in the search vocabulary: unstemmed, in lower case."""
    text = f"{title} {abstract}".lower()
    words = ASCII_VOCABULARY_WORD if text.isascii() else VOCABULARY_WORD
    return set(words.findall(text))


def words_counted(texts: Iterable[tuple[str, str]]) -> Counter[str]:
    """How many of the papers (title, abstract) use each word."""
    counts: Counter[str] = Counter()
    for title, abstract in texts:
        counts.update(vocabulary_words(title, abstract))
    return counts


# Papers counted in the importing process before the rest go to a child:
# starting one costs a new interpreter, which small imports do without.
COUNT_HERE_UP_TO = 10_000
# Batches of papers' text that may wait for the child; the import waits beyond.
WAITING_BATCHES = 8
# Seconds between two checks, by a process that waits on the other, that the other is still there.
ALIVE_CHECK_EVERY = 1.0


class VocabularyCountFailed(Exception):
    """The child counting the words ended before it sent its counts: the import fails."""


class VocabularyCount:
    """Counts the words of the papers given, in a child process past the first few.

    Use it as a context manager: leaving the block stops a child that is still
    counting (the import failed); `total()` waits for its counts.
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.given = 0
        self._child = None
        self._texts = None
        self._result = None

    def __enter__(self) -> "VocabularyCount":
        return self

    def __exit__(self, *exception) -> None:
        if self._child is None:
            return
        self._child.kill()
        self._child.join()
        self._stopped()

    def add(self, texts: list[tuple[str, str]]) -> None:
        """Count these papers' words: (title, abstract) of each."""
        if not texts:
            return
        self.given += len(texts)
        if self._child is None and self.given <= COUNT_HERE_UP_TO:
            self.counts.update(words_counted(texts))
            return
        if self._child is None:
            self._start()
        self._send(texts)

    def total(self) -> Counter[str]:
        """Every word's count over all the papers given."""
        if self._child is None:
            return self.counts
        self._send(None)
        try:
            counted = self._result.recv()
        except EOFError as error:
            raise self._failed() from error
        self._child.join()
        self._stopped()
        self.counts.update(counted)
        return self.counts

    def _start(self) -> None:
        # Spawned, not forked: the importing process runs threads and holds
        # a database connection, neither of which a fork may copy.
        context = multiprocessing.get_context("spawn")
        self._texts = context.Queue(maxsize=WAITING_BATCHES)
        self._result, sending = context.Pipe(duplex=False)
        self._child = context.Process(
            target=_count_apart, args=(self._texts, sending), name="import-vocabulary"
        )
        self._child.start()
        # The child holds the only sending end now: it ending is an EOF here.
        sending.close()

    def _send(self, texts: list[tuple[str, str]] | None) -> None:
        while True:
            try:
                self._texts.put(texts, timeout=ALIVE_CHECK_EVERY)
                return
            except Full:
                if not self._child.is_alive():
                    raise self._failed() from None

    def _failed(self) -> VocabularyCountFailed:
        self._child.join()
        return VocabularyCountFailed(
            f"the process counting the vocabulary ended with exit code {self._child.exitcode}"
        )

    def _stopped(self) -> None:
        self._texts.close()
        self._texts.cancel_join_thread()
        self._result.close()
        self._child = self._texts = self._result = None


def _count_apart(texts, result) -> None:
    """The child: count each batch of texts until None comes, then send the counts.

    An importing process killed outright (a worker stopped the hard way)
    cannot stop its child: the child sees that and stops itself.
    """
    parent = multiprocessing.parent_process()
    counts: Counter[str] = Counter()
    while True:
        try:
            batch = texts.get(timeout=ALIVE_CHECK_EVERY)
        except Empty:
            if parent.is_alive():
                continue
            return
        if batch is None:
            break
        counts.update(words_counted(batch))
    result.send(counts)
    result.close()
