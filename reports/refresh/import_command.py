"""What the import commands share: the file argument, --dry-run, --exported-at, errors,
the summary, and for every import that is not a dry run an entry in the run log
(reports.refresh) and its start and end on the audit log (import.started,
import.finished)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import locks
from reports.importing import values
from reports.importing.csv_file import ImportFailed
from reports.refresh import command_line
from reports.refresh.data_age import export_time_problem
from reports.refresh.log import count, describe, recorded
from reports.refresh.models import Run


def export_time(text: str) -> dt.datetime:
    """--exported-at: a time as the vendor writes them (UTC unless it says otherwise)."""
    try:
        when = values.datetime(text)
    except values.CellError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if when is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time")
    if problem := export_time_problem(when, timezone.now()):
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return when


def _check_regular(paths: list[str]) -> None:
    """The import reads each file more than once (its header, then its rows; on
    PostgreSQL by COPY; again to say where an error is): a pipe (`/dev/stdin`,
    `<(curl ...)`) is empty by the second reading, and PostgreSQL said "the file is empty"
    of a whole export (found by an audit of section 6). A file that is not there is the
    reading's to name."""
    for path in paths:
        if os.path.exists(path) and not os.path.isfile(path):
            raise ImportFailed(
                path,
                None,
                None,
                "is not a regular file (a pipe, a device or a folder): the import reads it "
                "more than once; save it to a file and import that",
            )


def modified_at(paths: list[str]) -> dt.datetime:
    """When the oldest of the files was last written: the data is no newer than that."""
    return dt.datetime.fromtimestamp(min(os.stat(path).st_mtime for path in paths), dt.UTC)


def taken_at(paths: list[str], outcome) -> dt.datetime:
    """When the export was taken, as far as the files say: when they were last written,
    unless that cannot be (export_time_problem, the rule of --exported-at): then now,
    said in the outcome. A file dated 1970 made the data look 56 years old (found by an
    audit of the import)."""
    written, now = modified_at(paths), timezone.now()
    if export_time_problem(written, now) is None:
        return written
    outcome.notes.append(
        f"The file was last written {written:%Y-%m-%d %H:%M} UTC, which cannot be when its "
        "export was taken: the data is taken as of this import (--exported-at says when)."
    )
    return now


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
        parser.add_argument(
            "--exported-at",
            metavar="TIME",
            type=export_time,
            help=(
                "when the export was taken, e.g. 2026-11-28T02:15:00Z: the overview's "
                '"data as of" (default: when the file was last written)'
            ),
        )

    def handle(self, *args, file: str, dry_run: bool, exported_at, **options) -> None:
        started = time.monotonic()
        # A dry run changes nothing, so the run log, which says how fresh the data is,
        # does not list it.
        files = self.files(file, options)
        source = " and ".join(os.path.abspath(path) for path in files)
        log = nullcontext() if dry_run else recorded(Run.Kind.IMPORT, source)
        # On the audit log, started and how it ended, as a sync is; not a dry run,
        # which changes nothing.
        audited = {"target": source, "command": self.name(), **self.audited_options(options)}
        if not dry_run:
            # Written before the run waits its turn: on SQLite it waits as a run does,
            # not the web's 20 s, while another import holds the one write lock.
            locks.wait_for_the_writer()
            command_line.record("import.started", **audited)
        try:
            with log as run:
                _check_regular(files)
                outcome = self.importer(file, dry_run=dry_run, **self.import_options(options))
                if run is not None:
                    outcome.exported_at = exported_at or self.taken_at(files, outcome)
                    count(run, outcome)
        except BaseException as error:
            if not dry_run:
                command_line.record(
                    "import.finished", outcome="failed", error=describe(error), **audited
                )
            if isinstance(error, ImportFailed):
                raise CommandError(f"{error} (nothing was imported)") from None
            raise
        if not dry_run:
            command_line.record(
                "import.finished",
                outcome="succeeded",
                rows=outcome.records,
                **outcome.audited(),
                **audited,
            )
        self.report(outcome, started, options["verbosity"])

    def name(self) -> str:
        """The command's name, as typed after manage.py."""
        return type(self).__module__.rsplit(".", 1)[-1]

    def audited_options(self, options: dict) -> dict:
        """The command's own options as its audit events say them."""
        return {}

    def import_options(self, options: dict) -> dict:
        """Keyword arguments for the importer from the command's own options."""
        return {}

    def taken_at(self, paths: list[str], outcome) -> dt.datetime:
        """When the data this import brings was taken, unless --exported-at says."""
        return taken_at(paths, outcome)

    def files(self, file: str, options: dict) -> list[str]:
        """Every file the import reads, for the run log."""
        return [file]

    def report(self, outcome, started: float, verbosity: int) -> None:
        for line in outcome.lines():
            self.stdout.write(line)
        if verbosity >= 2:
            self.stdout.write(outcome.timings.line())
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
