"""How long `manage.py import_listing` takes on a corpus, against what the database needs.

    uv run python bench/corpus.py --size 10000          # once: the corpus file
    uv run python bench/import_bench.py --size 10000
    uv run python bench/import_bench.py --size 100000 --profile
    uv run python bench/import_bench.py --size 1000000 --admin-job
    uv run python bench/import_bench.py --size 1000000 --admin-job-only

In a fresh database of its own (data directory /tmp/bench-data/import-<corpus>,
its own embedded PostgreSQL; never ./var/), for one corpus file:

(a) the bound: the corpus read (gunzip, one json.loads a line, whitespace
    collapsed) and streamed with one COPY into a scratch table with the
    columns of papers_paper (LIKE papers_paper, so the same stored generated
    columns, the weighted search_vector among them, are computed for every
    row, and stored alike: the vector in the row), then the GIN index on
    search_vector built. "(a+)" adds the other
    indexes papers_paper has (read from pg_indexes: primary key, unique
    arxiv_id, title_key, the title vectors, ...), which the real import
    maintains too. The scratch table is dropped afterwards.
(b) `manage.py import_listing FILE --format jsonl --date 2026-07-01` into
    the empty database, in a child process, with its peak RSS (GNU time,
    else getrusage);
(c) the same command again: a re-import, which must change nothing (it
    sees that the file was imported and nothing has changed since);
(d) the same with --reread: every record read again and compared.

With --admin-job, the papers tables are then emptied and the corpus goes
through the admin's import instead, each phase in a child process as a
worker would run it: (e) the upload stored (what the upload page does with
the file), (f) the check, a dry run of the whole import, (g) the import
confirmed; then (h) a second upload of the same file, checked and imported,
which must change nothing.

Reports seconds, the ratio to (a) and the peak RSS of the import process,
and the size of the tables afterwards. With --profile, the papers tables
are emptied and the import and the re-import are run again under cProfile
(with ANALYZE of the papers tables after each),
their time split by phase (matching, inserting, vocabulary, listing
entries, import history, SQL round trips). cProfile sees the main thread
only: the parsing happens in the import's reading thread, and shows as the
time the main thread waited for it. cProfile slows Python down, so its
seconds are larger than (b)'s and (d)'s; read the shares.
"""

import argparse
import gzip
import json
import pstats
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
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
    import_arguments,
    import_corpus,
    machine,
    manage,
    mib,
    table,
)

