"""Admin imports in the background: checking the files, importing them, undoing.

Each phase of an `ImportJob` is a task of Django's tasks API, queued in the
database by django-tasks-db and run by `manage.py db_worker` (`serve` starts
one). The admin queues a phase and its page polls the job for progress.

While a worker runs a phase it holds an advisory lock (WORKER_LOCK, job id)
on a database connection of its own. PostgreSQL drops the lock with that
connection, so a job that says it is running while nobody holds its lock
lost its worker (killed, or cut off from the database): the admin shows it
as stopped and offers a retry. The import itself is one transaction, so a
worker that dies in the middle leaves the database as it was.
"""

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, connections, transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from papers.importing.files import (
    ListingFile,
    ListingFileRejected,
    listing_file_lines,
    listing_file_read,
)
from papers.importing.records import ListingError
from papers.importing.service import (
    ImportResult,
    import_job_tally,
    import_undo,
    listing_import,
    papers_table_reclaim,
)
from papers.importing.uploads import import_file_spool, import_file_store
from papers.models import WORKER_LOCK, ImportFile, ImportFileChunk, ImportJob

# The first rows of the files, shown by the check so a person can see that
# the file was read as they meant.
PREVIEW_ROWS = 10
# Progress is written at most this often (seconds): often enough to look
# live, rarely enough to cost nothing next to the import.
PROGRESS_INTERVAL = 0.5
STOPPED = "The worker stopped before the phase finished; nothing was written."


class ImportJobError(ValueError):
    """A request the job's state does not allow (confirming twice, say)."""


# ---- The admin's side: queueing phases ----------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file as the form received it, or the pasted text."""

    name: str
    chunks: Iterable[bytes]


@transaction.atomic
def import_job_create(
    *,
    uploads: list[Upload],
    source_format: str,
    listing_name: str,
    listing_date: date | None,
    user: User,
) -> ImportJob:
    """Store the uploaded files and queue their check.

    The task is queued in the same transaction as the job (django-tasks-db
    keeps its queue in the database), so a worker never sees one without
    the other.
    """
    job = ImportJob.objects.create(
        origin=ImportJob.Origin.ADMIN,
        created_by=user,
        source_format=source_format,
        listing_name=listing_name,
        listing_date=listing_date,
    )
    for position, upload in enumerate(uploads):
        import_file_store(job=job, position=position, name=upload.name, chunks=upload.chunks)
    _queue(job, ImportJob.Phase.CHECK)
    return job


@transaction.atomic
def import_job_confirm(*, job: ImportJob) -> ImportJob:
    """Queue the import of files whose check succeeded."""
    job = _locked(job)
    if (job.phase, job.state) != (ImportJob.Phase.CHECK, ImportJob.State.SUCCEEDED):
        raise ImportJobError("Only a checked import can be confirmed.")
    return _queue(job, ImportJob.Phase.IMPORT)


@transaction.atomic
def import_job_retry(*, job: ImportJob) -> ImportJob:
    """Queue again the phase that failed, or whose worker was lost."""
    job = _locked(job)
    if not job.can_retry:
        raise ImportJobError("Only a failed or stopped phase can be retried.")
    # A lost worker's task still reads "running" in the task results: it is not.
    DBTaskResult.objects.filter(id=job.task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now()
    )
    return _queue(job, job.phase)


@transaction.atomic
def import_job_undo(*, job: ImportJob) -> ImportJob:
    """Queue the undo of an import that succeeded."""
    job = _locked(job)
    if (job.phase, job.state) != (ImportJob.Phase.IMPORT, ImportJob.State.SUCCEEDED):
        raise ImportJobError("Only a finished import can be undone.")
    return _queue(job, ImportJob.Phase.UNDO)


def _locked(job: ImportJob) -> ImportJob:
    """The job's row, locked: two people clicking at once queue one task."""
    return ImportJob.objects.with_worker().select_for_update(of=("self",)).get(pk=job.pk)


