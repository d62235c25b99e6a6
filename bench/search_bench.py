"""How fast the search box answers: `search()` + the first page + the count, and whole pages.

    uv run python bench/corpus.py --size 10000          # once: the corpus file
    uv run python bench/search_bench.py --size 10000
    uv run python bench/search_bench.py --size 100000 --runs 20
    uv run python bench/search_bench.py --size 100000 --reuse   # keep the loaded database
    uv run python bench/search_bench.py --size 1000000 --reuse --no-baseline
    uv run python bench/search_bench.py --size 1000000 --reuse --queries my-mix.txt

In a database of its own (data directory /tmp/bench-data/search-<corpus>, its
own embedded PostgreSQL; never ./var/):

1. loads the corpus with `manage.py import_listing` in a child process (timed)
   as one listing dated 2026-07-01, then VACUUM ANALYZE (what autovacuum would
   soon do), and makes a user with a workspace, a tag on every 200th paper,
   "to read" on every 500th and a reading list of 50 tagged papers;
2. runs a fixed mix of queries (QUERIES, or those of --queries FILE) through
   `papers.search.search()` as
   the papers page does: the count (CappedPaginator: exact up to 10,000, as
   the page shows it), the first 25 rows, and the snippets of those rows
   (reported apart). Each query is run --warmup times,
   then --runs times; p50 and p95 per query and over all queries;
3. times whole pages through Django's test Client (force_login), which adds
   facets, "did you mean", rendering and every other statement of the page:
   the pages people open most (the listing's first page, a paper, a tag, a
   reading list) and the search results of a few queries; p50, p95 and the
   number of SQL statements of each; lists each page's statements over 20 ms
   and EXPLAINs those of the page for a typo (a query that finds nothing
   makes the page look for what was meant). Before the baseline, whose scans
   of the table leave little of what the pages read in the server's buffers;
4. side by side (--baseline, on by default): linkding's search on the same
   table, for every query with text: each word an `icontains` on title or
   abstract, AND-ed (a `-word` excluded, as linkding does), the query's
   filters kept, newest first, count + first 25 rows (--baseline-runs times,
   it scans the table); its p50 and p95 as a ratio to ours;
5. known items (KNOWN_ITEMS): title queries whose paper is known; where our
   ranking puts that paper (1 is right), and where the baseline's order does;
6. prints EXPLAIN (ANALYZE, BUFFERS) of the page query of a few representative
   queries: does the GIN index on search_vector carry them?
7. imports the 51-paper sample trending listing dated a day later and runs
   the queries that depend on the latest listing (the empty query, the home
   page, listing:latest) again: right after a dump import the latest listing
   is the whole corpus, in daily use it is a small page.

bench/http_bench.py times the same queries and pages over HTTP, through
gunicorn, on the same database.

Times are wall-clock milliseconds in this process, database included.
"hits" is what the page counts (its paginator's count): for a very common word the
search ranks a subset of the matches, and the count is of that subset.
"""

import argparse
import hashlib
import re
import statistics
import sys
import time
from pathlib import Path

from django.utils.text import slugify
from harness import (
    CORPUS_LISTING_DATE,
    PROJECT_ROOT,
    bench_data_dir,
    check_code_unchanged,
    code_fingerprint,
    corpus_argument,
    corpus_path,
    django_setup,
    import_corpus,
    machine,
    manage,
    ms,
    percentile,
    table,
)

PAGE_SIZE = 25
TAG = "benchmark"
TRENDING_SAMPLE = PROJECT_ROOT / "papers" / "sample_data" / "hf-trending-mar-14.txt"
TRENDING_DATE = "2026-07-02"

