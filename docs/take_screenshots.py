"""Screenshots of the main pages at laptop and phone sizes, for the README.

Start Papershelf first (`uv run manage.py serve`), then:

    uv run python docs/take_screenshots.py --password THE-PASSWORD-SERVE-PRINTED

It logs in, adds a little demo content through the pages (a tag, a status,
a highlight with a note, a reading list) if it is not there yet, and writes
PNGs to docs/screenshots/.
"""

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
SIZES = {"laptop": (1440, 900), "phone": (390, 844)}


def log_in(page: Page, base: str, username: str, password: str) -> str:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page.url.split("/w/")[1].split("/")[0]


def demo_content(page: Page, base: str, slug: str) -> None:
    page.goto(f"{base}/w/{slug}/lists/")
    if page.locator(".card").count():
        return
    page.goto(f"{base}/w/{slug}/papers/")
    first = page.locator("[data-paper-row]").first
    first.locator("[data-tag-input]").fill("scene flow")
    first.locator("[data-tag-input]").press("Enter")
    first.get_by_role("button", name="Reading").click()
    page.wait_for_timeout(500)
    page.goto(f"{base}/w/{slug}/lists/")
    page.get_by_label("Title").fill("Friday reading group: memory")
    page.get_by_label("Description").fill("What we discuss on **Friday**: memory in models.")
    page.get_by_role("button", name="Create list").click()
    for title in ("Titans", "Stuffed Mamba", "Attention as an RNN"):
        page.goto(f"{base}/w/{slug}/papers/?q={title.replace(' ', '+')}")
        page.locator("[data-paper-row] [data-open]").first.click()
        page.get_by_placeholder("Why (optional)").fill("Read the method section first.")
        page.locator(".add-to-list button").click()
        page.wait_for_timeout(400)
    page.get_by_label("Highlight").fill("parallel prefix scan algorithm")
    page.get_by_label("Note (Markdown)").fill("The **key** contrast with attention.")
    page.get_by_role("button", name="Save note").click()
    page.wait_for_timeout(500)


def shoot(page: Page, base: str, slug: str, size: str) -> None:
    pages = {
        "papers": f"/w/{slug}/papers/",
        "search": f"/w/{slug}/papers/?q=recurrent+memory",
        "paper": None,
        "list": None,
    }
    for name, path in pages.items():
        if name == "paper":
            page.goto(f"{base}/w/{slug}/papers/?q=attention+rnn")
            page.locator("[data-paper-row] [data-open]").first.click()
        elif name == "list":
            page.goto(f"{base}/w/{slug}/lists/")
            page.locator(".card__title a").first.click()
        else:
            page.goto(base + path)
        page.wait_for_load_state()
        page.screenshot(path=OUT / f"{name}-{size}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            if size == "phone":
                page.goto(f"{args.base}/accounts/login/")
                page.screenshot(path=OUT / "login-phone.png")
            slug = log_in(page, args.base, args.username, args.password)
            demo_content(page, args.base, slug)
            shoot(page, args.base, slug, size)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
