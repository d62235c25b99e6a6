"""Load test: concurrent people browsing, searching, tagging and noting.

Starts Papershelf (`manage.py serve`, gunicorn on 127.0.0.1) on a data
directory of its own, makes the accounts it needs, then runs USERS simulated
people for DURATION seconds, each looping over: the papers page, a search, a
paper page, tagging that paper (htmx), a note (htmx), and their queue. It
reports throughput, p50/p95/p99 per action and the errors (target: none).

    uv run python bench/load.py --users 50 --duration 60

Everything stays on loopback and stops by itself.
"""

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["memory", "attention", "recurrent", "continual", "language", "transformer",
         "diffusion", "retrieval", "sparse", "scaling"]  # fmt: skip
PASSWORD = "load-test-password-1"


def setup_accounts(data_dir: Path, users: int) -> str:
    """Accounts load-0..N in one team workspace; returns the workspace slug.

    The notes and tags an earlier run left in the workspace are deleted: a
    run adds some 600 notes to the 25 papers of the listing's first page,
    which their pages and the note form's answer show, and each run's
    paper pages took longer than the last's (p50 851, 1125, 1261 ms).
    """
    script = f"""
from accounts.models import Membership, Role, User, Workspace
from accounts.services import workspace_create
from papers.models import Note, Tag
team = Workspace.objects.filter(slug="load-team").first()
if team is not None:
    Note.objects.filter(workspace=team).delete()
    Tag.objects.filter(workspace=team).delete()
for n in range({users}):
    user, made = User.objects.get_or_create(username=f"load-{{n}}")
    if made:
        user.set_password({PASSWORD!r}); user.save()
    if team is None:
        team = workspace_create(name="Load team", owner=user)
        team.slug = "load-team"; team.save()
    Membership.objects.get_or_create(user=user, workspace=team, defaults={{"role": Role.EDITOR}})
"""
    env = {**os.environ, "PAPERSHELF_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    subprocess.run(["uv", "run", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        ["uv", "run", "manage.py", "import_sample", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(["uv", "run", "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)
    return "load-team"


class Person:
    def __init__(self, base: str, name: str, slug: str, results: dict, errors: list):
        self.base, self.name, self.slug = base, name, slug
        self.results, self.errors = results, errors
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.csrf = ""

    def request(self, action: str, path: str, data: dict | None = None, htmx: bool = False):
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf} if htmx else {}
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=30) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            text, status = "", error.code
        except OSError as error:
            text, status = "", str(error)
        self.results[action].append(time.perf_counter() - start)
        if status not in (200, 302):
            self.errors.append(f"{action} {path}: {status}")
        return text

    def log_in(self) -> None:
        page = self.request("login page", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        self.request(
            "log in",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": self.name, "password": PASSWORD},
        )

    def loop(self, until: float) -> None:
        papers = f"/w/{self.slug}/papers/"
        while time.monotonic() < until:
            page = self.request("papers page", papers)
            if match := re.search(r'"X-CSRFToken": "([^"]+)"', page):
                self.csrf = match[1]
            ids = re.findall(r'href="/w/[^/]+/papers/(\d+)/"', page) or ["1"]
            self.request("search", f"{papers}?q={random.choice(WORDS)}+{random.choice(WORDS)}")
            paper = random.choice(ids)
            self.request("paper page", f"{papers}{paper}/")
            self.request("tag", f"{papers}{paper}/tags/", {"name": random.choice(WORDS)}, htmx=True)
            self.request("note", f"{papers}{paper}/notes/", {"body": "Load note."}, htmx=True)
            self.request("queue", f"/w/{self.slug}/queue/")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--data-dir", default="/tmp/papershelf-load")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    slug = setup_accounts(data_dir, args.users)
    env = {**os.environ, "PAPERSHELF_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    env["PYTHONUNBUFFERED"] = "1"  # so that "running at" arrives when it is printed
    serve = ["uv", "run", "manage.py", "serve", "--port", str(args.port)]
    server = subprocess.Popen(
        [*serve, "--workers", str(args.workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        for line in server.stdout:
            if "running at" in line:
                break
        base = f"http://127.0.0.1:{args.port}"
        results: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        people = [Person(base, f"load-{n}", slug, results, errors) for n in range(args.users)]
        for person in people:
            person.log_in()
        results.clear()
        started = time.monotonic()
        until = started + args.duration
        threads = [threading.Thread(target=p.loop, args=(until,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)

    total = sum(len(times) for times in results.values())
    print(f"{args.users} users, {elapsed:.0f} s, {args.workers} gunicorn workers, 2 cores")
    print(f"{total} requests, {total / elapsed:.1f} requests/s, {len(errors)} errors")
    print(f"{'action':<12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    everything = [t for times in results.values() for t in times]
    for action, times in [*sorted(results.items()), ("all", everything)]:
        print(
            f"{action:<12} {len(times):>6} {statistics.median(times) * 1000:>8.0f} "
            f"{percentile(times, 0.95):>8.0f} {percentile(times, 0.99):>8.0f}"
        )
    for error in errors[:10]:
        print("error:", error)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
