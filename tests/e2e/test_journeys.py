"""The journeys people take, end to end in Chromium."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from papers.models import ListItem
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough password"


def sign_up(page, live_server, username: str, next_path: str = "") -> None:
    page.goto(f"{live_server.url}{reverse('signup')}{'?next=' + next_path if next_path else ''}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def test_sign_up_log_out_and_log_in(live_server, page):
    import_listing(str(SAMPLE))

    sign_up(page, live_server, "grace")
    expect(page.locator("h1")).to_contain_text("Trending papers")
    page.locator("summary.menu__button").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_title("Log in · Papershelf")

    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form__errors")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-paper-row]")).to_have_count(25)


def test_team_invites_a_colleague_who_sees_the_shared_notes(live_server, browser, page, settings):
    import_listing(str(SAMPLE))
    sign_up(page, live_server, "ada")
    page.locator("summary.menu__button").click()
    page.get_by_role("link", name="+ New team workspace").click()
    page.get_by_label("Workspace name").fill("Memory group")
    page.get_by_role("button", name="Create workspace").click()
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Create invitation link").click()
    link = page.get_by_role("textbox", name="Invitation link").input_value()

    page.get_by_role("link", name="Papers", exact=True).click()
    page.locator("[data-paper-row] [data-open]").first.click()
    page.get_by_label("Note (Markdown)").fill("Shared with the **group**.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".note__body strong")).to_have_text("group")
    page.get_by_label("Note (Markdown)").fill("Only for me.")
    page.get_by_label("Who sees it").select_option("private")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".note")).to_have_count(2)

    colleague = browser.new_context()
    other = colleague.new_page()
    other.goto(link)
    expect(other.locator("h1")).to_have_text("Join Memory group")
    other.get_by_role("link", name="Sign up").click()
    sign_up_form = other.get_by_label("Username")
    sign_up_form.fill("linus")
    other.get_by_label("Email").fill("linus@example.org")
    other.get_by_label("Password", exact=True).fill(PASSWORD)
    other.get_by_label("Password confirmation").fill(PASSWORD)
    other.get_by_role("button", name="Sign up").click()
    other.get_by_role("button", name="Accept and join").click()
    expect(other.locator(".message")).to_contain_text("Welcome to Memory group")
    other.locator("[data-paper-row] [data-open]").first.click()
    expect(other.locator(".note__body")).to_have_text(["Shared with the group."])
    colleague.close()

    page.get_by_role("link", name="Members", exact=True).click()
    expect(page.locator("table").first).to_contain_text("linus")
    expect(page.locator("table").nth(1)).to_contain_text("accepted by linus")


def open_a_list_of_three(page, live_server) -> None:
    """Sign up, make the list "Friday" from the first three papers, and open it."""
    import_listing(str(SAMPLE))
    sign_up(page, live_server, "ada")
    page.get_by_role("link", name="Lists", exact=True).click()
    page.get_by_label("Title").fill("Friday")
    page.get_by_role("button", name="Create list").click()
    expect(page.locator("h1")).to_have_text("Friday")

    page.get_by_role("link", name="Papers", exact=True).click()
    rows = page.locator("[data-paper-row]")
    for index in range(3):
        rows.nth(index).locator(".paper-row__select").check()
    page.get_by_role("button", name="Add selected to list").click()
    expect(page.locator("[role=status]").filter(has_text="Added 3 papers")).to_be_visible()

    page.get_by_role("link", name="Lists", exact=True).click()
    page.get_by_role("link", name="Friday").click()


def test_build_reorder_export_and_publish_a_list(live_server, browser, page):
    open_a_list_of_three(page, live_server)
    items = page.locator("[data-item]")
    expect(items).to_have_count(3)
    first_title = items.first.locator("h2").inner_text()
    items.first.get_by_role("button", name=f"Move {first_title} down").click()
    expect(items.nth(1).locator("h2")).to_have_text(first_title)
    items.nth(2).drag_to(items.first)
    expect(items.first.locator("h2")).not_to_have_text(first_title)
    order = [
        ListItem.objects.get(pk=int(i)).paper.title
        for i in items.evaluate_all("els => els.map(e => e.dataset.item)")
    ]
    assert order == [item.inner_text() for item in items.locator("h2").all()]

    with page.expect_download() as download:
        page.get_by_role("link", name="BibTeX").click()
    assert download.value.suggested_filename == "friday.bib"

    page.get_by_role("button", name="Create a public read-only link").click()
    public = page.get_by_label("Public link").input_value()
    outsider = browser.new_context()
    reader = outsider.new_page()
    reader.goto(public)
    expect(reader.locator("h1")).to_have_text("Friday")
    expect(reader.locator("[data-item]")).to_have_count(3)
    outsider.close()


def test_a_long_list_loads_more_and_keeps_showing_it_after_a_change(live_server, page, monkeypatch):
    from papers.views import lists

    monkeypatch.setattr(lists, "ITEMS_SHOWN", 2)
    open_a_list_of_three(page, live_server)

    items = page.locator("[data-item]")
    expect(items).to_have_count(2)
    second_title = items.nth(1).locator("h2").inner_text()
    page.get_by_role("link", name="Load more").click()
    expect(items).to_have_count(3)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)

    items.nth(1).get_by_role("button", name=f"Move {second_title} down").click()
    expect(items.nth(2).locator("h2")).to_have_text(second_title)
    expect(items).to_have_count(3)
    items.nth(2).drag_to(items.first)
    expect(items.first.locator("h2")).to_have_text(second_title)
    expect(items).to_have_count(3)
