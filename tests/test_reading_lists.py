import csv
import io
import json
import re
from datetime import UTC, datetime

import bibtexparser
import feedparser
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role
from accounts.services import workspace_create
from papers.models import Listing, ListItem, Note, Paper, ReadingList, ReadingState
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db

TITLES = [
    "Titans: Learning to Memorize at Test Time",
    "Attention as an RNN",
    "Stuffed Mamba: State Collapse and State Capacity of RNN-Based Long-Context Modeling",
]


@pytest.fixture
def team(reader):
    return workspace_create(name="Reading group", owner=reader)


@pytest.fixture
def built(reader_client, team, sample_listing):
    """A list built through the pages: created, three papers added, commented, reordered."""
    reader_client.post(
        reverse("list_new", args=[team.slug]),
        {"title": "Friday: memory & RNNs", "description": "What we *discuss* on Friday."},
    )
    reading_list = ReadingList.objects.get()
    papers = [Paper.objects.get(title=title) for title in TITLES]
    for paper in papers:
        reader_client.post(
            reverse("list_add", args=[team.slug]), {"list": reading_list.pk, "paper": paper.pk}
        )
    items = {item.paper.title: item for item in reading_list.items.select_related("paper")}
    reader_client.post(
        reverse("item_comment", args=[team.slug, reading_list.pk, items[TITLES[0]].pk]),
        {"comment": "Start with **section 3** {braces} 100% & $x_1$"},
    )
    return reading_list


def order(reading_list) -> list[str]:
    return list(reading_list.items.order_by("position").values_list("paper__title", flat=True))


def test_list_is_built_in_the_order_papers_were_added(built):
    assert order(built) == TITLES
    assert built.slug == "friday-memory-rnns"


def test_adding_a_paper_twice_keeps_one_item(reader_client, team, built):
    paper = Paper.objects.get(title=TITLES[0])

    reader_client.post(reverse("list_add", args=[team.slug]), {"list": built.pk, "paper": paper.pk})

    assert built.items.count() == 3


def test_add_a_whole_search_to_a_list(reader_client, team, built):
    reader_client.post(reverse("list_add", args=[team.slug]), {"list": built.pk, "q": "continual"})

    titles = order(built)
    assert titles[:3] == TITLES
    assert "Continual Learning with Dependency Preserving Hypernetworks" in titles


def test_a_stopped_search_adds_the_papers_it_showed_and_a_checked_one_every_match(
    reader, reader_client, team, sample_listing, monkeypatch
):
    from django.contrib.postgres.search import SearchQuery

    from papers import search as search_module
    from papers.services import reading_list_create

    phrase = '"language models"'
    holding = Paper.objects.filter(
        search_vector=SearchQuery(phrase, search_type="websearch", config="english")
    )
    every_match = set(holding.values_list("title", flat=True))
    # The titles are looked for within their budget; the abstracts have none.
    monkeypatch.setattr(search_module, "PHRASE_BUDGET_MS", 0)
    monkeypatch.setattr(search_module, "PHRASE_TITLE_BUDGET_MS", 5_000)
    shown, checked = (
        reading_list_create(workspace=team, title=title, user=reader)
        for title in ("Shown", "Checked")
    )
    add = reverse("list_add", args=[team.slug])

    reader_client.post(add, {"list": shown.pk, "q": phrase})
    reader_client.post(add, {"list": checked.pk, "q": phrase, "every": "1"})

    assert order(shown) and set(order(shown)) < every_match
    assert set(order(checked)) == every_match


