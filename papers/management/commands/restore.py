"""Restore a `manage.py backup` archive into the configured database.

    manage.py restore papershelf.dump

Everything in the database is replaced by the archive's contents, in one
transaction: a restore that fails part-way leaves the database as it was.
"""

import subprocess

from django.core.management.base import BaseCommand, CommandError, CommandParser

from papers.database_tools import connection_arguments, tool


class Command(BaseCommand):
    help = "Replace the database's contents with a backup archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="an archive written by manage.py backup")
        parser.add_argument("--noinput", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, path: str, noinput: bool, **options) -> None:
        if not noinput:
            answer = input("This replaces everything in the database. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        arguments, env = connection_arguments()
        result = subprocess.run(
            [
                tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                *arguments,
                path,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        self.stdout.write(self.style.SUCCESS(f"Restored {path}"))
