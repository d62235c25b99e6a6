"""Run Papershelf locally in one command.

Starts the embedded database (by loading the settings), migrates, imports
the bundled sample listing into an empty database, creates a first account
when there is none, and serves the app through gunicorn, with a `db_worker`
for background tasks (admin imports) beside it, until Ctrl-C.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User

FIRST_USERNAME = "admin"
# How long the worker may take to finish its task once asked to stop, before
# it is stopped mid-task (an import then rolls back, to be retried).
WORKER_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Serve Papershelf on 127.0.0.1 with the sample listing loaded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="default: %(default)s")
        parser.add_argument("--workers", type=int, default=2, help="default: %(default)s")

    def handle(self, *args, port: int, workers: int, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("import_sample", stdout=self.stdout, stderr=self.stderr)
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(FIRST_USERNAME, password=password)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the first account: username {FIRST_USERNAME}, password {password}"
                )
            )
        self._serve(port, workers)

    def _serve(self, port: int, workers: int) -> None:
        # The workers reach the database this process started through
        # DATABASE_URL, so they neither start nor stop it themselves. The
        # server speaks plain HTTP on loopback, so cookies cannot be Secure.
        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "SECURE_COOKIES": "false"}
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        worker = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker", "--no-reload"],
            env=env,
        )
        told_to_stop = []

        def stop(*_) -> None:
            told_to_stop.append(True)
            gunicorn.terminate()
            worker.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            if _wait_for_port(port, gunicorn):
                self.stdout.write(
                    f"Papershelf is running at http://127.0.0.1:{port}/ (Ctrl-C stops it)"
                )
            gunicorn.wait()
        except KeyboardInterrupt:
            # The terminal sent SIGINT to gunicorn and the worker too; wait for
            # gunicorn's graceful stop.
            told_to_stop.append(True)
            gunicorn.wait()
        self._stop_worker(worker, told=bool(told_to_stop))
        self.stdout.write("Stopped.")

    def _stop_worker(self, worker: subprocess.Popen, *, told: bool) -> None:
        """Let the worker finish its task for a while, then stop it mid-task.

        db_worker finishes the task it is running on a first SIGINT or SIGTERM
        and exits at once on a second. It must be gone before this process
        exits, since the embedded database stops with it.
        """
        if not told:
            worker.terminate()
        try:
            worker.wait(timeout=WORKER_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.stdout.write("Stopping the worker mid-task: its import rolls back, to be retried.")
            worker.terminate()
            worker.wait()


def _wait_for_port(port: int, server: subprocess.Popen, timeout: float = 30) -> bool:
    """True once the server accepts connections; False if it exited first."""
    deadline = time.monotonic() + timeout
    while server.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False
