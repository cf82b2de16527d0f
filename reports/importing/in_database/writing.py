"""The diff tables written: one UPDATE ... FROM and one INSERT ... SELECT a table, and
the devices whose report rows change noted where the rows are redone device by device."""

from __future__ import annotations

from django.db import connection

from accounts.models import User
from reports.importing.changes import Table
from reports.importing.in_database.tables import (
    ARCHIVE_TABLE,
    DEVICE_TABLE,
    TOUCHED,
    StagedReport,
    db_column,
    db_table,
    diff,
    quoted,
    staged,
)
from reports.importing.orgs import ORGS, give_root_paths
from reports.importing.report_csv import ARCHIVES, DESTINATIONS, DEVICES, SERVERS, TABLES, USERS


def write(report: StagedReport, *, rebuild: bool = False) -> set[int]:
    """backup_report.write_report by set operations; returns the devices whose report
    rows may have changed, or none if the rows are to be rebuilt all the same (`rebuild`,
    chosen from the diffs' counts): noting a million devices, then picking them out and
    counting the fleet to choose a rebuild took 4 s of an every-date sync at a million
    devices (2026-12-05). After compare(), in the same transaction."""
    with connection.cursor() as cursor:
        if not rebuild:
            cursor.execute(f"CREATE TEMPORARY TABLE {TOUCHED} (id bigint)")
            # Archives moving to another device: the device they leave.
            cursor.execute(
                f"INSERT INTO {TOUCHED} SELECT t.device_id FROM {ARCHIVE_TABLE} t"
                f" JOIN {diff(ARCHIVES)} d ON d.id = t.id WHERE NOT d.new"
            )
        for table in TABLES:
            columns = report.columns[table.label]
            if table is USERS:
                _free_renamed_usernames(cursor)
            _update(cursor, table, columns, touching=not rebuild)
            _insert(cursor, table, columns, touching=not rebuild)
            if table is ORGS:
                cursor.execute(f"SELECT t.id FROM {_created(ORGS)}")
                give_root_paths([pk for (pk,) in cursor.fetchall()])
        if rebuild:
            return set()
        _touch_owned(cursor)
        cursor.execute(f"SELECT DISTINCT id FROM {TOUCHED}")
        return {pk for (pk,) in cursor.fetchall()}


def _created(table: Table) -> str:
    """FROM clause of the rows just created of a table, as t, by its diff table."""
    uid = db_column(table, table.uid)
    return f"{db_table(table)} t JOIN {diff(table)} d ON d.uid = t.{uid} AND d.new"


def _values(table: Table, columns: list[str]) -> tuple[list[str], list[str], str]:
    """(the table's columns, the staged values for them, the joins those need): a
    foreign key from the related row's uid, the rows of earlier tables being written."""
    targets, sources, joins = [], [], []
    for name in columns:
        if name == table.uid:
            targets.append(db_column(table, name))
            sources.append(f"s.{name}")
            continue
        targets.append(db_column(table, name))
        reference = table.references.get(name)
        if reference is None:
            sources.append(f"s.{name}")
            continue
        alias = f"r_{name}"
        joins.append(
            f" LEFT JOIN {db_table(reference)} {alias}"
            f" ON {alias}.{db_column(reference, reference.uid)} = s.{name}"
        )
        sources.append(f"{alias}.id")
    return targets, sources, "".join(joins)


def _update(cursor, table: Table, columns: list[str], *, touching: bool) -> None:
    targets, sources, joins = _values(table, [c for c in columns if c != table.uid])
    if not targets:
        return
    assignments = ", ".join(f"{t} = {s}" for t, s in zip(targets, sources, strict=True))
    if table is USERS and "user_status" in columns:
        assignments += f", session_epoch = {_EPOCH_MOVED_ON_VENDOR_END}"
    statement = (
        f"UPDATE {db_table(table)} t SET {assignments} FROM {diff(table)} d"
        f" JOIN {staged(table)} s ON s.{table.uid} = d.uid{joins}"
        " WHERE t.id = d.id AND NOT d.new"
    )
    if touching:
        statement = _touching(statement, table, "t.")
    cursor.execute(statement)


