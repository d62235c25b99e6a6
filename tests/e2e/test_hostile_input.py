"""Hostile text everywhere a person or an import can put it, rendered in a real browser.

Nothing may execute: no dialog opens, no injected element appears, and no
CSP violation is logged (the page fixture fails the test on console errors).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership, Role
from accounts.services import workspace_create
from papers import services
from papers.anchoring import anchor_for_quote
from papers.models import Paper
from tests.conftest import import_listing

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '"><img src=x onerror="window.__xss=1;alert(2)">',
    "<svg onload=alert(3)>",
    "javascript:alert(4)",
    "[click](javascript:alert(5))",
    "{{7*7}} {% now 'Y' %}",
]
HOSTILE = " ".join(PAYLOADS)


@pytest.fixture
def hostile_world(tmp_path, django_user_model):
    listing = tmp_path / "hostile.txt"
    listing.write_text(f"Mar 14\n\nWidgets {PAYLOADS[1]}\n\nAbout widgets: {HOSTILE}\n")
    import_listing(str(listing))
    paper = Paper.objects.get()
    user = django_user_model.objects.create_user("ada", password="a long enough password")
    team = workspace_create(name=f"Team {PAYLOADS[1]}", owner=user)
    Membership.objects.filter(user=user, workspace=team).update(role=Role.OWNER)
    services.papers_tag(workspace=team, papers=[paper], name=PAYLOADS[2], user=user)
    note = services.note_create(
        workspace=team,
        paper=paper,
        author=user,
        body=HOSTILE,
        anchor=anchor_for_quote(paper.abstract, PAYLOADS[0]),
        anchor_field="abstract",
    )
    services.note_create(workspace=team, paper=paper, author=user, body=HOSTILE, parent=note)
    reading_list = services.reading_list_create(
        workspace=team, title=f"List {PAYLOADS[1]}", description=HOSTILE, user=user
    )
    services.list_add_papers(reading_list=reading_list, papers=[paper], user=user, comment=HOSTILE)
    services.list_public_link(reading_list=reading_list, enabled=True)
    return team, paper, reading_list


def test_nothing_hostile_executes_on_any_page(live_server, page, hostile_world):
    team, paper, reading_list = hostile_world
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    slug = team.slug
    pages = [
        reverse("workspace_papers", args=[slug]),
        reverse("workspace_papers", args=[slug]) + "?q=widgets",
        reverse("workspace_papers", args=[slug]) + "?q=%3Cscript%3Ealert(1)%3C/script%3E",
        reverse("paper", args=[slug, paper.pk]),
        reverse("notes", args=[slug]),
        reverse("tags", args=[slug]),
        reverse("lists", args=[slug]),
        reverse("list_detail", args=[slug, reading_list.pk]),
        reverse("members", args=[slug]),
        reverse("queue", args=[slug]),
        reverse("public_list", args=[reading_list.public_token]),
    ]

    for path in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).to_be_visible()
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("img[src='x'], main svg[onload], main script").count() == 0, path
        assert page.locator("a[href^='javascript:']").count() == 0, path

    page.goto(f"{live_server.url}{reverse('paper', args=[slug, paper.pk])}")
    expect(page.locator("mark.highlight")).to_have_text(PAYLOADS[0])
    expect(page.locator(".paper__title")).to_contain_text(PAYLOADS[1])
    assert dialogs == []
