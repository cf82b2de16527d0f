"""The file COPYed in and staged: a table of each of the report's tables, one row a uid
(of every record, or of those a delta of the last sync's file reads); and the file
kept as the snapshot the next sync compares with."""

from __future__ import annotations

import csv
import json
from collections.abc import Collection

from django.db import IntegrityError, connection, models, transaction

from reports.importing import delta, snapshot
from reports.importing.changes import Table
from reports.importing.csv_file import CsvFile
from reports.importing.in_database.cells import read_cells
from reports.importing.in_database.tables import (
    RAW,
    READING,
    ROWS,
    Field,
    NotStaged,
    ReadAll,
    StagedReport,
    db_table,
    fields_of,
    is_data_error,
    staged,
)
from reports.importing.orgs import ORGS
from reports.importing.report_csv import ARCHIVES, DESTINATIONS, SERVERS, TABLES, USERS
from reports.row import VENDOR_CSV_HEADER

CHUNK = 1 << 20
# Python's csv module refuses a longer cell (csv.field_size_limit); so must this path.
FIELD_SIZE_LIMIT = 131_072


def stage(csv_file: CsvFile) -> StagedReport | None:
    """COPY the file in and read it into staging tables; None if the Python path must
    read it (a bad file: the Python path then says what is wrong, and where)."""
    csv_file.check_header(VENDOR_CSV_HEADER)  # the header's errors, as the Python path says them
    if not csv_file.columns:
        return None  # a fault the header check passes over: the Python path says it
    drop()
    try:
        with transaction.atomic():
            return _stage(csv_file)
    except NotStaged:
        drop()
        return None


def _stage(csv_file: CsvFile) -> StagedReport:
    width = max(csv_file.columns.values()) + 1
    raw = [f"c{i}" for i in range(_header_width(csv_file, width))]
    fields = fields_of(csv_file)
    uids = {f.table.label: f.raw for f in fields if f.name == f.table.uid}
    with connection.cursor() as cursor:
        import_settings(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RAW} (rec bigint GENERATED ALWAYS AS IDENTITY, h uuid, "
            + ", ".join(f"{c} text" for c in raw)
            + ")"
        )
        records = _copy_file(cursor, csv_file, raw, _unbounded(raw, fields))
        report = StagedReport(records, _layout(csv_file, raw), fields, uids)
        delta.load_keys(cursor, uids)
        report.delta = _delta(cursor, report)
        try:
            _read(cursor, csv_file, report)
        except ReadAll:
            _read_all(cursor, csv_file, report)
    return report


def import_settings(cursor) -> None:
    """For this transaction: memory enough to hash a million records' uids and forms
    rather than sort them (PostgreSQL's default, 4 MB, is a web request's); no JIT:
    compiling the reading's long expressions took longer than running them; and a page
    read at random costed as what it is here, a page in memory (PostgreSQL's default, 4,
    is a spinning disk's): the tables an import compares with and writes were just read,
    and at 4 the planner read all 1.6 million archives (0.6 s) and hashed all 790,000
    people (0.4 s) to look up the 14,000 and 16,000 of a 1% sync by their indexes
    (at a million devices, 2026-12-05: compare 1.0 s -> 0.5 s). A whole-file sync still
    scans: a million lookups cost more than one pass even so."""
    cursor.execute("SET LOCAL work_mem = '128MB'")
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL random_page_cost = 1.1")


def _layout(csv_file: CsvFile, raw: list[str]) -> str:
    return json.dumps([READING, len(raw), sorted(csv_file.columns.items())])


def _delta(cursor, report: StagedReport) -> delta.Delta | None:
    """The file against the last mirror import's, if there is one to compare with (the
    plainness of its new records is looked at as they are read: _read_the_rest)."""
    last = snapshot.current(report.layout)
    if last is None:
        return None
    return delta.classify(cursor, last, report.records)


def _read(cursor, csv_file: CsvFile, report: StagedReport) -> None:
    """ROWS and the staged tables: of every record, or of the delta's."""
    fields = report.fields
    if report.delta is None:
        report.keyed = read_cells(cursor, csv_file, fields, report.uids)
    else:
        delta.mark_affected(cursor)
        delta.mark_wanted(cursor, _forms(report), report.uids)
        report.gone = delta.mark_gone(cursor)
        # A delta's new records are looked at as they are read (cells._read_the_rest).
        report.keyed = read_cells(cursor, csv_file, fields, report.uids, delta.WANTED)
    for table in TABLES:
        report.columns[table.label] = _stage_table(cursor, table, fields, report.delta)
    if report.delta is not None:
        if _username_of_someone_listed(cursor):
            raise ReadAll("a username twice, perhaps")
        report.returning = _returning(cursor)


