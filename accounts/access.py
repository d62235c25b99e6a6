"""How a view gets its workspace: through the visibility rule, or a 404."""

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import READERS, Membership


def workspace_view(*, roles: frozenset[str] = READERS) -> Callable:
    """Resolve the URL's workspace for the requesting user, needing one of `roles`.

    Sets `request.workspace` and `request.membership`. Anyone else gets a 404,
    never a 403: a workspace someone cannot use does not exist for them.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                raise Http404
            # The membership and its workspace in one statement: every page asks.
            membership = get_object_or_404(
                Membership.objects.select_related("workspace"),
                user=request.user,
                role__in=list(roles),
                workspace__slug=slug,
            )
            request.membership = membership
            request.workspace = workspace = membership.workspace
            if request.method == "GET" and request.user.last_workspace_id != workspace.pk:
                request.user.last_workspace = workspace
                request.user.save(update_fields=["last_workspace"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
