"""Papershelf settings: one module, driven by the environment.

Every setting a deployment changes is read from an environment variable;
nothing secret lives in the repository. See README.md for the list.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.embedded import embedded_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("PAPERSHELF_DATA_DIR", BASE_DIR / "var")).resolve()
DEBUG = env_bool("DEBUG")
# "production" (set by docker-compose.yml) means: behind a TLS proxy, a real
# SECRET_KEY from the environment, HTTPS only. The default "local" is what
# `serve` and the tests run: plain HTTP on loopback.
PRODUCTION = os.environ.get("PAPERSHELF_ENV", "local") == "production"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data directory.

    A local install then keeps its sessions across restarts without anyone
    choosing a key, and no key is ever committed.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("Set SECRET_KEY: production never generates its own.")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks_db",
    "accounts",
    "papers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspaces",
                "papers.context_processors.page_path",
                "papers.context_processors.csrf_input",
            ],
        },
    },
]

# Without DATABASE_URL, the embedded server in the data directory is started
# (or joined) here, on first use by any process that loads the settings.
DATABASE_URL = os.environ.get("DATABASE_URL") or embedded_database_url(DATA_DIR)
# A worker keeps its connection (checked before each request reuses it): a
# new one costs the request that opens it about 10 ms at a million papers
# (the server's process starts, its catalog caches are cold), which a
# minute's limit on a connection's age charged to a request a minute of
# every worker.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=None,
        conn_health_checks=True,
    )
}
# A Unix-socket URL puts the socket directory in OPTIONS; HOST is where
# dbshell and the test database set-up look for it.
if socket_dir := DATABASES["default"]["OPTIONS"].pop("host", None):
    DATABASES["default"]["HOST"] = socket_dir
# Unless the URL sets its own options:
# - Sequential scans start at the table's first page. Search reads "the first
#   250 matches" of a common word in the table's order, and a scan that joined
#   another one where it had got to (PostgreSQL's default for tables larger
#   than a quarter of its buffers) found other matches, in other numbers,
#   from one run of a query to the next, and took 30 to 110 ms instead of 30.
# - No parallel workers for queries: on a few cores they take CPU from other
#   requests for little gain, and a page of a filter (`status:to-read -tag:x`,
#   a million papers) waited 120 ms for workers that had read most of the
#   table, where one process took 27 ms. Index builds keep theirs
#   (max_parallel_maintenance_workers).
DATABASES["default"]["OPTIONS"].setdefault(
    "options", "-c synchronize_seqscans=off -c max_parallel_workers_per_gather=0"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# No inline script or style anywhere: htmx's indicator styles are turned off
# in base.html and everything else comes from our own static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
# Secure unless told otherwise; `serve` turns it off for its plain-HTTP loopback server.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    # The TLS proxy in front says which scheme the visitor used.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health probes come from the orchestrator with whatever Host it uses.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Accounts
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)
LOGIN_THROTTLE_WINDOW = int(os.environ.get("LOGIN_THROTTLE_WINDOW", 15 * 60))
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", 5))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", 20))

# Mail (password resets): SMTP at EMAIL_HOST (in production, a local MTA by
# default); printed to the console on a local install without one.
if PRODUCTION or os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", 587)),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Papershelf <papershelf@localhost>")

# Notes: Markdown images load from anywhere a note points, so they are off unless allowed.
NOTES_ALLOW_IMAGES = env_bool("NOTES_ALLOW_IMAGES", False)

# Background work: Django's tasks API on django-tasks-db, which keeps the queue
# in the database (no broker to run); `manage.py db_worker` runs the tasks and
# `serve` starts one. Admin imports check and import their files there.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Admin imports: the most one upload (its files and pasted text together) may
# hold. Past it, the rest of the request is read and thrown away, never stored.
PAPERSHELF_MAX_UPLOAD_MB = int(os.environ.get("PAPERSHELF_MAX_UPLOAD_MB", 100))
FILE_UPLOAD_HANDLERS = [
    "papers.importing.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