def _returning(cursor) -> int:
    """The people staged and here whom the last file did not name. The last file's that
    are staged are found by scanning the snapshot against the few staged: an anti-join
    hashed the whole snapshot first (1.6 million uids, 0.4 s of a 1% sync)."""
    cursor.execute(
        f"SELECT count(*) FROM {staged(USERS)} s JOIN {db_table(USERS)} u"
        " ON u.user_uid = s.user_uid WHERE s.user_uid NOT IN (SELECT x.users"
        f" FROM {snapshot.SNAPSHOT} x JOIN {staged(USERS)} named ON named.user_uid = x.users)"
    )
    return cursor.fetchone()[0]


def _read_all(cursor, csv_file: CsvFile, report: StagedReport) -> None:
    """Read every record after all (the delta could not stand in for it)."""
    drop(keep=[RAW, delta.KEYS])
    report.delta, report.gone = None, {}
    _read(cursor, csv_file, report)


def _username_of_someone_listed(cursor) -> bool:
    """A person the delta read takes the username of one it did not, whom the file
    still lists: two people of the file with one username, which a full reading names."""
    cursor.execute(
        f"SELECT u.user_uid FROM {staged(USERS)} s"
        f" JOIN {db_table(USERS)} u ON u.username = s.username"
        " WHERE u.user_uid IS DISTINCT FROM s.user_uid"
        f" AND NOT EXISTS (SELECT 1 FROM {staged(USERS)} x WHERE x.user_uid = u.user_uid)"
    )
    others = [uid for (uid,) in cursor.fetchall()]  # nearly always none
    if not others:  # so the records are looked through only when there is one
        return False
    cursor.execute(f"SELECT 1 FROM {delta.KEYS} k WHERE k.users = ANY(%s) LIMIT 1", [others])
    return cursor.fetchone() is not None


def _header_width(csv_file: CsvFile, width: int) -> int:
    """Cells of the header, named or not (an unnamed one is in every row too)."""
    with csv_file.path.open(encoding="utf-8-sig", newline="") as file:
        return max(width, len(next(csv.reader(csv_file.lines(file)))))


def _unbounded(raw: list[str], fields: list[Field]) -> list[str]:
    """The columns no field bounds to fewer characters than Python's csv module reads:
    those no field reads (an unnamed one, or a named one the product does not know: a
    200,000-character cell of a column "extra" was refused on SQLite and imported here,
    found by an audit, 2026-12-06) and text without a maximum. Every other column's
    longer cell fails its field's own check (a cast, a form, a length)."""
    bounded = {
        f.raw
        for f in fields
        if not isinstance(f.model_field, models.TextField)
        or (f.model_field.max_length or FIELD_SIZE_LIMIT + 1) <= FIELD_SIZE_LIMIT
    }
    return [c for c in raw if c not in bounded]


def _copy_file(cursor, csv_file: CsvFile, raw: list[str], unbounded: list[str]) -> int:
    """COPY the file in, each record led by its hash (reports.importing.delta); returns
    how many records COPY took (its own count: a count(*) of a million was 0.3 s more)."""
    columns = ", ".join(raw)
    statement = (
        f"COPY {RAW} (h, {columns}) FROM STDIN WITH (FORMAT csv, HEADER true, "
        f"FORCE_NOT_NULL ({columns}))"
    )
    hashed = delta.HashedRecords()
    try:
        with transaction.atomic(), cursor.copy(statement) as copy, csv_file.path.open("rb") as f:
            first = True
            while chunk := f.read(CHUNK):
                if first and chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]  # the byte order mark, as utf-8-sig drops it
                first = False
                copy.write(hashed.feed(chunk))
            copy.write(hashed.end())
        records = cursor.rowcount
    except Exception as error:  # psycopg's DataError and kin: not CSV as COPY reads it
        if not is_data_error(error):
            raise
        raise NotStaged(str(error)) from None
    if unbounded:
        too_long = " OR ".join(f"length({c}) > {FIELD_SIZE_LIMIT}" for c in unbounded)
        cursor.execute(f"SELECT 1 FROM {RAW} WHERE {too_long} LIMIT 1")
        if cursor.fetchone():
            raise NotStaged("a cell longer than Python's csv module reads")
    if hashed.count != records + 1:  # the header and the records, as COPY split them
        raise NotStaged("records COPY split otherwise than the hashes")
    if hashed.unlike_python:
        raise NotStaged("a quote COPY reads otherwise than Python's csv module")
    return records


# What a row of each table needs besides its own cells (report_csv._add_row): the uid of
# what it refers to, and which rows name one at all.
_REFERENCES = {
    "users": {"org": "orgs__org_uid"},
    "devices": {"user": "users__user_uid"},
    "servers": {"destination": "destinations__destination_uid"},
    "archives": {
        "device": "devices__device_uid",
        "destination": "destinations__destination_uid",
        "server": "servers__server_uid",
    },
}
_WHICH_ROWS = {
    "destinations": "archives__archive_guid IS NOT NULL"
    " AND destinations__destination_uid IS NOT NULL",
    "servers": "archives__archive_guid IS NOT NULL AND servers__server_uid IS NOT NULL",
    "archives": "archives__archive_guid IS NOT NULL",
}


