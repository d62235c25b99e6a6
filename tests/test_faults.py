"""Concurrent edits and deleted accounts: no lost update, no duplicate, nothing private left."""

import threading
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Membership, Role, Workspace
from accounts.services import workspace_create
from papers import services
from papers.models import ListItem, Note, Paper, Tag, Tagging


def run_together(*actions) -> list[BaseException]:
    """Run the actions in threads released at the same moment; return what they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action):
        try:
            barrier.wait()
            action()
        except BaseException as error:  # reported to the test, which fails on it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.fixture
def team_list(reader, sample_listing):
    team = workspace_create(name="Lab", owner=reader)
    reading_list = services.reading_list_create(workspace=team, title="Friday", user=reader)
    papers = list(Paper.objects.order_by("pk")[:6])
    services.list_add_papers(reading_list=reading_list, papers=papers, user=reader)
    return team, reading_list


@pytest.mark.django_db(transaction=True)
def test_two_people_reordering_at_once_lose_nothing(team_list):
    _, reading_list = team_list
    items = list(reading_list.items.order_by("position"))
    first = [item.pk for item in reversed(items)]
    second = [items[1].pk, items[0].pk]

    errors = run_together(
        lambda: services.list_reorder(reading_list=reading_list, item_ids=first),
        lambda: services.list_reorder(reading_list=reading_list, item_ids=second),
        lambda: services.list_move_item(item=items[3], offset=-2),
    )

    assert errors == []
    positions = list(reading_list.items.order_by("position").values_list("position", flat=True))
    assert positions == [1, 2, 3, 4, 5, 6]
    assert set(reading_list.items.values_list("pk", flat=True)) == {item.pk for item in items}


@pytest.mark.django_db(transaction=True)
def test_two_people_adding_the_same_tag_at_once_make_one_tag(reader, team_list):
    team, _ = team_list
    paper = Paper.objects.first()

    errors = run_together(
        *[
            lambda name=name: services.papers_tag(
                workspace=team, papers=[paper], name=name, user=reader
            )
            for name in ("Memory", "memory", "MEMORY", "memory ")
        ]
    )

    assert errors == []
    assert Tag.objects.filter(workspace=team).count() == 1
    assert Tagging.objects.filter(paper=paper).count() == 1


@pytest.mark.django_db(transaction=True)
def test_adding_the_same_papers_to_a_list_at_once_duplicates_nothing(reader, team_list):
    _, reading_list = team_list
    extra = list(Paper.objects.order_by("-pk")[:3])

    errors = run_together(
        *[
            lambda: services.list_add_papers(reading_list=reading_list, papers=extra, user=reader)
            for _ in range(3)
        ]
    )

    assert errors == []
    assert ListItem.objects.filter(reading_list=reading_list).count() == 9


@pytest.mark.django_db
def test_deleting_an_account_removes_its_private_notes_and_keeps_shared_ones(
    client, reader, sample_listing, django_user_model
):
    colleague = django_user_model.objects.create_user("colleague", password="pw")
    team = workspace_create(name="Lab", owner=reader)
    Membership.objects.create(user=colleague, workspace=team, role=Role.EDITOR)
    paper = Paper.objects.first()
    shared = services.note_create(workspace=team, paper=paper, author=colleague, body="shared")
    services.note_create(
        workspace=team, paper=paper, author=colleague, body="private", visibility="private"
    )
    personal = colleague.workspaces.get(is_personal=True)

    colleague.delete()

    assert list(Note.objects.values_list("body", flat=True)) == ["shared"]
    shared.refresh_from_db()
    assert shared.author is None
    assert not Workspace.objects.filter(pk=personal.pk).exists()
    client.force_login(reader)
    page = client.get(paper.url_in(team))
    assert "deleted user" in page.text and "shared" in page.text
    assert reverse("workspace_papers", args=[team.slug]) in client.get("/").url


def terminate_app_connections() -> None:
    """What a database restart looks like to the app: every connection it holds is cut."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.django_db(transaction=True)
def test_a_request_cut_off_mid_transaction_fails_cleanly_and_writes_nothing(
    reader, workspace, sample_listing
):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(reader)
    reading_list = services.reading_list_create(workspace=workspace, title="Friday", user=reader)
    papers = list(Paper.objects.order_by("pk")[:3])
    cut = []

    def cut_after_the_insert(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not cut and sql.lstrip().upper().startswith("INSERT"):
            cut.append(sql)
            terminate_app_connections()
        return result

    with connection.execute_wrapper(cut_after_the_insert):
        response = client.post(
            reverse("list_add", args=[workspace.slug]),
            {"list": reading_list.pk, "paper": [paper.pk for paper in papers]},
        )

    assert cut, "the request never reached its insert"
    assert response.status_code == 500
    assert "Nothing you wrote was lost" in response.text
    connection.close()
    assert not ListItem.objects.filter(reading_list=reading_list).exists()


def test_the_app_recovers_when_the_database_drops_every_connection(
    live_server, reader, workspace, sample_listing, client
):
    client.force_login(reader)
    session = client.cookies["sessionid"].value
    url = f"{live_server.url}{reverse('workspace_papers', args=[workspace.slug])}"

    def get(path_url: str) -> int:
        request = urllib.request.Request(path_url, headers={"Cookie": f"sessionid={session}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert get(url) == 200
    terminate_app_connections()
    connection.close()  # the test's own connection was cut too
    assert [get(url) for _ in range(3)] == [200, 200, 200]
    assert get(f"{live_server.url}{reverse('healthz')}") == 200
