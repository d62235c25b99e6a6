import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_until(stream, pattern: str, timeout: float = 120) -> tuple[re.Match, str]:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen += line
        if match := re.search(pattern, line):
            return match, seen
    pytest.fail(f"serve never printed {pattern!r}; it printed:\n{seen}")


def test_serve_starts_everything_from_nothing_and_stops_cleanly(tmp_path, page):
    """The README's promise: one command, a fresh data directory, papers in the browser."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PAPERSHELF_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        account, output = read_until(serve.stdout, r"username (\S+), password (\S+)")
        assert "51 papers: 51 created, 0 updated, 0 unchanged" in output
        read_until(serve.stdout, r"running at http://127\.0\.0\.1:\d+/")

        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_label("Username").fill(account[1])
        page.get_by_label("Password").fill(account[2])
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".paper-row")).to_have_count(25)
        expect(page.locator("h1")).to_contain_text("Trending papers")
    finally:
        # Ctrl-C in a terminal signals the whole process group.
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=60)

    assert serve.returncode == 0
    postgres = [
        process
        for process in psutil.process_iter(["name", "cmdline"])
        if process.info["name"] == "postgres"
        and str(tmp_path) in " ".join(process.info["cmdline"] or [])
    ]
    assert postgres == [], "the embedded database was left running"
