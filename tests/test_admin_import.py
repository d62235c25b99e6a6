"""The admin's import pages: upload, check (a dry run), confirm, progress, history, undo."""

import csv
import gzip
import io
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

import papers.tasks
from accounts.services import workspace_create
from papers.importing import files, service
from papers.models import (
    ImportFileChunk,
    ImportJob,
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingState,
    Tag,
)
from papers.services import (
    list_add_papers,
    note_create,
    papers_tag,
    reading_list_create,
    reading_state_set,
)
from papers.tasks import import_check, import_run, import_undo_run
from tests.conftest import DATA, SAMPLE, import_listing, papers_table_bytes

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:papers_importjob_add")
ARXIV_DUMP = DATA / "formats" / "arxiv-cs-daily.head30.jsonl"
HISTORY = reverse("admin:papers_importjob_changelist")
FIRST_TITLE = (
    "EMR-MSF: Self-Supervised Recurrent Monocular Scene Flow Exploiting Ego-Motion Rigidity"
)
# Three papers, one row too short and one without a title: two rejected rows.
CSV_WITH_BAD_ROWS = (
    "title,arxiv_id,authors\n"
    "Attention Is All You Need,1706.03762,Ashish Vaswani\n"
    "Deep Residual Learning,1512.03385\n"
    ",1810.04805,Jacob Devlin\n"
    "BERT: Pre-training of Deep Bidirectional Transformers,1810.04805,Jacob Devlin\n"
    "Adam: A Method for Stochastic Optimization,1412.6980,Diederik Kingma\n"
)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", password="a long password")


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def upload(client, *files: tuple[str, bytes], text: str = "", **fields):
    data = {"text": text, "source_format": "", "listing_name": "", "listing_date": "", **fields}
    data["files"] = [SimpleUploadedFile(name, content) for name, content in files]
    return client.post(UPLOAD, data)


def job_url(job: ImportJob, name: str = "change") -> str:
    return reverse(f"admin:papers_importjob_{name}", args=[job.pk])


def checked(client, *files, **fields) -> ImportJob:
    """An upload whose check the worker has run."""
    response = upload(client, *files, **fields)
    assert response.status_code == 302, response.content.decode()
    job = ImportJob.objects.latest("pk")
    import_check.call(job.pk)
    return ImportJob.objects.get(pk=job.pk)


def imported(client, *files, **fields) -> ImportJob:
    job = checked(client, *files, **fields)
    client.post(job_url(job, "confirm"))
    import_run.call(job.pk)
    return ImportJob.objects.get(pk=job.pk)


def sample() -> tuple[str, bytes]:
    return SAMPLE.name, SAMPLE.read_bytes()


def test_import_page_is_linked_from_the_admin_index_and_the_listings(admin_client):
    assert UPLOAD in admin_client.get(reverse("admin:index")).content.decode()
    listings = admin_client.get(reverse("admin:papers_listing_changelist"))
    assert UPLOAD in listings.content.decode()
    page = admin_client.get(UPLOAD)
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content


def test_upload_queues_a_check_and_stores_the_file(admin_client, staff):
    response = upload(admin_client, sample())

    job = ImportJob.objects.get()
    assert response["Location"] == job_url(job)
    assert (job.phase, job.state, job.created_by) == ("check", "queued", staff)
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.task_path == "papers.tasks.import_check"
    assert task.status == TaskResultStatus.READY
    stored = job.files.get()
    assert stored.name == SAMPLE.name
    assert stored.size == SAMPLE.stat().st_size
    assert len(stored.sha256) == 64
    assert "Waiting for a worker" in admin_client.get(job_url(job)).content.decode()


def test_dry_run_writes_nothing_and_shows_counts_first_rows_and_rejected_rows(admin_client):
    job = checked(admin_client, ("reading.csv", CSV_WITH_BAD_ROWS.encode()))

    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0
    assert (job.phase, job.state) == ("check", "succeeded")
    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)
    assert job.rejected_count == 2
    page = admin_client.get(job_url(job)).content.decode()
    assert "Checked: ready to import" in page
    assert "What the import will do" in page
    assert "Attention Is All You Need" in page  # the first rows
    assert "Rejected rows" in page
    assert "reading.csv:3" in page
    assert "this row has 2 fields but the header names 3: not imported" in page
    assert "reading.csv:4" in page
    assert "no title: not imported" in page
    assert "Import 3 papers" in page


