"""PostgreSQL: the vendor's report imported by the database itself (issue 29).

At a million devices reading the file in Python, comparing in Python and writing the
difference took minutes of both cores; PostgreSQL's COPY of the same file takes
seconds. So on PostgreSQL:

- stage(): the file goes in by COPY, every cell as text, into a temporary table that
  keeps each record's number (`rec`, its order in the file: the last row naming a uid
  gives its values, as in Python). Each cell is then turned into its field's value by
  SQL where the cell has the form the vendor writes (an ISO date with Z, plain digits,
  a word of the choices, text with nothing to strip); a record with any other cell (a
  legacy date, a name starting with an accent, a `'=` defused formula) is read by the
  very parsers of the Python path (reports.importing.values), a record at a time, and
  its values written back. So both paths read every cell alike. Then one row a uid
  per table, as set operations.
- compare() and write(): the differences with each table found by one join a table,
  kept in a temporary table of the changed rows, then written by one UPDATE ... FROM
  and one INSERT ... SELECT; the devices whose report rows change are gathered in SQL.

Anything wrong with the file (not CSV as PostgreSQL reads it, a cell no parser takes, a
required cell missing, a username twice) stops the staging and the file is read again
by the Python path (reports.importing.report_csv), which names the file, line and
column of every bad cell exactly as before: a bad file costs that second reading, a
good one never does. Nothing is written until apply time, inside the import's one
transaction, so a failure there leaves the data as it was.

The temporary tables live in the session from stage() to the end of the import (drop()).
SQLite keeps the Python path; tests/test_import_in_database.py holds both paths to the
same result on the same file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, models, transaction

from accounts.models import Org
from reports.importing import delta, snapshot
from reports.importing.changes import Changes, Table
from reports.importing.csv_file import CsvFile, ImportFailed, Record
from reports.importing.mirror import REMOVED_IN_ORDER, Unlisted, unlisted_orgs
from reports.importing.orgs import ORGS, give_root_paths
from reports.importing.report_csv import (
    ARCHIVES,
    COLUMNS,
    DESTINATIONS,
    DEVICES,
    REQUIRED,
    SERVERS,
    TABLES,
    USERS,
    RowReader,
)
from reports.models import Archive, Device
from reports.row import VENDOR_CSV_HEADER

RAW = delta.RAW  # the file's cells as text, a column per header cell, and their keys
ROWS = "import_rows"  # the cells read into values, a column per known field
TOUCHED = "import_touched"  # devices whose report rows the writes change
CHUNK = 1 << 20
ARCHIVE_TABLE = Archive._meta.db_table
DEVICE_TABLE = Device._meta.db_table
ORG_TABLE = Org._meta.db_table
# Python's csv module refuses a longer cell (csv.field_size_limit); so must this path.
FIELD_SIZE_LIMIT = 131_072
DIGITS = "0123456789"


def staged(table: Table) -> str:
    return f"import_{table.label}"


def diff(table: Table) -> str:
    return f"import_{table.label}_diff"


# Part of a snapshot's layout: a change to how cells are read or records hashed makes
# the next sync read every record again (reports.importing.delta).
READING = 3


@dataclass
class StagedReport:
    """The report, read into the database's staging tables (what ParsedReport is in Python)."""

    records: int
    layout: str  # the columns' places in the file, and READING
    fields: list[Field]
    uids: dict[str, str]  # label -> the raw column of that table's uid
    columns: dict[str, list[str]] = field(default_factory=dict)  # label -> staged fields
    # Read as the difference from the last mirror import (reports.importing.delta); None
    # when every record was read.
    delta: delta.Delta | None = None
    gone: dict[str, int] = field(default_factory=dict)  # delta.mark_gone's counts
    listed: dict[str, int] = field(default_factory=dict)  # label -> rows the file lists
    # Of a delta: people here whom the last file did not list and this one does.
    returning: int = 0
    # Each record's hash is known and its uid cells plain (_read_the_rest): the file can
    # be read as a delta, and be the next one's snapshot.
    keyed: bool = False


class NotStaged(Exception):
    """The database did not take the file as it is: the Python path reads it instead."""


class ReadAll(Exception):
    """The delta cannot stand in for reading every record (reports.importing.delta)."""


