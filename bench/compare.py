"""Two versions of the code, the same pages, taking turns: ratios that hold on a noisy machine.

    git worktree add /tmp/papershelf-old <revision> && (cd /tmp/papershelf-old && uv sync)
    uv run python bench/compare.py --old /tmp/papershelf-old --size 1000000

On a shared machine the same page takes 25 ms one minute and 40 the next,
so two runs of search_bench.py minutes apart compare the machine as much as
the code. Here each version serves the pages from a process of its own (its
checkout's code and virtual environment, Django's test client, the reader
of search_bench.py logged in), both against the database search_bench.py
loaded (/tmp/bench-data/search-<corpus>, which must be there), and they take
turns: --loads of a page by one, then by the other, the order swapped each
round, for --rounds rounds. A spell of slowness then falls on both alike.

The pages are those of search_bench.py: the listing's first page, a paper,
a tag filter, a reading list, and the search pages of SEARCH_PAGES (or of
the queries of --queries FILE). Printed: p50 and p95 of each version, and
the new/old ratios.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from harness import (
    DATA_ROOT,
    PROJECT_ROOT,
    corpus_argument,
    corpus_path,
    django_setup,
    machine,
    percentile,
    table,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    corpus_argument(parser)
    parser.add_argument("--old", type=Path, help="the checkout of the older code (uv synced)")
    parser.add_argument("--new", type=Path, default=PROJECT_ROOT, help="default: this checkout")
    parser.add_argument("--rounds", type=int, default=12, help="turns each (%(default)s)")
    parser.add_argument("--loads", type=int, default=5, help="loads of a page a turn (%(default)s)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--queries",
        type=Path,
        help="the search pages of the queries of FILE (as search_bench.py reads it) instead",
    )
    args = parser.parse_args()
    if args.worker:
        serve(args.worker, args.data_dir)
        return
    # Here, not at the top: a worker runs this file on another checkout's code.
    from search_bench import (
        SEARCH_PAGES,
        bench_user,
        database_name,
        read_queries,
        search_pages,
        site_pages,
    )

    if args.old is None:
        parser.error("--old is required: the checkout to compare with")
    corpus = corpus_path(args)
    data_dir = DATA_ROOT / database_name(corpus)
    if not (data_dir / "pgdata").exists():
        raise SystemExit(f"no database at {data_dir}: load it with search_bench.py --size first")
    print(f"data directory: {data_dir}")
    print(f"machine: {machine()}")
    django_setup(data_dir)
    _, workspace, reading_list = bench_user()
    queries = SEARCH_PAGES
    if args.queries:
        queries = [query for _, query, _ in read_queries(args.queries)]
    pages = site_pages(workspace, reading_list) + search_pages(workspace, queries)
    versions = {"old": start(args.old, data_dir), "new": start(args.new, data_dir)}
    samples = {(label, name): [] for label, _, _ in pages for name in versions}
    try:
        for turn in range(args.rounds):
            order = ["old", "new"] if turn % 2 == 0 else ["new", "old"]
            for label, path, params in pages:
                for name in order:
                    samples[label, name] += ask(versions[name], path, params, args.loads)
    finally:
        for worker in versions.values():
            worker.stdin.close()
            worker.wait(timeout=60)
    print(f"{args.rounds} turns of {args.loads} loads each; old: {args.old}, new: {args.new}")
    print(report(pages, samples))


def start(checkout: Path, data_dir: Path) -> subprocess.Popen:
    """This file as a worker in `checkout`'s virtual environment, on its code."""
    python = checkout / ".venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} is missing: run `uv sync` in {checkout}")
    worker = subprocess.Popen(
        [str(python), __file__, "--worker", str(checkout.resolve()), "--data-dir", str(data_dir)],
        cwd=checkout,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if worker.stdout.readline().strip() != "ready":
        raise SystemExit(f"the worker in {checkout} did not start")
    return worker


def ask(worker: subprocess.Popen, path: str, params: dict, loads: int) -> list[float]:
    worker.stdin.write(json.dumps({"path": path, "params": params, "loads": loads}) + "\n")
    worker.stdin.flush()
    return json.loads(worker.stdout.readline())


def serve(checkout: Path, data_dir: Path) -> None:
    """The worker: load the pages it is asked for, answer each request with their times."""
    sys.path.insert(0, str(checkout))
    os.environ.pop("DATABASE_URL", None)
    os.environ["PAPERSHELF_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    # Static files from the source tree, as search_bench.py's pages: no manifest needed.
    plain_static = {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with override_settings(STORAGES=plain_static, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(get_user_model().objects.get(username="bench"))
        print("ready", flush=True)
        for line in sys.stdin:
            asked = json.loads(line)
            if client.get(asked["path"], asked["params"], secure=True).status_code != 200:
                raise SystemExit(f"GET {asked['path']} {asked['params']} did not answer 200")
            times = []
            for _ in range(asked["loads"]):
                started = time.perf_counter()
                client.get(asked["path"], asked["params"], secure=True)
                times.append(time.perf_counter() - started)
            print(json.dumps(times), flush=True)


def report(pages: list[tuple[str, str, dict]], samples: dict) -> str:
    rows = []
    for label, _, _ in pages:
        old, new = samples[label, "old"], samples[label, "new"]
        old_p50, new_p50 = percentile(old, 0.5), percentile(new, 0.5)
        old_p95, new_p95 = percentile(old, 0.95), percentile(new, 0.95)
        rows.append(
            [
                label,
                f"{old_p50 * 1000:.1f}",
                f"{old_p95 * 1000:.1f}",
                f"{new_p50 * 1000:.1f}",
                f"{new_p95 * 1000:.1f}",
                f"{new_p50 / old_p50:.2f}",
                f"{new_p95 / old_p95:.2f}",
            ]
        )
    headers = ["page", "old p50", "old p95", "new p50", "new p95", "new/old p50", "p95"]
    return table(headers, rows)


if __name__ == "__main__":
    main()
