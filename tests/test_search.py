import csv
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Role
from accounts.services import workspace_create
from papers.importing.text import title_key
from papers.models import Note, Paper, ReadingState, SearchTerm, Tag, Tagging
from papers.search import Scope, search
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def scope(reader, workspace, sample_listing):
    return Scope(reader, workspace)


def titles(query: str, scope: Scope, **kwargs) -> list[str]:
    return [paper.title for paper in search(query, scope=scope, **kwargs).papers]


def bitmap_scans_off(scope: Scope, query: str, statement: str) -> bool:
    """Whether the search's statement holding `statement` ran with bitmap scans turned off.

    The settings of a block are made, and restored, by set_config statements;
    a block that fails is rolled back with them.
    """
    with CaptureQueriesContext(connection) as captured:
        titles(query, scope)
    bitmaps_off, found = False, []
    for sql in (q["sql"] for q in captured.captured_queries):
        if "set_config('enable_bitmapscan'" in sql:
            bitmaps_off = "set_config('enable_bitmapscan', 'off'" in sql
        elif sql.startswith("ROLLBACK"):
            bitmaps_off = False
        elif statement in sql:
            found.append(bitmaps_off)
    assert found, f"no statement holds {statement}"
    return any(found)


def titles_scanned(scope: Scope, query: str) -> bool:
    """Whether the query's title matches were read from the table, not from their index."""
    return bitmap_scans_off(scope, query, '"title_vector" @@')


def results_page(client, workspace, q: str, **params):
    return client.get(reverse("workspace_papers", args=[workspace.slug]), {"q": q, **params})


def every_page(client, workspace, q: str, **params) -> tuple[list[str], str, int]:
    """Follow "Load more" to the end: the titles seen, the last page's HTML, the pages read."""
    seen, page, more = [], 0, True
    while more:
        page += 1
        html = results_page(client, workspace, q, page=page, **params).text
        seen += page_titles(html)
        more = 'id="load-more"' in html
    return seen, html, page


def page_titles(html: str) -> list[str]:
    return re.findall(r'class="paper-row__title"><a href="[^"]+"[^>]*>([^<]+)</a>', html)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("titans memorize", "Titans: Learning to Memorize at Test Time"),
        (
            "stuffed mamba state collapse",
            "Stuffed Mamba: State Collapse and State Capacity of RNN-Based Long-Context Modeling",
        ),
        (
            "hyperfitting",
            "The Hyperfitting Phenomenon: Sharpening and Stabilizing LLMs"
            " for Open-Ended Text Generation",
        ),
        ("yi open foundation models", "Yi: Open Foundation Models by 01.AI"),
        (
            '"scene flow"',
            "EMR-MSF: Self-Supervised Recurrent Monocular Scene Flow"
            " Exploiting Ego-Motion Rigidity",
        ),
    ],
)
def test_known_item_queries_put_the_paper_first(scope, query, expected):
    assert titles(query, scope)[0] == expected


def test_a_pasted_title_puts_its_paper_above_longer_titles_with_the_same_words(scope, monkeypatch):
    from papers import search as search_module

    exact = "Massive Activations in LLMs"
    for title in (f"{exact}: Massive Activations of LLMs Everywhere", exact):
        Paper.objects.create(
            title=title, title_key=title_key(title), abstract="Massive activations in LLMs."
        )

    assert titles("massive activations in llms.", scope)[0] == exact
    # Also when so many papers match that only some are ranked.
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 1)
    assert titles(exact, scope)[0] == exact


def test_year_finds_the_papers_published_or_listed_that_year(scope, sample_listing):
    from datetime import date

    old = Paper.objects.create(
        title="An Old Paper",
        title_key=title_key("An Old Paper"),
        abstract="Old.",
        published=date(2019, 5, 1),
    )
    listed = set(sample_listing.entries.values_list("paper__title", flat=True))

    assert titles("year:2019", scope) == [old.title]
    assert set(titles("year:2026", scope)) == listed
    assert titles("year:2020", scope) == []
    assert old.title in titles("-year:2026", scope)


def test_title_matches_rank_above_abstract_matches(scope):
    found = titles("playlists", scope)

    assert found[0] == "Representation, Exploration and Recommendation of Music Playlists"


def test_phrase_exclusion_and_or_behave_like_web_search(scope):
    continual = set(titles("continual", scope))
    phrase = set(titles('"continual learning"', scope))
    without_survey = set(titles("continual -survey", scope))
    either = set(titles("hypernetworks or playlists", scope))

    assert phrase <= continual
    assert "Continual Learning of Large Language Models: A Comprehensive Survey" in continual
    assert (
        "Continual Learning of Large Language Models: A Comprehensive Survey" not in without_survey
    )
    assert {
        "Continual Learning with Dependency Preserving Hypernetworks",
        "Representation, Exploration and Recommendation of Music Playlists",
    } <= either


def test_filters_combine_with_text(scope, reader, workspace):
    titans = Paper.objects.get(title__startswith="Titans")
    mamba = Paper.objects.get(title__startswith="Stuffed Mamba")
    memory = Tag.objects.create(workspace=workspace, name="memory")
    for paper in (titans, mamba):
        Tagging.objects.create(tag=memory, paper=paper, added_by=reader)
    ReadingState.objects.create(user=reader, paper=titans, status="to-read")
    Note.objects.create(workspace=workspace, paper=mamba, author=reader, body="x", quote="y")

    assert set(titles("tag:memory", scope)) == {titans.title, mamba.title}
    assert titles("tag:memory status:to-read", scope) == [titans.title]
    assert titles("tag:memory -status:to-read", scope) == [mamba.title]
    assert titles("tag:Memory has:highlight", scope) == [mamba.title]
    assert titles("mamba tag:memory", scope) == [mamba.title]
    assert set(titles("by:reader", scope)) == {titans.title, mamba.title}
    assert len(titles("-by:reader", scope)) == 49
    assert len(titles("-tag:memory", scope)) == 49
    assert len(titles("listing:latest", scope)) == 51
    assert titles("listing:1999-01-01", scope) == []


def test_filters_beside_a_phrase_find_the_same_papers_by_their_ids(
    scope, reader, workspace, django_user_model, monkeypatch
):
    from papers import search as search_module

    memory = Tag.objects.create(workspace=workspace, name="memory")
    for paper in Paper.objects.filter(abstract__icontains="memory"):
        Tagging.objects.create(tag=memory, paper=paper, added_by=reader)
        ReadingState.objects.create(user=reader, paper=paper, status="to-read")
    other = workspace_create(name="Elsewhere", owner=django_user_model.objects.create_user("o"))
    elsewhere = Tag.objects.create(workspace=other, name="elsewhere")
    Tagging.objects.bulk_create(Tagging(tag=elsewhere, paper=p) for p in Paper.objects.all())
    queries = [
        'tag:memory "recurrent neural"',
        'tag:memory "neural networks" -transformer',
        'status:to-read "language models"',
        'status:to-read tag:memory "long context"',
        'tag:elsewhere "language models"',
    ]

    def one_by_one(query: str) -> int:
        """How many statements of the search turned bitmap scans off with no time budget.

        A scan of the table in its order has one; the filter's few papers need none.
        """
        with CaptureQueriesContext(connection) as captured:
            search(query, scope=scope)
        return sum(
            "'enable_bitmapscan', 'off'" in q["sql"] and "statement_timeout" not in q["sql"]
            for q in captured.captured_queries
        )

    by_ids = {query: titles(query, scope) for query in queries}
    # The filter's few papers are read one by one, not intersected in bitmaps:
    # to find the matches, and then, when there are more than are ranked,
    # the titles' matches.
    assert one_by_one('tag:memory "recurrent neural"') == 1
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    assert search('tag:memory "recurrent neural"', scope=scope).ranked_subset
    assert one_by_one('tag:memory "recurrent neural"') == 2
    monkeypatch.undo()
    monkeypatch.setattr(search_module, "FEW_PAPERS", 0)  # every filter a condition

    assert by_ids == {query: titles(query, scope) for query in queries}
    assert one_by_one('tag:memory "recurrent neural"') == 0
    assert by_ids['tag:memory "recurrent neural"'] and by_ids['status:to-read "language models"']
    assert by_ids['tag:elsewhere "language models"'] == []


