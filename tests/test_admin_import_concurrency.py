"""Imports at the same time, and a worker killed in the middle of one: real transactions."""

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from papers.importing import service
from papers.importing.formats import parse_listing
from papers.models import ImportJob, Listing, Paper
from papers.tasks import (
    Upload,
    import_check,
    import_job_confirm,
    import_job_create,
    import_job_retry,
    import_run,
)
from tests.conftest import DATA, SAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[1]
JSONL = DATA / "formats" / "arxiv-kaggle.head30.jsonl"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", password="a long password")


def confirmed(user, *files: tuple[str, bytes]) -> ImportJob:
    job = import_job_create(
        uploads=[Upload(name, [content]) for name, content in files],
        source_format="",
        listing_name="",
        listing_date=None,
        user=user,
    )
    import_check.call(job.pk)
    return import_job_confirm(job=ImportJob.objects.with_worker().get(pk=job.pk))


def titles_as_csv(records) -> bytes:
    """The same papers by title only: they can be matched by nothing else."""
    rows = ['"{}"'.format(record.title.replace('"', '""')) for record in records]
    return "\n".join(["title", *rows]).encode()


def test_overlapping_imports_at_once_neither_deadlock_nor_duplicate(staff, monkeypatch):
    today = timezone.localdate()
    trending = parse_listing(SAMPLE.read_bytes(), source_format="trending", today=today)
    jsonl_lines = JSONL.read_text().splitlines()
    # The same papers, in the opposite order: with ids (unique) and by title (not).
    first = confirmed(staff, (SAMPLE.name, SAMPLE.read_bytes()), (JSONL.name, JSONL.read_bytes()))
    second = confirmed(
        staff,
        ("titles.csv", titles_as_csv(reversed(trending.records))),
        ("reversed.jsonl", "\n".join(reversed(jsonl_lines)).encode()),
    )
    upsert = service._upsert_papers

    def slow_upsert(*args, **kwargs):
        # Both imports would be inside their write phase together, were it
        # not for the lock: long enough for either to miss the other's rows.
        time.sleep(0.3)
        return upsert(*args, **kwargs)

    monkeypatch.setattr(service, "_upsert_papers", slow_upsert)
    start = threading.Barrier(2)
    errors = []

    def run(job: ImportJob) -> None:
        try:
            start.wait()
            import_run.call(job.pk)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads), "the imports are stuck"
    assert errors == []
    states = set(ImportJob.objects.values_list("phase", "state"))
    assert states == {("import", "succeeded")}
    duplicates = Paper.objects.values("title_key").annotate(n=Count("pk")).filter(n__gt=1)
    assert list(duplicates) == []
    assert Paper.objects.count() == 51 + 30
    created = sorted(ImportJob.objects.values_list("created_count", flat=True))
    assert created == [0, 81], "one import brought every paper, the other found them"


def synthetic_corpus(size: int) -> bytes:
    """A JSON Lines listing big enough that a worker is still busy when it is killed."""
    words = ["memory", "attention", "recurrent", "sparse", "retrieval", "scaling", "diffusion"]
    lines = [
        json.dumps(
            {
                "id": f"2601.{n:05d}",
                "title": f"Paper {n}: {words[n % 7]} {words[n * 5 % 7]} study",
                "abstract": f"We study {words[n % 7]} in {words[n * 3 % 7]} models. " * 5,
                "authors": [f"Author {n % 97}"],
            }
        )
        for n in range(size)
    ]
    return gzip.compress("\n".join(lines).encode())


def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_can_be_retried(staff):
    job = confirmed(staff, ("corpus-10000.jsonl.gz", synthetic_corpus(10_000)))
    settings = connection.settings_dict
    url = f"postgresql://{settings['USER']}@/{settings['NAME']}?host={settings['HOST']}"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not ImportJob.objects.get(pk=job.pk).rows_done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ImportJob.objects.get(pk=job.pk).rows_done, "the worker never got going"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    # PostgreSQL notices the dead connection and rolls its transaction back.
    deadline = time.monotonic() + 10
    while ImportJob.objects.with_worker().get(pk=job.pk).worker_alive:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stopped = ImportJob.objects.with_worker().get(pk=job.pk)
    assert stopped.state == "running" and stopped.is_stopped and stopped.can_retry
    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0

    import_job_retry(job=stopped)
    import_run.call(job.pk)

    assert ImportJob.objects.get(pk=job.pk).state == "succeeded"
    assert Paper.objects.count() == 10_000


def test_a_bulk_load_in_an_admin_job_writes_its_progress_and_the_next_file(staff, monkeypatch):
    # Small batches and a low threshold make the first file a bulk load, which
    # checks its links at the end (see service._references_checked_once) while
    # the job's progress goes on being written on a connection of its own.
    monkeypatch.setattr(service, "BATCH_SIZE", 4)
    monkeypatch.setattr(service, "REBUILD_AFTER", 10)
    monkeypatch.setattr("papers.tasks.PROGRESS_INTERVAL", 0)
    job = confirmed(staff, (JSONL.name, JSONL.read_bytes()), (SAMPLE.name, SAMPLE.read_bytes()))

    def work() -> None:
        try:
            import_run.call(job.pk)
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=120)

    assert not worker.is_alive(), "the import is stuck behind its own progress updates"
    job.refresh_from_db()
    assert job.state == ImportJob.State.SUCCEEDED
    assert job.rows_done == job.rows_total == 30 + 51
    assert job.papers_created.count() == Paper.objects.count()
    assert Listing.objects.annotate(n=Count("entries")).filter(n=0).count() == 0
