"""One import of the vendor's report and, optionally, its org tree: both files applied in
one transaction, and in mirror mode what they no longer list removed (reports.importing.
mirror). What the sync from the vendor and an upload of both files do.

read_files() parses and checks both files whole before anything else (a caller may look
at them then: the sync compares the row count with the vendor's); apply_files() waits
for other imports, then writes the tree, then the report, then removes, then brings the
report rows in step, once. A dry run writes nothing and says what would change. A
whole-fleet import that would remove too much stops before its writes (reports.importing.
mass_removal).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from accounts.sso import strangers
from reports.importing import access_changes, in_database, mass_removal, mirror, report_rows
from reports.importing.backup_report import compare_report, write_report
from reports.importing.changes import Changes, Outcome, Timings
from reports.importing.csv_file import CsvFile, ImportFailed, together
from reports.importing.one_at_a_time import wait_for_other_imports
from reports.importing.orgs import OrgRow, apply_tree
from reports.importing.orgs import parse as parse_tree
from reports.importing.report_csv import ParsedReport
from reports.importing.report_csv import parse as parse_report
from reports.models import Archive, Device
from reports.postgres_only import on_postgres


@dataclass
class Files:
    report_file: CsvFile
    # Read by the database (PostgreSQL) or by Python (reports.importing.in_database).
    report: ParsedReport | in_database.StagedReport
    orgs_file: CsvFile | None
    tree: dict[str, OrgRow] | None
    timings: Timings

    @property
    def name(self) -> str:
        names = [self.report_file.name] + ([self.orgs_file.name] if self.orgs_file else [])
        return " and ".join(names)


def read_files(
    report: str | Path,
    orgs: str | Path | None = None,
    *,
    report_name: str | None = None,
    orgs_name: str | None = None,
    by_database: bool = True,
) -> Files:
    """Parse and check both files; raises ImportFailed naming file, line and column.
    On PostgreSQL the database reads the report unless `by_database` is False."""
    timings = Timings()
    report_file = CsvFile(report, report_name)
    orgs_file = None if orgs is None else CsvFile(orgs, orgs_name)
    with timings("read"):
        parsed = None
        if by_database and on_postgres(connection):
            parsed = in_database.stage(report_file)
        if parsed is None:
            report_file = CsvFile(report, report_name)
            parsed, tree = parse_both(report_file, orgs_file)
        else:
            tree = None if orgs_file is None else parse_tree(orgs_file)
    return Files(report_file, parsed, orgs_file, tree, timings)


def parse_both(report_file: CsvFile, orgs_file: CsvFile | None) -> tuple[ParsedReport, list]:
    """The report and the org tree parsed; a bad report's errors said with the org
    file's, not the report's alone (spec section 8: every error, with line and column;
    an upload named the org file's errors only once the report was right, found by an
    audit, 2026-12-06)."""
    try:
        parsed = parse_report(report_file)
    except ImportFailed as failed:
        if orgs_file is None:
            raise
        try:
            parse_tree(orgs_file)
        except ImportFailed as also:
            raise together(failed, also) from None
        raise
    return parsed, None if orgs_file is None else parse_tree(orgs_file)


def apply_files(
    files: Files,
    *,
    mirror_mode: bool = False,
    dry_run: bool = False,
    allowed_removal: mass_removal.Removal | None = None,
) -> Outcome:
    """Apply both files in one transaction. In mirror mode, removing more than the limit
    (reports.importing.mass_removal) needs `allowed_removal` to cover it: EVERYTHING for
    --allow-mass-removal, or what an upload's confirmation named. A dry run says it."""
    if not isinstance(files.report, in_database.StagedReport):
        return _apply(files, mirror_mode, dry_run, allowed_removal)
    try:
        return _apply(files, mirror_mode, dry_run, allowed_removal)
    finally:
        in_database.drop()


