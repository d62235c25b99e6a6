import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_as_you_type_keeps_focus_follows_the_url_and_back_works(
    live_server, page, django_user_model
):
    import_listing(str(SAMPLE))
    django_user_model.objects.create_user("ada", password="a long enough password")
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-paper-row]")).to_have_count(25)

    page.keyboard.press("/")
    box = page.get_by_label("Search papers")
    expect(box).to_be_focused()
    page.keyboard.type("stuffed mamba", delay=30)

    expect(page.locator(".results__count")).to_have_text("1 paper")
    expect(page.locator("[data-paper-row]").first).to_contain_text("Stuffed Mamba")
    expect(box).to_be_focused()
    assert page.evaluate("document.activeElement.selectionStart") == len("stuffed mamba")
    expect(page).to_have_url(f"{live_server.url}/w/adas-papers/papers/?q=stuffed%20mamba&sort=")

    page.keyboard.type(" zzzz")
    expect(page.locator(".results__count")).to_have_text("0 papers")
    page.go_back()
    expect(page.locator(".results__count")).to_have_text("1 paper")

    page.locator("[data-paper-row]").first.locator("[data-open]").click()
    expect(page.locator("h1")).to_contain_text("Stuffed Mamba")
    expect(page.locator(".related li").first).to_be_visible()