def _stage_table(
    cursor, table: Table, fields: list[Field], read: delta.Delta | None = None
) -> list[str]:
    """One row a uid, the last the file gives; returns the table's staged fields. Of a
    delta `read`, only the affected people, devices and archives."""
    own = [f for f in fields if f.table is table]
    selected = [f"{f.staged} AS {f.name}" for f in own]
    if table is ARCHIVES:
        selected = [
            f"coalesce({f.staged}, false) AS {f.name}" if f.name == "cold_storage" else column
            for f, column in zip(own, selected, strict=True)
        ]
    references = _REFERENCES.get(table.label, {})
    selected += [f"{source} AS {name}" for name, source in references.items()]
    uid = f"{table.label}__{table.uid}"
    which = _WHICH_ROWS.get(table.label, "true")
    if read is not None and table.label in snapshot.KEPT:
        which += f" AND {uid} IN (SELECT uid FROM {delta.affected(table.label)})"
    if table.label in FORMS:
        # Few uids, each named by many records: the last record of each found by hashing
        # the uids, then only those read whole (sorting every record's cells, as below,
        # took 2-3 s a table of a million-device file; this 0.5 s).
        distinct = ""
        last = f"WHERE rec IN (SELECT max(rec) FROM {ROWS} WHERE {which} GROUP BY {uid})"
    else:
        # Nearly as many uids as records: one sort (hashing them was slower).
        distinct = f"DISTINCT ON ({uid}) "
        last = f"WHERE {which} ORDER BY {uid}, rec DESC"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staged(table)} AS SELECT {distinct}rec, "
        + ", ".join(selected)
        + f" FROM {ROWS} {last}"
    )
    cursor.execute(f"CREATE UNIQUE INDEX ON {staged(table)} ({table.uid})")
    if table is USERS:
        _index_usernames(cursor)
    cursor.execute(f"ANALYZE {staged(table)}")
    return [f.name for f in own] + list(references)


def _index_usernames(cursor) -> None:
    """The staged people's usernames, indexed for the checks that look them up; unique,
    so that two people of the file with one username stop the staging (the Python path
    then names both lines). Every username is there (a required cell). One sort does
    both: a GROUP BY of its own took 1.7 s of an every-date sync at a million devices."""
    try:
        with transaction.atomic():
            cursor.execute(f"CREATE UNIQUE INDEX ON {staged(USERS)} (username)")
    except IntegrityError:
        raise NotStaged("a username twice") from None


# Orgs, destinations and servers: few, named by every record, so read whole from each
# distinct form's last record (reports.importing.delta); what makes a form besides its
# uid and cells, and which records name one (as _WHICH_ROWS, in the keys' columns; in
# terms of what makes a form, as all are found in one pass).
ARCHIVED = "(k.archives IS NOT NULL)"
FORMS = {
    ORGS.label: ([], "true"),
    DESTINATIONS.label: ([ARCHIVED], f"{ARCHIVED} AND k.destinations IS NOT NULL"),
    SERVERS.label: ([ARCHIVED, "k.destinations"], f"{ARCHIVED} AND k.servers IS NOT NULL"),
}


def _form_cells(report: StagedReport, label: str) -> list[str]:
    return [f.raw for f in report.fields if f.table.label == label and f.name != f.table.uid]


def _forms(report: StagedReport) -> dict[str, tuple[list[str], str]]:
    return {
        label: ([f"k.{label}", *references, *_form_cells(report, label)], which)
        for label, (references, which) in FORMS.items()
    }


def drop(keep: Collection[str] = ()) -> None:
    """Remove the staging tables of this session (dropped at its end anyway), but `keep`:
    every temporary table named import_..., so that a new one cannot be forgotten here."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema()"
            " AND relkind = 'r' AND relname LIKE 'import\\_%%'"
        )
        names = [name for (name,) in cursor.fetchall() if name not in keep]
        if names:
            cursor.execute("DROP TABLE " + ", ".join(names))


# -- the snapshot ------------------------------------------------------------------------


def confirm(csv_file: CsvFile, report: StagedReport, *, forget_writes: bool) -> None:
    """Under the import lock, before comparing. `forget_writes` (a mirror import that
    writes): what others wrote so far is what this import compares with, so it no longer
    makes the next one read everything (reports.importing.snapshot). A delta read against
    a snapshot that no longer stands (another import since, or other writes) is redone
    as a full reading."""
    with connection.cursor() as cursor:
        import_settings(cursor)
        written = snapshot.others_wrote(forget=forget_writes)
        if report.delta is not None and (written or not snapshot.stands(report.delta.number)):
            _read_all(cursor, csv_file, report)


def remember(report: StagedReport) -> None:
    """After a mirror import's writes, in its transaction: this file is what the next
    sync compares with."""
    if report.delta is not None and report.delta.nothing_changed:
        snapshot.keep()
        return
    if report.keyed:
        counts = {label: report.listed[label] for label in snapshot.KEPT}
        snapshot.save(report.layout, counts, delta.KEYS)
    else:
        snapshot.forget()
