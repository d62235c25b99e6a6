"""axe-core on every page, light and dark: no serious or critical violations.

axe-core comes from the npm registry: the first run installs it into
tests/.axe/ (gitignored). It is evaluated through the browser's debugging
protocol, which the page's CSP does not apply to, so the CSP stays strict.
"""

import json
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.services import workspace_create
from papers import services
from papers.anchoring import anchor_for_quote
from papers.models import Paper
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db(transaction=True)

AXE_DIR = Path(__file__).resolve().parent.parent / ".axe"
AXE_VERSION = "4.14.1"


@pytest.fixture(scope="session")
def axe_source() -> str:
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(AXE_DIR),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
        )
    return script.read_text()


def serious_violations(page, axe_source: str) -> list[str]:
    page.evaluate(axe_source)
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in json.loads(result)["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe(
    live_server, browser, settings, django_user_model, axe_source, scheme
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    import_listing(str(SAMPLE))
    user = django_user_model.objects.create_user("ada", password="a long enough password")
    team = workspace_create(name="Reading group", owner=user)
    paper = Paper.objects.get(title__startswith="Titans")
    services.papers_tag(workspace=team, papers=[paper], name="memory", user=user)
    services.note_create(
        workspace=team,
        paper=paper,
        author=user,
        body="The **core** idea.",
        anchor=anchor_for_quote(paper.abstract, "neural long-term memory module"),
        anchor_field="abstract",
    )
    reading_list = services.reading_list_create(workspace=team, title="Friday", user=user)
    services.list_add_papers(reading_list=reading_list, papers=[paper], user=user, comment="Why.")
    services.list_public_link(reading_list=reading_list, enabled=True)

    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    anonymous_pages = [
        reverse("login"),
        reverse("signup"),
        reverse("password_reset"),
        reverse("public_list", args=[reading_list.public_token]),
    ]
    problems = {}
    for path in anonymous_pages:
        page.goto(f"{live_server.url}{path}")
        problems[path] = serious_violations(page, axe_source)

    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main")).to_be_visible()
    slug = team.slug
    member_pages = [
        reverse("workspace_papers", args=[slug]),
        reverse("workspace_papers", args=[slug]) + "?q=recurrent+memory",
        reverse("workspace_papers", args=[slug]) + "?q=recurent",
        reverse("paper", args=[slug, paper.pk]),
        reverse("queue", args=[slug]),
        reverse("lists", args=[slug]),
        reverse("list_detail", args=[slug, reading_list.pk]),
        reverse("notes", args=[slug]),
        reverse("tags", args=[slug]),
        reverse("members", args=[slug]),
        reverse("workspace_new"),
        reverse("password_change"),
        "/no-such-page/",
    ]
    for path in member_pages:
        page.goto(f"{live_server.url}{path}")
        problems[path] = serious_violations(page, axe_source)
    context.close()

    assert {path: found for path, found in problems.items() if found} == {}