def _queue(job: ImportJob, phase: str) -> ImportJob:
    task_for_phase = {
        ImportJob.Phase.CHECK: import_check,
        ImportJob.Phase.IMPORT: import_run,
        ImportJob.Phase.UNDO: import_undo_run,
    }[phase]
    job.task_id = task_for_phase.enqueue(job.pk).id
    job.phase = phase
    job.state = ImportJob.State.QUEUED
    job.failure = ""
    job.rows_total = job.rows_done = 0
    job.phase_started_at = job.progress_at = None
    job.save()
    return job


# ---- The worker's side: running phases -----------------------------------------


@task(priority=10)
def import_check(job_id: int) -> None:
    """Read every file and import it in a transaction rolled back: the preview's counts.

    Checks go before waiting imports (a higher priority), since a person is
    looking at the page for them.
    """
    with _Run(job_id) as run:
        opened = run.files_opened()
        with transaction.atomic():
            results = run.import_files(opened)
            # The import's own code path, counted exactly, and written nowhere.
            transaction.set_rollback(True)
        papers_table_reclaim(results)
        run.job.preview = _preview(opened, results)
        run.succeed()


@task
def import_run(job_id: int) -> None:
    """Import the checked files in one transaction, the job's success with them."""
    with _Run(job_id) as run:
        opened = run.files_opened()
        with transaction.atomic():
            run.import_files(opened)
            finished = timezone.now()
            run.job.imported_at = finished
            run.job.duration = finished - run.job.phase_started_at
            # The content has served its purpose; name, size and hash stay.
            ImportFileChunk.objects.filter(file__job=run.job).delete()
            run.succeed()


@task
def import_undo_run(job_id: int) -> None:
    """Undo an import, its report written in the same transaction as the removal."""
    with _Run(job_id) as run, transaction.atomic():
        run.job.undo_report = import_undo(job=run.job, progress=run.progress)
        run.succeed()


