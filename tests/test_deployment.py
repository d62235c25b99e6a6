import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "PAPERSHELF_ENV": "production",
    "SECRET_KEY": "q3Z-8vN_w1Lr9xTe6yUb0oPa4sDf7gHj2kMn5cVbX8zQ1wE3rT6yU9iO",
    "ALLOWED_HOSTS": "papers.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://papers.example.org",
}


def _clean_environment() -> dict[str, str]:
    # The browser tests allow the ORM inside Playwright's event loop; a
    # deployment never would, and check --deploy says so.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    settings = connection.settings_dict
    url = f"postgresql://{settings['USER']}@/{settings['NAME']}?host={settings['HOST']}"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**_clean_environment(), "DATABASE_URL": url, **env},
        check=False,
    )


@pytest.mark.django_db
def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environment, **env},
        check=False,
    )

    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_healthz_checks_the_database_without_logging_in(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/healthz", "/nowhere/"])
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path)

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_unsafe_requests_without_a_csrf_token_are_refused(reader, workspace, sample_listing):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    paper = sample_listing.entries.first().paper
    targets = [
        reverse("tag_add", args=[workspace.slug, paper.pk]),
        reverse("status_set", args=[workspace.slug, paper.pk]),
        reverse("note_add", args=[workspace.slug, paper.pk]),
        reverse("list_new", args=[workspace.slug]),
        reverse("workspace_new"),
        reverse("logout"),
    ]

    for url in targets:
        plain = strict.post(url, {"name": "x", "status": "read", "body": "x", "title": "x"})
        htmx = strict.post(url, {"name": "x"}, headers={"HX-Request": "true"})
        assert plain.status_code == 403, url
        assert htmx.status_code == 403, url
    assert not paper.tags.exists()


@pytest.mark.django_db
def test_csrf_token_from_the_page_lets_htmx_requests_through(reader, workspace, sample_listing):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    page = strict.get(reverse("workspace_papers", args=[workspace.slug]))
    token = page.text.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    paper = sample_listing.entries.first().paper

    response = strict.post(
        reverse("tag_add", args=[workspace.slug, paper.pk]),
        {"name": "ok"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )

    assert response.status_code == 200
