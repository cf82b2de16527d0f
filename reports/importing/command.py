"""What the import commands share: the file argument, --dry-run, errors, the summary, and
an entry in the run log (reports.refresh) for every import that is not a dry run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError

from reports.importing.csv_file import ImportFailed
from reports.refresh.log import count, recorded
from reports.refresh.models import Run


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
        # A dry run changes nothing, so the run log, which says how fresh the data is,
        # does not list it.
        source = " and ".join(os.path.abspath(path) for path in self.files(file, options))
        log = nullcontext() if dry_run else recorded(Run.Kind.IMPORT, source)
        try:
            with log as run:
                outcome = self.importer(file, dry_run=dry_run, **self.import_options(options))
                if run is not None:
                    count(run, outcome)
        except ImportFailed as error:
            raise CommandError(f"{error} (nothing was imported)") from None
        self.report(outcome, started, options["verbosity"])

    def import_options(self, options: dict) -> dict:
        """Keyword arguments for the importer from the command's own options."""
        return {}

    def files(self, file: str, options: dict) -> list[str]:
        """Every file the import reads, for the run log."""
        return [file]

    def report(self, outcome, started: float, verbosity: int) -> None:
        for line in outcome.lines():
            self.stdout.write(line)
        if verbosity >= 2:
            self.stdout.write(outcome.timings.line())
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
