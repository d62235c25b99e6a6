"""Back up everything (papers, workspaces, notes, lists, accounts) to one file.

    manage.py backup papershelf.dump

A pg_dump custom-format archive of the whole database; `manage.py restore`
reads it back. Uses the pg_dump shipped with the embedded server when there
is one, else the pg_dump on PATH (which must be as new as the server).
"""

import subprocess

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papers.database_tools import connection_arguments, tool


class Command(BaseCommand):
    help = "Write a pg_dump archive of the whole Papershelf database to PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive to write")

    def handle(self, *args, path: str, **options) -> None:
        arguments, env = connection_arguments()
        result = subprocess.run(
            [tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", *arguments],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path}"))