def _apply(
    files: Files,
    mirror_mode: bool,
    dry_run: bool,
    allowed_removal: mass_removal.Removal | None,
) -> Outcome:
    staged = isinstance(files.report, in_database.StagedReport)
    timings = files.timings
    with transaction.atomic():
        with timings("wait"):
            wait_for_other_imports()
        if staged:
            forget_writes = mirror_mode and not dry_run
            with timings("read"):
                in_database.confirm(files.report_file, files.report, forget_writes=forget_writes)
        fleet = Device.objects.count() if mirror_mode else 0
        if mirror_mode:
            records = files.report.records
            mass_removal.refuse_empty(files.report_file.name, records, fleet, allowed_removal)
        tree = None
        if files.tree is not None:
            tree = apply_tree(files.orgs_file, files.tree, dry_run=dry_run, timings=timings)
        with timings("compare"):
            unlisted = None
            if mirror_mode:
                parents = tree.parents if tree else {}
                find_unlisted = in_database.find_unlisted if staged else mirror.find_unlisted
                unlisted = find_unlisted(files.report, files.tree, parents)
            released = unlisted.released if unlisted else ()
            renamed = []
            if files.tree is not None:
                take = in_database.take_tree_names if staged else take_tree_names
                renamed = take(files.report, files.tree)
            compare = in_database.compare if staged else compare_report
            changes = compare(files.report_file, files.report, released)
        counted = dict(changes)
        if tree is not None:
            counted["orgs"] = merged(tree.changes, changes["orgs"])
        if unlisted is not None:
            mirror.count_removed(counted, unlisted)
        records = files.report.records
        outcome = Outcome(files.name, records, list(counted.values()), dry_run, timings=timings)
        outcome.notes += tree.notes if tree else []
        if renamed:
            outcome.notes.append(
                f"Orgs the report names otherwise than the org file: {len(renamed):,}, "
                f"the org file's names kept ({', '.join(renamed[:5])})."
            )
        outcome.notes += unlisted.notes(dry_run) if unlisted else []
        outcome.notes += strangers.notes(files.report.strangers, dry_run)
        # Counted only when it matters: a million archives take a tenth of a second.
        archives_here = Archive.objects.count() if unlisted and unlisted.archives_of_kept else 0
        outcome.removal = unlisted.removal(fleet, archives_here) if unlisted else None
        if dry_run:
            return outcome
        if outcome.removal is not None:
            mass_removal.check(files.name, outcome.removal, allowed_removal)
        rebuild = staged and mirror_mode and _rebuild_is_due(changes["devices"], fleet)
        access = access_changes.Watch()
        with timings("write"):
            if unlisted is not None:
                mirror.free_usernames(unlisted)
            retired = strangers.give_way(files.report.strangers)
            if staged:
                devices = in_database.write(files.report, rebuild=rebuild)
            else:
                devices = write_report(changes)
            if unlisted is not None:
                mirror.remove(unlisted)
                devices |= unlisted.devices()
            if tree is not None:
                devices |= tree.devices()
            departed = {pk: name for pk, (name, _) in unlisted.departed.items()} if unlisted else {}
            outcome.access = access.changes(departed)
            outcome.notes += outcome.access.notes()
        with timings("report rows"):
            note = report_rows.bring_in_step(devices, by_database=staged, rebuild=rebuild)
            outcome.notes.append(note)
        if staged and mirror_mode:
            with timings("snapshot"):
                in_database.remember(files.report)
        strangers.record_retired(retired)  # last of all (why: record_retired)
    return outcome


def _rebuild_is_due(devices: Changes, fleet: int) -> bool:
    """Whether the devices the report writes (created or updated) are enough for a
    rebuild of the report rows, told before the writes, so that they note no device.
    The fleet after the writes is at most the fleet before them (`fleet`) and the
    devices created, and the devices whose rows change are at least those written: a
    rebuild chosen here is one that the count after the writes would choose too."""
    written = len(devices.created) + len(devices.updated)
    return written > 0 and report_rows.rebuild_is_due(written, fleet + len(devices.created))


def import_environment(
    report: str | Path,
    orgs: str | Path | None = None,
    *,
    mirror: bool = False,
    dry_run: bool = False,
    allowed_removal: mass_removal.Removal | None = None,
) -> Outcome:
    """The report (and org tree) files as one import; in mirror mode the environment
    equals them afterwards."""
    files = read_files(report, orgs)
    return apply_files(files, mirror_mode=mirror, dry_run=dry_run, allowed_removal=allowed_removal)


def take_tree_names(report, tree: dict) -> list[str]:
    """The org file's name and org code for each org both files give, over the report's
    cells: the org file is the org list. Each applied in turn, an org they named
    otherwise was renamed back and forth, an update on every import, never "nothing to
    change" (found by an audit of the import). The uids they disagreed on, sorted."""
    differing = []
    for uid, org in report.rows["orgs"].items():
        row = tree.get(uid)
        if row is None:
            continue
        given = {"name": row.name, "ext_ref": row.ext_ref}
        if any(name in org and org[name] != value for name, value in given.items()):
            org.update({name: value for name, value in given.items() if name in org})
            differing.append(uid)
    return sorted(differing)


def merged(first: Changes, second: Changes) -> Changes:
    """One table's changes from two files applied in turn (the tree, then the report's
    orgs), each row counted once."""
    created = first.created | second.created
    updated = {
        uid: values
        for uid, values in (first.updated | second.updated).items()
        if uid not in created
    }
    uids = set(first.created) | set(first.pks) | set(second.created) | set(second.pks)
    unchanged = len(uids) - len(created) - len(updated)
    return Changes(first.table, created, updated, unchanged, pks=first.pks | second.pks)
