import pytest
from playwright.sync_api import expect

from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_logs_in_and_opens_a_paper(live_server, page, django_user_model):
    import_listing(str(SAMPLE))
    django_user_model.objects.create_user("ada", password="a long enough password")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_title("Log in · Papershelf")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()

    rows = page.locator(".paper-row")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("EMR-MSF")

    page.get_by_role("link", name="Load more").click()
    expect(rows).to_have_count(50)
    expect(rows.nth(25)).to_contain_text("Scaling TransNormer")
    page.get_by_role("link", name="Load more").click()
    expect(rows).to_have_count(51)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)

    page.get_by_role("link", name="Titans: Learning to Memorize at Test Time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Titans: Learning to Memorize at Test Time"
    )
    expect(page.locator(".paper__abstract")).to_contain_text("needle-in-haystack tasks")
    expect(page.locator("table")).to_contain_text("Trending papers")