# -- reading ----------------------------------------------------------------------------


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
    fields = _fields(csv_file)
    uids = {f.table.label: f.raw for f in fields if f.name == f.table.uid}
    with connection.cursor() as cursor:
        import_settings(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {RAW} (rec bigint GENERATED ALWAYS AS IDENTITY, h uuid, "
            + ", ".join(f"{c} text" for c in raw)
            + ")"
        )
        records = _copy_file(cursor, csv_file, raw)
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
        report.keyed = _read_cells(cursor, csv_file, fields, report.uids)
    else:
        delta.mark_affected(cursor)
        delta.mark_wanted(cursor, _forms(report), report.uids)
        report.gone = delta.mark_gone(cursor)
        # A delta's new records are looked at as they are read (_read_the_rest).
        report.keyed = _read_cells(cursor, csv_file, fields, report.uids, delta.WANTED)
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
        f"SELECT count(*) FROM {staged(USERS)} s JOIN {_db_table(USERS)} u"
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
        f" JOIN {_db_table(USERS)} u ON u.username = s.username"
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
        return max(width, len(next(csv.reader(file))))


def _copy_file(cursor, csv_file: CsvFile, raw: list[str]) -> int:
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
        if not _is_data_error(error):
            raise
        raise NotStaged(str(error)) from None
    unknown = [c for i, c in enumerate(raw) if i not in set(csv_file.columns.values())]
    if unknown:
        too_long = " OR ".join(f"length({c}) > {FIELD_SIZE_LIMIT}" for c in unknown)
        cursor.execute(f"SELECT 1 FROM {RAW} WHERE {too_long} LIMIT 1")
        if cursor.fetchone():
            raise NotStaged("a cell longer than Python's csv module reads")
    if hashed.count != records + 1:  # the header and the records, as COPY split them
        raise NotStaged("records COPY split otherwise than the hashes")
    return records


def _is_data_error(error: Exception) -> bool:
    import psycopg
    from django.db import DataError

    return isinstance(error, DataError | psycopg.DataError | psycopg.errors.BadCopyFileFormat)


@dataclass(frozen=True)
class Field:
    """A column of the file read into one field of one table."""

    column: str  # the vendor's name: "lastConnectedDate"
    table: Table
    name: str  # the model field: "last_connected_date"
    raw: str  # its text column in RAW: "c29"

    @property
    def model_field(self) -> models.Field:
        return self.table.model._meta.get_field(self.name)

    @property
    def staged(self) -> str:
        """Its column in ROWS."""
        return f"{self.table.label}__{self.name}"


def _fields(csv_file: CsvFile) -> list[Field]:
    return [
        Field(column, table, name, f"c{csv_file.columns[column]}")
        for column, (table, name) in COLUMNS.items()
        if column in csv_file.columns
    ]


# What the vendor writes, per kind of cell, as one regular expression each: a row whose
# cells all match is read by SQL; any other row by the Python parsers. A row's cells of
# one kind are matched at once, joined by SEPARATOR (one match a row, not one a cell).
SEPARATOR = "chr(1)"
# Without bounded repetition nor lookahead, which make PostgreSQL's matcher slow; a date
# is tested by LIKE and translate(), quicker still (_date_form).
_FORMS = {
    "bytes": "[0-9]+",
    "percentage": "100(\\.0*)?|[0-9][0-9]?(\\.[0-9]*)?|\\.[0-9]+",
    "alert states": "[A-Za-z0-9_]+( [A-Za-z0-9_]+)*",
}
# Text starting or ending with space, or starting with ' (a defused formula), is left
# to the Python parsers: delta.UNPLAIN.
_UNPLAIN = delta.UNPLAIN


def _kind(f: Field) -> str:
    """Which reading a field takes: report_csv.parser_for's branches."""
    model_field = f.model_field
    if isinstance(model_field, models.DateTimeField):
        return "date"
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, models.FloatField):
        return "percentage"
    if isinstance(model_field, models.IntegerField):
        return "bytes"
    if f.name == f.table.uid:
        return "uid"
    if f.name == "alert_states":
        return "alert states"
    if model_field.choices:
        return "choice"
    return "text"


_CASTS = {"date": "timestamptz", "percentage": "float8", "bytes": "bigint"}


def _value(f: Field, kind: str) -> str:
    """The SQL of a cell's value in a row that passed _regular() (a cast would fail on
    another). Too long text fails its column's assignment cast: the Python path reads
    the file then, and says so."""
    c = f"r.{f.raw}"
    if kind in _CASTS:
        return f"CASE WHEN g.regular AND {c} NOT IN ('', 'null') THEN {c}::{_CASTS[kind]} END"
    if kind == "boolean":
        return f"CASE {c} WHEN 'true' THEN true WHEN 'false' THEN false END"
    if kind == "uid":
        return delta.uid_value(c)
    return f"CASE WHEN {c} = 'null' THEN '' ELSE {c} END"


