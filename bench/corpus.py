"""Build a deterministic benchmark corpus of N papers as gzipped JSON Lines.

    uv run python bench/corpus.py --size 10000
    uv run python bench/corpus.py --size 100000
    uv run python bench/corpus.py --size 1000000        # about 0.6 GB gzipped

Measures how long building the corpus takes and how big it is; the corpus is
the input of search_bench.py and import_bench.py.

The first 74,728 papers are the real arXiv cs papers of
../shared/data/arxiv_cs_daily/*.jsonl.gz, copied byte for byte in file
order. Beyond them, papers are synthesised from the real ones with a seeded
RNG, so that vocabulary and term frequencies stay those of real abstracts:

* title: the part before the colon of a real "Name: description" title,
  a colon, then the description of another (or another whole title without
  a colon). Heads and descriptions are deduplicated and have no colon, so
  each synthetic title splits back into its two parts in one way only;
  pairing them by a bijection of the paper's number makes every synthetic
  title unique, and one equal to a real title is skipped.
* abstract: a real abstract's number of sentences, each sentence taken at
  the same relative position (opening, middle, conclusion) from a random
  real abstract of the same primary category; hard-wrapped at 79 columns
  like the dumps.
* authors (as many as a real paper, names drawn from real author lists),
  categories, comment and dates: those of a real "donor" paper, so that
  year:2025 matches the same share of papers.
* id: 99MM.NNNNN with a month MM from 13 up: accepted by the importer
  (papers/importing/fields.py takes NNNN.NNNNN) but never a real arXiv id.

Synthetic paper k depends only on k and --seed, never on --size: the corpus
of 10,000 papers is the first 10,000 lines of the one of 100,000. The output
is streamed (memory holds the sentence pools of the real papers, whatever
N), and gzip's header has no time stamp, so the same command writes the same
bytes (compare the sha256 printed).
"""

import argparse
import gzip
import hashlib
import json
import random
import re
import resource
import sys
import time
from pathlib import Path

from harness import default_corpus, machine, mib, table

# The shared data folder sits beside the project's checkout.
SOURCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv_cs_daily"
WRAP = 79
# Ids 99MM.NNNNN, MM from 13: 100,000 papers a "month", 87 months.
SYNTHETIC_FIRST_MONTH = 13
PER_MONTH = 100_000
MAX_SYNTHETIC = (100 - SYNTHETIC_FIRST_MONTH) * PER_MONTH
# Spreads the description paired with consecutive heads over all descriptions.
TAIL_STRIDE = 7_919

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


class Pools:
    """What synthetic papers are recombined from: the real papers, in pieces."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.sentences: list[tuple[str, ...]] = []
        self.authors: list[tuple[str, ...]] = []
        self.donor_fields: list[tuple[list, object, str, str]] = []
        self.by_category: dict[str, list[int]] = {}
        self.heads: dict[str, None] = {}
        self.tails: dict[str, None] = {}
        self.real_titles: set[str] = set()

    def add(self, record: dict) -> None:
        index = len(self.sentences)
        abstract = " ".join((record.get("abstract") or "").split())
        self.sentences.append(tuple(_SENTENCE_END.split(abstract)))
        self.authors.append(tuple(record.get("authors") or ()))
        categories = record.get("categories") or ["cs.XX"]
        self.donor_fields.append(
            (categories, record.get("comment"), record["first_listed"], record["last_listed"])
        )
        self.by_category.setdefault(categories[0], []).append(index)
        title = " ".join(record["title"].split())
        self.real_titles.add(title)
        head, colon, tail = title.partition(": ")
        if colon and ":" not in head and ":" not in tail and head and tail:
            self.heads[head] = None
            self.tails[tail] = None
        elif ":" not in title:
            self.tails[title] = None

    def freeze(self) -> None:
        shuffler = random.Random(self.seed)
        self.head_list = list(self.heads)
        self.tail_list = list(self.tails)
        shuffler.shuffle(self.head_list)
        shuffler.shuffle(self.tail_list)
        self.heads = self.tails = {}
        self.pair = 0

    def next_title(self) -> str:
        """The next unused (head, description) pair that is not a real title."""
        heads, tails = len(self.head_list), len(self.tail_list)
        while True:
            pair = self.pair
            self.pair += 1
            if pair >= heads * tails:
                raise SystemExit("out of distinct synthetic titles")
            head = pair % heads
            # For a fixed head, successive rounds take successive descriptions:
            # injective as long as there are fewer rounds than descriptions.
            tail = (pair // heads + head * TAIL_STRIDE) % tails
            title = f"{self.head_list[head]}: {self.tail_list[tail]}"
            if title not in self.real_titles:
                return title


def synthetic_record(pools: Pools, number: int) -> dict:
    rng = random.Random(pools.seed * 1_000_003 + number)
    donor = rng.randrange(len(pools.sentences))
    categories, comment, first_listed, last_listed = pools.donor_fields[donor]
    same_field = pools.by_category[categories[0]]
    length = len(pools.sentences[donor])
    sentences = []
    for slot in range(length):
        source = pools.sentences[rng.choice(same_field)]
        sentences.append(source[slot * len(source) // length])
    author_count = len(pools.authors[donor])
    authors = []
    while len(authors) < author_count:
        names = pools.authors[rng.randrange(len(pools.authors))]
        if names:
            authors.append(rng.choice(names))
    month, sequence = divmod(number, PER_MONTH)
    return {
        "id": f"99{SYNTHETIC_FIRST_MONTH + month:02d}.{sequence:05d}",
        "title": pools.next_title(),
        "authors": authors,
        "categories": categories,
        "comment": comment,
        "abstract": wrap(" ".join(sentences)),
        "first_listed": first_listed,
        "last_listed": last_listed,
    }


def wrap(text: str, width: int = WRAP) -> str:
    """Greedy hard wrap, as the arXiv dumps have it (a word longer than a line stays whole)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return "\n".join(lines)


