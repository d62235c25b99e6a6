"""The admin as a tool: every model listed, and the bulk actions on papers and listings."""

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.urls import reverse

from accounts.services import workspace_create
from papers.models import (
    ImportJob,
    Listing,
    ListingEntry,
    ListItem,
    Note,
    Paper,
    ReadingState,
    SearchTerm,
    Tag,
    Tagging,
)
from papers.services import (
    list_add_papers,
    list_item_comment,
    note_create,
    papers_merge,
    papers_tag,
    reading_list_create,
    reading_state_set,
)
from tests.conftest import SAMPLE, import_listing

pytestmark = pytest.mark.django_db

PAPERS = reverse("admin:papers_paper_changelist")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", password="a long password")


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def lab(staff):
    return workspace_create(name="Lab", owner=staff)


def test_every_model_has_a_changelist_with_search_and_filters(admin_client, sample_listing):
    ours = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"accounts", "papers"}
    ]
    for model, model_admin in ours:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = admin_client.get(url, {"q": "learning"} if model_admin.search_fields else {})
        assert response.status_code == 200, url
        assert model_admin.list_display != ("__str__",), f"{meta.label} lists only its name"


def test_paper_search_finds_by_title_and_exact_arxiv_id(admin_client):
    Paper.objects.create(title="Attention Is All You Need", arxiv_id="1706.03762", abstract="")
    Paper.objects.create(title="Deep Residual Learning", arxiv_id="1512.03385", abstract="")

    by_title = admin_client.get(PAPERS, {"q": "attention"}).content.decode()
    by_id = admin_client.get(PAPERS, {"q": "1512.03385"}).content.decode()

    assert "Attention Is All You Need" in by_title and "Deep Residual" not in by_title
    assert "Deep Residual Learning" in by_id and "Attention" not in by_id


def act(client, url, action, objects, *, follow=False, **data):
    ids = [str(obj.pk) for obj in objects]
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: ids, **data}
    return client.post(url, data, follow=follow)


def test_tag_action_asks_for_a_workspace_and_a_tag_then_tags(admin_client, sample_listing, lab):
    papers = list(Paper.objects.order_by("pk")[:3])

    choice = act(admin_client, PAPERS, "tag_papers", papers)
    assert choice.status_code == 200
    assert "Tag 3 papers in a workspace" in choice.content.decode()
    done = act(
        admin_client, PAPERS, "tag_papers", papers, apply="1", workspace=lab.pk, name="To discuss"
    )

    assert done.status_code == 302
    tag = Tag.objects.get(workspace=lab)
    assert tag.name == "To discuss"
    assert set(tag.papers.all()) == set(papers)


def test_tag_action_without_a_tag_name_asks_again(admin_client, sample_listing, lab):
    papers = list(Paper.objects.all()[:2])

    response = act(admin_client, PAPERS, "tag_papers", papers, apply="1", workspace=lab.pk)

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Tag.objects.exists()


def test_merge_keeps_everything_of_both_papers(staff, lab, django_user_model):
    ada = django_user_model.objects.create_user("ada", password="x")
    keep = Paper.objects.create(title="Attention Is All You Need", abstract="")
    duplicate = Paper.objects.create(
        title="Attention is all you need.", arxiv_id="1706.03762", abstract="We propose."
    )
    trending = Listing.objects.create(name="Trending", date="2025-03-14", sha256="0" * 64)
    daily = Listing.objects.create(name="Daily", date="2025-03-15", sha256="1" * 64)
    ListingEntry.objects.create(listing=trending, paper=keep, rank=7)
    ListingEntry.objects.create(listing=trending, paper=duplicate, rank=2)
    ListingEntry.objects.create(listing=daily, paper=duplicate, rank=1)
    papers_tag(workspace=lab, papers=[keep, duplicate], name="transformers", user=staff)
    papers_tag(workspace=lab, papers=[duplicate], name="classic", user=staff)
    note_create(workspace=lab, paper=keep, author=staff, body="Mine.")
    note_create(workspace=lab, paper=duplicate, author=staff, body="Theirs.")
    reading_list = reading_list_create(workspace=lab, title="Friday", user=staff)
    list_add_papers(reading_list=reading_list, papers=[keep, duplicate], user=staff)
    keep_item, duplicate_item = reading_list.items.order_by("position")
    list_item_comment(item=keep_item, comment="Read section 3.")
    list_item_comment(item=duplicate_item, comment="The figures.")
    reading_state_set(user=staff, paper=keep, status="to-read")
    reading_state_set(user=staff, paper=duplicate, status="read")  # later: wins
    reading_state_set(user=ada, paper=duplicate, status="reading")

    papers_merge(keep=keep, duplicates=[keep, duplicate])

    assert list(Paper.objects.all()) == [keep]
    keep.refresh_from_db()
    assert keep.title == "Attention Is All You Need"
    assert (keep.arxiv_id, keep.abstract) == ("1706.03762", "We propose.")
    assert sorted(Tagging.objects.values_list("tag__name", flat=True)) == [
        "classic",
        "transformers",
    ]
    assert sorted(Note.objects.filter(paper=keep).values_list("body", flat=True)) == [
        "Mine.",
        "Theirs.",
    ]
    item = ListItem.objects.get()
    assert (item.paper, item.position) == (keep, 1)
    assert item.comment == "Read section 3.\n\nThe figures."
    assert dict(ReadingState.objects.values_list("user__username", "status")) == {
        "root": "read",
        "ada": "reading",
    }
    assert sorted(ListingEntry.objects.values_list("listing__name", "rank", "paper")) == [
        ("Daily", 1, keep.pk),
        ("Trending", 2, keep.pk),
    ]