def test_hyphenated_words_find_the_same_papers_as_their_phrases(scope, monkeypatch):
    from papers import search as search_module

    queries = [
        "fine-tuning",
        "state-of-the-art results",
        "pre-trained -fine-tuning",
        "in-context or long-range",
        '"pre-trained language"',
    ]
    with CaptureQueriesContext(connection) as captured:
        as_words = {query: titles(query, scope) for query in queries}
    monkeypatch.setattr(search_module, "_match_query", lambda result: result.query)

    assert as_words == {query: titles(query, scope) for query in queries}
    assert all(as_words[query] for query in queries)
    # Looked up as one word each, but inside a quoted phrase.
    rewritten = [q["sql"] for q in captured.captured_queries if "ts_rewrite" in q["sql"]]
    assert len(rewritten) == 4


def test_empty_query_is_the_latest_listing_in_rank_order(scope, sample_listing):
    expected = list(sample_listing.entries.order_by("rank").values_list("paper__title", flat=True))

    assert titles("", scope) == expected
    assert titles("   ", scope) == expected


def test_listing_filter_sorts_by_rank(scope, sample_listing):
    found = search(f"listing:{sample_listing.date:%Y-%m-%d}", scope=scope)

    assert found.sort == "rank"
    assert [p.rank for p in found.papers[:3]] == [1, 2, 3]


def test_a_listing_that_does_not_exist_beside_words_finds_nothing(reader_client, workspace):
    for query in ("listing:2001-01-01 zyzzyva", "listing:2001-01-01 memory"):
        html = results_page(reader_client, workspace, query).text

        assert page_titles(html) == []
        assert "in the listing of 2001-01-01" in html


@pytest.mark.parametrize("sort", ["title", "newest", "rank", "relevance"])
def test_every_sort_gives_the_same_matches(scope, sort):
    assert sorted(titles("recurrent", scope, sort=sort)) == sorted(titles("recurrent", scope))
    if sort == "title":
        # Alphabetical, whatever the case and punctuation.
        found = titles("recurrent", scope, sort="title")
        assert found == sorted(found, key=title_key)


def test_malformed_filters_are_searched_as_text_and_explained(scope):
    found = search("status:maybe year:later memory", scope=scope)

    assert found.text == "status maybe year later memory"
    assert any("status is one of" in problem for problem in found.problems)
    assert any("year takes four digits" in problem for problem in found.problems)


def test_a_filter_name_papershelf_does_not_have_is_searched_as_text_and_named(
    reader_client, workspace, sample_listing
):
    html = results_page(reader_client, workspace, "tags:rnn sort:title author:cho recurrent").text

    assert "“tags:rnn”: there is no “tags:” filter (did you mean “tag:rnn”?)" in html
    assert "“author:cho”: there is no “author:” filter, so it was searched as text" in html
    assert "the filters are tag:, status:, listing:, has:, by:, list: and year:" in html
    assert "“sort:title”: the order is chosen in the menu beside the search box" in html
    # Nor are they words for "did you mean" to correct (to “task:rnn”, say).
    assert "Did you mean" not in html
    # Addresses and ids are not filters that went wrong.
    for query in ("https://example.org/paper", "arxiv:2503.11731", "recurrent"):
        assert "there is no" not in results_page(reader_client, workspace, query).text


@pytest.mark.parametrize(
    "hostile",
    [
        '"unbalanced quote',
        "\\\\ back\\slash \\",
        "'; DROP TABLE papers_paper; --",
        "a" * 10_000,
        "null\x00byte and \x07bell \x1b[31m",
        "tag: status: -",
        "!!! ((( ))) & | <-> :*",
        "<script>alert(1)</script>",
        "ünïcödé 数学 😀",
    ],
)
def test_hostile_queries_get_a_normal_page(reader_client, workspace, sample_listing, hostile):
    response = results_page(reader_client, workspace, hostile)

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert Paper.objects.count() == 51


def test_results_show_count_snippet_and_how_the_query_was_read(
    reader_client, workspace, sample_listing
):
    response = results_page(reader_client, workspace, "hypernetwork status:read")

    assert "0 papers" in response.text
    assert "Read as: text “hypernetwork” · read" in response.text

    response = results_page(reader_client, workspace, "hypernetwork")
    assert re.search(r"<h1 class=\"results__count\"[^>]*>1 paper</h1>", response.text)
    assert "<mark>hypernetworks</mark>" in response.text


def test_a_phrase_is_shown_in_single_quotes_within_the_texts_reading(
    reader_client, workspace, sample_listing
):
    response = results_page(reader_client, workspace, '"language models" -survey')

    assert "Read as: text “‘language models’ -survey”" in response.text


@pytest.mark.parametrize(
    "typed",
    [
        "1706.03762",
        "arXiv:1706.03762v7",
        "https://arxiv.org/abs/1706.03762",
        "arxiv.org/pdf/1706.03762v2.pdf",
    ],
)
def test_an_arxiv_id_or_its_address_finds_that_paper(reader_client, workspace, typed):
    Paper.objects.create(title="Attention Is All You Need", arxiv_id="1706.03762", abstract="")
    Paper.objects.create(title="Cites 1706.03762", arxiv_id="2001.00001", abstract="1706.03762")

    response = results_page(reader_client, workspace, typed)

    assert "Read as: arXiv id 1706.03762" in response.text
    assert "Attention Is All You Need" in response.text
    assert "Cites 1706.03762" not in response.text


def test_an_arxiv_id_no_paper_has_says_so(reader_client, workspace):
    response = results_page(reader_client, workspace, "2503.99999")

    assert "No paper here has the arXiv id 2503.99999: papers come in with" in response.text
    with_a_filter = results_page(reader_client, workspace, "2503.99999 year:2025").text
    assert "No paper here has" not in with_a_filter
    assert "No paper matches all of it" in with_a_filter


def test_an_arxiv_id_no_paper_has_finds_none_and_a_near_one_is_not_guessed(scope):
    Paper.objects.create(title="Attention Is All You Need", arxiv_id="1706.03762", abstract="")

    assert titles("1706.03762 -tag:unread", scope) == ["Attention Is All You Need"]
    assert titles("1706.03762 tag:unread", scope) == []
    # A spreadsheet drops an id's trailing zero; a person typing it leaves out a digit.
    assert titles("2503.1173", scope) == []
    assert search("2503.1173", scope=scope).readings == ["arXiv id 2503.1173"]


