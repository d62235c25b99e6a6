"""A staff member imports a listing through the admin, with a real worker beside the server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from papers.models import ImportJob, Paper
from tests.conftest import SAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
FIRST_TITLE = (
    "EMR-MSF: Self-Supervised Recurrent Monocular Scene Flow Exploiting Ego-Motion Rigidity"
)


@pytest.fixture
def worker(live_server):
    """`manage.py db_worker` on the database live_server serves."""
    settings = connection.settings_dict
    url = f"postgresql://{settings['USER']}@/{settings['NAME']}?host={settings['HOST']}"
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_staff_uploads_checks_confirms_and_sees_the_import_done(
    live_server, page, worker, django_user_model
):
    django_user_model.objects.create_superuser("root", password="a long enough password")

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Import listings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import listings")

    page.get_by_label("Files").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Check the files").click()

    # The worker checks the file; the page polls until the preview is there.
    expect(page.locator(".import-badge")).to_have_text("Checked: ready to import", timeout=30_000)
    expect(page.locator(".import-counts td").first).to_have_text("51")
    expect(page.locator(".import-rows")).to_contain_text(FIRST_TITLE)
    expect(page.locator(".import-files")).to_contain_text("Trending-papers page (text)")
    assert Paper.objects.count() == 0

    page.get_by_role("button", name="Import 51 papers").click()

    expect(page.locator(".import-badge")).to_have_text("Imported", timeout=30_000)
    expect(page.get_by_role("heading", name="What the import did")).to_be_visible()
    expect(page.get_by_role("link", name="Undo this import…")).to_be_visible()
    assert Paper.objects.count() == 51
    assert ImportJob.objects.get().created_count == 51
