import time

from django.core.management.base import BaseCommand, CommandError

from reports.importing.csv_file import ImportFailed
from reports.importing.orgs import import_orgs


class Command(BaseCommand):
    help = (
        "Load the org tree from a CSV with the columns orgUid, orgName, orgExtRef, "
        "parentOrgUid (an empty parent is a top-level org)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would change, write nothing"
        )

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        started = time.monotonic()
        try:
            outcome = import_orgs(file, dry_run=dry_run)
        except ImportFailed as error:
            raise CommandError(f"{error} (nothing was imported)") from None
        for line in outcome.lines():
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            self.stdout.write(outcome.timings.line())
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
