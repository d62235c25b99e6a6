import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User, Workspace
from accounts.services import workspace_create

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "grace",
    "email": "grace@example.org",
    "password1": "a sturdy passphrase",
    "password2": "a sturdy passphrase",
}


def members_url(workspace) -> str:
    return reverse("members", args=[workspace.slug])


def test_sign_up_creates_an_account_with_a_personal_workspace_and_logs_in(client):
    response = client.post(reverse("signup"), SIGNUP, follow=True)

    user = User.objects.get(username="grace")
    workspace = Workspace.objects.get(members=user)
    assert workspace.is_personal
    assert Membership.objects.get(user=user).role == Role.OWNER
    assert response.redirect_chain[-1][0] == reverse("workspace_papers", args=[workspace.slug])
    assert response.context["user"] == user


def test_sign_up_with_bad_input_answers_422_and_says_why(client):
    response = client.post(reverse("signup"), {**SIGNUP, "password2": "something else"})

    assert response.status_code == 422
    assert "password fields didn\u2019t match" in response.text
    assert not User.objects.filter(username="grace").exists()


def test_every_way_of_making_an_account_gives_a_personal_workspace(django_user_model):
    call_command("createsuperuser", "--noinput", username="root", email="root@example.org")
    made_in_code = django_user_model.objects.create_user("coder", password="pw-for-tests")

    for user in (User.objects.get(username="root"), made_in_code):
        assert user.workspaces.filter(is_personal=True).count() == 1


def test_closed_sign_up_turns_people_away(client, settings):
    settings.SIGNUP_OPEN = False

    response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 403
    assert "by invitation" in response.text
    assert not User.objects.filter(username="grace").exists()


def test_closed_sign_up_still_admits_an_invited_person_and_brings_them_back(
    client, settings, reader, workspace
):
    settings.SIGNUP_OPEN = False
    link = invite(client, reader, workspace, role="editor")
    client.logout()

    page = client.get(link)
    assert "Join" in page.text and "Sign up" in page.text
    signed_up = client.post(f"{reverse('signup')}?next={link}", {**SIGNUP, "next": link})
    assert signed_up.url == link
    accepted = client.post(link)

    grace = User.objects.get(username="grace")
    assert Membership.objects.get(user=grace, workspace=workspace).role == Role.EDITOR
    assert accepted.url == reverse("workspace_papers", args=[workspace.slug])