def test_pasted_text_is_checked_like_a_file(admin_client):
    job = checked(admin_client, text=CSV_WITH_BAD_ROWS)

    assert job.files.get().name == "pasted text"
    assert job.files.get().source_format == "csv"
    assert job.created_count == 3


def test_several_files_are_one_import(admin_client):
    jsonl = DATA / "formats" / "arxiv-kaggle.head30.jsonl"
    job = imported(admin_client, sample(), (jsonl.name, jsonl.read_bytes()))

    assert [f.source_format for f in job.files.all()] == ["trending", "jsonl"]
    assert job.created_count == Paper.objects.count() == 51 + 30
    assert set(job.listings.values_list("name", flat=True)) == {"Trending papers", "arXiv listing"}


def test_confirm_queues_the_import_and_running_it_imports(admin_client):
    job = checked(admin_client, sample())

    response = admin_client.post(job_url(job, "confirm"))

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.phase, job.state) == ("import", "queued")
    assert DBTaskResult.objects.get(id=job.task_id).task_path == "papers.tasks.import_run"
    assert Paper.objects.count() == 0

    import_run.call(job.pk)

    job.refresh_from_db()
    assert (job.phase, job.state) == ("import", "succeeded")
    assert Paper.objects.count() == 51
    assert job.created_count == 51
    assert job.imported_at is not None and job.duration is not None
    assert list(job.listings.all()) == [Listing.objects.get()]
    assert not ImportFileChunk.objects.exists(), "the content is dropped once imported"
    page = admin_client.get(job_url(job)).content.decode()
    assert "Imported" in page and "What the import did" in page


