"""One answer for every action: the changed part for htmx, a redirect without it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import trigger_client_event


def back_to(request: HttpRequest, fallback: str) -> str:
    """Where a plain form post returns: its `next` field when it is on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def action_response(
    request: HttpRequest,
    *,
    template: str,
    context: dict,
    fallback: str,
    message: str = "",
    error: str = "",
) -> HttpResponse:
    """Render `template` (a partial) for htmx, or redirect back with a message.

    Errors answer 422 with the partial showing the error where it happened; the
    message is announced to screen readers through the page's live region.
    """
    if request.htmx:
        response = render(
            request, template, {**context, "error": error}, status=422 if error else 200
        )
        return trigger_client_event(response, "announce", {"message": error or message})
    if error:
        messages.error(request, error)
    elif message:
        messages.success(request, message)
    return redirect(back_to(request, fallback))