TYPO = "trasnformer"
# Statements of a page slower than this are listed (from one capture, so noisy).
SLOW_MS = 20
# (what it stands for, the query, the sort). The words are chosen from the
# first 10,000 papers, so every corpus size has them.
QUERIES = [
    ("known item: title words", "unsafe weights manipulation", ""),
    ("known item: pasted title", "Industrial-Grade Sensor Simulation via Gaussian Splatting", ""),
    ("common word", "model", ""),
    ("common word", "learning", ""),
    ("common word", "transformer", ""),
    ("three common words", "large language models", ""),
    ("four words", "vision language model hallucination", ""),
    ("rare word", "hemodynamics", ""),
    ("rare two words", "music generation", ""),
    ("phrase", '"reinforcement learning from human feedback"', ""),
    ("phrase", '"knowledge distillation"', ""),
    ("exclusion", "diffusion -image", ""),
    ("exclusion", "segmentation -medical", ""),
    ("or", "lidar or radar", ""),
    ("typo (no match)", TYPO, ""),
    ("typo (no match)", "difusion", ""),
    ("typos, two words", "reinforcment lerning", ""),
    ("typos, two words", "nueral netwrok", ""),
    ("filter: latest listing", "listing:latest", ""),
    ("filter: year", "year:2025", ""),
    ("text + year", "model year:2025", ""),
    ("filter: tag", f"tag:{TAG}", ""),
    ("text + tag", f"tag:{TAG} learning", ""),
    ("filter: status", "status:to-read", ""),
    ("text + status", "status:to-read learning", ""),
    ("sort: newest", "learning", "newest"),
    ("empty query (home page)", "", ""),
]
LATEST_LISTING_QUERIES = [q for q in QUERIES if q[1] in ("", "listing:latest")]
# Queries written after the mix, to find the shapes it lacks (http_bench.py
# --outside): longer and hyphenated words, stop words, filters combined with
# each other and with phrases, contradictions. Each slow one found so far
# was a plan the mix never asked for.
OUTSIDE_QUERIES = [
    ("pasted title, stop words", "attention is all you need", ""),
    ("three words", "retrieval augmented generation", ""),
    ("five words", "multimodal large language models benchmark", ""),
    ("six words", "large language model agents tool use", ""),
    ("ten words", "deep learning for medical image segmentation with transformers", ""),
    ("hyphenated", "self-supervised learning", ""),
    ("hyphenated", "zero-shot", ""),
    ("digits", "3d gaussian splatting", ""),
    ("acronym", "llm", ""),
    ("stop words only", "the of and", ""),
    ("phrase", '"chain of thought"', ""),
    ("or", "diffusion or flow", ""),
    ("exclusion only", "-survey", ""),
    ("contradiction", "learning -learning", ""),
    ("phrase + tag", f'"graph neural network" tag:{TAG}', ""),
    ("phrase + exclusion + tag", f'"graph neural network" -survey tag:{TAG}', ""),
    ("exclusion + tag", f"diffusion -image tag:{TAG}", ""),
    ("phrase + status", 'status:to-read "large language models"', ""),
    ("tag + status", f"tag:{TAG} status:to-read", ""),
    ("tag and not tag", f"tag:{TAG} -tag:{TAG}", ""),
    ("not tag", f"-tag:{TAG}", ""),
    ("text + not tag", f"transformer -tag:{TAG}", ""),
    ("text + not status", "-status:to-read model", ""),
    ("text + two filters", "model year:2025 status:to-read", ""),
    ("typo", "atention mechanisms", ""),
    ("no match", "xyzzy plugh", ""),
    ("sort: title", "protein folding", "title"),
]
EXPLAINED = ["model", "hemodynamics", ""]
# Search results pages timed whole, beside the site pages (site_pages()).
SEARCH_PAGES = ["model", "unsafe weights manipulation", TYPO, "listing:latest", "year:2025"]
# Title queries whose answer is known (the arXiv id): exact titles pasted, and
# a few distinctive words of a title, some of them common ones. All are papers
# of the first 10,000, so every corpus size has them; the synthetic papers of
# the larger corpora reuse real titles, so there the pasted titles compete
# with near copies.
KNOWN_ITEMS = [
    (
        "Industrial-Grade Sensor Simulation via Gaussian Splatting: A Modular Framework for "
        "Scalable Editing and Full-Stack Validation",
        "2503.11731",
    ),
    ("XAttention: Block Sparse Attention with Antidiagonal Scoring", "2503.16428"),
    ("Contour Integration Underlies Human-Like Vision", "2504.05253"),
    (
        "As easy as PIE: understanding when pruning causes language models to disagree",
        "2503.21714",
    ),
    ("A Refined Analysis of Massive Activations in LLMs", "2503.22329"),
    ("CoMP: Continual Multimodal Pre-training for Vision Foundation Models", "2503.18931"),
    ("unsafe weights manipulation", "2503.11742"),
    ("shoplifting human pose", "2504.19970"),
    ("vague temporal adverbials", "2505.01311"),
    ("lazy thinking peer reviews", "2504.11042"),
    ("bird call classification pigeon", "2504.16276"),
    ("language mixing reasoning models", "2505.14815"),
]
# How deep the known-item check looks for the expected paper.
KNOWN_ITEM_DEPTH = 100
READING_LIST_TITLE = "Benchmark reading list"
READING_LIST_SIZE = 50
# A filter word of a query (`tag:x`, `-status:read`): kept by the baseline.
FILTER_WORD = re.compile(r"-?[a-z]+:\S+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_argument(parser)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (%(default)s)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (%(default)s)")
    parser.add_argument(
        "--page-runs",
        type=int,
        default=40,
        help="timed loads of each page (%(default)s: a p95 of 10 is their slowest but one)",
    )
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time linkding's icontains search on the same table (default: on)",
    )
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=3,
        help="timed runs per query of the baseline (%(default)s)",
    )
    parser.add_argument(
        "--baseline-warmup",
        type=int,
        default=1,
        help="untimed runs of the baseline first (%(default)s; 0 at 1M, where one takes seconds)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of an earlier run when it holds this corpus",
    )
    queries_argument(parser)
    args = parser.parse_args()
    mix = read_queries(args.queries) if args.queries else QUERIES
    corpus = corpus_path(args)
    data_dir = bench_data_dir(database_name(corpus), fresh=not args.reuse)
    print(f"corpus: {corpus}")
    print(f"data directory: {data_dir}")
    print(f"machine: {machine()}")
    fingerprint = code_fingerprint()
    print(f"application code: {fingerprint}")
    django_setup(data_dir)

    load(corpus)
    user, workspace, reading_list = bench_user()
    from papers.search import Scope

    scope = Scope(user, workspace)

    print()
    print(f"search() + count + first {PAGE_SIZE} rows, {args.runs} runs after {args.warmup}")
    print("(latest listing: the corpus itself, as right after importing a dump)")
    results = measure(mix, scope, args.runs, args.warmup)
    print(results_table(results))
    # The pages before the baseline: its scans of the whole table leave
    # little of what the pages read in the server's buffers (at 1M, the tag
    # filter's page took 36.2 ms at p50 after it, 28.0 in a run without).
    print()
    pages = site_pages(workspace, reading_list) + search_pages(workspace, SEARCH_PAGES)
    print(f"whole pages through the test client, {args.page_runs} runs after 1")
    measured = measure_pages(pages, user, args.page_runs)
    print(pages_table(measured))
    print()
    for page in measured:
        print(f"statements of the page {page['label']!r} over {SLOW_MS} ms:")
        for seconds, sql in page["slow"]:
            print(f"  {ms(seconds):>7} ms  {outline(sql)}")
    print()
    # A query that finds nothing makes the page look for what was meant.
    typo = next(page for page in measured if page["label"] == search_page_label(TYPO))
    for seconds, sql in typo["slow"][:3]:
        explain_sql(f"statement of the page {TYPO!r} ({ms(seconds)} ms)", sql)

    if args.baseline:
        print()
        print(
            f"side by side: linkding's icontains search on the same table, count + first "
            f"{PAGE_SIZE} rows, {args.baseline_runs} runs after {args.baseline_warmup}; "
            "x = baseline / ours"
        )
        baseline = measure_baseline(mix, scope, args.baseline_runs, args.baseline_warmup)
        print(baseline_table(results, baseline))

    print()
    print(f"known items: where the paper a title query names is ranked (first {KNOWN_ITEM_DEPTH})")
    print(known_items_table(known_items(scope, baseline=args.baseline)))

    print()
    for raw in EXPLAINED:
        explain(raw, scope)
    explain_slowest(results, scope)

    trending = manage("import_listing", str(TRENDING_SAMPLE), "--date", TRENDING_DATE)
    print()
    print(f"imported the sample trending listing dated {TRENDING_DATE}: {trending.summary}")
    print("(latest listing: a 51-paper trending page, as in daily use)")
    print(results_table(measure(LATEST_LISTING_QUERIES, scope, args.runs, args.warmup)))
    explain("", scope)
    latest_pages = [
        site_pages(workspace, reading_list)[0],
        *search_pages(workspace, ["listing:latest"]),
    ]
    print(pages_table(measure_pages(latest_pages, user, args.page_runs)))
    # Back to the corpus alone, so that --reuse starts from the same state.
    from papers.models import Listing

    Listing.objects.filter(date=TRENDING_DATE).delete()
    check_code_unchanged(fingerprint)


