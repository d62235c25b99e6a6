import pytest
from django.urls import reverse
from playwright.sync_api import expect

from papers.models import Note, ReadingState, Tagging
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough password"


@pytest.fixture
def reader(django_user_model):
    import_listing(str(SAMPLE))
    return django_user_model.objects.create_user("ada", password=PASSWORD)


def log_in(page, live_server):
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-paper-row]").first).to_be_visible()


def test_a_form_swapped_in_by_htmx_answers_at_once(live_server, page, reader):
    """A reader quick on the keys gets htmx, not a page reload, from the new row."""
    log_in(page, live_server)
    first = page.locator("[data-paper-row]").first
    page.evaluate(
        """() => {
          window.sameDocument = true;
          document.body.addEventListener('htmx:afterSwap', () => setTimeout(() => {
            document.querySelector('[data-paper-row] button[value="read"]').click();
          }), {once: true});
        }"""
    )

    first.get_by_role("button", name="To read").click()

    expect(first.get_by_role("button", name="Read", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.evaluate("window.sameDocument"), "the page reloaded"
    assert ReadingState.objects.get().status == "read"


def test_tag_status_and_highlight_inline_with_the_keyboard(live_server, page, reader):
    log_in(page, live_server)
    url_before = page.url

    first = page.locator("[data-paper-row]").first
    tag_input = first.locator("[data-tag-input]")
    page.keyboard.press("j")
    page.keyboard.press("t")
    expect(tag_input).to_be_focused()
    page.keyboard.type("scene flow")
    page.keyboard.press("Enter")
    expect(first.locator(".tag__name")).to_have_text(["scene flow"])
    expect(page.locator("#announcer")).to_have_text("Tagged “scene flow”.")
    expect(tag_input).to_be_focused()

    page.keyboard.press("Escape")
    page.keyboard.press("s")
    expect(first.get_by_role("button", name="To read")).to_have_attribute("aria-pressed", "true")
    assert page.url == url_before, "the page reloaded"
    assert ReadingState.objects.get().status == "to-read"

    # A status chosen from the keyboard keeps the focus where it was after the swap.
    reading = first.get_by_role("button", name="Reading")
    reading.focus()
    page.keyboard.press("Enter")
    expect(reading).to_have_attribute("aria-pressed", "true")
    expect(reading).to_be_focused()
    page.keyboard.press("Escape")

    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("Keyboard shortcuts")
    page.keyboard.press("Escape")

    page.keyboard.press("o")
    expect(page.locator("h1")).to_contain_text("EMR-MSF")
    page.evaluate(
        """() => {
          const text = document.querySelector('.paper__abstract').firstChild;
          const range = document.createRange();
          range.setStart(text, 0);
          range.setEnd(text, 'Self-supervised monocular scene flow estimation'.length);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }"""
    )
    expect(page.locator("#note-quote")).to_have_value(
        "Self-supervised monocular scene flow estimation"
    )
    page.locator("#note-body").fill("The *task* in one phrase.")
    page.get_by_role("button", name="Save note").click()

    expect(page.locator("mark.highlight")).to_have_text(
        "Self-supervised monocular scene flow estimation"
    )
    expect(page.locator(".note__body em")).to_have_text("task")
    note = Note.objects.get()
    assert (note.anchor_field, note.start, note.end) == ("abstract", 0, 47)


def test_everything_works_without_javascript(live_server, browser, reader, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server)
        first = page.locator("[data-paper-row]").first
        first.locator("[data-tag-input]").fill("no-js")
        first.get_by_role("button", name="Add").click()
        expect(page.locator("[data-paper-row]").first.locator(".tag__name")).to_have_text(["no-js"])
        page.locator("[data-paper-row]").first.get_by_role("button", name="Reading").click()
        expect(
            page.locator("[data-paper-row]").first.get_by_role("button", name="Reading")
        ).to_have_attribute("aria-pressed", "true")

        page.locator("[data-paper-row]").first.locator("[data-open]").click()
        page.locator("#note-quote").fill("rigidity soft mask")
        page.locator("#note-body").fill("")
        page.get_by_role("button", name="Save note").click()
        expect(page.locator("#note-error")).to_have_text("Write something first.")
        expect(page.locator("#note-quote")).to_have_value("rigidity soft mask")
        page.locator("#note-body").fill("Filters out dynamic regions.")
        page.get_by_role("button", name="Save note").click()
        expect(page.locator("mark.highlight")).to_have_text("rigidity soft mask")
    finally:
        context.close()
    assert Tagging.objects.get().tag.name == "no-js"
    assert ReadingState.objects.get().status == "reading"
    assert Note.objects.get().quote == "rigidity soft mask"


def test_a_tag_is_added_and_removed_in_place(live_server, page, reader):
    log_in(page, live_server)
    page.evaluate("() => { window.notReloaded = true; }")
    first = page.locator("[data-paper-row]").first

    first.locator("[data-tag-input]").fill("scene flow")
    first.get_by_role("button", name="Add").click()
    expect(first.locator(".tag__name")).to_have_text(["scene flow"])
    first.get_by_role("button", name="Remove tag scene flow").click()

    expect(first.locator(".tag__name")).to_have_count(0)
    assert page.evaluate("() => window.notReloaded === true"), "the page reloaded"
    assert not Tagging.objects.exists()