def test_confirming_twice_queues_one_import(admin_client):
    job = checked(admin_client, sample())

    admin_client.post(job_url(job, "confirm"))
    response = admin_client.post(job_url(job, "confirm"), follow=True)

    assert "Only a checked import can be confirmed." in response.content.decode()
    assert DBTaskResult.objects.filter(task_path="papers.tasks.import_run").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("upload_file", "rows"),
    [
        (sample, "<strong>20</strong> of 51 rows (39%)"),
        # A JSON Lines file is read while it is imported: its lines are counted first.
        (lambda: ("dump.jsonl", ARXIV_DUMP.read_bytes()), "<strong>20</strong> of 30 rows (66%)"),
    ],
    ids=["parsed whole", "streamed"],
)
def test_progress_is_the_job_partial_for_htmx_and_polls_while_running(
    admin_client, monkeypatch, upload_file, rows
):
    job = checked(admin_client, upload_file())
    admin_client.post(job_url(job, "confirm"))
    monkeypatch.setattr(service, "BATCH_SIZE", 10)
    monkeypatch.setattr(service, "PROGRESS_EVERY", 0)
    monkeypatch.setattr("papers.tasks.PROGRESS_INTERVAL", 0)
    report = papers.tasks._Run.progress
    seen = []

    def look() -> None:
        try:
            seen.append(admin_client.get(job_url(job), headers={"HX-Request": "true"}))
        finally:
            connection.close()

    def progress_then_look(run, done, total):
        report(run, done, total)
        if done == 20:
            # As the admin's page looks: another request, on a connection of
            # its own (the import's is busy with its COPY).
            looking = threading.Thread(target=look)
            looking.start()
            looking.join()

    monkeypatch.setattr(papers.tasks._Run, "progress", progress_then_look)
    import_run.call(job.pk)

    partial = seen[0].content.decode()
    assert seen[0].status_code == 200
    assert "<html" not in partial
    assert "Importing" in partial
    assert 'hx-trigger="every 1s"' in partial
    assert rows in partial
    assert "rows a second" in partial and "left" in partial
    done = admin_client.get(job_url(job), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done, "polling stops once the import is done"
    assert "Imported" in done


def test_warnings_download_as_csv(admin_client):
    job = checked(admin_client, ("reading.csv", CSV_WITH_BAD_ROWS.encode()))

    response = admin_client.get(job_url(job, "warnings"))

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["file", "line", "rejected", "message"]
    assert rows[1][:3] == ["reading.csv", "3", "yes"]
    assert rows[2][:3] == ["reading.csv", "4", "yes"]


def test_command_imports_are_in_the_history(admin_client):
    import_listing(str(SAMPLE))

    job = ImportJob.objects.get()
    assert (job.origin, job.phase, job.state) == ("command", "import", "succeeded")
    assert job.created_count == 51
    assert job.duration is not None
    stored = job.files.get()
    assert stored.name == SAMPLE.name and len(stored.sha256) == 64
    assert job.papers_created.count() == 51
    history = admin_client.get(HISTORY).content.decode()
    assert SAMPLE.name in history and "command line" in history


def test_a_dry_run_of_the_command_records_nothing():
    import_listing(str(SAMPLE), "--dry-run")

    assert not ImportJob.objects.exists()


def test_upload_over_the_limit_is_refused_with_the_reason(admin_client, settings):
    settings.PAPERSHELF_MAX_UPLOAD_MB = 1

    response = upload(admin_client, ("big.txt", b"x" * (1024 * 1024 + 1)))

    assert response.status_code == 422
    page = response.content.decode()
    assert "larger than the limit of 1 MB" in page
    assert "PAPERSHELF_MAX_UPLOAD_MB" in page
    assert not ImportJob.objects.exists()


def test_a_file_that_is_not_text_is_refused_at_upload(admin_client):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))

    response = upload(admin_client, ("papers.csv", png))

    assert response.status_code == 422
    assert "papers.csv: rejected: not UTF-8 text: invalid byte 0x89" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_not_in_the_format_asked_for_is_rejected_by_the_check(admin_client):
    job = checked(admin_client, sample(), source_format="csv")

    assert job.state == "rejected"
    assert "read as csv (as asked), rejected: no title column" in job.failure
    assert Paper.objects.count() == 0
    assert not ImportFileChunk.objects.exists()
    assert "no title column" in admin_client.get(job_url(job)).content.decode()


def test_a_gzipped_upload_is_read(admin_client):
    job = checked(admin_client, (f"{SAMPLE.name}.gz", gzip.compress(SAMPLE.read_bytes())))

    assert job.state == "succeeded"
    assert job.created_count == 51
    assert job.files.get().source_format == "trending"


