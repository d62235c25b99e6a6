from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.access import workspace_view
from accounts.forms import InvitationForm, RoleForm, SignupForm, WorkspaceForm
from accounts.models import OWNERS, Invitation, Membership
from accounts.services import (
    WorkspaceRuleError,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    workspace_create,
)

PENDING_INVITATION = "pending_invitation"
NEW_INVITATION_LINK = "new_invitation_link"


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _pending_invitation(request: HttpRequest) -> Invitation | None:
    token = request.session.get(PENDING_INVITATION)
    return Invitation.objects.usable().by_token(token).first() if token else None


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    """Open to all, or, on a private instance, to people holding a valid invitation."""
    invitation = _pending_invitation(request)
    if not settings.SIGNUP_OPEN and invitation is None:
        return render(request, "accounts/signup_closed.html", status=403)
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_safe_next(request) or "home")
        status = 422
    else:
        status = 200
    context = {"form": form, "next": _safe_next(request) or "", "invitation": invitation}
    return render(request, "accounts/signup.html", context, status=status)


def home(request: HttpRequest) -> HttpResponse:
    """Take a person to the workspace they used last (their personal one at first)."""
    user = request.user
    workspace = user.last_workspace
    if workspace is None or not user.memberships.filter(workspace=workspace).exists():
        membership = (
            user.memberships.select_related("workspace")
            .order_by("-workspace__is_personal", "created_at")
            .first()
        )
        if membership is None:
            return render(request, "accounts/no_workspace.html")
        workspace = membership.workspace
    return redirect(workspace)


def workspace_new(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            workspace = workspace_create(name=form.cleaned_data["name"], owner=request.user)
            messages.success(request, f"Created {workspace.name}. Invite your colleagues here.")
            return redirect("members", slug=workspace.slug)
        return render(request, "accounts/workspace_new.html", {"form": form}, status=422)
    return render(request, "accounts/workspace_new.html", {"form": form})


@workspace_view()
def members(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    context = {
        "memberships": workspace.memberships.select_related("user").order_by(
            "role", "user__username"
        ),
        "invitations": Invitation.objects.for_user(request.user)
        .filter(workspace=workspace)
        .select_related("created_by", "accepted_by"),
        "invitation_form": InvitationForm(),
        "new_invitation_link": request.session.pop(NEW_INVITATION_LINK, None),
        "role_choices": Membership._meta.get_field("role").choices,
    }
    return render(request, "accounts/members.html", context)


@require_POST
@workspace_view(roles=OWNERS)
def invitation_new(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role and an expiry for the invitation.")
        return redirect("members", slug=request.workspace.slug)
    _, token = invitation_create(
        workspace=request.workspace,
        role=form.cleaned_data["role"],
        created_by=request.user,
        days=form.cleaned_data["days"],
    )
    # The token is stored only hashed: this is the one time anyone sees the link.
    request.session[NEW_INVITATION_LINK] = request.build_absolute_uri(
        reverse("invitation", args=[token])
    )
    return redirect("members", slug=request.workspace.slug)


@require_POST
@workspace_view(roles=OWNERS)
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.for_user(request.user), pk=pk, workspace=request.workspace
    )
    invitation_revoke(invitation=invitation)
    messages.success(request, "The invitation link no longer works.")
    return redirect("members", slug=request.workspace.slug)


def _workspace_membership(request: HttpRequest, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.for_user(request.user).select_related("user"),
        pk=pk,
        workspace=request.workspace,
    )


@require_POST
@workspace_view(roles=OWNERS)
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _workspace_membership(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, editor or viewer.")
    else:
        try:
            membership_change_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(
                request, f"{membership.user.get_username()} is now {form.cleaned_data['role']}."
            )
        except WorkspaceRuleError as error:
            messages.error(request, str(error))
    return redirect("members", slug=request.workspace.slug)


@require_POST
@workspace_view(roles=OWNERS)
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _workspace_membership(request, pk)
    try:
        membership_remove(membership=membership)
    except WorkspaceRuleError as error:
        messages.error(request, str(error))
        return redirect("members", slug=request.workspace.slug)
    if membership.user == request.user:
        return redirect("home")
    messages.success(request, f"Removed {membership.user.get_username()}.")
    return redirect("members", slug=request.workspace.slug)


@require_POST
@workspace_view()
def workspace_leave(request: HttpRequest) -> HttpResponse:
    try:
        membership_remove(membership=request.membership)
    except WorkspaceRuleError as error:
        messages.error(request, str(error))
        return redirect("members", slug=request.workspace.slug)
    messages.success(request, f"You left {request.workspace.name}.")
    return redirect("home")


@login_not_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link an owner shares. Logged out, it leads through log-in or sign-up and back."""
    pending = Invitation.objects.usable().by_token(token).select_related("workspace").first()
    if pending is None:
        raise Http404("This invitation link is not valid any more.")
    if not request.user.is_authenticated:
        # Remembered so that a closed sign-up still admits the invited person.
        request.session[PENDING_INVITATION] = token
        return render(request, "accounts/invitation.html", {"invitation": pending})
    membership = Membership.objects.filter(user=request.user, workspace=pending.workspace).first()
    if request.method == "POST":
        membership = invitation_accept(token=token, user=request.user)
        request.session.pop(PENDING_INVITATION, None)
        if membership is None:
            raise Http404("This invitation link is not valid any more.")
        messages.success(request, f"Welcome to {membership.workspace.name}.")
        return redirect(membership.workspace)
    return render(
        request, "accounts/invitation.html", {"invitation": pending, "membership": membership}
    )
