from django.http import HttpRequest

from accounts.models import Workspace


def workspaces(request: HttpRequest) -> dict:
    """The header's workspace switcher: the person's workspaces and the current one."""
    if not request.user.is_authenticated:
        return {}
    # A workspace's page has them already (accounts.access.workspace_view).
    my_workspaces = getattr(request, "my_workspaces", None)
    if my_workspaces is None:
        my_workspaces = Workspace.objects.for_user(request.user)
    return {
        "my_workspaces": my_workspaces,
        "current_workspace": getattr(request, "workspace", None),
    }