def test_a_file_stored_in_many_chunks_is_read_back_whole_and_in_order(admin_client, monkeypatch):
    from papers.importing import uploads

    monkeypatch.setattr(uploads, "CHUNK_SIZE", 1000)
    monkeypatch.setattr(uploads, "SPOOLED_CHUNKS", 3)  # fetched a few at a time
    response = upload(admin_client, sample())
    assert response.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert job.files.get().chunks.count() == -(-SAMPLE.stat().st_size // 1000)
    import_check.call(job.pk)

    job.refresh_from_db()
    assert (job.state, job.created_count, job.rejected_count) == ("succeeded", 51, 0)


def test_nothing_chosen_is_an_error(admin_client):
    response = upload(admin_client)

    assert response.status_code == 422
    assert "Choose a file to upload or paste a listing." in response.content.decode()


# ---- Undo ------------------------------------------------------------------


def test_undo_removes_the_listing_and_the_papers_nobody_uses_and_says_which_stay(
    admin_client, staff
):
    job = imported(admin_client, sample())
    papers = list(Paper.objects.order_by("pk"))
    workspace = workspace_create(name="Lab", owner=staff)
    papers_tag(workspace=workspace, papers=[papers[0]], name="to read", user=staff)
    note_create(workspace=workspace, paper=papers[1], author=staff, body="Good one.")
    reading_list = reading_list_create(workspace=workspace, title="Friday", user=staff)
    list_add_papers(reading_list=reading_list, papers=[papers[2]], user=staff)
    reading_state_set(user=staff, paper=papers[3], status="read")
    other = Listing.objects.create(name="Elsewhere", date="2025-01-01", sha256="0" * 64)
    ListingEntry.objects.create(listing=other, paper=papers[4], rank=1)

    confirmation = admin_client.get(job_url(job, "undo")).content.decode()
    assert "46 papers that only it brought in" in confirmation
    assert "5 papers it brought in stay" in confirmation
    admin_client.post(job_url(job, "undo"))
    import_undo_run.call(job.pk)

    job.refresh_from_db()
    assert (job.phase, job.state) == ("undo", "succeeded")
    assert list(Paper.objects.order_by("pk")) == papers[:5]
    assert list(Listing.objects.all()) == [other]
    assert Tag.objects.get().papers.get() == papers[0]
    assert Note.objects.get().paper == papers[1]
    assert ListItem.objects.get().paper == papers[2]
    assert ReadingState.objects.get().paper == papers[3]
    page = admin_client.get(job_url(job)).content.decode()
    assert "Removed 46 papers" in page
    assert "5 papers this import brought in stay" in page
    for reason in [
        "tagged",
        "has notes or highlights",
        "on a reading list",
        "has someone&#x27;s reading status",
        "in another listing",
    ]:
        assert reason in page


def test_undo_keeps_papers_that_were_there_before_the_import(admin_client):
    import_listing(str(DATA / "formats" / "arxiv-kaggle.head30.jsonl"))
    before = set(Paper.objects.values_list("pk", flat=True))
    jsonl = DATA / "formats" / "arxiv-kaggle.head30.jsonl"
    csv_file = DATA / "formats" / "arxiv-kaggle.head20.csv"
    job = imported(admin_client, (csv_file.name, csv_file.read_bytes()))
    assert job.created_count == 0, f"{jsonl.name} and {csv_file.name} share their papers"

    admin_client.post(job_url(job, "undo"))
    import_undo_run.call(job.pk)

    assert set(Paper.objects.values_list("pk", flat=True)) == before
    assert Listing.objects.get().name == "arXiv listing"


def test_undo_leaves_a_listing_that_a_later_import_rewrote(admin_client):
    first = imported(admin_client, sample())
    shorter = SAMPLE.read_text().rsplit("\n\n", 4)[0].encode()
    second = imported(admin_client, ("shorter.txt", shorter))
    assert list(second.listings.all()) == list(first.listings.all())

    admin_client.post(job_url(first, "undo"))
    import_undo_run.call(first.pk)

    assert Listing.objects.count() == 1
    report = ImportJob.objects.get(pk=first.pk).undo_report
    assert report["listings_rewritten"] == [
        {"listing": str(Listing.objects.get()), "import": second.pk}
    ]


def test_only_a_finished_import_can_be_undone(admin_client):
    job = checked(admin_client, sample())

    response = admin_client.post(job_url(job, "undo"), follow=True)

    assert "Only a finished import can be undone." in response.content.decode()
    assert ImportJob.objects.get(pk=job.pk).phase == "check"


# ---- Failure and retry -----------------------------------------------------


def test_a_job_that_fails_halfway_leaves_nothing_and_can_be_retried(admin_client, monkeypatch):
    from papers.importing import service

    job = checked(admin_client, sample())
    admin_client.post(job_url(job, "confirm"))
    monkeypatch.setattr(service, "BATCH_SIZE", 10)

    def killed_halfway(self, done, total):
        if done >= 30:
            raise RuntimeError("worker killed")

    monkeypatch.setattr("papers.tasks._Run.progress", killed_halfway)
    with pytest.raises(RuntimeError):
        import_run.call(job.pk)

    assert Paper.objects.count() == 0
    assert Listing.objects.count() == 0
    job = ImportJob.objects.with_worker().get(pk=job.pk)
    assert (job.phase, job.state) == ("import", "failed")
    assert job.failure == "RuntimeError: worker killed"
    assert job.can_retry
    page = admin_client.get(job_url(job)).content.decode()
    assert "Import failed" in page and "Retry the import" in page

    monkeypatch.undo()
    admin_client.post(job_url(job, "retry"))
    assert ImportJob.objects.get(pk=job.pk).state == "queued"
    import_run.call(job.pk)
    assert Paper.objects.count() == 51


def test_a_running_job_whose_worker_is_gone_shows_as_stopped_and_can_be_retried(admin_client):
    job = checked(admin_client, sample())
    admin_client.post(job_url(job, "confirm"))
    # What a killed worker leaves: "running", and no connection holding the job's lock.
    ImportJob.objects.filter(pk=job.pk).update(state="running", rows_total=51, rows_done=10)

    page = admin_client.get(job_url(job)).content.decode()

    assert "Stopped: its worker is gone" in page
    assert "Nothing was written" in page
    assert "hx-trigger" not in page
    lost_task = ImportJob.objects.get(pk=job.pk).task_id
    DBTaskResult.objects.filter(id=lost_task).update(status=TaskResultStatus.RUNNING)
    admin_client.post(job_url(job, "retry"))
    assert ImportJob.objects.get(pk=job.pk).state == "queued"
    assert DBTaskResult.objects.get(id=lost_task).status == TaskResultStatus.FAILED
    import_run.call(job.pk)
    assert Paper.objects.count() == 51


@pytest.mark.django_db(transaction=True)
def test_the_import_counts_a_dump_by_the_lines_its_check_counted(admin_client, monkeypatch):
    job = checked(admin_client, ("dump.jsonl", ARXIV_DUMP.read_bytes()))
    admin_client.post(job_url(job, "confirm"))

    def counted_again(file):
        raise AssertionError("the import decompressed and counted the file again")

    monkeypatch.setattr("papers.tasks.listing_file_lines", counted_again)
    import_run.call(job.pk)

    job = ImportJob.objects.get(pk=job.pk)
    assert job.files.get().lines == 30
    assert job.state == ImportJob.State.SUCCEEDED
    assert (job.rows_done, job.rows_total, job.created_count) == (30, 30, 30)


def test_a_running_job_whose_worker_holds_it_is_not_stopped(admin_client, monkeypatch):
    job = checked(admin_client, sample())
    admin_client.post(job_url(job, "confirm"))
    seen = {}
    importing = papers.tasks.listing_import

    def look_then_import(**arguments):
        seen.setdefault("job", ImportJob.objects.with_worker().get(pk=job.pk))
        return importing(**arguments)

    monkeypatch.setattr("papers.tasks.listing_import", look_then_import)
    import_run.call(job.pk)

    assert seen["job"].worker_alive
    assert not seen["job"].is_stopped
    assert not ImportJob.objects.with_worker().get(pk=job.pk).worker_alive


def test_history_counts_a_stopped_import_among_the_failed(admin_client):
    stopped = checked(admin_client, sample())
    ImportJob.objects.filter(pk=stopped.pk).update(phase="import", state="running")
    ready = checked(admin_client, sample())

    failed = admin_client.get(HISTORY, {"status": "failed"}).content.decode()
    waiting = admin_client.get(HISTORY, {"status": "checked"}).content.decode()

    assert job_url(stopped) in failed and job_url(ready) not in failed
    assert job_url(ready) in waiting and job_url(stopped) not in waiting
    assert "Stopped: its worker is gone" in failed


def test_discarding_removes_a_checked_import_but_not_an_imported_one(admin_client):
    checked_job = checked(admin_client, sample())
    imported_job = imported(admin_client, sample())

    admin_client.post(job_url(checked_job, "delete"), {"post": "yes"})
    refused = admin_client.post(job_url(imported_job, "delete"), {"post": "yes"})

    assert not ImportJob.objects.filter(pk=checked_job.pk).exists()
    assert refused.status_code == 403
    assert ImportJob.objects.filter(pk=imported_job.pk).exists()


# ---- Who may ------------------------------------------------------------------


def admin_import_urls(job: ImportJob) -> list[tuple[str, str]]:
    return [
        ("GET", UPLOAD),
        ("POST", UPLOAD),
        ("GET", HISTORY),
        ("GET", job_url(job)),
        ("POST", job_url(job, "confirm")),
        ("POST", job_url(job, "retry")),
        ("GET", job_url(job, "undo")),
        ("POST", job_url(job, "undo")),
        ("GET", job_url(job, "warnings")),
        ("GET", job_url(job, "delete")),
    ]


@pytest.mark.parametrize("visitor", ["anonymous", "member"])
def test_only_staff_reach_the_import_pages(client, reader, visitor):
    job = ImportJob.objects.create()
    if visitor == "member":
        client.force_login(reader)

    for method, url in admin_import_urls(job):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code in {302, 403, 404}, (method, url, response.status_code)
        if response.status_code == 302:
            login = response["Location"].split("?")[0]
            assert login in {reverse("login"), reverse("admin:login")}, (method, url)
    assert ImportJob.objects.get().state == "queued"
    assert DBTaskResult.objects.count() == 0


def test_staff_without_import_permissions_are_refused(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    job = ImportJob.objects.create()

    for method, url in admin_import_urls(job):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 403, (method, url, response.status_code)


def test_a_json_lines_upload_is_read_a_line_at_a_time_past_the_cap_on_whole_files(
    admin_client, monkeypatch
):
    # Parsed whole, this file would be over the cap and rejected.
    monkeypatch.setattr(files, "MAX_DECOMPRESSED_BYTES", 1000)
    packed = gzip.compress(ARXIV_DUMP.read_bytes())

    job = checked(admin_client, ("dump.jsonl.gz", packed))

    assert (job.state, job.failure) == ("succeeded", "")
    assert job.created_count == 30
    assert [row["line"] for row in job.preview] == list(range(1, 11))
    assert {row["outcome"] for row in job.preview} == {"created"}
    assert Paper.objects.count() == 0

    admin_client.post(job_url(job, "confirm"))
    import_run.call(job.pk)

    job.refresh_from_db()
    assert (job.phase, job.state) == ("import", "succeeded")
    assert Paper.objects.count() == 30


def test_a_bad_line_deep_in_a_json_lines_upload_rejects_it_and_writes_nothing(
    admin_client, monkeypatch
):
    # Small batches: papers before the bad line are written before it is met.
    monkeypatch.setattr(service, "BATCH_SIZE", 4)
    lines = ARXIV_DUMP.read_bytes().splitlines(keepends=True)
    # Past the head the upload form looks at, which the bad byte would fail.
    padding = b"\n" * (70 * 1024)
    content = b"".join([*lines[:20], padding, b'{"title": "caf\xe9"}\n', *lines[20:]])

    job = checked(admin_client, ("dump.jsonl", content))

    assert job.state == "rejected"
    bad_line = 20 + len(padding) + 1
    assert job.failure.startswith(
        "dump.jsonl: read as jsonl (told from the content), rejected: not UTF-8 text"
    )
    assert f"line {bad_line}" in job.failure
    assert Paper.objects.count() == 0
    assert not ImportFileChunk.objects.exists()
    assert job.failure in admin_client.get(job_url(job)).content.decode()


def test_a_file_imported_before_and_unchanged_since_is_checked_without_being_read(
    admin_client,
):
    dump = ("dump.jsonl", ARXIV_DUMP.read_bytes())
    imported(admin_client, dump)

    job = checked(admin_client, dump)

    assert job.state == "succeeded"
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 30)
    assert job.preview == []
    page = admin_client.get(job_url(job)).content.decode()
    assert "Import 30 papers" in page


@pytest.mark.django_db(transaction=True)
def test_a_large_check_leaves_the_papers_table_as_small_as_it_was(
    compact_papers_table, admin_client, monkeypatch
):
    # Thirty papers stand for the tens of thousands that make a check large.
    monkeypatch.setattr(service, "ANALYZE_AFTER", 10)
    imported(admin_client, sample())
    before = papers_table_bytes()

    job = checked(admin_client, ("dump.jsonl", ARXIV_DUMP.read_bytes()))

    assert (job.state, job.created_count) == ("succeeded", 30)
    assert papers_table_bytes() <= before
