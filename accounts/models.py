import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone


class User(AbstractUser):
    """Papershelf's user: custom from the first migration so it can grow without pain."""

    last_workspace = models.ForeignKey(
        "accounts.Workspace",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where / takes this person: the workspace they used last.",
    )
    share_reading_status = models.BooleanField(
        default=False,
        help_text="Show my reading status to the members of my workspaces on reading lists.",
    )


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


# Who may do what, in one place: views ask for a set of roles.
READERS = frozenset(Role)
EDITORS = frozenset({Role.OWNER, Role.EDITOR})
OWNERS = frozenset({Role.OWNER})


class WorkspaceQuerySet(models.QuerySet):
    def for_user(self, user, *, roles: frozenset[str] = READERS) -> "WorkspaceQuerySet":
        """The workspaces `user` belongs to with one of `roles`; none for anonymous users."""
        if not user.is_authenticated:
            return self.none()
        # One membership per person and workspace, so the join adds no duplicates.
        return self.filter(memberships__user=user, memberships__role__in=list(roles))


class Workspace(models.Model):
    """The unit of sharing: everything a person adds lives in one."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    is_personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["-is_personal", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("workspace_papers", args=[self.slug])


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user) -> "MembershipQuerySet":
        """Memberships of the workspaces `user` belongs to: who their colleagues are."""
        return self.filter(workspace__in=Workspace.objects.for_user(user))

    def owners(self) -> "MembershipQuerySet":
        return self.filter(role=Role.OWNER)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["workspace", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_edit(self) -> bool:
        return self.role in EDITORS

    @property
    def can_manage(self) -> bool:
        return self.role in OWNERS


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def for_user(self, user) -> "InvitationQuerySet":
        """Invitations `user` manages: those of the workspaces they own."""
        return self.filter(workspace__in=Workspace.objects.for_user(user, roles=OWNERS))

    def usable(self) -> "InvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def by_token(self, token: str) -> "InvitationQuerySet":
        return self.filter(token_hash=hash_token(token))


class Invitation(models.Model):
    """A single-use, expiring link that admits one person with a role.

    Only the token's hash is stored: the link is shown once, to the owner who
    made it, and a database leak does not hand out working links.
    """

    EXPIRY_CHOICES = [(1, "1 day"), (7, "7 days"), (30, "30 days")]

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation to {self.workspace} as {self.role}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class LoginFailure(models.Model):
    """A failed log-in, kept for a while to throttle guessing per account and per address."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.ip_address} at {self.created_at:%Y-%m-%d %H:%M}"