def test_or_between_filters_says_that_every_filter_applies(
    reader_client, reader, workspace, sample_listing
):
    tagged, to_read = Paper.objects.order_by("pk")[:2]
    tag = Tag.objects.create(workspace=workspace, name="rnn")
    Tagging.objects.create(tag=tag, paper=tagged, added_by=reader)
    ReadingState.objects.create(user=reader, paper=to_read, status=ReadingState.Status.TO_READ)
    Tagging.objects.create(tag=tag, paper=to_read, added_by=reader)

    response = results_page(reader_client, workspace, "tag:rnn OR status:to-read")

    assert "“or” joins words, not filters: every filter applies" in response.text
    assert "text “" not in response.text
    assert to_read.title in response.text and tagged.title not in response.text
    # Between words it is the query's own `or`.
    assert "every filter" not in results_page(reader_client, workspace, "rnn or lstm").text


def test_snippets_escape_the_abstract(reader_client, workspace, tmp_path):
    listing = tmp_path / "hostile.txt"
    listing.write_text("Hostile title\n\nA <b onmouseover=alert(1)>bold</b> claim about widgets.\n")
    import_listing(str(listing))

    response = results_page(reader_client, workspace, "widgets")

    assert "<mark>widgets</mark>" in response.text
    assert "<b onmouseover" not in response.text
    assert "onmouseover=alert(1)&gt;bold&lt;/b&gt; claim" in response.text


def test_typos_get_a_did_you_mean(reader_client, workspace, sample_listing):
    response = results_page(reader_client, workspace, "recurent nueral netwroks")

    assert "Did you mean" in response.text
    assert "recurrent neural networks" in response.text


def test_a_search_that_finds_nothing_says_what_to_try_and_offers_no_actions(
    reader_client, workspace, sample_listing
):
    found = results_page(reader_client, workspace, "mamba")
    nothing = results_page(reader_client, workspace, "mamba -mamba")

    assert 'id="bulk-form"' in found.text
    assert "Export these results" in found.text
    assert "No paper matches all of it" not in found.text
    assert 'id="bulk-form"' not in nothing.text
    assert "Export these results" not in nothing.text
    assert "No paper matches all of it. Take out a word or a filter" in nothing.text


def test_title_typo_offers_the_closest_titles(reader_client, workspace, sample_listing):
    response = results_page(reader_client, workspace, "Lexinvarient Languag Modls")

    assert "Titles close to what you typed" in response.text
    assert "Lexinvariant Language Models" in response.text


def test_did_you_mean_keeps_the_capitals_that_were_typed(reader_client, workspace, sample_listing):
    response = results_page(reader_client, workspace, "Lexinvarient Languag Modls RECURENT")

    suggestion = r"Did you mean <a [^>]*>Lexinvariant Language Models RECURRENT</a>"
    assert re.search(suggestion, response.text)


def test_no_closest_titles_where_more_titles_hold_the_words_than_are_compared(
    reader_client, workspace, sample_listing, monkeypatch
):
    from django.contrib.postgres.search import SearchQuery

    from papers import search as search_module

    typed = "Lexinvarient Languag Modls"
    corrected = SearchQuery(
        "lexinvariant language models", search_type="websearch", config="english"
    )
    holding = Paper.objects.filter(title_vector=corrected).count()
    assert holding >= 1
    monkeypatch.setattr(search_module, "TITLE_CANDIDATES", holding)
    assert "Titles close to what you typed" in results_page(reader_client, workspace, typed).text

    # One title more than are compared: the words name a subject, not a title.
    monkeypatch.setattr(search_module, "TITLE_CANDIDATES", holding - 1)
    response = results_page(reader_client, workspace, typed)

    assert "Titles close to what you typed" not in response.text
    assert "Did you mean" in response.text


def test_facets_count_the_current_results(reader_client, reader, workspace, sample_listing):
    tag = Tag.objects.create(workspace=workspace, name="rnn")
    for paper in Paper.objects.filter(title__icontains="recurrent")[:3]:
        Tagging.objects.create(tag=tag, paper=paper)

    response = results_page(reader_client, workspace, "recurrent")

    assert re.search(r">rnn</a> <span class=\"facets__count\">3</span>", response.text)


def test_facets_show_only_this_workspaces_tags_and_my_own_statuses(
    reader_client, reader, workspace, sample_listing, django_user_model
):
    papers = list(Paper.objects.filter(title__icontains="recurrent")[:2])
    mine = Tag.objects.create(workspace=workspace, name="rnn")
    other_workspace = workspace_create(
        name="Elsewhere", owner=django_user_model.objects.create_user("other", password="pw")
    )
    theirs = Tag.objects.create(workspace=other_workspace, name="secret-project")
    someone = django_user_model.objects.create_user("someone", password="pw")
    for paper in papers:
        Tagging.objects.create(tag=mine, paper=paper)
        Tagging.objects.create(tag=theirs, paper=paper)
        ReadingState.objects.create(user=someone, paper=paper, status="reading")
    ReadingState.objects.create(user=reader, paper=papers[0], status="to-read")

    facets = results_page(reader_client, workspace, "recurrent").text.split(
        '<aside class="facets"'
    )[1]

    assert re.search(r">rnn</a> <span class=\"facets__count\">2</span>", facets)
    assert re.search(r">to-read</a> <span class=\"facets__count\">1</span>", facets)
    assert "secret-project" not in facets
    assert "reading</a>" not in facets


def test_facets_of_many_results_count_a_sample_and_say_so(
    reader_client, workspace, sample_listing, monkeypatch
):
    from papers.views import listing

    whole = results_page(reader_client, workspace, "")
    monkeypatch.setattr(listing, "FACET_SAMPLE", 10)
    sampled = results_page(reader_client, workspace, "")

    listed = r'class="facets__count">(\d+)<'
    assert re.findall(listed, whole.text) == ["51"]
    assert "sample" not in whole.text.split('class="facets')[1]
    assert re.findall(listed, sampled.text) == ["10"]
    assert "Counts over a sample of 10 of the results." in sampled.text


def test_no_one_sees_another_workspaces_tags_or_notes_through_search(
    client, reader, workspace, sample_listing, django_user_model
):
    outsider = django_user_model.objects.create_user("outsider", password="pw")
    theirs = workspace_create(name="Their lab", owner=outsider)
    secret = Tag.objects.create(workspace=theirs, name="secret-project")
    titans = Paper.objects.get(title__startswith="Titans")
    Tagging.objects.create(tag=secret, paper=titans)
    Note.objects.create(workspace=theirs, paper=titans, author=outsider, body="n", quote="q")
    client.force_login(reader)

    tagged = results_page(client, workspace, "tag:secret-project")
    highlighted = results_page(client, workspace, "has:highlight")
    by_them = results_page(client, workspace, "by:outsider")
    browse = results_page(client, workspace, "titans")

    for response in (tagged, highlighted, by_them):
        assert page_titles(response.text) == []
    assert "secret-project" not in browse.text


