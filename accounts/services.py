"""Writes to accounts and workspaces. Views and signals call these, nothing else writes."""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Invitation, Membership, Role, User, Workspace, hash_token

SLUG_MAX = 50


class WorkspaceRuleError(Exception):
    """A change that would break a workspace rule (e.g. leave it without an owner)."""


def _unique_slug(name: str) -> str:
    base = slugify(name)[:SLUG_MAX].strip("-") or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: SLUG_MAX - len(str(n)) - 1]}-{n}"
    return slug


@transaction.atomic
def workspace_create(*, name: str, owner: User, is_personal: bool = False) -> Workspace:
    """Create a workspace with `owner` as its first owner."""
    for _ in range(5):
        try:
            with transaction.atomic():
                workspace = Workspace.objects.create(
                    name=name, slug=_unique_slug(name), is_personal=is_personal
                )
            break
        except IntegrityError:
            # Someone took the slug between the check and the insert: pick again.
            continue
    else:
        raise WorkspaceRuleError("could not find a free address for this workspace")
    Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    return workspace


def personal_workspace_create(*, user: User) -> Workspace:
    return workspace_create(name=f"{user.get_username()}'s papers", owner=user, is_personal=True)


def invitation_create(
    *, workspace: Workspace, role: str, created_by: User, days: int
) -> tuple[Invitation, str]:
    """Return the invitation and its token; the token is not stored, so show it now."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        workspace=workspace,
        role=role,
        token_hash=hash_token(token),
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return invitation, token


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership | None:
    """Admit `user` with the invitation's role; None when the link is no longer usable.

    The row is locked so that two people racing for one link cannot both get in.
    """
    invitation = (
        Invitation.objects.select_for_update().usable().by_token(token).select_related("workspace")
    ).first()
    if invitation is None:
        return None
    membership, created = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role}
    )
    if created:
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at"])
    return membership


def _lock_owners(workspace: Workspace) -> list[Membership]:
    return list(Membership.objects.select_for_update().filter(workspace=workspace).owners())


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> None:
    owners = _lock_owners(membership.workspace)
    if membership.role == Role.OWNER and role != Role.OWNER and len(owners) == 1:
        raise WorkspaceRuleError("A workspace needs an owner: make someone else owner first.")
    Membership.objects.filter(pk=membership.pk).update(role=role)


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove someone (or leave): refused for the last owner."""
    owners = _lock_owners(membership.workspace)
    if membership.role == Role.OWNER and len(owners) == 1:
        raise WorkspaceRuleError(
            "The last owner cannot leave: make someone else owner first, "
            "or the workspace would have nobody to manage it."
        )
    membership.delete()