SCRATCH = "bench_copy_bound"
SEARCH_INDEX = "paper_search_vector"
_NOT_WORD = re.compile(r"[\W_]+")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    corpus_argument(parser)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run the import under cProfile and split its time by phase",
    )
    parser.add_argument(
        "--admin-job",
        action="store_true",
        help="also import the corpus through the admin's job: upload, check, import",
    )
    parser.add_argument(
        "--admin-job-only",
        action="store_true",
        help="the bound and the admin's job only, without the command's runs",
    )
    args = parser.parse_args()
    corpus = corpus_path(args)
    data_dir = bench_data_dir(f"import-{corpus.name.removesuffix('.jsonl.gz')}", fresh=True)
    print(f"corpus: {corpus} ({corpus.stat().st_size / 1024 / 1024:.1f} MiB gzipped)")
    print(f"data directory: {data_dir}")
    print(f"machine: {machine()}")
    fingerprint = code_fingerprint()
    print(f"application code: {fingerprint}")
    started = time.perf_counter()
    django_setup(data_dir)
    print(f"server start: {time.perf_counter() - started:.1f} s")

    migrate = manage("migrate", "--noinput")
    print(f"migrate: {migrate.seconds:.1f} s")
    # What any manage.py command costs before it does anything: part of (b) and (c).
    startup = min(manage("shell", "-c", "pass").seconds for _ in range(3))
    print(f"server settings: {server_settings()}")

    if args.admin_job_only:
        bound = copy_bound(corpus)
        checkpoint()
        bound_seconds = bound["copy"] + bound["search_vector GIN"]
        print(f"(a) bound: COPY {bound['copy']:.1f} s + GIN {bound['search_vector GIN']:.1f} s")
        admin_job(corpus, bound_seconds, papers=None)
        check_code_unchanged(fingerprint)
        return
    read_only = time_reading(corpus)
    checkpoint()
    bound = copy_bound(corpus)
    checkpoint()

    first = import_corpus(corpus)
    papers = paper_count()
    checkpoint()
    again = import_corpus(corpus)
    reread = import_corpus(corpus, "--reread")
    if papers != paper_count():
        raise SystemExit("the re-import changed the number of papers")

    bound_seconds = bound["copy"] + bound["search_vector GIN"]
    bound_all = bound_seconds + sum(v for k, v in bound.items() if k.startswith("+"))
    rows = [
        ["manage.py start-up (a no-op command)", f"{startup:.1f}", "", "", ""],
        ["read + json.loads only (in (a))", f"{read_only:.1f}", "", "", ""],
        ["(a) COPY with stored tsvector", f"{bound['copy']:.1f}", "", "", ""],
        ["(a) GIN index on search_vector", f"{bound['search_vector GIN']:.1f}", "", "", ""],
        ["(a) bound: COPY + GIN", f"{bound_seconds:.1f}", "1.0", "", ""],
        *(
            [f"(a+) index {name[1:]}", f"{seconds:.1f}", "", "", ""]
            for name, seconds in bound.items()
            if name.startswith("+")
        ),
        [
            f"(a+) bound with all {1 + sum(k.startswith('+') for k in bound)} indexes",
            f"{bound_all:.1f}",
            f"{bound_all / bound_seconds:.1f}",
            "",
            "",
        ],
        [
            "(b) import_listing, empty database",
            f"{first.seconds:.1f}",
            f"{first.seconds / bound_seconds:.2f}",
            f"{first.peak_rss_mib:.0f}" if first.peak_rss_mib else "?",
            first.summary,
        ],
        [
            "(c) import_listing again (re-import)",
            f"{again.seconds:.1f}",
            f"{again.seconds / bound_seconds:.2f}",
            f"{again.peak_rss_mib:.0f}" if again.peak_rss_mib else "?",
            again.summary,
        ],
        [
            "(d) again with --reread (every record read and compared)",
            f"{reread.seconds:.1f}",
            f"{reread.seconds / bound_seconds:.2f}",
            f"{reread.peak_rss_mib:.0f}" if reread.peak_rss_mib else "?",
            reread.summary,
        ],
    ]
    print()
    print(f"{papers:,} papers; ratio = seconds / (a) bound")
    print(table(["step", "seconds", "ratio", "peak RSS MiB", "summary"], rows))
    print(f"(b)/(a+) = {first.seconds / bound_all:.2f}")
    print()
    print(table(["relation", "rows", "table MiB", "indexes MiB"], relation_sizes()))
    if args.admin_job:
        print()
        admin_job(corpus, bound_seconds, papers)
    if args.profile:
        print()
        profile_import(corpus)
    check_code_unchanged(fingerprint)


def server_settings() -> str:
    from django.db import connection

    names = ["server_version", "shared_buffers", "work_mem", "maintenance_work_mem", "max_wal_size"]
    with connection.cursor() as cursor:
        values = []
        for name in names:
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return ", ".join(values)