class _Run:
    """A worker's hold on a job while it runs one phase.

    Entering takes the job's worker lock on a connection of its own and marks
    the phase running; progress is written on that connection too, outside
    the import's transaction, so the admin sees it while the import is not
    yet committed. Leaving on a file that cannot be imported marks the job
    rejected, and on another exception failed; leaving releases the lock
    (closing the connection would too, should the server be out of reach)
    and removes the files' temporary copies.
    """

    def __init__(self, job_id: int) -> None:
        self.job = ImportJob.objects.get(pk=job_id)
        main = connections[DEFAULT_DB_ALIAS]
        self._own = type(main)(main.settings_dict.copy(), DEFAULT_DB_ALIAS)
        self._written_at = 0.0
        self._copies = contextlib.ExitStack()

    def __enter__(self) -> "_Run":
        self._execute("SELECT pg_advisory_lock(%s, %s)", [WORKER_LOCK, self.job.pk])
        now = timezone.now()
        self.job.state = ImportJob.State.RUNNING
        self.job.phase_started_at = self.job.progress_at = now
        self.job.save(update_fields=["state", "phase_started_at", "progress_at"])
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        try:
            if isinstance(error, ListingFileRejected):
                self._reject(error)
            elif error is not None:
                self._fail(error)
            # Released here, not by closing: the server ends a closed
            # session's backend (and frees its locks) a moment later, and
            # the job would look held by a worker meanwhile.
            with contextlib.suppress(DatabaseError, InterfaceError):
                self._execute("SELECT pg_advisory_unlock(%s, %s)", [WORKER_LOCK, self.job.pk])
        finally:
            self._copies.close()
            self._own.close()
        # A rejected file is the phase's outcome, not the worker's failure.
        return isinstance(error, ListingFileRejected)

    def _reject(self, error: ListingFileRejected) -> None:
        self.job.state = ImportJob.State.REJECTED
        self.job.failure = str(error)
        self.job.save(update_fields=["state", "failure"])
        # Nothing can be done with the files but upload them again.
        ImportFileChunk.objects.filter(file__job=self.job).delete()

    def _fail(self, error: BaseException) -> None:
        self.job.state = ImportJob.State.FAILED
        self.job.failure = (
            f"{type(error).__name__}: {error}" if isinstance(error, Exception) else STOPPED
        )
        # Should the database be out of reach, the job stays "running" with
        # no lock held, which the admin shows as stopped, to retry, all the same.
        with contextlib.suppress(DatabaseError):
            self.job.save(update_fields=["state", "failure"])

    def _execute(self, sql: str, params: list) -> None:
        with self._own.cursor() as cursor:
            cursor.execute(sql, params)

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._written_at < PROGRESS_INTERVAL:
            return
        self._written_at = now
        self._execute(
            f"UPDATE {ImportJob._meta.db_table} "
            "SET rows_done = %s, rows_total = %s, progress_at = now() WHERE id = %s",
            [done, total, self.job.pk],
        )

    def files_opened(self) -> list["_Opened"]:
        """Every file, copied from the database to a temporary file and opened for import.

        A file in a format read whole is parsed here, and a JSON Lines file
        only started: its lines are read while it is imported, and its
        records counted beforehand for the progress. A file that cannot be
        read raises ListingFileRejected. The lines are counted once, by the
        check: the import reads the same bytes.
        """
        opened = []
        for stored in self.job.files.all():
            copy = self._copies.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed on leaving)
            import_file_spool(stored, copy)
            listing_file = listing_file_read(
                copy,
                name=stored.name,
                source_format=self.job.source_format or None,
                today=timezone.localdate(),
            )
            stored.source_format = listing_file.source_format
            stored.format_detected = listing_file.detected
            if listing_file.streamed:
                if stored.lines is None:
                    stored.lines = listing_file_lines(copy)
                rows = stored.lines
            else:
                rows = len(listing_file.listing.records)
            opened.append(_Opened(stored, listing_file, rows))
        stored_files = [item.stored for item in opened]
        ImportFile.objects.bulk_update(stored_files, ["source_format", "format_detected", "lines"])
        self.progress(0, sum(item.rows for item in opened))
        return opened

    def import_files(self, opened: list["_Opened"]) -> list[ImportResult]:
        """Each file through the import service, in the caller's transaction."""
        total = sum(item.rows for item in opened)
        _counts_reset(self.job)
        results, done = [], 0
        for stored, listing_file, rows in opened:
            try:
                result = listing_import(
                    listing=listing_file.listing,
                    # A blank name is the file's own, as with the command.
                    name=self.job.listing_name or None,
                    source_format=stored.source_format,
                    file_name=stored.name,
                    sha256=stored.sha256,
                    default_date=timezone.localdate(),
                    listing_date=self.job.listing_date,
                    imported_by=self.job.created_by,
                    progress=_offset(self.progress, done, total),
                    job=self.job,
                )
            except ListingError as error:
                # A streamed file's fault shows only once its line is read.
                raise ListingFileRejected(
                    stored.name, error, stored.source_format, stored.format_detected
                ) from error
            import_job_tally(job=self.job, result=result, file_name=stored.name)
            results.append(result)
            done += rows
        return results

    def succeed(self) -> None:
        """Mark the phase done; inside the phase's transaction, committed with its work."""
        self.job.state = ImportJob.State.SUCCEEDED
        self.job.refresh_from_db(fields=["rows_total", "rows_done", "progress_at"])
        self.job.rows_done = self.job.rows_total
        self.job.progress_at = timezone.now()
        self.job.save()


class _Opened(NamedTuple):
    """A file of the job, opened for import, and how many records it holds at most."""

    stored: ImportFile
    file: ListingFile
    rows: int


def _offset(progress: Callable[[int, int], None], before: int, total: int):
    """A file's progress as progress through all the files."""
    return lambda done, _file_total: progress(before + done, total)


def _counts_reset(job: ImportJob) -> None:
    job.created_count = job.updated_count = job.unchanged_count = job.rejected_count = 0
    job.warnings = []


def _preview(opened: list[_Opened], results: list[ImportResult]) -> list[dict]:
    """The first rows of the files and what the import makes of each.

    An import finds a file it imported before unchanged without reading it,
    and has no rows to show.
    """
    rows = []
    for item, result in zip(opened, results, strict=True):
        for record, outcome in islice(result.outcomes.items(), PREVIEW_ROWS - len(rows)):
            rows.append(
                {
                    "file": item.stored.name,
                    "line": record.line,
                    "title": record.title,
                    "arxiv_id": record.arxiv_id,
                    "authors": list(record.authors),
                    "published": record.published.isoformat() if record.published else "",
                    "outcome": str(outcome),
                }
            )
    return rows