def test_a_tag_or_a_status_alone_is_counted_from_its_own_rows_and_only_this_readers(
    reader_client, reader, workspace, sample_listing, django_user_model
):
    papers = list(Paper.objects.order_by("pk"))
    memory = Tag.objects.create(workspace=workspace, name="memory")
    for paper in papers[:7]:
        Tagging.objects.create(tag=memory, paper=paper, added_by=reader)
        ReadingState.objects.create(user=reader, paper=paper, status="to-read")
    outsider = django_user_model.objects.create_user("outsider", password="pw")
    theirs = Tag.objects.create(
        workspace=workspace_create(name="Lab", owner=outsider), name="memory"
    )
    for paper in papers[7:10]:
        Tagging.objects.create(tag=theirs, paper=paper, added_by=outsider)
        ReadingState.objects.create(user=outsider, paper=paper, status="to-read")

    for query in ("tag:Memory", "status:to-read"):
        with CaptureQueriesContext(connection) as captured:
            html = results_page(reader_client, workspace, query).text

        assert re.search(r'<h1 class="results__count"[^>]*>7 papers</h1>', html)
        assert set(page_titles(html)) == {paper.title for paper in papers[:7]}
        counts = [q["sql"] for q in captured.captured_queries if "SELECT count(*)" in q["sql"]]
        assert len(counts) == 1 and "papers_paper" not in counts[0]


def test_htmx_search_returns_only_the_results(reader_client, workspace, sample_listing):
    response = reader_client.get(
        reverse("workspace_papers", args=[workspace.slug]),
        {"q": "mamba"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )

    assert response.text.lstrip().startswith('<div id="results"')
    assert "Stuffed Mamba" in response.text


def test_load_more_returns_the_next_rows_only(reader_client, workspace, sample_listing):
    response = reader_client.get(
        reverse("workspace_papers", args=[workspace.slug]),
        {"page": 2},
        headers={"HX-Request": "true", "HX-Target": "load-more"},
    )

    assert len(page_titles(response.text)) == 25
    assert 'id="results"' not in response.text


def test_pages_of_results_follow_the_sort_without_gaps_or_repeats(
    reader_client, workspace, sample_listing
):
    seen = []
    for page in (1, 2, 3):
        response = results_page(reader_client, workspace, "", sort="title", page=page)
        seen += page_titles(response.text)

    titles = [p.title for p in sorted(Paper.objects.all(), key=lambda p: (p.title_key, p.pk))]
    unescape = {"&#x27;": "'", "&quot;": '"', "&amp;": "&"}
    assert [re.sub("&[#\\w]+;", lambda m: unescape[m[0]], t) for t in seen] == titles


def test_query_count_does_not_grow_with_the_rows_shown(
    reader_client, reader, workspace, sample_listing
):
    tag = Tag.objects.create(workspace=workspace, name="t")
    few = Tag.objects.create(workspace=workspace, name="few")
    for paper in Paper.objects.all():
        Tagging.objects.create(tag=tag, paper=paper)
        ReadingState.objects.create(user=reader, paper=paper, status="read")
    for paper in Paper.objects.all()[:2]:
        Tagging.objects.create(tag=few, paper=paper)
    url = reverse("workspace_papers", args=[workspace.slug])

    def queries(q: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader_client.get(url, {"q": q}).status_code == 200
        return len(captured)

    assert queries("recurrent") == queries("titans memorize")
    assert queries("tag:t") == queries("tag:few")


def test_related_papers_share_distinctive_words(reader_client, workspace, sample_listing):
    paper = Paper.objects.get(title="Continual Learning with Dependency Preserving Hypernetworks")

    response = reader_client.get(paper.url_in(workspace))

    related = re.search(r'<ul class="related">(.*?)</ul>', response.text, re.S)[1]
    assert "Continual" in related
    assert "shares" in related


def test_every_related_paper_names_the_words_it_shares(reader_client, workspace, sample_listing):
    reasons = []
    for paper in Paper.objects.all():
        page = reader_client.get(paper.url_in(workspace)).text
        reasons += re.findall(r'class="muted related__reason">shares ([^<]*)</span>', page)

    assert len(reasons) > 100
    assert all(reason.strip() for reason in reasons)


def test_related_papers_share_the_rarest_words_first(db):
    from papers.search import related_papers
    from papers.services import search_terms_add

    def paper(arxiv_id: str, title: str, abstract: str) -> Paper:
        return Paper.objects.create(
            arxiv_id=arxiv_id, title=title, title_key=title_key(title), abstract=abstract
        )

    shown = paper("2601.00001", "Quokka foraging", "Camera traps watch quokka foraging at dawn.")
    rare = paper("2601.00002", "Island marsupials", "One quokka colony, counted from boats.")
    # Its title matches, which the index ranks above a match in an abstract.
    common = paper("2601.00003", "Camera calibration", "A camera, calibrated.")
    others = [
        paper(f"2601.0001{n}", f"Camera survey {n}", "Camera surveys of owls.") for n in range(3)
    ]
    search_terms_add(paper_ids=[p.pk for p in (shown, rare, common, *others)])

    related = related_papers(shown)

    assert (related[0].pk, related[0].shared_terms) == (rare.pk, ["quokka"])
    assert common.pk in [other.pk for other in related[1:]]


def test_the_papers_of_a_common_term_are_taken_from_the_index_sample(db, monkeypatch):
    from papers import search as search_module
    from papers.models import SEARCH_SAMPLE_EVERY
    from papers.search import related_papers
    from papers.services import search_terms_add

    base = (Paper.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 100
    base -= base % SEARCH_SAMPLE_EVERY

    def paper(pk: int, title: str) -> Paper:
        return Paper.objects.create(
            id=pk, title=title, title_key=title_key(title), abstract="Numbats eat termites."
        )

    shown = paper(base + 1, "Numbat foraging")
    others = [paper(base + 2 + n, f"Numbat survey {n}") for n in range(SEARCH_SAMPLE_EVERY * 2)]
    search_terms_add(paper_ids=[shown.pk, *(other.pk for other in others)])
    every = {other.pk for other in others}
    assert {related.pk for related in related_papers(shown, limit=30)} == every

    monkeypatch.setattr(search_module, "RELATED_SAMPLED_FROM", 1)  # every term is common
    related = related_papers(shown, limit=30)

    in_sample = {pk for pk in every if pk % SEARCH_SAMPLE_EVERY == 0}
    assert {paper.pk for paper in related} == in_sample != set()
    assert all("numbat" in paper.shared_terms for paper in related)


def test_membership_in_another_workspace_does_not_widen_search(
    client, django_user_model, sample_listing
):
    owner = django_user_model.objects.create_user("owner", password="pw")
    viewer = django_user_model.objects.create_user("viewer", password="pw")
    team = workspace_create(name="Team", owner=owner)
    Membership.objects.create(user=viewer, workspace=team, role=Role.VIEWER)
    Tag.objects.create(workspace=team, name="team-tag")
    client.force_login(viewer)
    personal = viewer.workspaces.get(is_personal=True)

    response = results_page(client, personal, "tag:team-tag")

    assert page_titles(response.text) == []


def test_reimport_adds_words_once(scope):
    before = SearchTerm.objects.get(word="hypernetworks").ndoc
    import_listing(str(SAMPLE))

    assert SearchTerm.objects.get(word="hypernetworks").ndoc == before


def test_many_matches_rank_title_matches_and_say_the_count_is_estimated(
    reader_client, workspace, sample_listing, monkeypatch
):
    from papers import search as search_module
    from papers.views import pagination

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 5)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)

    response = results_page(reader_client, workspace, "recurrent networks")
    browse = results_page(reader_client, workspace, "year:2026")

    assert re.search(r"(?i)recurrent.*network", page_titles(response.text)[0])
    assert re.search(r'results__count"[^>]*>more than 5 papers<', response.text)
    # PostgreSQL's estimate, or (when its statistics expect few) no figure at all.
    assert re.search(r'results__count"[^>]*>(about [\d,]+|more than 10) papers<', browse.text)
    assert "the best are chosen among those whose titles match" in response.text


def test_an_estimated_count_pages_to_the_last_paper_and_no_further(
    reader_client, reader, workspace, sample_listing, monkeypatch
):
    from papers import services
    from papers.views import pagination

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)
    services.reading_list_create(workspace=workspace, title="Friday", user=reader)
    seen, html, pages = every_page(reader_client, workspace, "", sort="title")
    everything = results_page(reader_client, workspace, "year:2026").text

    assert "51 papers in rank order" not in html
    assert re.search(r"(about [\d,]+|more than 10) papers by title", html)
    assert "Add these results (at most 5,000) to" in everything
    assert len(seen) == len(set(seen)) == 51
    assert pages == 3


