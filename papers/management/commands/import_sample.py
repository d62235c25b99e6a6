"""Import the bundled sample listing, but only into a database with no listing.

Used by `serve` and the Docker entrypoint so a first start shows papers and a
restart leaves whatever the team has imported since alone.
"""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from papers.models import Listing

SAMPLE_LISTING = Path(__file__).resolve().parents[2] / "sample_data" / "hf-trending-mar-14.txt"


class Command(BaseCommand):
    help = "Import the bundled trending-papers sample when no listing exists yet."

    def handle(self, *args, **options) -> None:
        if Listing.objects.exists():
            if options["verbosity"] >= 2:
                self.stdout.write("A listing exists already: the sample was not imported.")
            return
        self.stdout.write("Importing the sample listing...")
        call_command("import_listing", str(SAMPLE_LISTING), stdout=self.stdout, stderr=self.stderr)
