"""What the two import commands share: the file argument, --dry-run, errors, the summary."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from reports.importing.csv_file import ImportFailed


class ImportCommand(BaseCommand):
    file_help = "the CSV file"
    # The import function, as staticmethod(f): (path, dry_run=...) -> an outcome with
    # lines() and timings.
    importer: Callable

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would change, write nothing"
        )

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        started = time.monotonic()
        try:
            outcome = self.importer(file, dry_run=dry_run)
        except ImportFailed as error:
            raise CommandError(f"{error} (nothing was imported)") from None
        for line in outcome.lines():
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            self.stdout.write(outcome.timings.line())
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
