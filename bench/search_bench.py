"""How fast the search box answers: `search()` + the first page + the count, and whole pages.

    uv run python bench/corpus.py --size 10000          # once: the corpus file
    uv run python bench/search_bench.py --size 10000
    uv run python bench/search_bench.py --size 100000 --runs 20
    uv run python bench/search_bench.py --size 100000 --reuse   # keep the loaded database

In a database of its own (data directory /tmp/bench-data/search-<corpus>, its
own embedded PostgreSQL; never ./var/):

1. loads the corpus with `manage.py import_listing` in a child process (timed)
   as one listing dated 2026-07-01, then VACUUM ANALYZE (what autovacuum would
   soon do), and makes a user with a workspace, a tag on every 200th paper and
   "to read" on every 500th;
2. runs a fixed mix of queries through `papers.search.search()` as the papers
   page does: the count (Paginator), the first 25 rows, and the snippets of
   those rows (reported apart). Each query is run --warmup times, then --runs
   times; p50 and p95 per query and over all queries;
3. prints EXPLAIN (ANALYZE, BUFFERS) of the page query of a few representative
   queries: does the GIN index on search_vector carry them?
4. times whole pages, GET /w/<slug>/papers/?q=..., through Django's test
   Client (force_login), which adds facets, "did you mean" and rendering;
   lists each page's statements over 20 ms and EXPLAINs those of the page
   for a typo (a query that finds nothing makes the page look for what was
   meant);
5. imports the 51-paper sample trending listing dated a day later and runs
   the queries that depend on the latest listing (the empty query, the home
   page, listing:latest) again: right after a dump import the latest listing
   is the whole corpus, in daily use it is a small page.

Times are wall-clock milliseconds in this process, database included.
"hits" is what the page counts (Paginator.count): for a very common word the
search ranks a subset of the matches, and the count is of that subset.
"""