def test_sign_up_refuses_to_redirect_off_site(client):
    response = client.post(reverse("signup"), {**SIGNUP, "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_log_in_refuses_to_redirect_off_site(client, reader):
    response = client.post(
        reverse("login"),
        {"username": "reader", "password": "correct horse battery", "next": "//evil.example/"},
    )

    assert response.status_code == 302
    assert "evil.example" not in response.url


def test_anyone_can_create_a_team_workspace_and_owns_it(reader_client, reader):
    response = reader_client.post(reverse("workspace_new"), {"name": "Reading group"})

    team = Workspace.objects.get(name="Reading group")
    assert not team.is_personal
    assert Membership.objects.get(workspace=team, user=reader).role == Role.OWNER
    assert response.url == members_url(team)


def test_workspace_without_a_name_is_422(reader_client):
    response = reader_client.post(reverse("workspace_new"), {"name": ""})

    assert response.status_code == 422
    assert "This field is required" in response.text


def test_header_switcher_lists_my_workspaces(reader_client, reader, workspace):
    workspace_create(name="Reading group", owner=reader)

    response = reader_client.get(reverse("workspace_papers", args=[workspace.slug]))

    switcher = re.search(r'<ul class="menu__list">(.*?)</ul>', response.text, re.S)[1]
    assert "reader&#x27;s papers" in switcher
    assert "Reading group" in switcher


def test_root_follows_the_workspace_used_last(reader_client, reader):
    team = workspace_create(name="Reading group", owner=reader)
    reader_client.get(reverse("members", args=[team.slug]))

    response = reader_client.get(reverse("home"))

    assert response.url == reverse("workspace_papers", args=[team.slug])


def invite(client, owner, workspace, *, role: str) -> str:
    """Make an invitation as `owner` through the members page; return its link's path."""
    client.force_login(owner)
    response = client.post(
        reverse("invitation_new", args=[workspace.slug]), {"role": role, "days": "7"}, follow=True
    )
    link = re.search(r'value="http://testserver(/invite/[^"]+)"', response.text)[1]
    return link


def test_invitation_link_is_shown_once_and_stored_only_hashed(client, reader, workspace):
    link = invite(client, reader, workspace, role="viewer")
    token = link.rstrip("/").rsplit("/", 1)[1]

    again = client.get(members_url(workspace))

    assert token not in again.text
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert Invitation.objects.get().status == "open"


def test_invited_person_logs_in_accepts_and_joins_with_the_role(
    client, reader, workspace, django_user_model
):
    django_user_model.objects.create_user("linus", password="pw-for-tests")
    link = invite(client, reader, workspace, role="viewer")
    client.logout()

    login_page = client.get(link)
    login_link = re.search(r'href="(/accounts/login/\?next=[^"]+)"', login_page.text)[1]
    logged_in = client.post(
        login_link, {"username": "linus", "password": "pw-for-tests", "next": link}
    )
    assert logged_in.url == link
    client.post(link)

    linus = User.objects.get(username="linus")
    assert Membership.objects.get(user=linus, workspace=workspace).role == Role.VIEWER
    assert Invitation.objects.get().accepted_by == linus


def test_used_revoked_and_expired_invitations_do_not_work(
    client, reader, workspace, django_user_model
):
    people = [django_user_model.objects.create_user(n, password="pw") for n in "abc"]
    used = invite(client, reader, workspace, role="viewer")
    client.force_login(people[0])
    client.post(used)

    revoked = invite(client, reader, workspace, role="viewer")
    invitation = Invitation.objects.order_by("-created_at").first()
    client.post(reverse("invitation_revoke", args=[workspace.slug, invitation.pk]))

    expired = invite(client, reader, workspace, role="viewer")
    Invitation.objects.filter(pk=Invitation.objects.order_by("-created_at").first().pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    client.force_login(people[1])
    for link in (used, revoked, expired):
        assert client.get(link).status_code == 404
        assert client.post(link).status_code == 404
    assert not Membership.objects.filter(user=people[1], workspace=workspace).exists()


def test_owner_changes_a_role_and_removes_a_member(reader_client, reader, django_user_model):
    team = workspace_create(name="Reading group", owner=reader)
    colleague = django_user_model.objects.create_user("colleague", password="pw")
    membership = Membership.objects.create(user=colleague, workspace=team, role=Role.VIEWER)

    reader_client.post(reverse("member_role", args=[team.slug, membership.pk]), {"role": "editor"})
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR

    reader_client.post(reverse("member_remove", args=[team.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_owner_can_neither_leave_nor_be_demoted(reader_client, reader):
    team = workspace_create(name="Reading group", owner=reader)
    own = Membership.objects.get(user=reader, workspace=team)

    demoted = reader_client.post(
        reverse("member_role", args=[team.slug, own.pk]), {"role": "viewer"}, follow=True
    )
    left = reader_client.post(reverse("workspace_leave", args=[team.slug]), follow=True)

    own.refresh_from_db()
    assert own.role == Role.OWNER
    assert "needs an owner" in demoted.text
    assert "last owner cannot leave" in left.text


def test_member_leaves_a_team(client, reader, django_user_model):
    team = workspace_create(name="Reading group", owner=reader)
    colleague = django_user_model.objects.create_user("colleague", password="pw")
    Membership.objects.create(user=colleague, workspace=team, role=Role.EDITOR)
    client.force_login(colleague)

    response = client.post(reverse("workspace_leave", args=[team.slug]))

    assert response.url == reverse("home")
    assert not Membership.objects.filter(user=colleague, workspace=team).exists()
    assert client.get(reverse("workspace_papers", args=[team.slug])).status_code == 404


def test_non_owners_see_members_but_no_controls(client, reader, django_user_model):
    team = workspace_create(name="Reading group", owner=reader)
    colleague = django_user_model.objects.create_user("colleague", password="pw")
    Membership.objects.create(user=colleague, workspace=team, role=Role.EDITOR)
    client.force_login(colleague)

    response = client.get(members_url(team))

    assert "reader" in response.text and "colleague" in response.text
    assert "Create invitation link" not in response.text
    assert "Remove" not in response.text


def test_log_in_is_throttled_per_account(client, reader, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "reader", "password": "wrong"})

    response = client.post(
        reverse("login"), {"username": "reader", "password": "correct horse battery"}
    )

    assert response.status_code == 200
    assert "Too many failed log-in attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_log_in_is_throttled_per_address(client, reader, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        client.post(reverse("login"), {"username": f"guess{n}", "password": "wrong"})

    response = client.post(
        reverse("login"), {"username": "reader", "password": "correct horse battery"}
    )

    assert "Too many failed log-in attempts" in response.text


def test_a_good_log_in_clears_the_account_failures(client, reader, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    for _ in range(2):
        client.post(reverse("login"), {"username": "reader", "password": "wrong"})
    client.post(reverse("login"), {"username": "reader", "password": "correct horse battery"})
    client.logout()
    client.post(reverse("login"), {"username": "reader", "password": "wrong"})

    response = client.post(
        reverse("login"), {"username": "reader", "password": "correct horse battery"}
    )

    assert response.status_code == 302


def test_password_reset_by_email(client, reader):
    reader.email = "reader@example.org"
    reader.save()

    client.post(reverse("password_reset"), {"email": "reader@example.org"})

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert client.login(username="reader", password="a brand new passphrase")


def test_password_change(reader_client):
    response = reader_client.post(
        reverse("password_change"),
        {
            "old_password": "correct horse battery",
            "new_password1": "another fine passphrase",
            "new_password2": "another fine passphrase",
        },
    )

    assert response.url == reverse("password_change_done")
