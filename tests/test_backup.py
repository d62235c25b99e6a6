import subprocess
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Membership, Role
from accounts.services import workspace_create
from papers import services
from papers.anchoring import anchor_for_quote
from papers.database_tools import connection_arguments, tool
from papers.models import Paper

TABLES = [
    "papers_paper",
    "papers_listing",
    "papers_listingentry",
    "papers_tag",
    "papers_tagging",
    "papers_note",
    "papers_readingstate",
    "papers_readinglist",
    "papers_listitem",
    "accounts_user",
    "accounts_workspace",
    "accounts_membership",
]


def contents(dbname: str) -> dict[str, list]:
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=dbname,
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    ) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in TABLES
        }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_gives_everything_back(
    tmp_path, reader, sample_listing, django_user_model
):
    colleague = django_user_model.objects.create_user("colleague", password="pw")
    team = workspace_create(name="Lab", owner=reader)
    Membership.objects.create(user=colleague, workspace=team, role=Role.VIEWER)
    paper = Paper.objects.get(title__startswith="Titans")
    services.papers_tag(workspace=team, papers=[paper], name="memory", user=reader)
    services.reading_state_set(user=reader, paper=paper, status="reading")
    services.note_create(
        workspace=team,
        paper=paper,
        author=reader,
        body="core idea",
        anchor=anchor_for_quote(paper.abstract, "neural long-term memory module"),
        anchor_field="abstract",
    )
    reading_list = services.reading_list_create(workspace=team, title="Friday", user=reader)
    services.list_add_papers(reading_list=reading_list, papers=[paper], user=reader)
    archive = tmp_path / "papershelf.dump"
    target = f"{connection.settings_dict['NAME']}_restored"
    arguments, env = connection_arguments("postgres")
    subprocess.run(
        [
            tool("psql"),
            *arguments,
            "-c",
            f'DROP DATABASE IF EXISTS "{target}"',
            "-c",
            f'CREATE DATABASE "{target}"',
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        call_command("backup", str(archive), stdout=StringIO())
        restore_arguments, _ = connection_arguments(target)
        subprocess.run(
            [tool("pg_restore"), "--no-owner", "--exit-on-error", *restore_arguments, str(archive)],
            env=env,
            check=True,
            capture_output=True,
        )

        original, restored = contents(connection.settings_dict["NAME"]), contents(target)
    finally:
        subprocess.run(
            [tool("psql"), *arguments, "-c", f'DROP DATABASE IF EXISTS "{target}"'],
            env=env,
            check=True,
            capture_output=True,
        )

    assert restored == original
    assert len(restored["papers_note"]) == 1 and len(restored["papers_listitem"]) == 1
    assert len(restored["papers_paper"]) == 51


@pytest.mark.django_db(transaction=True)
def test_restore_replaces_the_database_with_the_archive(tmp_path, reader, sample_listing):
    archive = tmp_path / "papershelf.dump"
    call_command("backup", str(archive), stdout=StringIO())
    Paper.objects.filter(title__startswith="Titans").delete()

    call_command("restore", str(archive), "--noinput", stdout=StringIO())

    connection.close()
    assert Paper.objects.count() == 51
    assert Paper.objects.filter(title__startswith="Titans").exists()
