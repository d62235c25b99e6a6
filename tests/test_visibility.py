"""One table of every workspace view, tried as every kind of visitor.

Adding a view under /w/<slug>/ without a row here fails
`test_every_workspace_view_has_a_row`, so none slips through unchecked.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import EDITORS, OWNERS, READERS, Invitation, Membership, Role
from accounts.services import invitation_create, workspace_create
from papers.models import (
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingList,
    ReadingState,
    Tag,
    Tagging,
)
from papers.services import reading_state_set

pytestmark = pytest.mark.django_db

VISITORS = ["owner", "editor", "viewer", "outsider", "anonymous"]


@dataclass
class Row:
    method: str
    roles: frozenset
    # (world, visitor) -> URL kwargs besides the slug, and -> form data
    kwargs: Callable = lambda world, visitor: {}
    data: Callable = lambda world, visitor: {}


def paper(world, visitor):
    return {"pk": world.paper.pk}


VIEWS = {
    "workspace_papers": Row("GET", READERS),
    "paper": Row("GET", READERS, paper),
    "members": Row("GET", READERS),
    "invitation_new": Row("POST", OWNERS, data=lambda w, v: {"role": "viewer", "days": "7"}),
    "invitation_revoke": Row("POST", OWNERS, lambda w, v: {"pk": w.invitation.pk}),
    "member_role": Row(
        "POST", OWNERS, lambda w, v: {"pk": w.spare_membership.pk}, lambda w, v: {"role": "editor"}
    ),
    "member_remove": Row("POST", OWNERS, lambda w, v: {"pk": w.spare_membership.pk}),
    "workspace_leave": Row("POST", READERS),
    "tag_add": Row("POST", EDITORS, paper, lambda w, v: {"name": "to discuss"}),
    "tag_remove": Row("POST", EDITORS, lambda w, v: {"pk": w.paper.pk, "tag_id": w.tag.pk}),
    "status_set": Row("POST", READERS, paper, lambda w, v: {"status": "read"}),
    "note_add": Row("POST", EDITORS, paper, lambda w, v: {"body": "Worth a look."}),
    "bulk_tag": Row("POST", EDITORS, data=lambda w, v: {"paper": w.paper.pk, "name": "friday"}),
    "notes": Row("GET", READERS),
    "note_edit": Row("GET", EDITORS, lambda w, v: {"note_id": w.own_note(v).pk}),
    "note_delete": Row("POST", EDITORS, lambda w, v: {"note_id": w.own_note(v).pk}),
    "queue": Row("GET", READERS),
    "tags": Row("GET", READERS),
    "tag_rename": Row(
        "POST", EDITORS, lambda w, v: {"tag_id": w.tag.pk}, lambda w, v: {"name": "Renamed"}
    ),
    "tag_merge": Row(
        "POST",
        EDITORS,
        lambda w, v: {"tag_id": w.tag.pk},
        lambda w, v: {"into": w.other_tag.pk},
    ),
    "tag_delete": Row("POST", EDITORS, lambda w, v: {"tag_id": w.tag.pk}),
    "papers_export": Row("GET", READERS, lambda w, v: {"fmt": "csv"}),
    "lists": Row("GET", READERS),
    "list_new": Row("POST", EDITORS, data=lambda w, v: {"title": "Friday"}),
    "list_add": Row(
        "POST", EDITORS, data=lambda w, v: {"list": w.reading_list.pk, "paper": w.extra_paper.pk}
    ),
    "list_detail": Row("GET", READERS, lambda w, v: {"list_id": w.reading_list.pk}),
    "list_edit": Row(
        "POST", EDITORS, lambda w, v: {"list_id": w.reading_list.pk}, lambda w, v: {"title": "T"}
    ),
    "list_delete": Row("POST", EDITORS, lambda w, v: {"list_id": w.reading_list.pk}),
    "list_reorder": Row(
        "POST", EDITORS, lambda w, v: {"list_id": w.reading_list.pk}, lambda w, v: {"item": []}
    ),
    "list_sharing": Row(
        "POST",
        EDITORS,
        lambda w, v: {"list_id": w.reading_list.pk},
        lambda w, v: {"action": "public-on"},
    ),
    "list_export": Row("GET", READERS, lambda w, v: {"list_id": w.reading_list.pk, "fmt": "json"}),
    "item_comment": Row(
        "POST",
        EDITORS,
        lambda w, v: {"list_id": w.reading_list.pk, "item_id": w.item.pk},
        lambda w, v: {"comment": "Read section 3."},
    ),
    "item_move": Row(
        "POST",
        EDITORS,
        lambda w, v: {"list_id": w.reading_list.pk, "item_id": w.item.pk},
        lambda w, v: {"direction": "down"},
    ),
    "item_remove": Row(
        "POST", EDITORS, lambda w, v: {"list_id": w.reading_list.pk, "item_id": w.item.pk}
    ),
}
assert all(row.roles <= READERS for row in VIEWS.values())


@dataclass
class World:
    team: object
    other: object
    users: dict
    paper: object
    invitation: object
    spare_membership: object
    other_invitation: object
    other_membership: object
    tag: object
    other_tag: object
    notes: dict
    other_note: object
    other_workspace_tag: object
    reading_list: object
    item: object
    extra_paper: object
    other_list: object
    other_item: object

    def own_note(self, visitor: str):
        """The visitor's own note in the team; for outsiders, the owner's."""
        return self.notes.get(visitor, self.notes["owner"])


@pytest.fixture
def world(django_user_model) -> World:
    users = {
        name: django_user_model.objects.create_user(name, password="pw-for-tests-only")
        for name in ("owner", "editor", "viewer", "outsider", "spare")
    }
    team = workspace_create(name="Vision group", owner=users["owner"])
    Membership.objects.create(user=users["editor"], workspace=team, role=Role.EDITOR)
    Membership.objects.create(user=users["viewer"], workspace=team, role=Role.VIEWER)
    spare = Membership.objects.create(user=users["spare"], workspace=team, role=Role.VIEWER)
    other = workspace_create(name="Other lab", owner=users["outsider"])
    other_member = Membership.objects.create(user=users["spare"], workspace=other, role=Role.VIEWER)
    invitation, _ = invitation_create(
        workspace=team, role=Role.VIEWER, created_by=users["owner"], days=7
    )
    other_invitation, _ = invitation_create(
        workspace=other, role=Role.EDITOR, created_by=users["outsider"], days=7
    )
    the_paper = Paper.objects.create(title="A paper", title_key="a paper", abstract="Text.")
    tag = Tag.objects.create(workspace=team, name="vision-secret-tag")
    Tagging.objects.create(tag=tag, paper=the_paper)
    notes = {
        name: Note.objects.create(
            workspace=team, paper=the_paper, author=users[name], body=f"{name} thinks"
        )
        for name in ("owner", "editor", "viewer")
    }
    reading_list = ReadingList.objects.create(workspace=team, title="Vision list", slug="vl")
    other_list = ReadingList.objects.create(workspace=other, title="Other list", slug="ol")
    return World(
        team=team,
        other=other,
        users=users,
        paper=the_paper,
        invitation=invitation,
        spare_membership=spare,
        other_invitation=other_invitation,
        other_membership=other_member,
        tag=tag,
        other_tag=Tag.objects.create(workspace=team, name="later"),
        notes=notes,
        other_note=Note.objects.create(
            workspace=other, paper=the_paper, author=users["outsider"], body="other lab note"
        ),
        other_workspace_tag=Tag.objects.create(workspace=other, name="other-lab-tag"),
        reading_list=reading_list,
        item=ListItem.objects.create(reading_list=reading_list, paper=the_paper, position=1),
        extra_paper=Paper.objects.create(title="Another", title_key="another", abstract="T."),
        other_list=other_list,
        other_item=ListItem.objects.create(reading_list=other_list, paper=the_paper, position=1),
    )


def url_for(name: str, row: Row, world: World, workspace, visitor: str) -> str:
    return reverse(name, kwargs={"slug": workspace.slug, **row.kwargs(world, visitor)})


def workspace_route_names(patterns=None, prefix: str = "") -> set[str]:
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            names |= workspace_route_names(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("w/<slug:slug>/"):
            names.add(pattern.name)
    return names


def test_every_workspace_view_has_a_row():
    assert workspace_route_names() == set(VIEWS)


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", sorted(VIEWS))
def test_workspace_view_answers_each_visitor_by_role(client, world, name, visitor):
    row = VIEWS[name]
    if visitor != "anonymous":
        client.force_login(world.users[visitor])
    url = url_for(name, row, world, world.team, visitor)

    response = client.generic(
        row.method,
        url,
        data=_encode(row.data(world, visitor)),
        content_type="application/x-www-form-urlencoded",
    )

    if visitor == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif visitor in row.roles:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert not response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 404
        if visitor == "outsider":
            assert b"Vision group" not in response.content


def _encode(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


@pytest.mark.parametrize("name", ["invitation_revoke", "member_role", "member_remove"])
def test_forged_ids_from_another_workspace_are_404_and_change_nothing(client, world, name):
    """An owner of one workspace names another workspace's object in their own URL."""
    client.force_login(world.users["owner"])
    row = VIEWS[name]
    forged = {
        "invitation_revoke": world.other_invitation,
        "member_role": world.other_membership,
        "member_remove": world.other_membership,
    }[name]
    url = reverse(name, kwargs={"slug": world.team.slug, "pk": forged.pk})

    response = client.post(url, row.data(world, "owner"))

    assert response.status_code == 404
    world.other_membership.refresh_from_db()
    assert world.other_membership.role == Role.VIEWER
    assert Invitation.objects.get(pk=world.other_invitation.pk).status == "open"


