"""`serve` runs the worker that admin imports need, and stops it with everything else."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.e2e.test_first_run import free_port, read_until

ROOT = Path(__file__).resolve().parents[1]


def workers_under(process: psutil.Process) -> list[psutil.Process]:
    return [
        child
        for child in process.children(recursive=True)
        if "db_worker" in " ".join(child.cmdline())
    ]


def test_serve_starts_a_task_worker_and_ctrl_c_stops_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PAPERSHELF_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(free_port()), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        read_until(serve.stdout, r"running at http://127\.0\.0\.1:\d+/")
        workers = workers_under(psutil.Process(serve.pid))
        assert len(workers) == 1
    finally:
        # Ctrl-C in a terminal signals the whole process group.
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=60)

    assert serve.returncode == 0
    deadline = time.monotonic() + 5
    while workers[0].is_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers[0].is_running(), "the worker was left running"
