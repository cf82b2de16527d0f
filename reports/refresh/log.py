"""Recording a run in the run log, whatever becomes of it.

The row is written before the work starts and again when it ends, each time in a
statement of its own, outside the work's transaction: when an import fails and its
transaction rolls back, the row that says so stays. So call `recorded()` outside any
transaction of your own (a management command, a job of the worker).

Once a run is logged as succeeded, the after-refresh pipeline runs (reports.pipeline:
the snapshot, then warming), and what each step did is noted on the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from accounts import locks
from reports.importing.csv_file import printable
from reports.pipeline import Occasion, after_refresh
from reports.refresh import liveness
from reports.refresh.models import Run
from reports.refresh.reaping import reap


def describe(error: BaseException) -> str:
    """An error as a person reads it in the log: the message our code wrote, the type
    too for anything unforeseen."""
    if isinstance(error, KeyboardInterrupt):
        return "Interrupted before the end; nothing was changed."
    message = printable(str(error) or repr(error))  # a vendor's answer may hold a NUL
    if type(error).__module__.startswith(("reports.", "django.core.management")):
        return message
    return f"{type(error).__name__}: {message}"


@contextmanager
def recorded(
    kind: str, source: str, *, trigger: str = Run.Trigger.COMMAND, user=None
) -> Iterator[Run]:
    """Record the run: running now, then succeeded or failed with its error.

    The caller fills in the counts (`count(run, outcome)`) before the block ends.
    """
    locks.wait_for_the_writer()  # SQLite: behind another run's writes, as long as it takes
    reap()  # runs before this one that died: they cannot say so themselves
    run = Run.objects.create(
        kind=kind, trigger=trigger, user=user, source=source[:1000], worker=liveness.current()
    )
    try:
        yield run
    except BaseException as error:
        run.outcome, run.error = Run.Outcome.FAILED, describe(error)
        _finish(run)
        raise
    run.outcome = Run.Outcome.SUCCEEDED
    _finish(run)
    _after_refresh(run)


def _finish(run: Run) -> None:
    run.finished_at = run.ends_at(timezone.now())
    run.save(
        update_fields=[
            "finished_at",
            "outcome",
            "error",
            "created",
            "updated",
            "removed",
            "unchanged",
            "summary",
            "exported_at",
        ]
    )


# Why the steps after a run run: an import or a sync brought data in; a rebuild did not.
OCCASIONS = {
    Run.Kind.IMPORT: Occasion.NEW_DATA,
    Run.Kind.SYNC: Occasion.NEW_DATA,
    Run.Kind.REBUILD: Occasion.REBUILT,
}


def _after_refresh(run: Run) -> None:
    """The after-refresh pipeline, each step's outcome noted on the run (a failure too:
    the run stays succeeded, its data in)."""
    outcomes = after_refresh(OCCASIONS[run.kind], f"run {run.pk}")
    run.after_refresh = [outcome.as_dict() for outcome in outcomes]
    run.save(update_fields=["after_refresh"])


def count(run: Run, outcome) -> None:
    """Take the counts, summary lines and export time of an importer's Outcome."""
    totals = outcome.totals()
    run.created, run.updated = totals["created"], totals["updated"]
    run.removed, run.unchanged = totals["removed"], totals["unchanged"]
    run.summary = "\n".join(outcome.lines())
    run.exported_at = _data_as_of(run, outcome)


def _data_as_of(run: Run, outcome) -> dt.datetime:
    """The export's time (the run's start if unknown), never later than now. An import
    that changed nothing leaves the data as old as the last refresh said, unless its
    export is newer: importing an old file again does not make old data look new, nor
    new data look old."""
    taken = min(outcome.exported_at or run.started_at, timezone.now())
    if not outcome.changed:
        last = Run.objects.last_refresh()
        if last is not None:
            taken = max(taken, last.data_as_of)
    return taken