import argparse
import hashlib
import re
import statistics
import sys
import time
from pathlib import Path

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
    ("common word", "transformer", ""),
    ("three common words", "large language models", ""),
    ("rare word", "hemodynamics", ""),
    ("phrase", '"reinforcement learning from human feedback"', ""),
    ("exclusion", "diffusion -image", ""),
    ("or", "lidar or radar", ""),
    ("typo (no match)", TYPO, ""),
    ("filter: latest listing", "listing:latest", ""),
    ("filter: year", "year:2025", ""),
    ("text + year", "model year:2025", ""),
    ("filter: tag", f"tag:{TAG}", ""),
    ("text + status", "status:to-read learning", ""),
    ("sort: newest", "learning", "newest"),
    ("empty query (home page)", "", ""),
]
LATEST_LISTING_QUERIES = [q for q in QUERIES if q[1] in ("", "listing:latest")]
EXPLAINED = ["model", "hemodynamics", ""]
PAGES = ["", "model", "unsafe weights manipulation", TYPO, "listing:latest", "year:2025"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_argument(parser)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (%(default)s)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (%(default)s)")
    parser.add_argument("--page-runs", type=int, default=10, help="timed page loads (%(default)s)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of an earlier run when it holds this corpus",
    )
    args = parser.parse_args()
    corpus = corpus_path(args)
    name = f"search-{corpus.name.removesuffix('.jsonl.gz')}"
    data_dir = bench_data_dir(name, fresh=not args.reuse)
    print(f"corpus: {corpus}")
    print(f"data directory: {data_dir}")
    print(f"machine: {machine()}")
    fingerprint = code_fingerprint()
    print(f"application code: {fingerprint}")
    django_setup(data_dir)

    load(corpus)
    user, workspace = bench_user()
    from papers.search import Scope

    scope = Scope(user, workspace)

    print()
    print(f"search() + count + first {PAGE_SIZE} rows, {args.runs} runs after {args.warmup}")
    print("(latest listing: the corpus itself, as right after importing a dump)")
    results = measure(QUERIES, scope, args.runs, args.warmup)
    print(results_table(results))

    print()
    for raw in EXPLAINED:
        explain(raw, scope)

    print()
    print(f"whole page GET /w/{workspace.slug}/papers/?q=..., {args.page_runs} runs")
    pages = measure_pages(PAGES, user, workspace, args.page_runs)
    print(pages_table(pages))
    print()
    for page in pages:
        print(f"statements of the page {page['query']!r} over {SLOW_MS} ms:")
        for seconds, sql in page["slow"]:
            print(f"  {ms(seconds):>7} ms  {outline(sql)}")
    print()
    # A query that finds nothing makes the page look for what was meant.
    typo = next(page for page in pages if page["query"] == TYPO)
    for seconds, sql in typo["slow"][:3]:
        explain_sql(f"statement of the page {TYPO!r} ({ms(seconds)} ms)", sql)

    trending = manage("import_listing", str(TRENDING_SAMPLE), "--date", TRENDING_DATE)
    print()
    print(f"imported the sample trending listing dated {TRENDING_DATE}: {trending.summary}")
    print("(latest listing: a 51-paper trending page, as in daily use)")
    print(results_table(measure(LATEST_LISTING_QUERIES, scope, args.runs, args.warmup)))
    explain("", scope)
    print(pages_table(measure_pages(["", "listing:latest"], user, workspace, args.page_runs)))
    # Back to the corpus alone, so that --reuse starts from the same state.
    from papers.models import Listing

    Listing.objects.filter(date=TRENDING_DATE).delete()
    check_code_unchanged(fingerprint)


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
    from accounts.models import User
    from papers.models import Paper, ReadingState
    from papers.services import papers_tag, reading_state_set

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
    return user, workspace


def run_once(raw: str, sort: str, scope) -> tuple[int, dict[str, float]]:
    from django.core.paginator import Paginator

    from papers.search import add_snippets, search

    started = time.perf_counter()
    found = search(raw, scope=scope, sort=sort)
    searched = time.perf_counter()
    page = Paginator(found.papers, PAGE_SIZE).get_page(1)
    count = page.paginator.count
    counted = time.perf_counter()
    rows = list(page.object_list)
    fetched = time.perf_counter()
    add_snippets(rows, found.query)
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


def explain(raw: str, scope) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the first-page query, as the page runs it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run_once(raw, "", scope)
    # The page query selects whole papers with a LIMIT of at most a page
    # (fewer when fewer match); counts, candidate ids and snippets do not.
    page_sql = next(
        q["sql"]
        for q in captured.captured_queries
        if '"papers_paper"."abstract"' in q["sql"]
        and (limit := re.search(r" LIMIT (\d+)$", q["sql"]))
        and int(limit[1]) <= PAGE_SIZE
    )
    explain_sql(f"page query of {raw or '(empty)'!r}", page_sql)


def explain_sql(label: str, sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"EXPLAIN (ANALYZE, BUFFERS), {label}")
    for index in ("paper_search_vector", "paper_title_trgm", "search_term_trgm"):
        print(f"  index {index} used: {'yes' if index in plan else 'no'}")
    print("  " + plan.replace("\n", "\n  "))
    print()


def measure_pages(queries: list[str], user, workspace, runs: int) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("workspace_papers", args=[workspace.slug])
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
        for raw in queries:
            # Every request starts by emptying the query log: start the capture
            # from an empty log, and read it before the next request.
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, {"q": raw}, secure=True)
            sql = captured.captured_queries
            if response.status_code != 200:
                raise SystemExit(f"GET {url}?q={raw} answered {response.status_code}")
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                client.get(url, {"q": raw}, secure=True)
                samples.append(time.perf_counter() - started)
            results.append(
                {
                    "query": raw,
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
            print(f"  page {raw!r}: {ms(statistics.median(samples))} ms", file=sys.stderr)
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
            result["query"] or "(empty)",
            ms(statistics.median(result["samples"])),
            ms(percentile(result["samples"], 0.95)),
            str(result["queries"]),
            ms(result["slowest_sql"]),
            f"{result['bytes'] / 1024:.0f}",
        ]
        for result in results
    ]
    headers = ["q", "p50 ms", "p95 ms", "SQL queries", "slowest SQL ms", "KiB"]
    return table(headers, rows)


if __name__ == "__main__":
    main()
