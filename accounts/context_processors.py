from django.http import HttpRequest

from accounts.models import Workspace


def workspaces(request: HttpRequest) -> dict:
    """The header's workspace switcher: the person's workspaces and the current one."""
    if not request.user.is_authenticated:
        return {}
    return {
        "my_workspaces": Workspace.objects.for_user(request.user),
        "current_workspace": getattr(request, "workspace", None),
    }
