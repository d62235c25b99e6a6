import re

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from accounts.services import workspace_create
from papers.models import Note, Paper, ReadingState, Tag, Tagging
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def paper(sample_listing):
    return Paper.objects.get(title__startswith="Titans")


def url(name, workspace, **kwargs):
    return reverse(name, kwargs={"slug": workspace.slug, **kwargs})


def test_tagging_with_htmx_returns_the_row_and_announces_it(reader_client, workspace, paper):
    response = reader_client.post(
        url("tag_add", workspace, pk=paper.pk), {"name": "  memory   models "}, headers=HX
    )

    assert response.status_code == 200
    assert f'id="paper-{paper.pk}"' in response.text
    assert "memory models" in response.text
    assert "Tagged" in response.headers["HX-Trigger"]
    assert list(paper.tags.values_list("name", flat=True)) == ["memory models"]


def test_a_tag_of_two_words_links_to_its_papers_from_rows_facets_and_the_tags_page(
    reader_client, workspace, sample_listing
):
    tagged, untagged = Paper.objects.order_by("pk")[:2]
    reader_client.post(url("tag_add", workspace, pk=tagged.pk), {"name": "memory models"})
    reader_client.post(url("tag_add", workspace, pk=untagged.pk), {"name": "memory"})
    wanted = url("workspace_papers", workspace) + "?q=tag%3A%22memory%20models%22"

    papers_page = reader_client.get(url("workspace_papers", workspace)).text
    tags_page = reader_client.get(url("tags", workspace)).text
    facets = papers_page[papers_page.index('<aside class="facets"') :]

    assert f'href="{wanted}"' in papers_page  # the tag on its row
    assert f'href="{wanted}"' in tags_page
    assert '<a href="?q=tag%3A%22memory%20models%22">memory models</a>' in facets
    found = reader_client.get(wanted).text
    assert f'id="paper-{tagged.pk}"' in found
    assert f'id="paper-{untagged.pk}"' not in found


def test_a_rows_tags_and_the_tag_suggestions_are_in_alphabetical_order_whatever_the_case(
    reader_client, workspace, paper
):
    for name in ("gamma", "Beta", "alpha"):
        reader_client.post(url("tag_add", workspace, pk=paper.pk), {"name": name})

    page = reader_client.get(url("workspace_papers", workspace)).text
    meta = page[page.index(f'id="paper-meta-{paper.pk}"') :]
    tag_list = meta[: meta.index("</ul>")]
    suggestions = page[page.index('<datalist id="tag-options"') :]

    shown = re.findall(r'<a class="tag__name" href="[^"]*">([^<]*)</a>', tag_list)
    assert shown == ["alpha", "Beta", "gamma"]
    assert re.findall(r'<option value="([^"]*)">', suggestions) == ["alpha", "Beta", "gamma"]


def test_tag_names_are_unique_ignoring_case(reader_client, workspace, paper):
    other = Paper.objects.exclude(pk=paper.pk).first()
    reader_client.post(url("tag_add", workspace, pk=paper.pk), {"name": "LLM"})
    reader_client.post(url("tag_add", workspace, pk=other.pk), {"name": "llm"})

    assert Tag.objects.filter(workspace=workspace).count() == 1
    assert Tagging.objects.filter(tag__name="LLM").count() == 2


def test_tagging_without_javascript_redirects_back(reader_client, workspace, paper):
    back = url("workspace_papers", workspace) + "?page=2"

    response = reader_client.post(
        url("tag_add", workspace, pk=paper.pk), {"name": "later", "next": back}
    )

    assert response.status_code == 302
    assert response.url == back


def test_tagging_refuses_to_redirect_off_site(reader_client, workspace, paper):
    response = reader_client.post(
        url("tag_add", workspace, pk=paper.pk), {"name": "x", "next": "https://evil.example/"}
    )

    assert response.url == paper.url_in(workspace)


@pytest.mark.parametrize("htmx", [True, False])
def test_empty_tag_answers_422_with_the_error_where_it_was_typed(
    reader_client, workspace, paper, htmx
):
    response = reader_client.post(
        url("tag_add", workspace, pk=paper.pk), {"name": "   "}, headers=HX if htmx else {}
    )

    assert response.status_code == 422
    assert 'id="tag-error-' in response.text
    assert "A tag needs a name." in response.text
    assert not Tag.objects.exists()


def test_untag(reader_client, workspace, paper):
    reader_client.post(url("tag_add", workspace, pk=paper.pk), {"name": "later"})
    tag = Tag.objects.get()

    reader_client.post(url("tag_remove", workspace, pk=paper.pk, tag_id=tag.pk), headers=HX)

    assert not paper.tags.exists()


