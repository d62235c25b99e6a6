"""Log-in throttling: a few failures lock an account, more lock an address.

Failures are rows in the database, so every gunicorn worker (and every
container behind a load balancer) sees the same count.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import LoginFailure


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _window_start():
    return timezone.now() - timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW)


def login_throttled(*, username: str, ip: str | None) -> bool:
    recent = LoginFailure.objects.filter(created_at__gte=_window_start())
    if recent.filter(username__iexact=username).count() >= settings.LOGIN_FAILURES_PER_ACCOUNT:
        return True
    return (
        ip is not None
        and recent.filter(ip_address=ip).count() >= settings.LOGIN_FAILURES_PER_ADDRESS
    )


def login_failure_record(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip_address=ip)
    LoginFailure.objects.filter(created_at__lt=_window_start()).delete()


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username__iexact=username).delete()