def _date_form(c: str) -> str:
    """2026-11-28T10:15:03Z, with up to 6 digits of a second: the digits where they go
    (translate() leaves the rest), no hour 24 nor second 60 (PostgreSQL takes them,
    Python does not). The year 0000 and February 30th PostgreSQL refuses: then the
    Python path reads the file."""
    return (
        f"({c} IN ('', 'null') OR ({c} LIKE '____-__-__T__:__:__%Z' AND length({c}) <= 27"
        f" AND translate({c}, '{DIGITS}', '') IN ('--T::Z', '--T::.Z') AND length({c}) <> 21"
        f" AND substr({c}, 20, 1) IN ('Z', '.') AND substr({c}, 12, 2) < '24'"
        f" AND substr({c}, 18, 2) < '60'))"
    )


def _words(f: Field) -> tuple[str, ...]:
    return tuple(value for value, _ in f.model_field.choices)


def _regular(fields: list[Field]) -> str:
    """SQL: the row's cells all have the vendor's form (see _FORMS)."""
    by_kind: dict[str, list[str]] = {}
    for f in fields:
        by_kind.setdefault(_kind(f), []).append(f"r.{f.raw}")
    tests = []
    for kind, cells in by_kind.items():
        joined = f"concat_ws({SEPARATOR}, {', '.join(cells)})"
        if kind == "date":
            tests += [_date_form(cell) for cell in cells]
        elif kind in _FORMS:
            cell = f"(null|({_FORMS[kind]}))?"
            tests.append(f"{joined} ~ '^{cell}(\\x01{cell})*$'")
        elif kind in ("text", "uid"):
            tests.append(f"{joined} !~ '{_UNPLAIN}'")
    for f in fields:  # a word of a few, one cell at a time
        if _kind(f) in ("boolean", "choice"):
            allowed = ("true", "false") if _kind(f) == "boolean" else _words(f)
            listed = ", ".join(f"'{word}'" for word in ("", "null", *allowed))
            tests.append(f"r.{f.raw} IN ({listed})")
    return " AND ".join(tests)


def _read_cells(
    cursor,
    csv_file: CsvFile,
    fields: list[Field],
    uids: dict[str, str],
    only: str | None = None,
) -> bool:
    """ROWS from RAW (the records `only` lists, or all): each cell's value by SQL, or by
    the Python parsers for a record with a cell of another form. A row's form is tested
    once (the LATERAL subquery, kept apart by OFFSET 0), then guards the casts. Returns
    whether every uid cell (`uids`) of the records read is plain (delta.unplain)."""
    columns = ", ".join(f"{f.staged} {f.model_field.db_type(connection)}" for f in fields)
    values = ", ".join(_value(f, _kind(f)) for f in fields)
    cursor.execute(f"CREATE TEMPORARY TABLE {ROWS} (rec bigint, regular boolean, {columns})")
    try:
        with transaction.atomic():
            cursor.execute(
                f"INSERT INTO {ROWS} SELECT r.rec, g.regular, {values} FROM {_records(only)} r"
                f" CROSS JOIN LATERAL (SELECT {_regular(fields)} AS regular OFFSET 0) g"
            )
    except Exception as error:  # a date PostgreSQL cannot take (February 30th), too long
        if not _is_data_error(error):
            raise
        raise NotStaged(str(error)) from None
    plain = _read_the_rest(cursor, csv_file, fields, uids, delta_read=only is not None)
    required = " OR ".join(
        f"{table.label}__{COLUMNS[column][1]} IS NULL OR {table.label}__{COLUMNS[column][1]} = ''"
        for column, table in REQUIRED.items()
    )
    cursor.execute(f"SELECT 1 FROM {ROWS} WHERE {required} LIMIT 1")
    if cursor.fetchone():
        raise NotStaged("a required cell is missing")
    return plain


def _records(only: str | None) -> str:
    """The raw records to read: all, or those the table `only` lists by their place in
    RAW (delta.WANTED; picked first: the form test would otherwise run on every record),
    fetched there one by one: joined, every record was read to find them."""
    if only is None:
        return RAW
    return f"(SELECT x.* FROM {RAW} x WHERE x.ctid = ANY(ARRAY(SELECT place FROM {only})) OFFSET 0)"


