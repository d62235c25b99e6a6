from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "hf-trending-mar-14.txt"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Serve static files from the source tree: tests do not run collectstatic."""
    settings.STATIC_ROOT = None
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers are slow by design; the tests make many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def import_listing(*args: str) -> tuple[str, str]:
    """Run import_listing as a person would; return (stdout, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    call_command("import_listing", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def sample_listing(db):
    import_listing(str(SAMPLE))
    from papers.models import Listing

    return Listing.objects.get()


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user("reader", password="correct horse battery")


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def workspace(reader):
    """The reader's personal workspace, made for them when the account was."""
    return reader.workspaces.get(is_personal=True)


def papers_table_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size('papers_paper')")
        return cursor.fetchone()[0]


@pytest.fixture
def compact_papers_table(transactional_db):
    """An empty papers table of no pages, whatever earlier tests rolled back into it.

    VACUUM gives trailing pages back only when they are a sixteenth of the
    table or more, as the rows a large import rolls back are: a test of
    that, with thirty papers, needs a table of its own size.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL papers_paper")