def test_outsider_finds_nothing_of_the_workspace_anywhere(client, world):
    client.force_login(world.users["outsider"])

    for path in ("/", reverse("workspace_papers", args=[world.other.slug])):
        response = client.get(path, follow=True)
        assert b"Vision group" not in response.content


def test_a_shared_paper_shows_only_the_readers_own_tags_and_status(client, world):
    """Papers are global: other workspaces' tags and lists, others' statuses, stay theirs."""
    reading_state_set(user=world.users["owner"], paper=world.paper, status=ReadingState.Status.READ)
    ListingEntry.objects.create(
        listing=Listing.objects.create(name="Daily", date=date(2026, 3, 14)),
        paper=world.paper,
        rank=1,
    )
    client.force_login(world.users["outsider"])

    for path in (
        reverse("workspace_papers", args=[world.other.slug]),
        world.paper.url_in(world.other),
    ):
        page = client.get(path).content.decode()
        assert "A paper" in page
        assert "vision-secret-tag" not in page
        assert '<option value="later">' not in page  # the team's tags are not suggested
        assert "Vision list" not in page
        assert 'value="read" id="status-read-' in page
        assert 'aria-pressed="true"' not in page
    assert ">Other list</option>" in page  # the paper page offers the reader's own lists


def test_forged_list_and_item_ids_are_refused(client, world):
    client.force_login(world.users["owner"])
    team = world.team.slug

    other_item_in_my_list = client.post(
        reverse("item_remove", args=[team, world.reading_list.pk, world.other_item.pk])
    )
    other_list = client.get(reverse("list_detail", args=[team, world.other_list.pk]))
    add_to_other_list = client.post(
        reverse("list_add", args=[team]),
        {"list": world.other_list.pk, "paper": world.extra_paper.pk},
    )

    assert other_item_in_my_list.status_code == 404
    assert other_list.status_code == 404
    assert add_to_other_list.status_code == 422
    assert world.other_list.items.count() == 1
    assert ListItem.objects.filter(pk=world.other_item.pk).exists()