def test_an_exact_count_pages_through_every_match_in_order(
    reader_client, scope, workspace, sample_listing
):
    seen, html, pages = every_page(reader_client, workspace, "", sort="title")

    assert "51 papers by title" in html
    assert seen == titles("", scope, sort="title")
    assert pages == 3


def test_a_search_nothing_can_match_reads_no_rows(reader_client, workspace, sample_listing):
    Tag.objects.create(workspace=workspace, name="t")
    Tagging.objects.bulk_create(
        Tagging(tag=Tag.objects.get(name="t"), paper=paper) for paper in Paper.objects.all()
    )

    with CaptureQueriesContext(connection) as captured:
        response = results_page(reader_client, workspace, "tag:t -tag:t")

    assert page_titles(response.text) == []
    # Its count said there was nothing: no statement looked for a first page.
    assert not [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "papers_paper"') and "ORDER BY" in query["sql"]
    ]


def test_list_filter_finds_the_papers_on_a_reading_list(scope, reader, workspace):
    from papers import services

    friday = services.reading_list_create(workspace=workspace, title="Friday RNNs", user=reader)
    titans = Paper.objects.get(title__startswith="Titans")
    services.list_add_papers(reading_list=friday, papers=[titans], user=reader)

    assert titles("list:friday-rnns", scope) == [titans.title]
    assert titans.title not in titles("-list:friday-rnns", scope)
    assert titles("memory list:friday-rnns", scope) == [titans.title]
    assert titles("list:someone-elses-list", scope) == []


def test_an_older_listing_keeps_its_rank_order_when_papers_appear_again_later(
    scope, sample_listing, tmp_path
):
    later = tmp_path / "later.txt"
    later.write_text(
        "Attention as an RNN\n\nThe advent of Transformers.\n\n"
        "Titans: Learning to Memorize at Test Time\n\nOver more than a decade.\n"
    )
    import_listing(str(later), "--date", "2026-11-01", "--name", "Later")

    older = search(f"listing:{sample_listing.date:%Y-%m-%d}", scope=scope).papers
    newest = search("", scope=scope).papers

    assert [paper.rank for paper in older] == list(range(1, 52))
    assert [paper.title for paper in newest] == [
        "Attention as an RNN",
        "Titans: Learning to Memorize at Test Time",
    ]


def test_an_excluded_word_in_the_abstract_excludes_a_title_match_among_many(scope, monkeypatch):
    from papers import search as search_module
    from papers.services import papers_tag

    papers = [
        Paper.objects.create(title=title, title_key=title_key(title), abstract=abstract)
        for title, abstract in (
            ("Diffusion models", "Image generation."),
            ("Policies for robots", "Diffusion for control."),
            ("Message passing", "Diffusion on graphs."),
        )
    ]
    papers_tag(workspace=scope.workspace, papers=papers, name="generative", user=scope.user)
    # So many match that only some are ranked: one match and one title match.
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 1)

    found = titles("diffusion -image tag:generative", scope)

    assert len(found) == 1
    assert found[0] in {"Policies for robots", "Message passing"}


def test_among_many_matches_every_paper_ranked_matches_the_query(scope, monkeypatch):
    from papers import search as search_module

    everything = set(titles("learning", scope))
    phrase = set(titles('"language models"', scope))
    # So many match that only some are ranked, and the candidates are not
    # checked against the vectors again: each must still match.
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)

    assert len(set(titles("learning", scope))) > 2 and set(titles("learning", scope)) <= everything
    assert set(titles('"language models"', scope)) <= phrase


