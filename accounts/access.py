"""How a view gets its workspace: through the visibility rule, or a 404."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import READERS, Membership, Workspace


def workspace_view(*, roles: frozenset[str] = READERS) -> Callable:
    """Resolve the URL's workspace for the requesting user, needing one of `roles`.

    Sets `request.workspace` and `request.membership`. Anyone else gets a 404,
    never a 403: a workspace someone cannot use does not exist for them.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            workspace = get_object_or_404(
                Workspace.objects.for_user(request.user, roles=roles), slug=slug
            )
            request.workspace = workspace
            request.membership = Membership.objects.get(user=request.user, workspace=workspace)
            if request.method == "GET" and request.user.last_workspace_id != workspace.pk:
                request.user.last_workspace = workspace
                request.user.save(update_fields=["last_workspace"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
