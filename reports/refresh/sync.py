"""The sync from the vendor (spec section 8): pull the org tree and the whole export, then
apply both as one mirror import, so that afterwards this product equals the source.

Safe to start at any moment, from a scheduler or by hand: one sync runs at a time (a
second one started meanwhile says so and stops, changing nothing); the downloads go to
a temporary directory and are checked whole (reports.refresh.vendor.check_export, the row
count against the vendor's) before the import's one transaction begins; pages keep
showing the old rows until it commits. Anything that goes wrong before the commit
changes nothing, and the run log says what it was. An export that would remove too much
of the fleet (reports.importing.mass_removal) is such a thing, unless allowed. The data
is as of the moment the export was asked for.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.utils import timezone

from accounts import audit
from accounts.locks import held_alone
from reports.importing.changes import Outcome
from reports.importing.csv_file import ImportFailed
from reports.importing.environment import apply_files, read_files
from reports.importing.mass_removal import EVERYTHING
from reports.refresh.log import count, recorded
from reports.refresh.models import Run
from reports.refresh.vendor import (
    SyncFailed,
    Vendor,
    VendorClient,
    check_export,
    org_at_line,
    write_tree,
)

# Any number, the same for every sync ("BRSY"); the import lock is another.
SYNC_LOCK = 0x42525359
EXPORT_NAME = "the vendor's export (DeviceBackupReport?export=csv)"
TREE_NAME = "the vendor's org list (/api/v1/Org)"


class AnotherSyncIsRunning(Exception):
    pass


@contextmanager
def one_sync_at_a_time() -> Iterator[None]:
    """Held for the whole sync, downloads included (accounts.locks); a second sync does
    not wait for it. (SQLite lets one writer in at a time: a second sync waits for the
    first's transaction.)"""
    with held_alone(SYNC_LOCK) as alone:
        if not alone:
            raise AnotherSyncIsRunning(
                "Another sync is running; this one stops without changing anything."
            )
        yield


def sync(
    vendor: Vendor,
    *,
    dry_run: bool = False,
    trigger: str = Run.Trigger.COMMAND,
    user=None,
    allow_mass_removal: bool = False,
    say: Callable[[str], None] = lambda message: None,
) -> Outcome:
    """Pull and apply; a dry run says what would change and is not logged. Raises
    SyncFailed (or ImportFailed, for a bad row or too much removed) having changed
    nothing. `allow_mass_removal`: --allow-mass-removal."""
    with one_sync_at_a_time():
        source = f"{vendor.url or 'VENDOR_URL unset'} as {vendor.account}"
        log = (
            nullcontext()
            if dry_run
            else recorded(Run.Kind.SYNC, source, trigger=trigger, user=user)
        )
        # Who started it: the user of Sync now; from sync_vendor, the OS user who ran it,
        # as for every command's events (it read "(command)", found by an audit of
        # section 13); else how it was started.
        started_by = user or audit.command_user() or f"({trigger})"
        if not dry_run:
            audit.record("sync.started", actor=started_by, target=source, trigger=trigger)
        try:
            with log as run:
                vendor.check()  # in the log: a scheduled sync with a broken setting says so
                outcome = _pull_and_apply(vendor, dry_run, allow_mass_removal, say)
                if run is not None:
                    count(run, outcome)
        except Exception as error:
            if not dry_run:
                audit.record(
                    "sync.finished",
                    actor=started_by,
                    target=source,
                    outcome="failed",
                    error=str(error)[:500],
                )
            raise
        if not dry_run:
            audit.record(
                "sync.finished",
                actor=started_by,
                target=source,
                outcome="succeeded",
                rows=outcome.records,
                **outcome.audited(),
            )
        return outcome


def _pull_and_apply(vendor: Vendor, dry_run: bool, allow_mass_removal: bool, say) -> Outcome:
    client = VendorClient(vendor, say)
    try:
        with tempfile.TemporaryDirectory(prefix="backup-report-sync-") as folder:
            client.sign_in()
            before = client.report_total()
            orgs = client.orgs()
            tree = Path(folder) / "orgs.csv"
            notes, starts = write_tree(orgs, tree)
            say(f"Org list: {len(orgs):,} orgs.")
            export = Path(folder) / "DeviceBackupReport.csv"
            asked_at = timezone.now()  # the vendor's data as of then
            size = client.download_report(export)
            check_export(export, "The export")
            after = client.report_total()
            say(f"Export: {size / 1e6:,.1f} MB.")
            with _orgs_named_by_uid(starts):
                files = read_files(export, tree, report_name=EXPORT_NAME, orgs_name=TREE_NAME)
                _check_rows(files.report.records, before, after)
                allowed = EVERYTHING if allow_mass_removal else None
                outcome = apply_files(
                    files, mirror_mode=True, dry_run=dry_run, allowed_removal=allowed
                )
    finally:
        client.close()
    outcome.notes[:0] = notes
    outcome.exported_at = asked_at
    return outcome


@contextmanager
def _orgs_named_by_uid(starts: list[tuple[int, str]]):
    """An error about the org list names the org by its orgUid, not by a line of the
    file the sync wrote and then deleted (found by an audit of the import)."""
    try:
        yield
    except ImportFailed as error:
        uid = org_at_line(starts, error.line) if error.file == TREE_NAME and error.line else None
        if uid is None:
            raise
        raise ImportFailed(f"{TREE_NAME}, orgUid {uid}", None, error.column, error.message) from (
            error
        )


def _check_rows(records: int, before: int, after: int) -> None:
    """A cut at a line end leaves a file that looks whole: the vendor's count before
    and after the download tells. (The source may change meanwhile: fewer rows than
    both counts is what no change can explain.)"""
    if records < min(before, after):
        raise SyncFailed(
            f"The export is truncated: {records:,} rows, but the vendor counts "
            f"{before:,} (and {after:,} after the download)"
        )