def queries_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--queries",
        type=Path,
        metavar="FILE",
        help=(
            "time the queries of FILE instead of the mix: one a line, as typed in the search "
            "box; blank lines and lines starting with # are skipped. The reader has "
            f"tag:{TAG} on every 200th paper, status:to-read on every 500th and "
            f"list:{slugify(READING_LIST_TITLE)} (50 tagged papers)"
        ),
    )


def read_queries(path: Path) -> list[tuple[str, str, str]]:
    """The queries of a file, as (label, query, sort) like QUERIES: labelled by line number."""
    queries = [
        (f"line {number}", line.strip(), "")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not queries:
        raise SystemExit(f"{path}: no queries (one a line; # starts a comment)")
    return queries


def database_name(corpus: Path) -> str:
    """The data directory of a corpus's database, under /tmp/bench-data (shared with http_bench)."""
    return f"search-{corpus.name.removesuffix('.jsonl.gz')}"


def load(corpus: Path) -> None:
    from django.db import connection

    from papers.models import Listing, Paper

    sha256 = hashlib.sha256(corpus.read_bytes()).hexdigest()
    migrate = manage("migrate", "--noinput")
    # Left behind by a run that stopped half-way: the corpus is to be the latest listing.
    Listing.objects.filter(date=TRENDING_DATE).delete()
    if Listing.objects.filter(sha256=sha256, date=CORPUS_LISTING_DATE).exists():
        print(f"reusing the database: {Paper.objects.count():,} papers already loaded")
        return
    print(f"migrate: {migrate.seconds:.1f} s")
    loaded = import_corpus(corpus)
    print(f"import_listing: {loaded.seconds:.1f} s, peak RSS {loaded.peak_rss_mib:.0f} MiB")
    print(f"  {loaded.summary}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")


def bench_user():
    """The benchmark's reader: (user, their personal workspace, their reading list).

    A tag on every 200th paper, "to read" on every 500th, and a reading list of
    the first READING_LIST_SIZE tagged papers, so that the tag, status and
    reading-list pages have something to show at every corpus size.
    """
    from django.db import connection

    from accounts.models import User
    from papers.models import Paper, ReadingList, ReadingState
    from papers.services import (
        list_add_papers,
        papers_tag,
        reading_list_create,
        reading_state_set,
    )

    user = User.objects.filter(username="bench").first()
    if user is None:
        # An unusable password: hashing one would only slow the set-up down.
        user = User.objects.create_user("bench", password=None)
    workspace = user.workspaces.get(is_personal=True)
    paper_ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    papers_tag(
        workspace=workspace,
        papers=Paper.objects.filter(pk__in=paper_ids[::200]),
        name=TAG,
        user=user,
    )
    if not ReadingState.objects.filter(user=user).exists():
        for paper in Paper.objects.filter(pk__in=paper_ids[::500]):
            reading_state_set(user=user, paper=paper, status=ReadingState.Status.TO_READ)
    reading_list = ReadingList.objects.filter(workspace=workspace, title=READING_LIST_TITLE).first()
    if reading_list is None:
        reading_list = reading_list_create(workspace=workspace, title=READING_LIST_TITLE, user=user)
        list_add_papers(
            reading_list=reading_list,
            papers=Paper.objects.filter(pk__in=paper_ids[::200][:READING_LIST_SIZE]).order_by("pk"),
            user=user,
        )
    with connection.cursor() as cursor:
        # What autovacuum soon does after so many new rows: the planner then
        # knows how many papers the tag and the status hold.
        cursor.execute("ANALYZE papers_tagging, papers_readingstate, papers_listitem")
    return user, workspace, reading_list


def run_once(raw: str, sort: str, scope) -> tuple[int, dict[str, float]]:
    from papers.search import search
    from papers.snippets import add_snippets
    from papers.views.pagination import CappedPaginator

    started = time.perf_counter()
    found = search(raw, scope=scope, sort=sort)
    searched = time.perf_counter()
    # As the papers page counts: exactly up to its limit, "more than" above,
    # keeping a sample of the ids for the facets.
    paginator = CappedPaginator(found.papers, PAGE_SIZE, counted=found.counted)
    count = paginator.count
    counted = time.perf_counter()
    rows = list(paginator.get_page(1).object_list)
    fetched = time.perf_counter()
    # The snippets of the rows, apart, to show what they cost.
    add_snippets(rows, found.text)
    done = time.perf_counter()
    return count, {
        "count": counted - searched,
        "page": fetched - counted,
        "total": fetched - started,
        "snippets": done - fetched,
    }


def measure(queries, scope, runs: int, warmup: int) -> list[dict]:
    results = []
    for label, raw, sort in queries:
        for _ in range(warmup):
            run_once(raw, sort, scope)
        samples: dict[str, list[float]] = {"count": [], "page": [], "total": [], "snippets": []}
        for _ in range(runs):
            hits, timings = run_once(raw, sort, scope)
            for key, value in timings.items():
                samples[key].append(value)
        results.append({"label": label, "query": raw, "sort": sort, "hits": hits, **samples})
        print(f"  {label}: {ms(statistics.median(samples['total']))} ms", file=sys.stderr)
    return results


def results_table(results: list[dict]) -> str:
    rows = []
    for result in results:
        query = result["query"] or "(empty)"
        if result["sort"]:
            query += f"  [sort={result['sort']}]"
        rows.append(
            [
                result["label"],
                query,
                f"{result['hits']:,}",
                ms(statistics.median(result["count"])),
                ms(statistics.median(result["page"])),
                ms(statistics.median(result["total"])),
                ms(percentile(result["total"], 0.95)),
                ms(statistics.median(result["snippets"])),
            ]
        )
    everything = [value for result in results for value in result["total"]]
    medians = [statistics.median(result["total"]) for result in results]
    rows.append(
        [
            "all queries",
            f"{len(results)} queries x {len(results[0]['total'])} runs",
            "",
            "",
            "",
            ms(percentile(everything, 0.5)),
            ms(percentile(everything, 0.95)),
            "",
        ]
    )
    rows.append(["median of the p50s", "", "", "", "", ms(statistics.median(medians)), "", ""])
    headers = ["kind", "query", "hits", "count p50", "page p50", "p50 ms", "p95 ms"]
    return table([*headers, "snippets p50"], rows)


def baseline_parts(raw: str, scope) -> tuple[list[str], list[str], str]:
    """What the baseline searches for: (words, excluded words, filters), as linkding splits it.

    The text is what our search reads as text (so `model year:2025` is `model`
    plus the filter); linkding splits it on spaces, a `-word` is excluded, and
    quotes mean nothing to it (a phrase is its words). The filters are kept, as
    linkding keeps its tag filters in the same query.
    """
    from papers.search import search

    words = search(raw, scope=scope).text.replace('"', " ").split()
    included = [word for word in words if not word.startswith("-")]
    excluded = [word[1:] for word in words if word.startswith("-") and len(word) > 1]
    filters = " ".join(word for word in raw.split() if FILTER_WORD.fullmatch(word))
    return included, excluded, filters


def baseline_papers(included: list[str], excluded: list[str], filters: str, scope):
    """linkding's search on our table: an icontains scan over title and abstract, newest first."""
    from django.db.models import Q

    from papers.models import Paper
    from papers.search import search

    def contains(word: str) -> Q:
        return Q(title__icontains=word) | Q(abstract__icontains=word)

    # The stored vectors are ours, not the baseline's: they stay out of its rows.
    papers = Paper.objects.defer("search_vector", "title_vector")
    if filters:
        papers = papers.filter(pk__in=search(filters, scope=scope).papers.order_by().values("pk"))
    for word in included:
        papers = papers.filter(contains(word))
    for word in excluded:
        papers = papers.exclude(contains(word))
    return papers.order_by("-pk")


def baseline_once(parts: tuple[list[str], list[str], str], scope) -> tuple[int, float]:
    from django.core.paginator import Paginator

    started = time.perf_counter()
    page = Paginator(baseline_papers(*parts, scope), PAGE_SIZE).get_page(1)
    count = page.paginator.count
    list(page.object_list)
    return count, time.perf_counter() - started


def measure_baseline(queries, scope, runs: int, warmup: int) -> list[dict | None]:
    """The baseline's hits and timings for each query with text; None for the others."""
    results: list[dict | None] = []
    for label, raw, _sort in queries:
        parts = baseline_parts(raw, scope)
        if not parts[0] and not parts[1]:
            results.append(None)
            continue
        for _ in range(warmup):
            baseline_once(parts, scope)
        samples = []
        for _ in range(runs):
            hits, seconds = baseline_once(parts, scope)
            samples.append(seconds)
        results.append({"hits": hits, "total": samples})
        print(f"  baseline {label}: {ms(statistics.median(samples))} ms", file=sys.stderr)
    return results


def ratio(baseline: float, ours: float) -> str:
    return f"{baseline / ours:.1f}x"


def baseline_table(results: list[dict], baseline: list[dict | None]) -> str:
    rows = []
    ours_all, baseline_all = [], []
    for result, other in zip(results, baseline, strict=True):
        if other is None:
            continue
        ours_all += result["total"]
        baseline_all += other["total"]
        query = result["query"] + (f"  [sort={result['sort']}]" if result["sort"] else "")
        rows.append(
            [
                result["label"],
                query,
                f"{result['hits']:,}",
                ms(statistics.median(result["total"])),
                ms(percentile(result["total"], 0.95)),
                f"{other['hits']:,}",
                ms(statistics.median(other["total"])),
                ms(percentile(other["total"], 0.95)),
                ratio(statistics.median(other["total"]), statistics.median(result["total"])),
            ]
        )
    ours_p50, ours_p95 = percentile(ours_all, 0.5), percentile(ours_all, 0.95)
    base_p50, base_p95 = percentile(baseline_all, 0.5), percentile(baseline_all, 0.95)
    rows.append(
        [
            "all queries with text",
            f"{len(rows)} queries",
            "",
            ms(ours_p50),
            ms(ours_p95),
            "",
            ms(base_p50),
            ms(base_p95),
            f"p50 {ratio(base_p50, ours_p50)}, p95 {ratio(base_p95, ours_p95)}",
        ]
    )
    headers = ["kind", "query", "hits", "p50 ms", "p95 ms"]
    baseline_headers = ["baseline hits", "baseline p50", "baseline p95", "x (p50)"]
    return table([*headers, *baseline_headers], rows)


def known_items(scope, *, baseline: bool) -> list[dict]:
    """For each known-item query, the rank of its paper in our order and in the baseline's."""
    from papers.models import Paper
    from papers.search import search

    results = []
    for raw, arxiv_id in KNOWN_ITEMS:
        found = search(raw, scope=scope)
        ranked = list(found.papers.values_list("arxiv_id", flat=True)[:KNOWN_ITEM_DEPTH])
        result = {
            "query": raw,
            "arxiv_id": arxiv_id,
            "present": Paper.objects.filter(arxiv_id=arxiv_id).exists(),
            "rank": ranked.index(arxiv_id) + 1 if arxiv_id in ranked else None,
            "first": ranked[0] if ranked else "",
            "baseline_rank": None,
        }
        if baseline:
            papers = baseline_papers(*baseline_parts(raw, scope), scope)
            in_order = list(papers.values_list("arxiv_id", flat=True)[:KNOWN_ITEM_DEPTH])
            if arxiv_id in in_order:
                result["baseline_rank"] = in_order.index(arxiv_id) + 1
        results.append(result)
    return results


def known_items_table(results: list[dict]) -> str:
    def rank(value: int | None) -> str:
        return str(value) if value else f"> {KNOWN_ITEM_DEPTH}"

    rows = [
        [
            result["query"] if len(result["query"]) <= 60 else result["query"][:57] + "...",
            result["arxiv_id"],
            "MISSING" if not result["present"] else "yes" if result["rank"] == 1 else "NO",
            rank(result["rank"]),
            result["first"] if result["rank"] != 1 else "",
            rank(result["baseline_rank"]),
        ]
        for result in results
    ]
    first = sum(result["rank"] == 1 for result in results)
    rows.append([f"ranked first: {first} of {len(results)}", "", "", "", "", ""])
    headers = ["query", "expected", "first?", "rank", "ranked first instead", "baseline rank"]
    return table(headers, rows)


def explain(raw: str, scope) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the query that picks the first page, as the page runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run_once(raw, "", scope)
    # The page query sorts the matches, takes at most a page of their ids
    # and one more (which tells whether a next page follows), and reads
    # those rows whole, numbered in their order (CappedPaginator.page).
    page_sql = next(
        q["sql"] for q in captured.captured_queries if "row_number() OVER ()" in q["sql"]
    )
    explain_sql(f"page query of {raw or '(empty)'!r}", page_sql)


def explain_slowest(results: list[dict], scope) -> None:
    """The query with the highest p95: each of its statements timed, and the slowest explained."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    slowest = max(results, key=lambda result: percentile(result["total"], 0.95))
    with CaptureQueriesContext(connection) as captured:
        run_once(slowest["query"], slowest["sort"], scope)
    print(f"the slowest query by p95: {slowest['query']!r}; its statements, ms:")
    for statement in captured.captured_queries:
        print(f"  {float(statement['time']) * 1000:6.1f}  {outline(statement['sql'], 120)}")
    # A small corpus's slowest may be a transaction's COMMIT, which has no plan.
    queries = [
        q for q in captured.captured_queries if q["sql"].lstrip("( ").startswith(("SELECT", "WITH"))
    ]
    statement = max(queries, key=lambda statement: float(statement["time"]))
    explain_sql(f"its slowest statement ({outline(statement['sql'], 80)})", statement["sql"])


def explain_sql(label: str, sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"EXPLAIN (ANALYZE, BUFFERS), {label}")
    for index in ("paper_search_vector", "paper_title_vector", "search_term_trgm"):
        print(f"  index {index} used: {'yes' if index in plan else 'no'}")
    print("  " + plan.replace("\n", "\n  "))
    print()


def site_pages(workspace, reading_list) -> list[tuple[str, str, dict]]:
    """The pages people open most: (label, path, query parameters).

    The papers page without a query is the latest listing's first page (the
    listing has no page of its own); the paper is the corpus's first, which is
    tagged, to read and on the reading list.
    """
    from django.urls import reverse

    from papers.models import Paper

    papers = reverse("workspace_papers", args=[workspace.slug])
    paper = Paper.objects.order_by("pk").first()
    items = reading_list.items.count()
    return [
        ("listing, first page", papers, {}),
        ("paper page", paper.url_in(workspace), {}),
        (f"tag filter ?q=tag:{TAG}", papers, {"q": f"tag:{TAG}"}),
        (f"reading list ({items} papers)", reading_list_path(workspace, reading_list), {}),
    ]


def reading_list_path(workspace, reading_list) -> str:
    from django.urls import reverse

    return reverse("list_detail", args=[workspace.slug, reading_list.pk])


def search_page_label(raw: str) -> str:
    return f"search ?q={raw}" if raw else "search (empty)"


def search_pages(workspace, queries: list[str]) -> list[tuple[str, str, dict]]:
    from django.urls import reverse

    papers = reverse("workspace_papers", args=[workspace.slug])
    return [(search_page_label(raw), papers, {"q": raw}) for raw in queries]


def measure_pages(pages: list[tuple[str, str, dict]], user, runs: int) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    # Static files from the source tree, as the tests do: the manifest that
    # collectstatic writes may be stale while others edit the templates.
    plain_static = {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    results = []
    with override_settings(STORAGES=plain_static, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(user)
        for label, path, params in pages:
            # Every request starts by emptying the query log: start the capture
            # from an empty log, and read it before the next request.
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, params, secure=True)
            sql = captured.captured_queries
            if response.status_code != 200:
                raise SystemExit(f"GET {path} {params} answered {response.status_code}")
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                client.get(path, params, secure=True)
                samples.append(time.perf_counter() - started)
            results.append(
                {
                    "label": label,
                    "samples": samples,
                    "queries": len(sql),
                    "bytes": len(response.content),
                    "slowest_sql": max(float(q["time"]) for q in sql),
                    "slow": sorted(
                        (
                            (float(q["time"]), q["sql"])
                            for q in sql
                            if float(q["time"]) * 1000 >= SLOW_MS
                        ),
                        reverse=True,
                    ),
                }
            )
            print(f"  page {label!r}: {ms(statistics.median(samples))} ms", file=sys.stderr)
    return results


def outline(sql: str, length: int = 160) -> str:
    """A statement from its outermost FROM on: the column lists all look alike."""
    depth = 0
    for position, character in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and sql.startswith(" FROM ", position):
            rest = sql[position + 1 :]
            return "SELECT ... " + (rest if len(rest) <= length else rest[:length] + "...")
    return sql[:length]


def pages_table(results: list[dict]) -> str:
    rows = [
        [
            result["label"],
            ms(statistics.median(result["samples"])),
            ms(percentile(result["samples"], 0.95)),
            str(result["queries"]),
            ms(result["slowest_sql"]),
            f"{result['bytes'] / 1024:.0f}",
        ]
        for result in results
    ]
    headers = ["page", "p50 ms", "p95 ms", "SQL queries", "slowest SQL ms", "KiB"]
    return table(headers, rows)


if __name__ == "__main__":
    main()