def test_a_statement_over_its_time_budget_is_cancelled_and_the_setting_restored(db):
    from django.db import OperationalError, connection, transaction

    from papers.search import statement_timeout

    def timeout() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    before = timeout()
    with (
        pytest.raises(OperationalError),
        transaction.atomic(),
        statement_timeout(50),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_sleep(2)")
    with transaction.atomic():
        with statement_timeout(5000, enable_bitmapscan="off"), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.01)")
            cursor.execute("SHOW enable_bitmapscan")
            assert cursor.fetchone()[0] == "off"
        # Later statements of the same transaction have the settings they had.
        assert timeout() == before
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_bitmapscan")
            assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_a_statement_over_its_time_budget_is_cancelled_outside_a_transaction_too():
    from django.db import OperationalError, connection

    from papers.search import statement_timeout

    # A request runs without a transaction: a local setting made by a
    # statement of its own would end with that statement.
    with (
        pytest.raises(OperationalError),
        statement_timeout(50),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_sleep(2)")


@pytest.mark.django_db(transaction=True)
def test_settings_made_outside_a_transaction_end_with_the_block():
    from django.db import connection

    from papers.search import statement_timeout

    def setting(name: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SHOW {name}")
            return cursor.fetchone()[0]

    before = setting("statement_timeout")
    with statement_timeout(5000, enable_bitmapscan="off"):
        assert setting("enable_bitmapscan") == "off"
        assert setting("statement_timeout") == "5s"

    assert setting("statement_timeout") == before
    assert setting("enable_bitmapscan") == "on"


@pytest.mark.django_db(transaction=True)
def test_an_extensions_setting_is_made_and_restored_before_its_library_has_loaded():
    from django.db import connection, transaction

    from papers.search import local_settings

    def threshold() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT show_limit()")  # pg_trgm's similarity threshold
            return cursor.fetchone()[0]

    # A new session: pg_trgm's library loads with its first function, and
    # its settings are unknown until then ("did you mean" sets one first).
    connection.close()
    with transaction.atomic():
        with local_settings({"pg_trgm.similarity_threshold": "0.2"}):
            assert threshold() == pytest.approx(0.2)
        assert threshold() == pytest.approx(0.3)  # the default, restored


@pytest.fixture
def run_out_of_time(monkeypatch):
    """Call it to make every time budget of the search run out: it returns the budgets asked for."""
    from contextlib import contextmanager

    from django.db import OperationalError
    from psycopg.errors import QueryCanceled

    from papers import search as search_module

    def install() -> list[int]:
        budgets = []

        @contextmanager
        def cancelled(milliseconds, **settings):
            budgets.append(milliseconds)
            try:
                raise QueryCanceled("canceling statement due to statement timeout")
            except QueryCanceled as error:
                raise OperationalError(str(error)) from error
            yield

        monkeypatch.setattr(search_module, "statement_timeout", cancelled)
        return budgets

    return install


def test_an_exclusion_whose_scan_runs_over_its_budget_is_answered_by_the_index(
    scope, run_out_of_time
):
    from papers import search as search_module

    expected = titles("recurrent -memory", scope)
    budgets = run_out_of_time()

    assert titles("recurrent -memory", scope) == expected != []
    assert budgets == [search_module.SCAN_BUDGET_MS]


def test_excluding_a_word_the_query_asks_for_says_why_nothing_matches_and_reads_no_paper(
    reader_client, workspace, sample_listing
):
    for query, excluded in [("memory -memory", "-memory"), ("model -models", "-models")]:
        with CaptureQueriesContext(connection) as captured:
            html = results_page(reader_client, workspace, query).text

        assert page_titles(html) == []
        assert f"“{excluded}” excludes a word the query also asks for" in html
        assert "No paper matches all of it" in html
        assert not [q for q in captured.captured_queries if "@@" in q["sql"]]
    still_searched = results_page(reader_client, workspace, "continual -survey").text
    assert page_titles(still_searched) and "excludes a word" not in still_searched


def test_a_word_whose_scan_runs_over_its_budget_is_answered_by_the_index(scope, run_out_of_time):
    from papers import search as search_module

    expected = titles("recurrent", scope)
    budgets = run_out_of_time()

    assert titles("recurrent", scope) == expected != []
    assert budgets == [search_module.SCAN_BUDGET_MS]


def test_a_search_index_answer_past_its_budget_shows_what_it_found_and_says_more_may_match(
    reader_client, workspace, sample_listing, run_out_of_time, monkeypatch
):
    from papers import search as search_module

    every_match = page_titles(results_page(reader_client, workspace, "attention").text)
    run_out_of_time()
    monkeypatch.setattr(search_module, "INDEX_BUDGET_MS", 0)

    html = results_page(reader_client, workspace, "attention").text

    shown = page_titles(html)
    assert "stopped before it had checked them all" in html
    assert f"at least {len(shown)} papers" in html
    assert "No paper matches" not in html
    # The papers whose titles hold the word are found by the titles' own index.
    assert shown and set(shown) < set(every_match)
    assert all("attention" in title.lower() for title in shown)


def test_a_search_stopped_before_it_found_a_match_says_so_rather_than_that_none_match(
    reader_client, workspace, sample_listing, run_out_of_time, monkeypatch
):
    from papers import search as search_module

    title = "A field study"
    Paper.objects.create(title=title, title_key=title_key(title), abstract="The zyzzyva weevil.")
    run_out_of_time()
    monkeypatch.setattr(search_module, "INDEX_BUDGET_MS", 0)

    html = results_page(reader_client, workspace, "zyzzyva").text

    assert re.search(r'<h1 class="results__count"[^>]*>0 papers</h1>', html)
    assert "stopped before it had checked them all" in html
    assert "No paper matches" not in html


def test_a_search_index_answer_within_its_budget_is_every_match(scope, run_out_of_time):
    expected = titles("sparse", scope)
    run_out_of_time()

    found = search("sparse", scope=scope)

    assert titles("sparse", scope) == expected != []
    assert not found.stopped


def test_a_statement_read_within_a_budget_keeps_the_rows_that_came_in_time(db):
    from papers.search import BUDGETED_READ, _read_within

    # The first rows come at once; the one after them takes a second.
    slow_after = 3 * BUDGETED_READ
    sql = "SELECT g FROM generate_series(1, 100) g WHERE g <= %s OR pg_sleep(1) IS NOT NULL"

    rows, read_all = _read_within(sql, (slow_after,), 300)

    # Fetched 16, then 32: the fetch of 64 was cancelled with what it had read.
    assert [g for (g,) in rows] == list(range(1, slow_after + 1))
    assert not read_all
    assert _read_within(sql, (100,), 300) == ([(g,) for g in range(1, 101)], True)
    # The cursor is gone and the settings are restored.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        assert cursor.fetchone() == ("0",)
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone() == (0,)


@pytest.mark.parametrize("titles_first", [True, False])
def test_a_phrase_past_its_budget_shows_the_titles_holding_it_and_offers_to_check_every_paper(
    reader_client, workspace, sample_listing, monkeypatch, titles_first
):
    from papers import search as search_module

    phrase = '"language models"'
    every_match, _, _ = every_page(reader_client, workspace, phrase)
    # The titles are looked for within their budget; the abstracts have none.
    monkeypatch.setattr(search_module, "PHRASE_BUDGET_MS", 0)
    monkeypatch.setattr(search_module, "PHRASE_TITLE_BUDGET_MS", 5_000)
    # Whether the words are common enough for the titles to come first.
    monkeypatch.setattr(search_module, "PHRASE_FEW_PAPERS", -1 if titles_first else 10**9)

    html = results_page(reader_client, workspace, phrase).text

    shown = page_titles(html)
    assert "stopped before it had checked them all" in html
    assert f"at least {len(shown)} papers" in html
    assert shown and set(shown) < set(every_match)
    assert all(re.search("language model", title, re.IGNORECASE) for title in shown)
    assert "Export every match" in html
    link = unescape(re.search(r'<a class="results__every" href="([^"]+)"', html)[1])
    checked = reader_client.get(reverse("workspace_papers", args=[workspace.slug]) + link).text
    assert "stopped before" not in checked and "Check every paper" not in checked
    seen, _, _ = every_page(reader_client, workspace, phrase, every="1")
    assert seen == every_match
    # A file holds every match, as "check every paper" finds them.
    export = reader_client.get(
        reverse("papers_export", args=[workspace.slug, "csv"]), {"q": phrase}
    )
    exported = [row["title"] for row in csv.DictReader(io.StringIO(export.content.decode()))]
    assert sorted(exported) == sorted(every_match)


@pytest.mark.parametrize("count_limit", [5, 1_000])
def test_filters_that_leave_papers_out_find_every_paper_left_in_its_order(
    reader_client, scope, reader, workspace, sample_listing, monkeypatch, count_limit
):
    """More papers left than are counted exactly, or fewer."""
    from papers.views import pagination

    monkeypatch.setattr(pagination, "COUNT_LIMIT", count_limit)
    memory = Tag.objects.create(workspace=workspace, name="memory")
    tagged = [entry.paper for entry in sample_listing.entries.order_by("rank")[:3]]
    for paper in tagged:
        Tagging.objects.create(tag=memory, paper=paper, added_by=reader)
    ranked = list(sample_listing.entries.order_by("rank").values_list("paper__title", flat=True))
    left = [title for title in ranked if title not in {paper.title for paper in tagged}]

    seen, _, pages = every_page(
        reader_client, workspace, f"listing:{sample_listing.date} -tag:memory"
    )
    assert (seen, pages) == (left, 2)
    assert titles("-tag:memory", scope, sort="title") == sorted(left, key=title_key)
    assert set(titles("memory -tag:memory", scope)) == set(titles("memory", scope)) - {
        paper.title for paper in tagged
    }
    assert titles("tag:memory -listing:latest", scope) == []


def test_filters_that_leave_out_most_papers_stop_at_their_budget_and_offer_to_check_every_paper(
    reader_client, workspace, sample_listing, monkeypatch, run_out_of_time
):
    from datetime import date

    from papers import search as search_module

    old = Paper.objects.create(
        title="An Old Paper",
        title_key=title_key("An Old Paper"),
        abstract="Old.",
        published=date(2019, 5, 1),
    )
    budgets = run_out_of_time()

    # Every paper of the sample was listed in 2026: one is left.
    html = results_page(reader_client, workspace, "-year:2026").text

    assert budgets == [search_module.EXCLUDING_BUDGET_MS]
    assert re.search(r'<h1 class="results__count"[^>]*>0 papers</h1>', html)
    assert "leave out so many papers that the search stopped" in html
    assert "No paper matches" not in html
    link = unescape(re.search(r'<a class="results__every" href="([^"]+)"', html)[1])
    monkeypatch.undo()
    checked = reader_client.get(reverse("workspace_papers", args=[workspace.slug]) + link).text
    assert page_titles(checked) == [old.title]
    assert re.search(r'<h1 class="results__count"[^>]*>1 paper</h1>', checked)
    assert "stopped before" not in checked and "Check every paper" not in checked


def test_titles_beside_a_filter_that_leaves_papers_out_are_given_up_past_a_budget(
    scope, monkeypatch, run_out_of_time
):
    from papers import search as search_module

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)  # titles are looked for
    budgets = run_out_of_time()
    titles("language models", scope)
    assert search_module.INDEX_BUDGET_MS not in budgets

    # The reader has read nothing: the filter leaves every paper.
    found = titles("language models -status:read", scope)

    assert budgets[-1] == search_module.INDEX_BUDGET_MS
    assert found and set(found) <= set(titles("language models", scope))


def test_the_first_matches_of_common_words_are_read_from_the_table(scope, monkeypatch):
    """Not from the search index, which lists every paper holding the words before the first."""
    from papers import search as search_module

    every_match = set(titles("language models", scope))
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    monkeypatch.setattr(search_module, "SAMPLE_DENSITY", 2.0)  # no words are common
    assert not bitmap_scans_off(scope, "language models", '"search_vector" @@')
    monkeypatch.setattr(search_module, "SAMPLE_DENSITY", 0.0)  # all are

    assert bitmap_scans_off(scope, "language models", '"search_vector" @@')
    found = titles("language models", scope)
    assert len(found) > 2 and set(found) <= every_match


def test_a_rare_words_matches_come_from_the_index_sample_only_when_it_holds_enough(
    scope, monkeypatch
):
    """The search index's sample (one paper in ten, by id) may give the papers to rank.

    Only when it holds enough to tell that more match than can be ranked: a
    match outside it is never left out of a search that has room for every
    match.
    """
    from papers import search as search_module
    from papers.models import SEARCH_SAMPLE_EVERY

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    first = Paper.objects.order_by("-pk").values_list("pk", flat=True).first() + 1

    def weevil_paper(pk: int) -> None:
        # The word in the abstract only: titles that match are ranked whatever the sample holds.
        title = f"A field study {pk}"
        Paper.objects.create(
            id=pk, title=title, title_key=title_key(title), abstract="The zyzzyva weevil."
        )

    base = (first // SEARCH_SAMPLE_EVERY + 1) * SEARCH_SAMPLE_EVERY
    outside = [base + 1, base + 2]
    for pk in outside:
        weevil_paper(pk)
    assert {paper.pk for paper in search("zyzzyva", scope=scope).papers} == set(outside)

    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            list(search("zyzzyva", scope=scope).papers)
        return len(captured.captured_queries)

    weevil_paper(base + 3)  # more matches than are ranked, none in the sample
    from_every_paper = statements()
    in_sample = [base + SEARCH_SAMPLE_EVERY * n for n in (1, 2, 3)]
    for pk in in_sample:
        weevil_paper(pk)
    found = search("zyzzyva", scope=scope)
    assert found.ranked_subset
    shown = {paper.pk for paper in found.papers}
    assert len(shown) == 2 and shown <= set(in_sample)
    # Whether the sample had enough is decided inside the one statement.
    assert statements() == from_every_paper


def test_a_sample_that_tells_more_match_than_are_ranked_gives_the_papers_to_rank(
    scope, monkeypatch
):
    """Fewer than a search ranks, but ten times as many would be twice as many: enough."""
    from papers import search as search_module
    from papers.models import SEARCH_SAMPLE_EVERY

    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 20)  # 21 asked for, 5 are enough
    first = Paper.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    base = (first // SEARCH_SAMPLE_EVERY + 1) * SEARCH_SAMPLE_EVERY

    def weevil_papers(pks) -> list[int]:
        pks = list(pks)
        for pk in pks:
            title = f"A field study {pk}"
            Paper.objects.create(
                id=pk, title=title, title_key=title_key(title), abstract="The zyzzyva weevil."
            )
        return pks

    outside = weevil_papers(base + SEARCH_SAMPLE_EVERY * n + 1 for n in range(30))
    in_sample = weevil_papers(base + SEARCH_SAMPLE_EVERY * n for n in range(4))
    shown = {paper.pk for paper in search("zyzzyva", scope=scope).papers}
    assert len(shown) == 20 and shown & set(outside)

    in_sample += weevil_papers([base + SEARCH_SAMPLE_EVERY * 4])
    found = search("zyzzyva", scope=scope)

    assert found.ranked_subset
    assert {paper.pk for paper in found.papers} == set(in_sample)


@pytest.mark.parametrize("query", ["models", "learning models"])
def test_titles_of_common_words_are_found_by_reading_the_table(scope, monkeypatch, query):
    """By the planner's count of the titles holding the words, for one word as for several."""
    from papers import search as search_module

    with connection.cursor() as cursor:  # the titles' commonest words, as autovacuum would keep
        cursor.execute("ANALYZE papers_paper")
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    monkeypatch.setattr(search_module, "TITLE_SCAN_ROW_COST", 1e9)  # the scan never pays
    by_index = titles(query, scope)
    assert not titles_scanned(scope, query)
    monkeypatch.setattr(search_module, "TITLE_SCAN_ROW_COST", 1e-9)

    assert titles(query, scope) == by_index != []
    assert titles_scanned(scope, query)
    # Four words are rarely all in one title; a stop word is not one of them.
    assert search("learning models sequence data", scope=scope).ranked_subset
    assert not titles_scanned(scope, "learning models sequence data")
    assert titles_scanned(scope, "learning models for sequence")


def test_the_titles_of_related_words_are_expected_more_often_than_apart(scope, monkeypatch):
    """Two common words in one query are read as going together, not as chance meetings."""
    from django.contrib.postgres.search import SearchQuery

    from papers import search as search_module

    with connection.cursor() as cursor:  # the titles' commonest words, as autovacuum would keep
        cursor.execute("ANALYZE papers_paper")
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    papers = Paper.objects.count()
    share = {
        word: Paper.objects.filter(title_vector=SearchQuery(word, config="english")).count()
        / papers
        for word in ("language", "models")
    }
    apart = share["language"] * share["models"] * papers
    together = min(share.values()) * max(share.values()) ** search_module.RELATED_WORDS * papers
    assert 0 < apart < together

    def scan_pays_from(titles: float) -> None:
        cost = titles * titles / papers / search_module.COMMON_TITLE_MATCHES
        monkeypatch.setattr(search_module, "TITLE_SCAN_ROW_COST", cost)

    # The scan pays for as many titles as go together, not for as few as meet by chance.
    scan_pays_from((apart + together) / 2)
    assert titles_scanned(scope, "language models")
    scan_pays_from(together * 2)
    assert not titles_scanned(scope, "language models")


def test_the_scan_for_titles_of_common_words_keeps_fewer_of_them(scope, monkeypatch):
    """Thousands of titles hold such words: any of them are a sample, and fewer read quicker."""
    from django.contrib.postgres.search import SearchQuery

    from papers import search as search_module

    monkeypatch.setattr(search_module, "TITLE_MATCHES", 3)
    monkeypatch.setattr(search_module, "COMMON_TITLE_MATCHES", 2)
    in_title = Paper.objects.filter(
        title_vector=SearchQuery("model", search_type="websearch", config="english")
    )
    named = Paper.objects.filter(title_key="model")
    assert in_title.count() > 3 and not named.exists()

    def first_titles(common: bool) -> list[int]:
        return search_module._title_matches(in_title, named, common, one_by_one=False, budget=None)

    assert len(first_titles(common=True)) == 2  # read from the table
    assert len(first_titles(common=False)) == 3  # from the titles' index


def test_words_joined_by_or_are_expected_as_often_as_either(scope):
    """How common a query's words are picks how its matches are read: `or` widens them."""
    from papers.search import _searched_words

    def expected(text: str) -> float:
        return _searched_words(text).density

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE papers_paper")
    learning, models = expected("learning"), expected("models")
    assert 0 < learning < 1 and 0 < models < 1

    both = expected("learning models")
    assert learning * models < both <= min(learning, models)
    either = 1 - (1 - learning) * (1 - models)
    assert expected("learning or models") == pytest.approx(either)
    assert expected("learning OR models -survey") == pytest.approx(either)
    # Inside a phrase, `or` is one of its words.
    assert expected('"learning or models"') <= both


def test_stop_words_do_not_make_a_query_look_rare(scope):
    """How common a query's words are is asked of the words the search index looks up."""
    from papers.search import _searched_words

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE papers_paper")
    learning = _searched_words("learning")
    assert learning.density > 0

    for text in ["of learning", "the learning", '"the learning of"']:
        words = _searched_words(text)
        assert (words.groups, words.density) == ([{"learning"}], learning.density), text
    assert _searched_words("the learning of").ignored == ["the", "of"]
    # The index looks a hyphenated word up whole, rarer than its parts: a
    # stop word there stays, and is not in the vocabulary.
    in_context = _searched_words("in-context learning")
    assert in_context[:3] == ([{"in", "context", "learning"}], [], 0)
    # A word the vocabulary has not seen: few papers, if any, hold it.
    assert _searched_words("learning qwxzvbn").density == 0


def test_a_word_is_expected_as_often_as_its_stem(scope):
    """The index matches stems: a form of a common word that few papers use is common too."""
    from papers.search import _searched_words

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE papers_paper")
    model = _searched_words("model")
    modeled = _searched_words("modeled")

    assert not SearchTerm.objects.filter(word="modeled").exists()
    assert 0.2 < modeled.density == model.density < 1
    assert _searched_words("qwxzvbn").density == 0


@pytest.mark.parametrize(
    "query", ["recurrent memory", "language models for long context", "attention transformer"]
)
def test_the_rarest_words_find_the_papers_checked_against_the_whole_query(
    scope, monkeypatch, query
):
    """Looked up by their rarest word alone, the papers found are those of the whole query."""
    from papers import search as search_module

    with connection.cursor() as cursor:  # the planner's count of papers, as autovacuum would keep
        cursor.execute("ANALYZE papers_paper")
    monkeypatch.setattr(search_module, "LOOKED_UP_CANDIDATES", 0)  # never few enough
    every_word = set(titles(query, scope))
    monkeypatch.setattr(search_module, "LOOKED_UP_CANDIDATES", 10**9)  # the rarest is
    monkeypatch.setattr(search_module, "LOOKED_UP_FROM", 0)  # and common enough

    with CaptureQueriesContext(connection) as captured:
        rarest_word = set(titles(query, scope))

    assert rarest_word == every_word != set()
    assert any("ts_match_vq" in statement["sql"] for statement in captured.captured_queries)


def test_a_query_of_stop_words_only_matches_nothing_without_reading_papers(
    reader_client, workspace, sample_listing
):
    with CaptureQueriesContext(connection) as captured:
        response = results_page(reader_client, workspace, "The of")

    assert "“the” and “of” are too common to search for" in response.text
    assert "No paper matches all of it" not in response.text
    assert not [q for q in captured.captured_queries if "search_vector" in q["sql"]]
    # With a word that says what the papers are about, they are found.
    assert "too common" not in results_page(reader_client, workspace, "the models").text


def test_a_title_scan_over_its_budget_is_answered_by_the_index(scope, monkeypatch, run_out_of_time):
    from django.db import connection

    from papers import search as search_module

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE papers_paper")
    monkeypatch.setattr(search_module, "RANK_CANDIDATES", 2)
    expected = titles("learning models", scope)
    monkeypatch.setattr(search_module, "TITLE_SCAN_ROW_COST", 1e-9)  # the scan always pays
    budgets = run_out_of_time()

    assert titles("learning models", scope) == expected != []
    # The probe for some matches, then the titles' scan.
    assert budgets == [search_module.SCAN_BUDGET_MS, search_module.COMMON_SCAN_BUDGET_MS]


def test_a_one_word_typo_gets_a_did_you_mean_but_no_closest_titles(
    reader_client, workspace, sample_listing
):
    response = results_page(reader_client, workspace, "Lexinvarient")

    assert "Did you mean" in response.text
    assert "Titles close to what you typed" not in response.text


def test_search_vectors_stay_in_the_papers_rows(scope):
    """Every search reads vectors: kept out of line, each read was a TOAST lookup."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_column_toast_chunk_id(search_vector) IS NOT NULL),"
            " count(*) FILTER (WHERE pg_column_size(search_vector) + pg_column_size(abstract)"
            " > 2032) FROM papers_paper"
        )
        vectors_out_of_line, rows_over_the_default_limit = cursor.fetchone()
    assert rows_over_the_default_limit > 10
    assert vectors_out_of_line == 0
