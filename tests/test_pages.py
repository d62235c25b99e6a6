import re

import pytest
from django.urls import reverse

from papers.models import Paper
from papers.views.links import ids_url

pytestmark = pytest.mark.django_db


def titles_in(html: str) -> list[str]:
    return re.findall(r'class="paper-row__title"><a href="[^"]+"[^>]*>([^<]+)</a>', html)


def papers_url(workspace) -> str:
    return reverse("workspace_papers", args=[workspace.slug])


def test_pages_require_log_in(client, sample_listing, workspace):
    paper = Paper.objects.first()
    for url in (reverse("home"), papers_url(workspace), paper.url_in(workspace)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_root_takes_a_person_to_their_workspace_papers(reader_client, workspace):
    response = reader_client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == papers_url(workspace)


def test_home_shows_the_latest_listing_in_rank_order_across_pages(
    reader_client, sample_listing, workspace
):
    expected = list(sample_listing.entries.order_by("rank").values_list("paper__title", flat=True))

    seen = []
    for page in (1, 2, 3):
        response = reader_client.get(papers_url(workspace), {"page": page})
        assert response.status_code == 200
        seen += titles_in(response.content.decode())

    assert [t.replace("&#x27;", "'").replace("&quot;", '"') for t in seen] == expected
    assert len(seen) == 51


def ranks_in(html: str) -> list[int]:
    hidden = '<span class="visually-hidden">Rank </span>'
    return [int(rank) for rank in re.findall(re.escape(hidden) + r"(\d+)</span>", html)]


def test_rows_show_their_rank_in_the_listing_and_in_search_results(
    reader_client, sample_listing, workspace
):
    second_page = reader_client.get(papers_url(workspace), {"page": 2})
    mamba = sample_listing.entries.get(paper__title__startswith="Stuffed Mamba")
    found = reader_client.get(papers_url(workspace), {"q": "Stuffed Mamba"})

    assert ranks_in(second_page.text) == list(range(26, 51))
    assert ranks_in(found.text)[0] == mamba.rank


def test_home_says_which_listing_it_shows(reader_client, sample_listing, workspace):
    response = reader_client.get(papers_url(workspace))

    assert "Trending papers" in response.text
    assert "51 papers in rank order" in response.text
    by_title = reader_client.get(papers_url(workspace), {"sort": "title"})
    newest = reader_client.get(papers_url(workspace), {"sort": "newest"})
    assert "51 papers by title" in by_title.text
    assert "51 papers newest first" in newest.text


def test_htmx_page_request_gets_only_the_results(reader_client, sample_listing, workspace):
    response = reader_client.get(papers_url(workspace), {"page": 2}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="results"' in response.text
    assert len(titles_in(response.text)) == 25


def test_empty_database_says_how_to_import(reader_client, workspace):
    response = reader_client.get(papers_url(workspace))

    assert response.status_code == 200
    assert "No papers yet" in response.text
    assert "import_listing" in response.text


def test_paper_page_shows_full_abstract_and_every_listing_with_rank(
    reader_client, sample_listing, workspace
):
    from tests.conftest import SAMPLE, import_listing

    import_listing(str(SAMPLE), "--date", "2026-03-21", "--name", "Reading group")
    paper = Paper.objects.get(title__startswith="Titans: Learning to Memorize")

    response = reader_client.get(paper.url_in(workspace))

    assert response.status_code == 200
    assert paper.abstract in response.text
    listings = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", response.text
    )
    assert listings == [
        ("Reading group", "Mar 21, 2026", "11"),
        ("Trending papers", "Mar 14, 2026", "11"),
    ]


def test_unknown_paper_is_404(reader_client, workspace):
    response = reader_client.get(reverse("paper", args=[workspace.slug, 999999]))

    assert response.status_code == 404


def test_latex_and_markup_in_titles_are_shown_as_text(reader_client, workspace, tmp_path):
    from tests.conftest import import_listing

    listing = tmp_path / "latex.txt"
    listing.write_text(
        "Bounds for $\\alpha$-mixing <script>alert(1)</script>\n\nWe prove $O(n^2)$ bounds.\n"
    )
    import_listing(str(listing))
    paper = Paper.objects.get()

    response = reader_client.get(paper.url_in(workspace))

    assert "$\\alpha$-mixing &lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text


def test_markup_in_a_title_a_tag_and_a_comment_is_text_in_rows_and_list_items(
    reader_client, reader, workspace, tmp_path
):
    from django.test import Client

    from papers import services
    from tests.conftest import import_listing

    listing = tmp_path / "markup.txt"
    listing.write_text('Attention <img src=x onerror="alert(1)">\n\nWe attend.\n')
    import_listing(str(listing))
    paper = Paper.objects.get()
    services.papers_tag(workspace=workspace, papers=[paper], name="<b>tag</b>", user=reader)
    reading_list = services.reading_list_create(workspace=workspace, title="Week", user=reader)
    services.list_add_papers(reading_list=reading_list, papers=[paper], user=reader)
    services.list_item_comment(
        item=reading_list.items.get(), comment="Read <script>alert(2)</script> **first**"
    )
    services.list_public_link(reading_list=reading_list, enabled=True)

    pages = {
        "papers": reader_client.get(papers_url(workspace)),
        "list": reader_client.get(reverse("list_detail", args=[workspace.slug, reading_list.pk])),
        "public list": Client().get(reverse("public_list", args=[reading_list.public_token])),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        assert "Attention &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in response.text, name
        assert "<img" not in response.text, name
        assert "<script>alert(2)" not in response.text, name
    assert "&lt;b&gt;tag&lt;/b&gt;" in pages["papers"].text
    assert "&lt;b&gt;tag&lt;/b&gt;" in pages["list"].text
    # The comment is Markdown: its emphasis is kept, its HTML is not.
    assert "<strong>first</strong>" in pages["public list"].text


def test_every_page_sends_a_strict_content_security_policy(
    reader_client, sample_listing, workspace
):
    response = reader_client.get(papers_url(workspace))

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("slug", ["lab", "lab-987654321-987654322", "987654322"])
def test_row_links_are_the_urls_reverse_gives_whatever_the_slug(slug):
    assert ids_url("paper", slug)(12) == reverse("paper", args=[slug, 12])
    assert ids_url("tag_remove", slug, ids=2)(3, 45) == reverse("tag_remove", args=[slug, 3, 45])
    assert ids_url("item_move", slug, 7)(8) == reverse("item_move", args=[slug, 7, 8])
