"""The search box and the most used pages over HTTP, through gunicorn.

    uv run python bench/http_bench.py --size 10000
    uv run python bench/http_bench.py --size 100000 --reuse   # the database search_bench loaded
    uv run python bench/http_bench.py --size 1000000 --reuse --queries my-mix.txt

On the database of search_bench.py (data directory
/tmp/bench-data/search-<corpus>, loaded the same way when it is not there or
without --reuse; never ./var/; not while search_bench.py runs on it):

1. makes the benchmark reader of search_bench.py (tag, statuses, reading list)
   and gives them a password, then collects the static files, as `manage.py
   serve` does (the whitenoise manifest that production serves);
2. starts gunicorn on 127.0.0.1, on a free port, against this process's
   embedded server (DATABASE_URL, plain-HTTP cookies: what `serve` does),
   --workers sync workers (1: the requests are sequential);
3. logs in through the login form, as a person would;
4. times GET /w/<slug>/papers/?q=... for every query of search_bench.QUERIES
   (with --outside: of search_bench.OUTSIDE_QUERIES, written after the mix;
   with --queries FILE: of that file, one query a line),
   then the site pages of search_bench.site_pages (the listing's first page,
   a paper, a tag filter, a reading list): one request at a time, --warmup
   untimed, then --runs timed; p50 and p95 per query and page, and over all
   queries.

Times are wall-clock milliseconds seen by the client: the whole request,
connection, WSGI, middleware, database and rendering, on loopback.
"""

import argparse
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar

from harness import (
    PROJECT_ROOT,
    bench_data_dir,
    check_code_unchanged,
    code_fingerprint,
    corpus_argument,
    corpus_path,
    django_setup,
    machine,
    manage,
    ms,
    percentile,
    table,
)
from search_bench import (
    OUTSIDE_QUERIES,
    QUERIES,
    bench_user,
    database_name,
    load,
    queries_argument,
    read_queries,
    site_pages,
)

PASSWORD = "bench-http-password-1"
SERVER_START_SECONDS = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_argument(parser)
    parser.add_argument("--runs", type=int, default=10, help="timed requests each (%(default)s)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed first (%(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (%(default)s)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of an earlier run when it holds this corpus",
    )
    parser.add_argument(
        "--outside",
        action="store_true",
        help="time search_bench.OUTSIDE_QUERIES, queries outside the mix, instead",
    )
    queries_argument(parser)
    args = parser.parse_args()
    if args.queries:
        mix = read_queries(args.queries)
    else:
        mix = OUTSIDE_QUERIES if args.outside else QUERIES
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
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    collected = manage("collectstatic", "--noinput", "-v0")
    print(f"collectstatic: {collected.seconds:.1f} s")

    with gunicorn(args.workers) as base:
        client = Client(base)
        client.log_in(user.username, PASSWORD)
        papers = f"/w/{workspace.slug}/papers/"
        print()
        print(f"GET {papers}?q=... one at a time, {args.runs} runs after {args.warmup}")
        queries = []
        for label, raw, sort in mix:
            params = {"q": raw, **({"sort": sort} if sort else {})}
            queries.append(client.measure(label, raw, papers, params, args.runs, args.warmup))
        print(queries_table(queries))
        print()
        print(f"site pages through gunicorn, {args.runs} runs after {args.warmup}")
        pages = [
            client.measure(label, "", path, params, args.runs, args.warmup)
            for label, path, params in site_pages(workspace, reading_list)
        ]
        print(pages_table(pages))
    check_code_unchanged(fingerprint)


@contextlib.contextmanager
def gunicorn(workers: int) -> Iterator[str]:
    """gunicorn serving the project on a free loopback port; yields its base URL.

    The workers join this process's embedded server through DATABASE_URL (the
    server stops when this process exits, so they must be gone first), and the
    cookies are not Secure, since this is plain HTTP: what `manage.py serve` does.
    """
    from django.conf import settings

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "SECURE_COOKIES": "false"}
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--workers", str(workers), "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
        # Its own session: a Ctrl-C in the terminal reaches this process only,
        # which then stops the server below, before the database goes.
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start on 127.0.0.1:{port}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"gunicorn (pid {server.pid}) on 127.0.0.1:{port}, {workers} worker(s)")
        yield f"http://127.0.0.1:{port}"
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


class Client:
    """One person's browser: a cookie jar, one request at a time."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str, params: dict) -> tuple[int, bytes]:
        url = self.base + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with self.opener.open(url, timeout=300) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def log_in(self, username: str, password: str) -> None:
        status, page = self.get("/accounts/login/", {})
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"GET /accounts/login/ answered {status} without a form")
        form = {"csrfmiddlewaretoken": token[1].decode(), "username": username}
        form["password"] = password
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=urllib.parse.urlencode(form).encode()
        )
        with self.opener.open(request, timeout=60) as response:
            landed = response.url
        if "/accounts/login/" in landed:
            raise SystemExit(f"logging in as {username} failed (landed on {landed})")
        print(f"logged in as {username}, landed on {urllib.parse.urlsplit(landed).path}")

    def measure(
        self, label: str, raw: str, path: str, params: dict, runs: int, warmup: int
    ) -> dict:
        for _ in range(warmup):
            self.get(path, params)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            status, body = self.get(path, params)
            samples.append(time.perf_counter() - started)
            if status != 200:
                raise SystemExit(f"GET {path} {params} answered {status}")
        print(f"  {label} {params}: {ms(statistics.median(samples))} ms", file=sys.stderr)
        return {
            "label": label,
            "query": raw,
            "sort": params.get("sort", ""),
            "samples": samples,
            "bytes": len(body),
        }


def queries_table(results: list[dict]) -> str:
    rows = []
    for result in results:
        query = result["query"] or "(empty)"
        if result["sort"]:
            query += f"  [sort={result['sort']}]"
        rows.append(
            [
                result["label"],
                query,
                ms(statistics.median(result["samples"])),
                ms(percentile(result["samples"], 0.95)),
                f"{result['bytes'] / 1024:.0f}",
            ]
        )
    everything = [value for result in results for value in result["samples"]]
    medians = [statistics.median(result["samples"]) for result in results]
    rows.append(
        [
            "all queries",
            f"{len(results)} queries x {len(results[0]['samples'])} runs",
            ms(percentile(everything, 0.5)),
            ms(percentile(everything, 0.95)),
            "",
        ]
    )
    rows.append(["median of the p50s", "", ms(statistics.median(medians)), "", ""])
    return table(["kind", "query", "p50 ms", "p95 ms", "KiB"], rows)


def pages_table(results: list[dict]) -> str:
    rows = [
        [
            result["label"],
            ms(statistics.median(result["samples"])),
            ms(percentile(result["samples"], 0.95)),
            f"{result['bytes'] / 1024:.0f}",
        ]
        for result in results
    ]
    return table(["page", "p50 ms", "p95 ms", "KiB"], rows)


if __name__ == "__main__":
    main()
