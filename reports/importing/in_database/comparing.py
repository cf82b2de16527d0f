"""The staged report against the tables: what the file no longer lists (a mirror's
removals) and, of each table, the rows new or changed, kept in its diff table."""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection

from accounts.sso import strangers
from reports.importing import delta, snapshot
from reports.importing.changes import Changes, Table
from reports.importing.csv_file import CsvFile, Record
from reports.importing.in_database.tables import (
    ARCHIVE_TABLE,
    ORG_TABLE,
    StagedReport,
    db_column,
    db_table,
    diff,
    staged,
)
from reports.importing.mirror import REMOVED_IN_ORDER, Unlisted, unlisted_orgs
from reports.importing.orgs import ORGS
from reports.importing.report_csv import ARCHIVES, DEVICES, TABLES, USERS
from reports.row import VENDOR_CSV_HEADER


def take_tree_names(report: StagedReport, tree: dict) -> list[str]:
    """environment.take_tree_names on the staged orgs: the org file's name and org code
    over the report's, for each org both give. The uids they disagreed on, sorted."""
    names = [n for n in ("name", "ext_ref") if n in report.columns.get(ORGS.label, ())]
    if not names or not tree:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE import_tree_names (org_uid text PRIMARY KEY, name text,"
            " ext_ref text) ON COMMIT DROP"
        )
        with cursor.copy("COPY import_tree_names (org_uid, name, ext_ref) FROM STDIN") as copy:
            for uid, row in tree.items():
                copy.write_row((uid, row.name, row.ext_ref))
        differs = " OR ".join(f"s.{n} IS DISTINCT FROM t.{n}" for n in names)
        cursor.execute(
            f"UPDATE {staged(ORGS)} s SET {', '.join(f'{n} = t.{n}' for n in names)}"
            f" FROM import_tree_names t WHERE t.org_uid = s.org_uid AND ({differs})"
            " RETURNING s.org_uid"
        )
        differing = sorted(uid for (uid,) in cursor.fetchall())
        cursor.execute("DROP TABLE import_tree_names")
    return differing


def find_unlisted(
    report: StagedReport, tree: dict[str, object] | None, parents: dict[str, str | None]
) -> Unlisted:
    """mirror.find_unlisted, by set operations on the staged report."""
    unlisted = Unlisted()
    with connection.cursor() as cursor:
        for table in REMOVED_IN_ORDER:
            uid = db_column(table, table.uid)
            if report.delta is not None and table.label in snapshot.KEPT:
                # Of what the last file listed, the tables hold exactly that: what
                # this file no longer lists is what its gone records named.
                cursor.execute(
                    f"SELECT t.id FROM {db_table(table)} t"
                    f" JOIN {delta.gone(table.label)} g ON g.uid = t.{uid}"
                )
            else:
                cursor.execute(
                    f"SELECT t.id FROM {db_table(table)} t WHERE NOT EXISTS"
                    f" (SELECT 1 FROM {staged(table)} s WHERE s.{table.uid} = t.{uid})"
                )
            unlisted.pks[table.label] = [pk for (pk,) in cursor.fetchall()]
        archives = unlisted.pks[ARCHIVES.label]
        if archives:
            cursor.execute(
                f"SELECT device_id, count(*) FROM {ARCHIVE_TABLE} WHERE id = ANY(%s)"
                " GROUP BY device_id",
                [archives],
            )
            losing = dict(cursor.fetchall())
            unlisted.devices_losing_archives = set(losing)
            removed_devices = set(unlisted.pks[DEVICES.label])
            kept = (n for pk, n in losing.items() if pk not in removed_devices)
            unlisted.archives_of_kept = sum(kept)
        not_listed = f"NOT EXISTS (SELECT 1 FROM {staged(USERS)} s WHERE s.user_uid = u.user_uid)"
        users = db_table(USERS)
        if report.delta is None:
            cursor.execute(
                f"SELECT count(*) FROM {users} u WHERE u.user_uid IS NOT NULL AND {not_listed}"
            )
            (unlisted.kept_people,) = cursor.fetchone()
        else:  # everyone from the vendor here but whom the last file listed and this one does
            still = _listed(report, USERS)
            cursor.execute(f"SELECT count(*) FROM {users} u WHERE u.user_uid IS NOT NULL")
            (unlisted.kept_people,) = (cursor.fetchone()[0] - still,)
        cursor.execute(
            f"SELECT u.id, u.username, u.user_uid FROM {users} u"
            f" JOIN {staged(USERS)} w ON w.username = u.username"
            f" WHERE u.user_uid IS NOT NULL AND {not_listed}"
        )
        unlisted.departed = {pk: (name, uid) for pk, name, uid in cursor.fetchall()}
        if tree is not None:
            cursor.execute(f"SELECT org_uid FROM {staged(ORGS)}")
            listed = set(tree) | {uid for (uid,) in cursor.fetchall()}
            others = f"u.user_uid IS NULL OR {not_listed}"
            if report.delta is None:
                with_others = (
                    f"SELECT o.org_uid FROM {users} u JOIN {ORG_TABLE} o ON o.id = u.org_id"
                    f" WHERE {others}"
                )
            else:  # nearly everyone is someone else: each org's first such person will do
                with_others = (
                    f"SELECT o.org_uid FROM {ORG_TABLE} o CROSS JOIN LATERAL (SELECT 1 FROM"
                    f" {users} u WHERE u.org_id = o.id AND ({others}) LIMIT 1) x"
                )
            cursor.execute(f"SELECT org FROM {staged(USERS)} UNION {with_others}")
            peopled = {uid for (uid,) in cursor.fetchall()}
            removed, unlisted.kept_orgs = unlisted_orgs(listed, peopled, parents)
            unlisted.pks[ORGS.label] = removed
    return unlisted