# backup_report.end_sessions_the_vendor_ended in the users' UPDATE (whose right-hand
# sides read the row before it): an access the file ends moves the session epoch on.
_ENDED = ", ".join(f"'{status}'" for status in User.VENDOR_ENDED)
_EPOCH_MOVED_ON_VENDOR_END = (
    f"t.session_epoch + CASE WHEN s.user_status IN ({_ENDED})"
    f" AND t.user_status NOT IN ({_ENDED}) THEN 1 ELSE 0 END"
)


def _insert(cursor, table: Table, columns: list[str], *, touching: bool) -> None:
    targets, sources, joins = _values(table, columns)
    given = set(targets)
    params = []
    for model_field in table.model._meta.concrete_fields:
        if model_field.primary_key or quoted(model_field.column) in given:
            continue
        targets.append(quoted(model_field.column))
        if table is USERS and model_field.name == "password":
            # What report_csv.unusable_password() makes, a row at a time.
            sources.append("'!' || md5(random()::text) || left(md5(random()::text), 8)")
            continue
        default = model_field.get_default()
        sources.append("%s")
        params.append(model_field.get_db_prep_save(default, connection))
    statement = (
        f"INSERT INTO {db_table(table)} ({', '.join(targets)}) SELECT {', '.join(sources)}"
        f" FROM {diff(table)} d JOIN {staged(table)} s ON s.{table.uid} = d.uid{joins}"
        " WHERE d.new"
    )
    if touching:
        statement = _touching(statement, table)
    cursor.execute(statement, params)


# The column of a written device or archive that names its device: the rows the report
# rows of a device are made of.
_DEVICE_OF = {DEVICES.label: "id", ARCHIVES.label: "device_id"}


def _touching(statement: str, table: Table, alias: str = "") -> str:
    """The write of a row of `table` (as `alias`), noting among the touched the device
    of each row it writes, where the table's rows are a device's."""
    device = _DEVICE_OF.get(table.label)
    if device is None:
        return statement
    return (
        f"WITH w AS ({statement} RETURNING {alias}{device} AS id)"
        f" INSERT INTO {TOUCHED} SELECT id FROM w"
    )


def _free_renamed_usernames(cursor) -> None:
    """backup_report._free_renamed_usernames: users of the file may swap usernames."""
    users = db_table(USERS)
    cursor.execute(
        f"UPDATE {users} t SET username = '~renaming~' || t.id FROM {diff(USERS)} d"
        f" JOIN {staged(USERS)} s ON s.user_uid = d.uid"
        " WHERE t.id = d.id AND NOT d.new AND t.username <> s.username"
        f" AND EXISTS (SELECT 1 FROM {staged(USERS)} w WHERE w.username = t.username)"
    )


def _touch_owned(cursor) -> None:
    """The devices of the people, orgs, destinations and servers that were updated."""
    updated = "JOIN {} d ON d.id = {} AND NOT d.new"
    cursor.execute(
        f"INSERT INTO {TOUCHED} SELECT v.id FROM {DEVICE_TABLE} v "
        + updated.format(diff(USERS), "v.user_id")
    )
    cursor.execute(
        f"INSERT INTO {TOUCHED} SELECT v.id FROM {DEVICE_TABLE} v"
        f" JOIN {db_table(USERS)} u ON u.id = v.user_id " + updated.format(diff(ORGS), "u.org_id")
    )
    for table, column in ((DESTINATIONS, "destination_id"), (SERVERS, "server_id")):
        cursor.execute(
            f"INSERT INTO {TOUCHED} SELECT a.device_id FROM {ARCHIVE_TABLE} a "
            + updated.format(diff(table), f"a.{column}")
        )