def source_files() -> list[Path]:
    files = sorted(SOURCE_DIR.glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no *.jsonl.gz source files in {SOURCE_DIR}")
    return files


class CountingWriter:
    """A binary file that hashes and counts what is written to it (the gzip bytes)."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def build(size: int, out: Path, seed: int, *, progress: bool) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    started = time.perf_counter()
    real = synthetic = raw_bytes = 0
    pools = Pools(seed)
    writer = CountingWriter(partial)
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=writer, compresslevel=6, mtime=0) as gz:
        for path in source_files():
            with gzip.open(path, "rb") as source:
                for line in source:
                    if not line.strip():
                        continue
                    if real < size:
                        line = line if line.endswith(b"\n") else line + b"\n"
                        gz.write(line)
                        raw_bytes += len(line)
                        real += 1
                    if size <= real:
                        break
                    pools.add(json.loads(line))
            if size <= real:
                break
        wanted = size - real
        if wanted > MAX_SYNTHETIC:
            raise SystemExit(f"at most {MAX_SYNTHETIC:,} synthetic papers")
        if wanted:
            pools.freeze()
        buffer: list[bytes] = []
        for number in range(wanted):
            line = json.dumps(synthetic_record(pools, number), ensure_ascii=False) + "\n"
            buffer.append(line.encode())
            synthetic += 1
            if len(buffer) == 1000:
                chunk = b"".join(buffer)
                gz.write(chunk)
                raw_bytes += len(chunk)
                buffer.clear()
                if progress:
                    print(f"\r{real + synthetic:,}/{size:,} papers", end="", file=sys.stderr)
        chunk = b"".join(buffer)
        gz.write(chunk)
        raw_bytes += len(chunk)
    writer.close()
    if progress and wanted:
        print(file=sys.stderr)
    partial.replace(out)
    return {
        "papers": real + synthetic,
        "real": real,
        "synthetic": synthetic,
        "seconds": time.perf_counter() - started,
        "gzip_bytes": writer.size,
        "raw_bytes": raw_bytes,
        "sha256": writer.sha256.hexdigest(),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="papers (default %(default)s)")
    parser.add_argument(
        "--out", type=Path, help="output file (default bench/data/corpus-<size>.jsonl.gz)"
    )
    parser.add_argument("--seed", type=int, default=20260318, help="RNG seed (default %(default)s)")
    args = parser.parse_args()
    if args.size < 1:
        parser.error("--size must be at least 1")
    out = args.out or default_corpus(args.size)
    result = build(args.size, out, args.seed, progress=sys.stderr.isatty())
    print(f"corpus: {out}")
    print(f"machine: {machine()}")
    print(
        table(
            ["papers", "real", "synthetic", "seconds", "gzip MiB", "JSON MiB", "peak RSS MiB"],
            [
                [
                    f"{result['papers']:,}",
                    f"{result['real']:,}",
                    f"{result['synthetic']:,}",
                    f"{result['seconds']:.1f}",
                    mib(result["gzip_bytes"]),
                    mib(result["raw_bytes"]),
                    f"{result['peak_rss_mib']:.0f}",
                ]
            ],
        )
    )
    print(f"sha256 (gzip file): {result['sha256']}")


if __name__ == "__main__":
    main()
