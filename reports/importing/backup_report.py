"""Importing the vendor's DeviceBackupReport CSV export into the environment tables.

parse -> validate every row -> compare with the database -> write the difference in
one transaction -> bring the report rows in step. A bad row stops it all before the
first write; `report_csv` reads and checks the rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from itertools import chain

from accounts.models import User, end_sessions
from accounts.sso import strangers
from reports.importing import report_rows
from reports.importing.changes import Changes, Writer, chunks, compare
from reports.importing.csv_file import CsvFile, ImportFailed
from reports.importing.orgs import ORGS, give_root_paths
from reports.importing.report_csv import TABLES, USERS, ParsedReport
from reports.importing.updates import update_rows
from reports.models import Archive, Device


def _check_usernames_are_free(
    csv_file: CsvFile, report: ParsedReport, released: Collection[str] = ()
) -> None:
    """A username the file gives must not belong to someone the file does not name,
    unless that someone (by userUid) gives it up (reports.importing.mirror), or is a
    stranger's account that gives way (accounts.sso.strangers: report.strangers)."""
    users = report.rows["users"]
    uid_of = {user["username"]: user_uid for user_uid, user in users.items()}
    held = [name for name in strangers.admitted_usernames() if name in uid_of]
    report.strangers = strangers.giving_way({name: users[uid_of[name]]["email"] for name in held})
    for username, holder in _holders(list(uid_of), exclude=report.strangers):
        if holder not in users and holder not in released:
            line = report.username_lines[uid_of[username]]
            owner = f"userUid {holder}" if holder else "a local account"
            message = f'"{username}" already belongs to another user ({owner})'
            csv_file.reject(ImportFailed(csv_file.name, line, "username", message))
    csv_file.check()


def _holders(usernames: list[str], exclude: Collection[int]) -> Iterator[tuple[str, str | None]]:
    for part in chunks(usernames):
        holders = User.objects.filter(username__in=part).exclude(pk__in=exclude)
        yield from holders.values_list("username", "user_uid")


def _free_renamed_usernames(users: Changes) -> None:
    """Users of one file may swap usernames; move the renamed ones aside first, else
    the unique index would refuse the update that comes before its partner."""
    renamed = {
        pk: users.old[uid]["username"]
        for uid, (pk, new) in users.updated.items()
        if users.old[uid]["username"] != new["username"]
    }
    wanted = {user["username"] for user in users.created.values()}
    wanted |= {new["username"] for _, new in users.updated.values()}
    if wanted.isdisjoint(renamed.values()):
        return
    update_rows(User, ["username"], [(pk, f"~renaming~{pk}") for pk in renamed])


def end_sessions_the_vendor_ended(users: Changes) -> None:
    """The people the file says the vendor now deactivated or blocked lose their sessions
    for good (accounts.models.end_sessions), as an administrator's deactivation ends them:
    given back their access by a later sync, they sign in afresh. In the same transaction
    as the write; in_database.writing does the same in its UPDATE."""
    ended = [
        pk
        for uid, (pk, values) in users.updated.items()
        if values.get("user_status") in User.VENDOR_ENDED
        and users.old[uid].get("user_status") not in User.VENDOR_ENDED
    ]
    for part in chunks(ended):
        end_sessions(User.objects.filter(pk__in=part))


def compare_report(
    csv_file: CsvFile, report: ParsedReport, released: Collection[str] = ()
) -> dict[str, Changes]:
    """What the file changes, table by table (label -> Changes), in the order of writing.
    `released`: userUids of people whose usernames the file may give to others."""
    _check_usernames_are_free(csv_file, report, released)
    return {table.label: compare(table, report.rows[table.label]) for table in TABLES}


def write_report(changes: dict[str, Changes]) -> set[int]:
    """Write every table; returns the devices whose report rows may have changed."""
    archives = changes["archives"]
    moved_from = report_rows.devices_where(
        Archive.objects, "pk", (pk for pk, _ in archives.updated.values()), device="device_id"
    )
    writer = Writer()
    for table in TABLES:
        if table is USERS:
            _free_renamed_usernames(changes["users"])
        writer.write(changes[table.label])
        if table is USERS:
            end_sessions_the_vendor_ended(changes["users"])
        if table is ORGS:
            give_root_paths(writer.pks["orgs"][uid] for uid in changes["orgs"].created)

    devices = writer.pks["devices"]
    touched = moved_from | {devices[uid] for uid in _written(changes["devices"])}
    touched |= {devices[archives_row["device"]] for archives_row in _written_rows(archives)}
    updated = {label: [pk for pk, _ in c.updated.values()] for label, c in changes.items()}
    touched |= report_rows.devices_where(Device.objects, "user_id", updated["users"])
    touched |= report_rows.devices_where(Device.objects, "user__org_id", updated["orgs"])
    for label, field_name in (("destinations", "destination_id"), ("servers", "server_id")):
        touched |= report_rows.devices_where(
            Archive.objects, field_name, updated[label], device="device_id"
        )
    return touched


def _written(changes: Changes) -> Iterator[str]:
    return chain(changes.created, changes.updated)


def _written_rows(changes: Changes) -> Iterator[dict]:
    return chain(changes.created.values(), (values for _, values in changes.updated.values()))
