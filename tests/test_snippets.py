"""The snippet under a search result: the passages of its abstract that hold the query's words."""

import re

import pytest
from django.urls import reverse

from papers.models import Paper

pytestmark = pytest.mark.django_db


def filler(word: str) -> str:
    """A hundred words the query does not hold: word0 to word99."""
    return " ".join(f"{word}{number}" for number in range(100))


def snippets(client, workspace, q: str) -> dict[str, str]:
    """Each result's title and the HTML of its snippet, as the results page shows them."""
    response = client.get(reverse("workspace_papers", args=[workspace.slug]), {"q": q})
    assert response.status_code == 200
    rows = re.findall(
        r'data-open>([^<]*)</a></h2>\s*<p class="paper-row__abstract">(.*?)</p>',
        response.text,
        re.DOTALL,
    )
    return dict(rows)


def test_every_form_of_a_word_is_marked_and_no_other_word(reader_client, workspace):
    Paper.objects.create(
        title="Forms",
        abstract="We model it. Models of it, MODELING it: a modern mode, model-based.",
    )

    shown = snippets(reader_client, workspace, "modeling")["Forms"]

    assert shown == (
        "We <mark>model</mark> it. <mark>Models</mark> of it, <mark>MODELING</mark> it: "
        "a modern mode, <mark>model</mark>-based."
    )


def test_a_long_abstract_shows_the_passage_with_the_word(reader_client, workspace):
    Paper.objects.create(
        title="Long", abstract=f"{filler('before')} the widgets matter. {filler('after')}"
    )

    shown = snippets(reader_client, workspace, "widget")["Long"]

    assert shown.startswith("… before96 ")
    assert "the <mark>widgets</mark> matter. after0 " in shown
    assert shown.endswith(" …")
    assert "before0 " not in shown
    assert len(shown.split()) < 70


def test_words_far_apart_are_shown_in_two_passages(reader_client, workspace):
    Paper.objects.create(title="Apart", abstract=f"Alpha rises. {filler('filler')} Omega sets.")

    shown = snippets(reader_client, workspace, "alpha omega")["Apart"]

    assert shown.startswith("<mark>Alpha</mark> rises. filler0 ")
    assert " … filler" in shown
    assert shown.endswith("filler99 <mark>Omega</mark> sets.")


def test_passages_that_meet_are_shown_as_one(reader_client, workspace):
    words = " ".join(f"filler{number}" for number in range(33))
    Paper.objects.create(
        title="Near", abstract=f"Alpha rises. {words} omega sets. {filler('after')}"
    )

    shown = snippets(reader_client, workspace, "alpha omega")["Near"]

    assert shown.startswith("<mark>Alpha</mark> rises. filler0 ")
    assert "filler32 <mark>omega</mark> sets. after0 " in shown
    assert shown.count("…") == 1 and shown.endswith(" …")


def test_stop_words_and_excluded_words_are_not_marked(reader_client, workspace):
    Paper.objects.create(title="Marked", abstract="The widgets of the gadget, not the gizmo.")

    shown = snippets(reader_client, workspace, "the widgets -gizmos or gadgets")["Marked"]

    assert shown == "The <mark>widgets</mark> of the <mark>gadget</mark>, not the gizmo."


def test_a_paper_matched_by_its_title_shows_its_abstract_as_it_begins(reader_client, workspace):
    Paper.objects.create(title="Widgets", abstract=f"Nothing about them here. {filler('filler')}")

    shown = snippets(reader_client, workspace, "widgets")["Widgets"]

    assert shown.startswith("Nothing about them here. filler0 ")
    assert "<mark>" not in shown


def test_a_snippet_escapes_the_abstract_around_and_in_its_marks(reader_client, workspace):
    Paper.objects.create(
        title="Hostile", abstract='<img src=x onerror="alert(1)"> widgets&gadgets <b>widgets</b>'
    )

    shown = snippets(reader_client, workspace, "widgets")["Hostile"]

    assert shown == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>widgets</mark>&amp;gadgets "
        "&lt;b&gt;<mark>widgets</mark>&lt;/b&gt;"
    )