def test_bulk_tag_tags_every_selected_paper_once(reader_client, workspace, sample_listing):
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True)[:3])
    reader_client.post(url("tag_add", workspace, pk=ids[0]), {"name": "friday"})

    response = reader_client.post(
        url("bulk_tag", workspace), {"paper": ids, "name": "Friday"}, headers=HX
    )

    assert response.status_code == 200
    assert Tagging.objects.filter(tag__name="friday").count() == 3
    for pk in ids:
        assert f'id="paper-{pk}" data-paper-row hx-swap-oob="true"' in response.text


def test_bulk_tag_with_nothing_selected_is_422(reader_client, workspace, sample_listing):
    response = reader_client.post(url("bulk_tag", workspace), {"name": "friday"})

    assert response.status_code == 422
    assert "Select at least one paper" in response.text


def test_rename_merge_and_delete_tags(reader_client, workspace, sample_listing):
    a, b, c = Paper.objects.order_by("pk")[:3]
    for paper, name in ((a, "rnn"), (b, "RNNs"), (c, "RNNs"), (a, "RNNs")):
        reader_client.post(url("tag_add", workspace, pk=paper.pk), {"name": name})
    rnn, rnns = Tag.objects.get(name="rnn"), Tag.objects.get(name="RNNs")

    clash = reader_client.post(url("tag_rename", workspace, tag_id=rnn.pk), {"name": "rnns"})
    assert clash.status_code == 422
    assert "merge into it instead" in clash.text

    reader_client.post(url("tag_merge", workspace, tag_id=rnn.pk), {"into": rnns.pk})
    assert set(rnns.papers.all()) == {a, b, c}
    assert not Tag.objects.filter(pk=rnn.pk).exists()

    reader_client.post(url("tag_rename", workspace, tag_id=rnns.pk), {"name": "Recurrent"})
    page = reader_client.get(url("tags", workspace))
    assert "Recurrent" in page.text
    assert '<td class="num">3</td>' in page.text

    reader_client.post(url("tag_delete", workspace, tag_id=rnns.pk))
    assert not Tagging.objects.exists()


def test_status_set_clear_and_cycle(reader_client, reader, workspace, paper):
    status_url = url("status_set", workspace, pk=paper.pk)

    reader_client.post(status_url, {"status": "reading"})
    state = ReadingState.objects.get(user=reader, paper=paper)
    assert state.status == "reading"
    assert state.changed_at is not None

    reader_client.post(status_url, {"status": "reading"})
    assert not ReadingState.objects.exists()

    for expected in ("to-read", "reading", "read", None):
        reader_client.post(status_url, {"status": "cycle"})
        state = ReadingState.objects.filter(user=reader, paper=paper).first()
        assert (state.status if state else None) == expected


def test_a_row_swapped_in_by_htmx_sends_its_forms_back_to_the_page_not_the_action(
    reader_client, workspace, paper
):
    page = url("workspace_papers", workspace) + "?q=memory"

    swapped = reader_client.post(
        url("status_set", workspace, pk=paper.pk),
        {"status": "reading"},
        headers={**HX, "HX-Current-URL": f"http://testserver{page}"},
    ).text
    elsewhere = reader_client.post(
        url("status_set", workspace, pk=paper.pk),
        {"status": "read"},
        headers={**HX, "HX-Current-URL": "https://elsewhere.example/w/x/papers/"},
    ).text

    # The status form's and the tag form's: the page the reader is on.
    assert re.findall(r'name="next" value="([^"]*)"', swapped) == [page, page]
    assert "elsewhere.example" not in elsewhere


def test_status_is_personal_and_the_queue_shows_mine(client, reader, workspace, paper):
    team = workspace_create(name="Lab", owner=reader)
    colleague = Membership.objects.create(
        user=type(reader).objects.create_user("colleague", password="pw"),
        workspace=team,
        role=Role.EDITOR,
    ).user
    client.force_login(reader)
    client.post(url("status_set", team, pk=paper.pk), {"status": "to-read"}, follow=True)

    client.force_login(colleague)
    queue = client.get(url("queue", team))
    row = client.get(url("workspace_papers", team))

    assert "Titans" not in queue.text
    assert 'aria-pressed="true"' not in row.text
    client.force_login(reader)
    assert "Titans" in client.get(url("queue", team)).text


def test_notes_are_sanitised_markdown(reader_client, workspace, paper):
    hostile = (
        "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> "
        "[click](javascript:alert(3)) ![pic](https://example.org/p.png)"
    )
    reader_client.post(url("note_add", workspace, pk=paper.pk), {"body": hostile})

    page = reader_client.get(paper.url_in(workspace)).text

    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)" not in page
    assert "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    assert 'href="javascript:' not in page
    assert "<img" not in page