def checkpoint() -> None:
    """Flush dirty pages so that one step's writes are not paid for by the next."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def paper_count() -> int:
    from papers.models import Paper

    return Paper.objects.count()


def corpus_rows(corpus: Path, now: datetime):
    """The corpus as papers_paper rows, with the least work that still gives the same columns."""
    with gzip.open(corpus, "rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            title = " ".join(record["title"].split())
            yield (
                record.get("id") or None,
                title,
                " ".join(_NOT_WORD.sub(" ", title.casefold()).split()),
                " ".join((record.get("abstract") or "").split()),
                json.dumps(record.get("authors") or [], ensure_ascii=False),
                "",
                record.get("first_listed") or None,
                now,
                now,
            )


def time_reading(corpus: Path) -> float:
    started = time.perf_counter()
    for _ in corpus_rows(corpus, datetime.now(UTC)):
        pass
    return time.perf_counter() - started


def copy_bound(corpus: Path) -> dict[str, float]:
    """(a): COPY into a scratch copy of papers_paper, then its indexes, one at a time."""
    import psycopg
    from django.conf import settings

    timings: dict[str, float] = {}
    with psycopg.connect(settings.DATABASE_URL, autocommit=True) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        # The same columns, defaults, identity, generated search_vector and
        # storage (the vector kept in the row, up to the same row size); no indexes.
        (options,) = connection.execute(
            "SELECT coalesce(array_to_string(reloptions, ', '), '') FROM pg_class "
            "WHERE oid = 'papers_paper'::regclass"
        ).fetchone()
        connection.execute(
            f"CREATE TABLE {SCRATCH} (LIKE papers_paper INCLUDING DEFAULTS "
            "INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE)"
            + (f" WITH ({options})" if options else "")
        )
        started = time.perf_counter()
        with connection.transaction(), connection.cursor() as cursor:
            columns = (
                "arxiv_id, title, title_key, abstract, authors, url, published, "
                "created_at, updated_at"
            )
            with cursor.copy(f"COPY {SCRATCH} ({columns}) FROM STDIN") as copy:
                for row in corpus_rows(corpus, datetime.now(UTC)):
                    copy.write_row(row)
        timings["copy"] = time.perf_counter() - started
        # papers_paper's own index definitions, pointed at the scratch table:
        # the search_vector GIN first (the bound), then the others (a+).
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'papers_paper' "
            "ORDER BY indexname <> %s, indexname",
            [SEARCH_INDEX],
        ).fetchall()
        for name, definition in indexes:
            statement = definition.replace(
                f"INDEX {name} ON public.papers_paper ", f"INDEX bench_{name} ON {SCRATCH} "
            )
            started = time.perf_counter()
            connection.execute(statement)
            label = "search_vector GIN" if name == SEARCH_INDEX else f"+{name}"
            timings[label] = time.perf_counter() - started
        connection.execute(f"DROP TABLE {SCRATCH}")
    return timings


def relation_sizes() -> list[list[str]]:
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for relation in ("papers_paper", "papers_listingentry", "papers_searchterm"):
            cursor.execute(
                f"SELECT count(*), pg_table_size(%s), pg_indexes_size(%s) FROM {relation}",
                [relation, relation],
            )
            count, table_bytes, index_bytes = cursor.fetchone()
            rows.append([relation, f"{count:,}", mib(table_bytes), mib(index_bytes)])
        cursor.execute(
            "SELECT indexname, pg_relation_size(quote_ident(indexname)) FROM pg_indexes "
            "WHERE tablename = 'papers_paper' ORDER BY 2 DESC"
        )
        for name, size in cursor.fetchall():
            rows.append([f"  index {name}", "", "", mib(size)])
    return rows


# Where an import's time goes, by the functions that do each part of it:
# (file name ending, function name, calling function or None for any caller).
# Cumulative times: the indented phases are parts of listing_import, and the
# SQL round trips are spread over all of them. Names of earlier and later
# versions of the import service are both listed; a missing one adds nothing.
PHASES = [
    ("checksum the file", [("import_listing.py", "_sha256", None)]),
    ("listing_import, all of it", [("service.py", "listing_import", None)]),
    (
        "  waiting for the reading thread (parse, keys, words)",
        [("service.py", "_read_ahead", None)],
    ),
    ("  match: fetch existing papers", [("service.py", "_existing_papers", None)]),
    ("  write new papers (COPY)", [("service.py", "write", None), ("service.py", "close", None)]),
    ("  write known papers (staged UPDATE)", [("service.py", "_papers_update", None)]),
    ("  build the indexes again", [("service.py", "_indexes_build", None)]),
    ("  vocabulary", [("services.py", "search_terms_count", None)]),
    ("  listing, entries, last_listed", [("service.py", "_record_listing", None)]),
    (
        "  import history (job, links)",
        [("service.py", "_command_job", None), ("service.py", "_history_link", None)],
    ),
    ("  merge GIN pending lists, ANALYZE", [("service.py", "_papers_table_tidy", None)]),
    ("SQL statements (cursor execute)", [("utils.py", "_execute", None)]),
]


def phase_seconds(stats: pstats.Stats, functions) -> float:
    total = 0.0
    for (file_name, _, function), entry in stats.stats.items():
        for suffix, name, caller in functions:
            if function != name or not file_name.endswith(suffix):
                continue
            if caller is None:
                total += entry[3]
            else:
                # Only the calls made by `caller`: entry[4] maps callers to their share.
                total += sum(
                    timing[3] for (_, _, calling), timing in entry[4].items() if calling == caller
                )
    return total


def empty_papers_tables() -> None:
    """Every table of the papers app emptied, as in a database that has never imported."""
    from django.db import connection

    tables = [
        name
        for name in connection.introspection.django_table_names(only_existing=True)
        if name.startswith("papers_")
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")


# The admin job's phases, each run by `manage.py shell -c` as a worker would.
JOB_UPLOAD = """
from datetime import date
from functools import partial
from pathlib import Path
from accounts.models import User
from papers.tasks import Upload, import_job_create
user, _ = User.objects.get_or_create(
    username="bench-admin", defaults={{"is_staff": True, "is_superuser": True}}
)
path = Path({path!r})
with path.open("rb") as file:
    chunks = iter(partial(file.read, 1024 * 1024), b"")
    job = import_job_create(
        uploads=[Upload(path.name, chunks)],
        source_format="",
        listing_name="",
        listing_date=date.fromisoformat({listing_date!r}),
        user=user,
    )
