"""Each cell of the staged file read into its field's value: by SQL where the cell has
the form the vendor writes, by the Python path's own parsers (reports.importing.values,
through report_csv.RowReader) for a record with any other cell."""

from __future__ import annotations

from django.db import connection, models, transaction

from reports.importing import delta, values
from reports.importing.csv_file import CsvFile, ImportFailed, Record
from reports.importing.in_database.tables import (
    RAW,
    ROWS,
    Field,
    NotStaged,
    ReadAll,
    is_data_error,
)
from reports.importing.report_csv import COLUMNS, REQUIRED, RowReader

DIGITS = "0123456789"

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
# A number of bytes of fewer digits than values.MAX_BYTES is below it; a longer one
# is left to the Python parsers, which judge it (a length per cell: bounded repetition
# in _FORMS would slow the matcher).
_BYTES_DIGITS = len(str(values.MAX_BYTES)) - 1
# A uid as a spreadsheet rounds a long number (values.SPREADSHEET_NUMBER), left to the
# Python parser, which refuses it.
_SPREADSHEET_UID = "(^|\\x01)[0-9](\\.[0-9]+)?[Ee]\\+[0-9]+(\\x01|$)"


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
            if kind == "bytes":
                tests += [f"length({c}) <= {_BYTES_DIGITS}" for c in cells]
        elif kind in ("text", "uid"):
            tests.append(f"{joined} !~ '{_UNPLAIN}'")
            if kind == "uid":
                tests.append(f"{joined} !~ '{_SPREADSHEET_UID}'")
    for f in fields:  # a word of a few, one cell at a time
        if _kind(f) in ("boolean", "choice"):
            allowed = ("true", "false") if _kind(f) == "boolean" else _words(f)
            listed = ", ".join(f"'{word}'" for word in ("", "null", *allowed))
            tests.append(f"r.{f.raw} IN ({listed})")
    return " AND ".join(tests)


def read_cells(
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
        if not is_data_error(error):
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
    are plain: a snapshot is saved only of a file whose every record is
    (staging.remember), and the same text has the same cells."""
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