def test_private_notes_are_seen_only_by_their_author(client, reader, workspace, paper):
    team = workspace_create(name="Lab", owner=reader)
    colleague = type(reader).objects.create_user("colleague", password="pw")
    Membership.objects.create(user=colleague, workspace=team, role=Role.EDITOR)
    client.force_login(reader)
    client.post(url("note_add", team, pk=paper.pk), {"body": "mine only", "visibility": "private"})
    client.post(url("note_add", team, pk=paper.pk), {"body": "for the team"})

    client.force_login(colleague)
    paper_page = client.get(paper.url_in(team)).text
    notes_page = client.get(url("notes", team)).text

    for page in (paper_page, notes_page):
        assert "for the team" in page
        assert "mine only" not in page


def test_replies_edit_and_delete_by_the_author_only(client, reader, workspace, paper):
    team = workspace_create(name="Lab", owner=reader)
    colleague = type(reader).objects.create_user("colleague", password="pw")
    Membership.objects.create(user=colleague, workspace=team, role=Role.EDITOR)
    client.force_login(reader)
    client.post(url("note_add", team, pk=paper.pk), {"body": "first thought"})
    note = Note.objects.get()

    client.force_login(colleague)
    client.post(url("note_add", team, pk=paper.pk), {"body": "agreed", "parent": note.pk})
    reply = Note.objects.get(parent=note)
    assert reply.author == colleague
    assert (
        client.post(url("note_edit", team, note_id=note.pk), {"body": "hijack"}).status_code == 404
    )
    assert client.post(url("note_delete", team, note_id=note.pk)).status_code == 404

    client.force_login(reader)
    client.post(url("note_edit", team, note_id=note.pk), {"body": "second thought"})
    note.refresh_from_db()
    assert note.body == "second thought"
    client.post(url("note_delete", team, note_id=note.pk))
    assert not Note.objects.exists()


@pytest.mark.parametrize("htmx", [True, False])
def test_empty_note_is_422_and_keeps_what_was_typed(reader_client, workspace, paper, htmx):
    response = reader_client.post(
        url("note_add", workspace, pk=paper.pk),
        {"body": "  ", "quote": "neural long-term memory module"},
        headers=HX if htmx else {},
    )

    assert response.status_code == 422
    assert "Write something first." in response.text
    assert 'value="neural long-term memory module"' in response.text
    assert not Note.objects.exists()


def test_highlight_by_offsets_and_by_typed_quote(reader_client, workspace, paper):
    quote = "neural long-term memory module"
    start = paper.abstract.index(quote)
    reader_client.post(
        url("note_add", workspace, pk=paper.pk),
        {
            "body": "the core",
            "anchor_field": "abstract",
            "start": start,
            "end": start + len(quote),
            "quote": quote,
        },
    )
    reader_client.post(
        url("note_add", workspace, pk=paper.pk), {"body": "title bit", "quote": "Test Time"}
    )

    by_offsets, by_quote = Note.objects.order_by("pk")
    assert (by_offsets.quote, by_offsets.start) == (quote, start)
    assert by_offsets.prefix == paper.abstract[start - 32 : start]
    page = reader_client.get(paper.url_in(workspace)).text
    assert f'<mark class="highlight" data-notes="{by_offsets.pk}">{quote}</mark>' in page
    assert (by_quote.anchor_field, by_quote.quote) == ("title", "Test Time")
    assert by_quote.start == paper.title.index("Test Time")


def test_quote_not_in_the_text_is_422(reader_client, workspace, paper):
    response = reader_client.post(
        url("note_add", workspace, pk=paper.pk),
        {"body": "hmm", "quote": "words that are not there"},
    )

    assert response.status_code == 422
    assert "is not in the title or abstract" in response.text


def test_reimport_with_edited_abstract_reanchors_highlights_and_keeps_detached_ones(
    reader_client, workspace, paper, tmp_path
):
    kept, lost = "neural long-term memory module", "quadratic cost"
    for quote in (kept, lost):
        start = paper.abstract.index(quote)
        reader_client.post(
            url("note_add", workspace, pk=paper.pk),
            {
                "body": quote,
                "anchor_field": "abstract",
                "start": start,
                "end": start + len(quote),
                "quote": quote,
            },
        )
    edited = tmp_path / "edited.txt"
    edited.write_text(
        SAMPLE.read_text()
        .replace(
            "Over more than a decade",
            "Inserted sentence moves every offset. Over more than a decade",
        )
        .replace("comes with a quadratic cost", "comes at a price")
    )

    import_listing(str(edited))

    moved = Note.objects.get(body=kept)
    paper.refresh_from_db()
    assert not moved.detached
    assert paper.abstract[moved.start : moved.end] == kept
    detached = Note.objects.get(body=lost)
    assert detached.detached
    page = reader_client.get(paper.url_in(workspace)).text
    assert "Detached: this passage is no longer in the abstract." in page