def _read_the_rest(
    cursor, csv_file: CsvFile, fields: list[Field], uids: dict[str, str], *, delta_read: bool
) -> bool:
    """The records with a cell the SQL does not read, read by the Python parsers; returns
    whether their uid cells (`uids`) are all plain. A uid cell that is not plain fails the
    record's form (_regular), so these are the only records to look at: a whole file's
    plainness is known without a pass of its own over the records (2 s of an every-date
    sync at a million devices, 2026-12-05). Of a `delta_read` (its new records and those
    naming what they name), one that is not plain raises ReadAll: only a file whose every
    record is plain can be read as a delta. Its other records, paired with the snapshot's,
    are plain: a snapshot is saved only of a file whose every record is (remember), and
    the same text has the same cells."""
    cursor.execute(f"SELECT 1 FROM {ROWS} WHERE NOT regular LIMIT 1")
    if cursor.fetchone() is None:  # nearly always: RAW is not read again
        return True
    width = max(csv_file.columns.values()) + 1
    cells = ", ".join(f"r.c{i}" for i in range(width))
    unplain = delta.unplain(uids.values())
    cursor.execute(
        f"SELECT s.rec, {unplain}, {cells} FROM {ROWS} s JOIN {RAW} r ON r.rec = s.rec"
        " WHERE NOT s.regular ORDER BY s.rec"
    )
    records = cursor.fetchall()
    plain = not any(not_plain for _, not_plain, *_ in records)
    if delta_read and not plain:
        raise ReadAll("a uid cell that is not plain")
    read_row = RowReader(csv_file)
    fixed = []
    for rec, _, *row_cells in records:
        try:
            row = read_row(Record(0, 0, list(row_cells)))
        except ImportFailed as error:
            raise NotStaged(str(error)) from None
        fixed.append((rec, *(row[f.table.label][f.name] for f in fields)))
    names = ", ".join(f.staged for f in fields)
    cursor.execute(
        f"CREATE TEMPORARY TABLE import_fixed AS SELECT rec, {names} FROM {ROWS} WITH NO DATA"
    )
    with cursor.copy(f"COPY import_fixed (rec, {names}) FROM STDIN") as copy:
        for row in fixed:
            copy.write_row(row)
    assignments = ", ".join(f"{f.staged} = x.{f.staged}" for f in fields)
    cursor.execute(f"UPDATE {ROWS} s SET {assignments} FROM import_fixed x WHERE s.rec = x.rec")
    cursor.execute("DROP TABLE import_fixed")
    return plain


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


# -- comparing ----------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _db_table(table: Table) -> str:
    return _q(table.model._meta.db_table)


def _column(table: Table, name: str) -> str:
    return _q(table.model._meta.get_field(name).column)


def find_unlisted(
    report: StagedReport, tree: dict[str, object] | None, parents: dict[str, str | None]
) -> Unlisted:
    """mirror.find_unlisted, by set operations on the staged report."""
    unlisted = Unlisted()
    with connection.cursor() as cursor:
        for table in REMOVED_IN_ORDER:
            uid = _column(table, table.uid)
            if report.delta is not None and table.label in snapshot.KEPT:
                # Of what the last file listed, the tables hold exactly that: what
                # this file no longer lists is what its gone records named.
                cursor.execute(
                    f"SELECT t.id FROM {_db_table(table)} t"
                    f" JOIN {delta.gone(table.label)} g ON g.uid = t.{uid}"
                )
            else:
                cursor.execute(
                    f"SELECT t.id FROM {_db_table(table)} t WHERE NOT EXISTS"
                    f" (SELECT 1 FROM {staged(table)} s WHERE s.{table.uid} = t.{uid})"
                )
            unlisted.pks[table.label] = [pk for (pk,) in cursor.fetchall()]
        archives = unlisted.pks[ARCHIVES.label]
        if archives:
            cursor.execute(
                f"SELECT DISTINCT device_id FROM {ARCHIVE_TABLE} WHERE id = ANY(%s)", [archives]
            )
            unlisted.devices_losing_archives = {pk for (pk,) in cursor.fetchall()}
        not_listed = f"NOT EXISTS (SELECT 1 FROM {staged(USERS)} s WHERE s.user_uid = u.user_uid)"
        users = _db_table(USERS)
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
    _check_usernames_are_free(csv_file, released)
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


