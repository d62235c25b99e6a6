"""How a view gets its workspace: through the visibility rule, or a 404."""

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import READERS, Membership


def workspace_view(*, roles: frozenset[str] = READERS) -> Callable:
    """Resolve the URL's workspace for the requesting user, needing one of `roles`.

    Sets `request.workspace`, `request.membership` and `request.my_workspaces`
    (all the reader's workspaces, in the order of the header's switcher).
    Anyone else gets a 404, never a 403: a workspace someone cannot use does
    not exist for them.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                raise Http404
            # Every page needs this membership and, for the header's switcher,
            # the reader's other workspaces: one statement gives both.
            memberships = list(
                Membership.objects.filter(user=request.user)
                .select_related("workspace")
                .order_by("-workspace__is_personal", "workspace__name")  # Workspace's ordering
            )
            membership = next(
                (m for m in memberships if m.workspace.slug == slug and m.role in roles), None
            )
            if membership is None:
                raise Http404
            request.membership = membership
            request.workspace = workspace = membership.workspace
            request.my_workspaces = [m.workspace for m in memberships]
            if request.method == "GET" and request.user.last_workspace_id != workspace.pk:
                request.user.last_workspace = workspace
                request.user.save(update_fields=["last_workspace"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
