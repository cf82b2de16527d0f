import time

from django.core.management.base import BaseCommand, CommandError

from reports.importing.backup_report import import_backup_report
from reports.importing.csv_file import ImportFailed


class Command(BaseCommand):
    help = (
        "Load a vendor DeviceBackupReport CSV export: create or update orgs, users, "
        "devices, destinations, servers and archives by their uid."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the CSV export")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would change, write nothing"
        )

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        started = time.monotonic()
        try:
            outcome = import_backup_report(file, dry_run=dry_run)
        except ImportFailed as error:
            raise CommandError(f"{error} (nothing was imported)") from None
        for line in outcome.lines():
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            self.stdout.write(outcome.timings.line())
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