def _check_usernames_are_free(csv_file: CsvFile, released: Collection[str]) -> None:
    """backup_report._check_usernames_are_free: the first such user of the file, by line."""
    users = _db_table(USERS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.rec, s.username, u.user_uid FROM {staged(USERS)} s"
            f" JOIN {users} u ON u.username = s.username"
            f" WHERE (u.user_uid IS NULL OR NOT EXISTS"
            f" (SELECT 1 FROM {staged(USERS)} x WHERE x.user_uid = u.user_uid))"
            " AND (u.user_uid IS NULL OR NOT u.user_uid = ANY(%s))"
            " ORDER BY s.rec LIMIT 1",
            [list(released)],
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
            before.append(f"t.{_column(table, name)}")
        else:
            alias = f"r_{name}"
            joins.append(
                f" LEFT JOIN {_db_table(reference)} {alias}"
                f" ON {alias}.id = t.{_column(table, name)}"
            )
            before.append(f"{alias}.{_column(reference, reference.uid)}")
        after.append(f"s.{name}")
    differs = f"ROW({', '.join(before)}) IS DISTINCT FROM ROW({', '.join(after)})"
    uid = _column(table, table.uid)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {diff(table)} AS SELECT s.{table.uid} AS uid, t.id,"
            f" t.id IS NULL AS new FROM {staged(table)} s"
            f" LEFT JOIN {_db_table(table)} t ON t.{uid} = s.{table.uid}"
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
            f" LEFT JOIN {_db_table(table)} t ON t.{uid} = s.org_uid"
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


# -- writing ------------------------------------------------------------------------------


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
    uid = _column(table, table.uid)
    return f"{_db_table(table)} t JOIN {diff(table)} d ON d.uid = t.{uid} AND d.new"


def _values(table: Table, columns: list[str]) -> tuple[list[str], list[str], str]:
    """(the table's columns, the staged values for them, the joins those need): a
    foreign key from the related row's uid, the rows of earlier tables being written."""
    targets, sources, joins = [], [], []
    for name in columns:
        if name == table.uid:
            targets.append(_column(table, name))
            sources.append(f"s.{name}")
            continue
        targets.append(_column(table, name))
        reference = table.references.get(name)
        if reference is None:
            sources.append(f"s.{name}")
            continue
        alias = f"r_{name}"
        joins.append(
            f" LEFT JOIN {_db_table(reference)} {alias}"
            f" ON {alias}.{_column(reference, reference.uid)} = s.{name}"
        )
        sources.append(f"{alias}.id")
    return targets, sources, "".join(joins)


def _update(cursor, table: Table, columns: list[str], *, touching: bool) -> None:
    targets, sources, joins = _values(table, [c for c in columns if c != table.uid])
    if not targets:
        return
    assignments = ", ".join(f"{t} = {s}" for t, s in zip(targets, sources, strict=True))
    returning = ""
    if touching and table is DEVICES:
        returning = "t.id"
    elif touching and table is ARCHIVES:
        returning = "t.device_id"
    statement = (
        f"UPDATE {_db_table(table)} t SET {assignments} FROM {diff(table)} d"
        f" JOIN {staged(table)} s ON s.{table.uid} = d.uid{joins}"
        " WHERE t.id = d.id AND NOT d.new"
    )
    if returning:
        statement = _touching(statement, returning)
    cursor.execute(statement)


def _insert(cursor, table: Table, columns: list[str], *, touching: bool) -> None:
    targets, sources, joins = _values(table, columns)
    given = set(targets)
    params = []
    for model_field in table.model._meta.concrete_fields:
        if model_field.primary_key or _q(model_field.column) in given:
            continue
        targets.append(_q(model_field.column))
        if table is USERS and model_field.name == "password":
            # What report_csv.unusable_password() makes, a row at a time.
            sources.append("'!' || md5(random()::text) || left(md5(random()::text), 8)")
            continue
        default = model_field.get_default()
        sources.append("%s")
        params.append(model_field.get_db_prep_save(default, connection))
    statement = (
        f"INSERT INTO {_db_table(table)} ({', '.join(targets)}) SELECT {', '.join(sources)}"
        f" FROM {diff(table)} d JOIN {staged(table)} s ON s.{table.uid} = d.uid{joins}"
        " WHERE d.new"
    )
    if touching and table in (DEVICES, ARCHIVES):
        returning = "id" if table is DEVICES else "device_id"
        statement = _touching(statement, returning)
    cursor.execute(statement, params)


def _touching(statement: str, device: str) -> str:
    """The write, noting the device of each row it writes among the touched."""
    return (
        f"WITH w AS ({statement} RETURNING {device} AS id) INSERT INTO {TOUCHED} SELECT id FROM w"
    )


def _free_renamed_usernames(cursor) -> None:
    """backup_report._free_renamed_usernames: users of the file may swap usernames."""
    users = _db_table(USERS)
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
        f" JOIN {_db_table(USERS)} u ON u.id = v.user_id " + updated.format(diff(ORGS), "u.org_id")
    )
    for table, column in ((DESTINATIONS, "destination_id"), (SERVERS, "server_id")):
        cursor.execute(
            f"INSERT INTO {TOUCHED} SELECT a.device_id FROM {ARCHIVE_TABLE} a "
            + updated.format(diff(table), f"a.{column}")
        )