def compare(
    csv_file: CsvFile, report: StagedReport, released: Collection[str] = ()
) -> dict[str, Changes]:
    """backup_report.compare_report by set operations: each table's changed rows go
    into its diff table (uid, id, new), which write() writes."""
    _check_usernames_are_free(csv_file, report, released)
    changes = {}
    for table in TABLES:
        changes[table.label] = _compare(table, report.columns[table.label], _listed(report, table))
        table_changes = changes[table.label]
        report.listed[table.label] = (
            len(table_changes.created) + len(table_changes.updated) + table_changes.unchanged
        )
    return changes


def _listed(report: StagedReport, table: Table) -> int | None:
    """How many rows of a table the file lists that are here already, where the delta
    staged only some: the last file's, less those gone, and people here it lists again
    (the new ones to add come on top). None: all staged."""
    if report.delta is None or table.label not in snapshot.KEPT:
        return None
    listed = report.delta.counts[table.label] - report.gone[table.label]
    return listed + (report.returning if table is USERS else 0)


def _check_usernames_are_free(
    csv_file: CsvFile, report: StagedReport, released: Collection[str]
) -> None:
    """backup_report._check_usernames_are_free: the first such user of the file, by line."""
    users = db_table(USERS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT username, email FROM {staged(USERS)} WHERE username = ANY(%s)",
            [strangers.admitted_usernames()],
        )
        report.strangers = strangers.giving_way(dict(cursor.fetchall()))
        cursor.execute(
            f"SELECT s.rec, s.username, u.user_uid FROM {staged(USERS)} s"
            f" JOIN {users} u ON u.username = s.username"
            f" WHERE (u.user_uid IS NULL OR NOT EXISTS"
            f" (SELECT 1 FROM {staged(USERS)} x WHERE x.user_uid = u.user_uid))"
            " AND (u.user_uid IS NULL OR NOT u.user_uid = ANY(%s))"
            " AND NOT u.id = ANY(%s)"
            " ORDER BY s.rec LIMIT 1",
            [list(released), list(report.strangers)],
        )
        found = cursor.fetchone()
    if found:
        rec, username, holder = found
        record = _record(csv_file, rec)
        owner = f"userUid {holder}" if holder else "a local account"
        message = f'"{username}" already belongs to another user ({owner})'
        raise csv_file.error(record, "username", message)


def _record(csv_file: CsvFile, rec: int) -> Record:
    """The rec-th record of the file, for where an error is: read again up to it.
    (COPY took the file, so it has no blank line and every record is the header's width.)"""
    again = CsvFile(csv_file.path, csv_file.name)
    for number, record in enumerate(again.records(VENDOR_CSV_HEADER), start=1):
        if number == rec:
            return record
    raise AssertionError(f"no record {rec}")


def _compare(table: Table, columns: list[str], listed_before: int | None = None) -> Changes:
    """Which staged rows are new, which differ from the table (foreign keys by the
    related row's uid, as the Python path compares them); the rest are unchanged."""
    names = [name for name in columns if name != table.uid]
    joins, before, after = [], [], []
    for name in names:
        reference = table.references.get(name)
        if reference is None:
            before.append(f"t.{db_column(table, name)}")
        else:
            alias = f"r_{name}"
            joins.append(
                f" LEFT JOIN {db_table(reference)} {alias}"
                f" ON {alias}.id = t.{db_column(table, name)}"
            )
            before.append(f"{alias}.{db_column(reference, reference.uid)}")
        after.append(f"s.{name}")
    differs = f"ROW({', '.join(before)}) IS DISTINCT FROM ROW({', '.join(after)})"
    uid = db_column(table, table.uid)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {diff(table)} AS SELECT s.{table.uid} AS uid, t.id,"
            f" t.id IS NULL AS new FROM {staged(table)} s"
            f" LEFT JOIN {db_table(table)} t ON t.{uid} = s.{table.uid}"
            + "".join(joins)
            + f" WHERE t.id IS NULL OR {differs}"
        )
        cursor.execute(
            "SELECT count(*) FILTER (WHERE new), count(*) FILTER (WHERE NOT new)"
            f" FROM {diff(table)}"
        )
        created, updated = cursor.fetchone()
        if listed_before is None:
            cursor.execute(f"SELECT count(*) FROM {staged(table)}")
            (total,) = cursor.fetchone()
        else:
            total = listed_before + created
        if table is not ORGS:
            # Counts only: a million uids are not worth holding for a summary.
            return Changes(table, range(created), range(updated), total - created - updated, {})
        # Orgs are few, and merged with the tree's changes by uid (environment.merged).
        cursor.execute(
            f"SELECT s.org_uid, t.id, d.new FROM {staged(table)} s"
            f" LEFT JOIN {db_table(table)} t ON t.{uid} = s.org_uid"
            f" LEFT JOIN {diff(table)} d ON d.uid = s.org_uid"
        )
        rows = cursor.fetchall()
    changes = Changes(table, created={}, updated={}, unchanged=0, pks={})
    for org_uid, pk, new in rows:
        if new:
            changes.created[org_uid] = {}
            continue
        changes.pks[org_uid] = pk
        if new is None:
            changes.unchanged += 1
        else:
            changes.updated[org_uid] = (pk, {})
    return changes