def test_move_up_down_drag_order_and_remove(reader_client, team, built):
    items = list(built.items.order_by("position"))
    move = reverse("item_move", args=[team.slug, built.pk, items[2].pk])

    reader_client.post(move, {"direction": "up"})
    assert order(built) == [TITLES[0], TITLES[2], TITLES[1]]

    reader_client.post(
        reverse("list_reorder", args=[team.slug, built.pk]),
        {"item": [items[1].pk, items[0].pk, items[2].pk]},
    )
    assert order(built) == [TITLES[1], TITLES[0], TITLES[2]]

    reader_client.post(reverse("item_remove", args=[team.slug, built.pk, items[0].pk]))
    assert order(built) == [TITLES[1], TITLES[2]]
    assert list(built.items.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_reorder_with_missing_or_foreign_ids_keeps_every_item(reader_client, team, built):
    items = list(built.items.order_by("position"))

    reader_client.post(
        reverse("list_reorder", args=[team.slug, built.pk]), {"item": [items[2].pk, 999999]}
    )

    assert order(built) == [TITLES[2], TITLES[0], TITLES[1]]


def test_list_page_shows_comments_tags_shared_notes_and_shared_statuses(
    client, reader, team, built, django_user_model
):
    colleague = django_user_model.objects.create_user("colleague", password="pw")
    Membership.objects.create(user=colleague, workspace=team, role=Role.VIEWER)
    titans = Paper.objects.get(title=TITLES[0])
    Note.objects.create(workspace=team, paper=titans, author=reader, body="team sees this")
    Note.objects.create(
        workspace=team, paper=titans, author=reader, body="only mine", visibility="private"
    )
    ReadingState.objects.create(user=reader, paper=titans, status="reading")
    client.force_login(colleague)

    hidden = client.get(reverse("list_detail", args=[team.slug, built.pk])).text
    reader.share_reading_status = True
    reader.save()
    shared = client.get(reverse("list_detail", args=[team.slug, built.pk])).text

    assert "<strong>section 3</strong>" in shared
    assert "team sees this" in shared
    assert "only mine" not in shared
    assert "reader: reading" not in hidden
    assert "reader: reading" in shared


def test_items_say_who_added_them_and_on_which_local_day(
    reader_client, reader, team, built, settings
):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: often a day ahead of UTC
    item = built.items.order_by("position").first()
    item.added_at = datetime(2026, 3, 14, 11, 30, tzinfo=UTC)
    item.save(update_fields=["added_at"])

    page = reader_client.get(reverse("list_detail", args=[team.slug, built.pk])).text

    assert "added by reader on Mar 15, 2026" in page
    assert page.count("added by reader on") == 3


def test_moving_an_item_with_htmx_keeps_what_the_page_showed(reader_client, reader, team, built):
    reader.share_reading_status = True
    reader.save()
    titans = Paper.objects.get(title=TITLES[0])
    ReadingState.objects.create(user=reader, paper=titans, status="reading")
    first = built.items.get(paper=titans)

    swapped = reader_client.post(
        reverse("item_move", args=[team.slug, built.pk, first.pk]),
        {"direction": "down"},
        headers={"HX-Request": "true"},
    ).text

    assert order(built) == [TITLES[1], TITLES[0], TITLES[2]]
    assert "reader: reading" in swapped
    assert "<strong>section 3</strong>" in swapped
    paper_url = reverse("paper", args=[team.slug, titans.pk])
    move_url = reverse("item_move", args=[team.slug, built.pk, first.pk])
    assert f'<a href="{paper_url}">' in swapped
    assert f'hx-post="{move_url}"' in swapped


def test_a_long_list_shows_its_first_items_and_loads_more(
    reader_client, team, built, monkeypatch, client
):
    from papers.views import lists

    monkeypatch.setattr(lists, "ITEMS_SHOWN", 2)
    page = reverse("list_detail", args=[team.slug, built.pk])

    first = reader_client.get(page).text
    more = reader_client.get(page, {"shown": "4"}).text

    assert TITLES[1] in first and TITLES[2] not in first
    assert 'hx-get="?shown=4"' in first and "(2 of 3 shown)" in first
    # The last item shown can move down: an item follows it.
    assert first.count(" disabled>↓") == 0
    assert TITLES[2] in more and "Load more" not in more
    assert more.count(" disabled>↓") == 1
    built.public_token = "public-token-for-tests"
    built.save()
    public = client.get(reverse("public_list", args=[built.public_token])).text
    assert TITLES[2] not in public and "(2 of 3 shown)" in public and "3 papers" in public


@pytest.mark.parametrize(("shown", "items"), [("", 2), ("4", 3)])
def test_a_change_to_a_list_shows_as_many_items_as_the_page_did(
    reader_client, team, built, monkeypatch, shown, items
):
    from papers.views import lists

    monkeypatch.setattr(lists, "ITEMS_SHOWN", 2)
    first = built.items.get(position=1)

    swapped = reader_client.post(
        reverse("item_move", args=[team.slug, built.pk, first.pk]),
        {"direction": "down", "shown": shown},
        headers={"HX-Request": "true"},
    ).text

    assert order(built) == [TITLES[1], TITLES[0], TITLES[2]]
    assert swapped.count("data-item=") == items


def export(client, team, reading_list, fmt: str) -> str:
    response = client.get(reverse("list_export", args=[team.slug, reading_list.pk, fmt]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return response.content.decode()


def test_bibtex_export_parses_with_unique_keys_and_escaped_text(reader_client, team, built):
    Paper.objects.filter(title=TITLES[1]).update(arxiv_id="2405.13956", authors=["Leo Feng"])

    library = bibtexparser.parse_string(export(reader_client, team, built, "bib"))

    assert library.failed_blocks == []
    keys = [entry.key for entry in library.entries]
    assert len(keys) == len(set(keys)) == 3
    by_title = {entry["title"].strip("{}"): entry for entry in library.entries}
    attention = by_title["Attention as an RNN"]
    assert attention["eprint"] == "2405.13956"
    assert attention["archivePrefix"] == "arXiv"
    assert attention.key == "Feng2026Attention"
    assert r"100\% \& \$x\_1\$" in by_title[TITLES[0]]["note"]
    assert keys == [
        e.key for e in bibtexparser.parse_string(export(reader_client, team, built, "bib")).entries
    ]


def test_markdown_export_has_comments_notes_and_highlights(reader_client, reader, team, built):
    titans = Paper.objects.get(title=TITLES[0])
    Note.objects.create(
        workspace=team,
        paper=titans,
        author=reader,
        body="Core idea.",
        quote="neural long-term memory",
    )

    text = export(reader_client, team, built, "md")

    assert text.startswith("# Friday: memory & RNNs\n")
    assert "## 1. Titans: Learning to Memorize at Test Time" in text
    assert "Start with **section 3**" in text
    assert "> neural long-term memory" in text
    assert "**reader**" in text and "Core idea." in text


def test_csv_export_reads_back_as_rows(reader_client, team, built):
    rows = list(csv.DictReader(io.StringIO(export(reader_client, team, built, "csv"))))

    assert [row["title"] for row in rows] == TITLES
    assert rows[0]["comment"].startswith("Start with")


def test_json_export_reimports_into_a_fresh_database_without_loss(
    reader_client, team, built, tmp_path
):
    document = export(reader_client, team, built, "json")
    assert json.loads(document)["papershelf"] == 1
    abstracts = {title: Paper.objects.get(title=title).abstract for title in TITLES}
    path = tmp_path / "list.json"
    path.write_text(document)
    ReadingList.objects.all().delete()
    Listing.objects.all().delete()
    Paper.objects.all().delete()

    stdout, _ = import_listing(str(path))

    assert stdout.splitlines()[-1] == "3 papers: 3 created, 0 updated, 0 unchanged"
    listing = Listing.objects.get()
    assert listing.name == "Friday: memory & RNNs"
    assert list(listing.entries.order_by("rank").values_list("paper__title", flat=True)) == TITLES
    for title, abstract in abstracts.items():
        assert Paper.objects.get(title=title).abstract == abstract


def test_atom_feed_is_valid_and_its_token_rotates(client, reader_client, team, built):
    feed_url = reverse("list_feed", args=[built.feed_token])

    feed = feedparser.parse(client.get(feed_url).content)

    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Friday: memory & RNNs"
    assert [entry.title for entry in feed.entries] == list(reversed(TITLES)) or len(
        feed.entries
    ) == 3
    assert any("section 3" in entry.summary for entry in feed.entries)

    reader_client.post(
        reverse("list_sharing", args=[team.slug, built.pk]), {"action": "feed-rotate"}
    )
    assert client.get(feed_url).status_code == 404


def test_public_link_is_off_by_default_then_read_only_and_revocable(
    reader, reader_client, team, built
):
    anonymous = Client()
    titans = Paper.objects.get(title=TITLES[0])
    reader.email = "reader@example.org"
    reader.save()
    Note.objects.create(workspace=team, paper=titans, author=reader, body="shared thought")
    Note.objects.create(
        workspace=team, paper=titans, author=reader, body="private thought", visibility="private"
    )
    assert built.public_token is None

    reader_client.post(reverse("list_sharing", args=[team.slug, built.pk]), {"action": "public-on"})
    built.refresh_from_db()
    public_url = reverse("public_list", args=[built.public_token])
    page = anonymous.get(public_url)

    assert page.status_code == 200
    assert page["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert "shared thought" in page.text and "<strong>section 3</strong>" in page.text
    assert "private thought" not in page.text
    assert "reader@example.org" not in page.text
    assert "Reading group" not in page.text
    assert "/w/" not in page.text

    reader_client.post(
        reverse("list_sharing", args=[team.slug, built.pk]), {"action": "public-rotate"}
    )
    assert anonymous.get(public_url).status_code == 404
    built.refresh_from_db()
    rotated_url = reverse("public_list", args=[built.public_token])
    assert anonymous.get(rotated_url).status_code == 200
    reader_client.post(
        reverse("list_sharing", args=[team.slug, built.pk]), {"action": "public-off"}
    )
    assert anonymous.get(rotated_url).status_code == 404


def test_search_results_export(reader_client, team, sample_listing):
    response = reader_client.get(
        reverse("papers_export", args=[team.slug, "csv"]), {"q": "continual"}
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) >= 5
    assert all("continu" in (row["title"] + row["abstract"]).lower() for row in rows)


def test_viewers_read_lists_but_cannot_change_them(client, team, built, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="pw")
    Membership.objects.create(user=viewer, workspace=team, role=Role.VIEWER)
    client.force_login(viewer)

    page = client.get(reverse("list_detail", args=[team.slug, built.pk]))
    item = built.items.first()
    response = client.post(reverse("item_remove", args=[team.slug, built.pk, item.pk]))

    assert page.status_code == 200 and "Remove" not in page.text
    assert response.status_code == 404
    assert ListItem.objects.filter(pk=item.pk).exists()


def test_import_then_reimport_keeps_the_list(reader_client, team, built):
    import_listing(str(SAMPLE))

    assert order(built) == TITLES
    assert re.search("Friday", reader_client.get(reverse("lists", args=[team.slug])).text)