def test_merged_highlights_are_found_again_in_the_kept_abstract(staff, lab):
    from papers import anchoring

    keep = Paper.objects.create(title="A paper", abstract="")
    duplicate = Paper.objects.create(title="A paper.", abstract="We study scene flow here.")
    anchor = anchoring.anchor_at(duplicate.abstract, 9, 19)
    note_create(
        workspace=lab,
        paper=duplicate,
        author=staff,
        body="Key idea.",
        anchor=anchor,
        anchor_field="abstract",
    )

    papers_merge(keep=keep, duplicates=[duplicate])

    note = Note.objects.get()
    assert note.paper == keep
    assert not note.detached
    assert keep.abstract[note.start : note.end] == "scene flow"


def test_merge_keeps_the_search_vocabulary_counting_each_paper_once(staff):
    import_listing(str(SAMPLE))
    before = dict(SearchTerm.objects.values_list("word", "ndoc"))
    titans = Paper.objects.get(title__startswith="Titans")
    duplicate = Paper.objects.create(title=titans.title, abstract=titans.abstract)
    from papers.services import search_terms_add

    search_terms_add(paper_ids=[duplicate.pk])

    papers_merge(keep=titans, duplicates=[duplicate])

    assert dict(SearchTerm.objects.values_list("word", "ndoc")) == before


def test_merge_action_asks_which_paper_to_keep_then_merges(admin_client, sample_listing):
    keep, duplicate = Paper.objects.order_by("pk")[:2]

    choice = act(admin_client, PAPERS, "merge_papers", [keep, duplicate])
    assert choice.status_code == 200
    assert f'value="{keep.pk}"' in choice.content.decode()
    done = act(admin_client, PAPERS, "merge_papers", [keep, duplicate], apply="1", keep=keep.pk)

    assert done["Location"] == reverse("admin:papers_paper_change", args=[keep.pk])
    assert not Paper.objects.filter(pk=duplicate.pk).exists()
    assert ListingEntry.objects.filter(paper=keep).count() == 1


def test_merge_action_needs_two_papers(admin_client, sample_listing):
    response = act(admin_client, PAPERS, "merge_papers", [Paper.objects.first()], follow=True)

    assert "Select from 2 to 10 papers to merge." in response.content.decode()
    assert Paper.objects.count() == 51


def test_deleting_a_listing_removes_its_entries_and_keeps_the_papers(admin_client, sample_listing):
    url = reverse("admin:papers_listing_changelist")

    confirm = act(admin_client, url, "delete_selected", [sample_listing])
    assert "with its 51 places of papers (the papers stay)" in confirm.content.decode()
    act(admin_client, url, "delete_selected", [sample_listing], post="yes")

    assert not Listing.objects.exists()
    assert not ListingEntry.objects.exists()
    assert Paper.objects.count() == 51
    assert ImportJob.objects.get().listings.count() == 0


def test_a_listing_links_to_its_entries_instead_of_listing_them_inline(
    admin_client, sample_listing
):
    page = admin_client.get(reverse("admin:papers_listing_change", args=[sample_listing.pk]))

    entries = reverse("admin:papers_listingentry_changelist")
    assert f"{entries}?listing__exact={sample_listing.pk}" in page.content.decode()
    filtered = admin_client.get(entries, {"listing__exact": sample_listing.pk})
    assert filtered.status_code == 200
    assert "EMR-MSF" in filtered.content.decode()


def test_revoke_action_revokes_open_invitations_only(admin_client, lab, staff, reader):
    from accounts.models import Invitation
    from accounts.services import invitation_accept, invitation_create

    _, token = invitation_create(workspace=lab, role="viewer", created_by=staff, days=7)
    invitation_create(workspace=lab, role="editor", created_by=staff, days=7)
    invitation_accept(token=token, user=reader)
    url = reverse("admin:accounts_invitation_changelist")

    act(admin_client, url, "revoke", Invitation.objects.all())

    accepted, open_one = Invitation.objects.order_by("pk")
    assert accepted.accepted_by == reader and accepted.revoked_at is None
    assert open_one.revoked_at is not None