print(job.pk)
"""
JOB_PHASE = """
from papers.models import ImportJob
from papers.tasks import import_check, import_job_confirm, import_run
job = ImportJob.objects.get(pk={job})
if {phase!r} == "check":
    import_check.call(job.pk)
else:
    import_job_confirm(job=job)
    import_run.call(job.pk)
job.refresh_from_db()
print(job.state, job.failure)
print(f"{{job.created_count}} created, {{job.updated_count}} updated, "
      f"{{job.unchanged_count}} unchanged, {{job.rejected_count}} rejected")
"""


def admin_job(corpus: Path, bound_seconds: float, papers: int | None) -> None:
    """The corpus through the admin's job, into emptied tables and then again."""
    empty_papers_tables()
    rows = []
    for label in ("first upload", "same file again"):
        upload = manage(
            "shell",
            "--no-imports",
            "-c",
            JOB_UPLOAD.format(path=str(corpus), listing_date=CORPUS_LISTING_DATE),
        )
        job = int(upload.stdout.split()[-1])
        runs = [("(e) upload stored", upload)]
        for step, phase in (("(f) check (dry run)", "check"), ("(g) import", "import")):
            run = manage("shell", "--no-imports", "-c", JOB_PHASE.format(job=job, phase=phase))
            state, *_ = run.stdout.split()
            if state != "succeeded":
                raise SystemExit(f"the job's {phase} ended {run.stdout.strip()}")
            runs.append((step, run))
            checkpoint()
        for step, run in runs:
            step = step if label == "first upload" else f"(h) {step[4:]}, {label}"
            rows.append(
                [
                    step,
                    f"{run.seconds:.1f}",
                    f"{run.seconds / bound_seconds:.2f}",
                    f"{run.peak_rss_mib:.0f}" if run.peak_rss_mib else "?",
                    run.stdout.strip().splitlines()[-1] if run is not upload else "",
                ]
            )
    if papers is not None and papers != paper_count():
        raise SystemExit("the admin job imported another number of papers than the command")
    print("the admin's import job, into emptied papers tables; ratio = seconds / (a) bound")
    print(table(["step", "seconds", "ratio", "peak RSS MiB", "job's counts"], rows))
    print()
    print("after the admin's import: the same sizes as after the command's")
    print(table(["relation", "rows", "table MiB", "indexes MiB"], relation_sizes()))


PROFILE_TIMEOUT = 20 * 60


def analyze_papers_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("papers_paper", "papers_listingentry", "papers_listing", "papers_searchterm"):
            cursor.execute(f"ANALYZE {table}")


def profile_import(corpus: Path) -> None:
    """The import and the re-import again, under cProfile, their time split by phase."""
    empty_papers_tables()
    runs = {}
    with tempfile.TemporaryDirectory() as scratch:
        for label in ("import", "re-import"):
            profile = Path(scratch) / f"{label}.prof"
            command = [
                sys.executable,
                "-m",
                "cProfile",
                "-o",
                str(profile),
                str(PROJECT_ROOT / "manage.py"),
                # The re-import that reads the file, not the one that sees it unchanged.
                *import_arguments(corpus, *(["--reread"] if label == "re-import" else [])),
            ]
            started = time.perf_counter()
            subprocess.run(
                command, cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=PROFILE_TIMEOUT
            )
            seconds = time.perf_counter() - started
            runs[label] = (seconds, pstats.Stats(str(profile)))
            # The tables were emptied and refilled seconds ago: give the re-import
            # the statistics autovacuum would soon have. Without them the first
            # staged UPDATE of the re-import once ran for over ten minutes.
            analyze_papers_tables()
    rows = []
    for phase, functions in PHASES:
        row = [phase]
        for _, stats in runs.values():
            total = max(entry[3] for entry in stats.stats.values())
            seconds = phase_seconds(stats, functions)
            row += [f"{seconds:.1f}", f"{100 * seconds / total:.0f}%"]
        rows.append(row)
    walls = ", ".join(f"{label} {seconds:.1f} s" for label, (seconds, _) in runs.items())
    print(f"under cProfile (which slows Python code down): {walls} wall")
    headers = ["phase (cumulative)", "import s", "share", "re-import s", "share"]
    print(table(headers, rows))
    for label, (_, stats) in runs.items():
        print()
        print(f"{label}: top functions by own time")
        stats.sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