# Digits that are not ASCII ("²" is a digit to str.isdigit, not to int()),
# a number past any id, and one longer than int() reads.
NOT_IDS = ["²", "١٢", "1" * 30, "9" * 5000]


@pytest.mark.parametrize("value", NOT_IDS)
def test_ids_and_numbers_that_are_not_plain_digits_are_refused_not_a_server_error(
    client, world, value
):
    client.force_login(world.users["owner"])
    team = world.team.slug
    items_before = list(world.reading_list.items.values_list("pk", "position"))
    taggings_before = Tagging.objects.count()

    posts = {
        reverse("list_add", args=[team]): {"list": value, "paper": world.extra_paper.pk},
        reverse("bulk_tag", args=[team]): {"paper": value, "name": "friday"},
        reverse("list_reorder", args=[team, world.reading_list.pk]): {"item": [value]},
        reverse("note_add", args=[team, world.paper.pk]): {"body": "Yes.", "parent": value},
        reverse("tag_merge", args=[team, world.tag.pk]): {"into": value},
    }
    answers = {url: client.post(url, data).status_code for url, data in posts.items()}
    shown = client.get(reverse("list_detail", args=[team, world.reading_list.pk]), {"shown": value})

    assert all(status in (302, 404, 422) for status in answers.values()), answers
    assert shown.status_code == 200
    assert list(world.reading_list.items.values_list("pk", "position")) == items_before
    assert Tagging.objects.count() == taggings_before
    assert not Note.objects.filter(body="Yes.").exists()
