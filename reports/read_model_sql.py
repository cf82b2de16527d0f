"""PostgreSQL: the report rows made by one INSERT ... SELECT (issue 29), not in Python.

reports.read_model derives each row in Python (derive, device_rows: the CSV record, the
JSON object, the search columns, the device's health date): at a million devices that
was four minutes of a sync. Here the same columns come from SQL, for every row whose
values SQL writes exactly as Python does: percentages of one decimal at most, dates of
years 1000 to 9999, alert states in printable ASCII. A device with any other row is
derived by read_model in Python, all its rows together.
tests/test_read_model_sql.py holds both to the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from accounts.formula_cells import FORMULA_STARTS
from reports import read_model
from reports.csv_record import NEEDS_QUOTES, NULL_CELL, QUOTED_FOR
from reports.health import MISSING_COPY
from reports.models import ReportRow
from reports.postgres_only import local_settings
from reports.read_model import ROW_FIELDS
from reports.replacing import replacing
from reports.row import (
    EXTRA_ROW,
    ROW,
    VENDOR_ROW,
    encode_bool,
    encode_datetime,
    encode_int,
    encode_percentage,
)
from reports.search_texts_sql import each, write_place_searches, write_searches

# Temporary tables of a refresh: the devices it redoes, their rows made anew.
_DEVICES = "report_rows_devices"
_SEARCHED = "report_rows_searched"  # of those, the devices whose search texts may change
_NEW_ROWS = "report_rows_new"
_DATES = ("creation_date", "last_connected_date", "last_completed_backup_date")
_DATES += ("last_activity", "cold_storage_expire_date")

# The raw values of a row, as read_model's join reads them; a bare device's archive
# columns are null. Empty text is null, as read_model.derive makes it.
_BASE = """
SELECT a.id AS archive_id, NULLIF(a.archive_guid, '') AS archive_guid,
  NULLIF(dst.destination_uid, '') AS destination_uid, NULLIF(dst.name, '') AS destination_name,
  NULLIF(srv.server_uid, '') AS server_uid, NULLIF(srv.name, '') AS server_name,
  a.selected_bytes, a.archive_bytes, a.backup_complete_percentage, a.cold_storage,
  a.cold_storage_expire_date, a.last_completed_backup_date, a.last_activity,
  NULLIF(a.most_recent_user_profile_creation_result, '')
    AS most_recent_user_profile_creation_result,
  NULLIF(a.most_recent_user_profile_backup_result, '') AS most_recent_user_profile_backup_result,
  {device}
FROM {archives}
  LEFT JOIN reports_destination dst ON dst.id = a.destination_id
  LEFT JOIN reports_server srv ON srv.id = a.server_id
  {owner}
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  {device}
FROM {devices} {owner}
WHERE NOT EXISTS (SELECT 1 FROM reports_archive x WHERE x.device_id = d.id {probe})
"""
_DEVICE = """
  d.id AS device_id, NULLIF(d.device_uid, '') AS device_uid, NULLIF(d.name, '') AS device_name,
  NULLIF(d.os_hostname, '') AS device_os_hostname, NULLIF(d.ext_ref, '') AS device_ext_ref,
  NULLIF(d.version, '') AS version, NULLIF(d.status, '') AS status,
  NULLIF(d.alert_states, '') AS alert_states, NULLIF(d.os, '') AS os,
  NULLIF(d.os_version, '') AS os_version, NULLIF(d.address, '') AS address,
  NULLIF(d.remote_address, '') AS remote_address, d.creation_date, d.last_connected_date,
  d.user_id AS owner_id, NULLIF(u.user_uid, '') AS user_uid, NULLIF(u.username, '') AS username,
  NULLIF(u.email, '') AS email, NULLIF(u.user_ext_ref, '') AS user_ext_ref,
  NULLIF(u.user_status, '') AS user_status, NULLIF(u.first_name, '') AS first_name,
  NULLIF(u.last_name, '') AS last_name, u.org_id, coalesce(o.path, '') AS org_path,
  NULLIF(o.org_uid, '') AS org_uid, NULLIF(o.name, '') AS org_name,
  NULLIF(o.ext_ref, '') AS org_ext_ref
"""
_OWNER = "JOIN accounts_user u ON u.id = d.user_id LEFT JOIN accounts_org o ON o.id = u.org_id"


def _encoder(attribute: str):
    return dict(zip(ROW.attributes, ROW.encoders, strict=True))[attribute]


def _encoding(attribute: str) -> str:
    """SQL of one value as reports.row encodes it (null stays null), from the base row."""
    encoder = _encoder(attribute)
    v = f"b.{attribute}"
    if encoder is encode_datetime:
        return f"""to_char({v} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
    if encoder is encode_percentage:
        return f"round({v}::numeric, 1)::text"
    if encoder is encode_int:
        return f"{v}::text"
    if encoder is encode_bool:
        return f"CASE WHEN {v} THEN 'true' WHEN NOT {v} THEN 'false' END"
    return v


def _is_text(attribute: str) -> bool:
    """Text as it is stored: it may need quotes, defusing or escapes. An encoded date
    or boolean never does (a row with a year outside 1000-9999 is odd: Python writes it)."""
    return _encoder(attribute) not in (encode_datetime, encode_bool)


# Each row's values encoded once (e: a LATERAL subquery, kept apart by OFFSET 0, so that
# the CSV record and the JSON object, which test a value several times, do not encode it
# again each time), and what the text of all its values holds (f, from their text joined
# once, j): no character that CSV quotes nor a cell that may start a formula (csv_bare:
# each CSV cell is then its value), and only printable ASCII but for JSON's quote and
# backslash (json_plain: each JSON value is then the value in quotes). Most rows are
# both (a name past ASCII makes a row not json_plain), and skip the tests of each value,
# which were most of a rebuild's time at a million rows. A value of another row is
# tested alone, by the cheapest test that tells.
_QUOTED = NEEDS_QUOTES.pattern  # the same regular expression in PostgreSQL
_PRINTABLE = "^[ -~]*$"
# A cell that may start a formula, among values joined by spaces: a false alarm (" -"
# inside a value) only sends the row to the tests of each value. ("-" last: a range.)
_STARTS = sorted(FORMULA_STARTS, key=lambda start: start == "-")
_FORMULA = (
    "(^| )[" + "".join(start.replace("\t", "\\t").replace("\r", "\\r") for start in _STARTS) + "]"
)


def _encodings() -> str:
    encoded = ", ".join(f"{_encoding(a)} AS {a}" for a in ROW.attributes)
    joined = f"concat_ws(' ', {', '.join(f'e.{a}' for a in ROW.attributes if _is_text(a))})"
    return (
        f"CROSS JOIN LATERAL (SELECT {encoded} OFFSET 0) e"
        f" CROSS JOIN LATERAL (SELECT {joined} AS text OFFSET 0) j"
        f" CROSS JOIN LATERAL (SELECT {_none_quoted('j.text')} AS csv_plain OFFSET 0) k"
        f" CROSS JOIN LATERAL (SELECT k.csv_plain, k.csv_plain AND j.text !~ '{_FORMULA}'"
        f" AS csv_bare, j.text ~ '{_PRINTABLE}' AND strpos(j.text, '\"') = 0"
        " AND strpos(j.text, chr(92)) = 0 AS json_plain OFFSET 0) f"
    )


def _none_quoted(text: str) -> str:
    """No character of the text is one CSV quotes for: a strpos of each, which looks
    for one byte as memchr does, where the regular expression of the four steps
    through every character (2.0 s against 0.9 s for a million rows' texts, 2026-12-05)."""
    return " AND ".join(f"strpos({text}, chr({ord(c)})) = 0" for c in QUOTED_FOR)


def _to_json_as_python(value: str) -> str:
    """Whether to_json writes this value as json.dumps does: no character past ASCII,
    nor DEL (Python escapes it, PostgreSQL does not). Cheaper than a regular expression."""
    return f"octet_length({value}) = length({value}) AND strpos({value}, chr(127)) = 0"


def _csv_cell(attribute: str) -> str:
    """csv_record.csv_cell: null as `null`, a formula start defused, quoted if needed."""
    value = f"e.{attribute}"
    if not _is_text(attribute):
        return f"coalesce({value}, '{NULL_CELL}')"
    starts = ", ".join(f"chr({ord(start)})" for start in FORMULA_STARTS)
    defused = f"CASE WHEN left({value}, 1) IN ({starts}) THEN '''' || {value} ELSE {value} END"
    return (
        f"CASE WHEN {value} IS NULL THEN '{NULL_CELL}' WHEN f.csv_bare THEN {value}"
        f" WHEN NOT f.csv_plain AND {value} ~ '{_QUOTED}'"
        f" THEN '\"' || replace({defused}, '\"', '\"\"') || '\"'"
        f" ELSE {defused} END"
    )


# Records are made by one concat() each, not by `||`, whose chain of 75 copies the
# growing text at every step. No part is null (a null value is written `null` in both);
# a function takes 100 arguments at most.
def _record(shape) -> str:
    return f"concat_ws(',', {', '.join(_csv_cell(a) for a in shape.attributes)})"


def _json_value(attribute: str) -> str:
    """A value as json.dumps writes it: ensure_ascii, so every character past ASCII as
    \\uXXXX (a surrogate pair past the BMP); PostgreSQL's to_json leaves them as they
    are, so a value with one is rewritten a character at a time."""
    value = f"e.{attribute}"
    quoted = f"CASE WHEN {value} IS NULL THEN 'null' ELSE '\"' || {value} || '\"' END"
    if _encoding(attribute) != f"b.{attribute}":
        return quoted  # dates, numbers, booleans: digits, signs, letters; nothing to escape
    escaped = (
        "(SELECT string_agg(CASE WHEN ascii(ch) < 127 THEN ch"
        " WHEN ascii(ch) < 65536 THEN '\\u' || lpad(to_hex(ascii(ch)), 4, '0')"
        " ELSE '\\u' || to_hex(55296 + ((ascii(ch) - 65536) >> 10))"
        " || '\\u' || to_hex(56320 + ((ascii(ch) - 65536) & 1023)) END, '' ORDER BY n)"
        f" FROM unnest(string_to_array(to_json({value})::text, NULL)) WITH ORDINALITY AS t(ch, n))"
    )
    return (
        f"CASE WHEN f.json_plain THEN {quoted} WHEN {value} IS NULL THEN 'null'"
        f" WHEN {_to_json_as_python(value)} THEN to_json({value})::text ELSE {escaped} END"
    )


def _json() -> str:
    parts = []
    for n, (name, attribute) in enumerate(zip(ROW.names, ROW.attributes, strict=True)):
        parts += [f"'{'{' if n == 0 else ', '}\"{name}\": '", _json_value(attribute)]
    return f"concat({', '.join(parts)}, '}}')"


def _odd() -> str:
    """A row SQL would not write as Python does."""
    # Years 1000 to 9999 in UTC, by comparing instants (extracting the year cost more).
    first, past = "'1000-01-01T00:00:00Z'::timestamptz", "'10000-01-01T00:00:00Z'::timestamptz"
    dates = " OR ".join(f"b.{d} < {first} OR b.{d} >= {past}" for d in _DATES)
    p = "b.backup_complete_percentage"
    return (
        f"b.alert_states <> 'OK' AND b.alert_states !~ '{_PRINTABLE}' OR {dates}"
        f" OR ({p} IS NOT NULL AND NOT ({p} > 0 AND {p}::numeric = round({p}::numeric, 1)"
        f" OR {p}::text = '0'))"
    )


def _derived() -> dict[str, str]:
    """Every ROW_FIELDS column's SQL over b (a base row) and g (its device's archives)."""
    columns = {name: f"b.{name}" for name in ROW_FIELDS}
    columns["alerted"] = (
        "CASE WHEN b.alert_states IS NULL OR b.alert_states = 'OK' THEN false ELSE"
        " coalesce(regexp_replace(b.alert_states, '\\mOK\\M', '', 'g') ~ '[^ \\t\\n\\r]', false)"
        " END"
    )
    columns["csv_line"] = _record(VENDOR_ROW)
    columns["csv_extra"] = "',' || " + _record(EXTRA_ROW)
    columns["json_object"] = _json()
    missing = MISSING_COPY.isoformat()
    columns["device_backup_date"] = (
        f"CASE WHEN g.done = 0 OR g.done IS NULL THEN NULL WHEN g.done < g.n"
        f" THEN '{missing}'::timestamptz ELSE g.oldest END"
    )
    columns["device_selected_bytes"] = "g.selected"
    columns["device_archive_bytes"] = "g.stored"
    columns["device_first"] = '(b.archive_id IS NULL OR b.archive_guid COLLATE "C" = g.first_guid)'
    return columns


def _base(devices: str | None) -> str:
    """The base rows of the devices listed in the table `devices` (None: every device).
    Of a list, each device and its archives are looked up by index, device by device
    (LATERAL subqueries kept apart by OFFSET 0), and whether it has no archive likewise
    (an EXISTS): the planner hashed the whole device and archive tables for the 16,000
    devices of a 1% sync at a million (0.4 s), and as an anti-join merged the whole
    archive index with the list (0.8 s; 0.14 s device by device)."""
    if devices is None:
        archives = "reports_archive a JOIN reports_device d ON d.id = a.device_id"
        listed, probe = "reports_device d", ""
    else:
        archives = (
            f"{devices} t CROSS JOIN LATERAL"
            " (SELECT * FROM reports_device x WHERE x.id = t.id OFFSET 0) d CROSS JOIN LATERAL"
            " (SELECT * FROM reports_archive y WHERE y.device_id = d.id OFFSET 0) a"
        )
        listed = f"{devices} t JOIN reports_device d ON d.id = t.id"
        probe = "OFFSET 0"
    return _BASE.format(
        device=_DEVICE, owner=_OWNER, archives=archives, devices=listed, probe=probe
    )


def _statement(table: str, devices: str | None) -> str:
    """Write the rows of the devices `devices` lists (a table of ids; None: all) into
    `table`, but those of the odd devices; select how many it wrote and the odd
    devices' ids. One pass over the base rows finds both (a pass of its own to find
    the odd ones was 0.5 s of a 16,000-device refresh at a million devices, 2026-12-05)."""
    derived = _derived()
    columns = _columns()
    return (
        f"WITH b AS ({_base(devices)}),"
        f" odd AS (SELECT DISTINCT device_id FROM b WHERE {_odd()}),"
        " g AS (SELECT device_id, count(*) AS n, count(last_completed_backup_date) AS done,"
        " min(last_completed_backup_date) AS oldest, max(selected_bytes) AS selected,"
        " sum(archive_bytes) AS stored,"
        ' min(archive_guid COLLATE "C") AS first_guid FROM b WHERE archive_id IS NOT NULL'
        " GROUP BY device_id),"
        f" written AS (INSERT INTO {connection.ops.quote_name(table)} ({columns})"
        f" SELECT {', '.join(derived[name] for name in ROW_FIELDS)}"
        f" FROM b LEFT JOIN g ON g.device_id = b.device_id {_encodings()}"
        " WHERE b.device_id NOT IN (SELECT device_id FROM odd) RETURNING 1)"
        " SELECT (SELECT count(*) FROM written), ARRAY(SELECT device_id FROM odd)"
    )


def _write_by_sql(table: str, devices: str | None) -> tuple[int, list[int]]:
    """The rows SQL writes (_statement): how many, and the devices left to Python."""
    with connection.cursor() as cursor, _without_jit():
        cursor.execute(_statement(table, devices))
        count, odd = cursor.fetchone()
    return count, odd


def _write(table: str, devices: str | None) -> int:
    """The rows of the devices `devices` lists (None: all), written into `table`: by
    SQL, but the odd devices' by Python."""
    count, odd = _write_by_sql(table, devices)
    if odd:
        count += read_model._insert(read_model.rows_for_devices(odd), table=table)
    return count


def _without_jit():
    """JIT compiling the hundreds of expressions of these queries took 9 s of the 10 s
    of a 16,000-device refresh at a million devices (2026-12-04), for rows that each
    run through them once. Nor Memoize: the planner put one before the row's plainness
    (f), keyed by the row's every value, which never hits."""
    return local_settings(connection, jit="off", enable_memoize="off")


def rebuild() -> int:
    """read_model.rebuild, the rows made by SQL."""
    with transaction.atomic():
        read_model._one_writer_at_a_time()
        with replacing(ReportRow) as table:
            count = _write(table, None)
        write_searches(None)
        write_place_searches()
    read_model._mark_all_visible()
    return count


def refresh_devices(device_ids: Iterable[int]) -> None:
    """read_model.refresh_devices, the rows made by SQL. Only the rows that differ are
    deleted and inserted; a row the same as its new one stays, id and all: at a million devices
    each row written costs an entry in every one of the table's indexes (22), most of
    them a page read and written (13 s for 26,000 rows, 2026-12-04), and a device
    redone often has rows that did not change (its other archives)."""
    table = connection.ops.quote_name(ReportRow._meta.db_table)
    columns = _columns()
    searched = _columns(read_model.SEARCHED_ROW_FIELDS)
    with transaction.atomic():
        read_model._one_writer_at_a_time()
        with _devices_table(device_ids) as devices, _rows_table() as new:
            _write(new, devices)
            with connection.cursor() as cursor:
                # The join is on device_id: its statistics alone (the whole rows' took 1 s).
                cursor.execute(f"ANALYZE {new} (device_id)")
                # The rows to delete found device by device (a LATERAL kept apart by
                # OFFSET 0) and deleted by their place (ctid; the table is locked against
                # other writers): joined, the planner scanned the whole table when its
                # statistics guessed ten rows a device (2.7 s against 0.4, 2026-12-05).
                cursor.execute(
                    f"WITH gone AS (DELETE FROM {table} r WHERE r.ctid = ANY(ARRAY(SELECT y.place"
                    f" FROM {devices} t CROSS JOIN LATERAL (SELECT ctid AS place, * FROM {table}"
                    " x WHERE x.device_id = t.id OFFSET 0) y WHERE NOT EXISTS (SELECT FROM"
                    f" {new} n WHERE n.device_id = y.device_id AND {_same_as_new('y')})))"
                    f" RETURNING {searched}) {_searched_changes(new)}"
                )
                deleted, changed, former_owners = cursor.fetchone()
                cursor.execute(
                    f"WITH added AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM {new} n"
                    f" WHERE NOT EXISTS (SELECT FROM {table} r WHERE r.device_id = n.device_id"
                    f" AND {_same_as_new('r')}) RETURNING device_id)"
                    " SELECT ARRAY(SELECT DISTINCT device_id FROM added)"
                )
                (added,) = cursor.fetchone()
            # A device that only gained rows may be new: its texts are written where they
            # differ (a device's new archive beside unchanged rows writes none).
            changed = {*changed, *(set(added) - set(deleted))}
            with _devices_table(changed, _SEARCHED) as searched_devices:
                write_searches(searched_devices, former_owners)
        write_place_searches()


def _searched_changes(new: str) -> str:
    """SQL after `gone` (the rows deleted, with read_model.SEARCHED_ROW_FIELDS): the
    devices deleted rows are of; those whose searched fields (their owner's, their own:
    a device's rows all have the same) differ from their new rows', or that have none;
    the owners the old rows of those name. Only their texts can change, being made of
    those fields: a sync that moves dates computes none (0.8 s of a 1% sync at a million
    devices, 2026-12-05). A device whose rows stay the same keeps them too."""
    fields = read_model.SEARCHED_ROW_FIELDS
    old, fresh = _each("o", fields), _each("n", fields)
    return (
        ", o AS (SELECT DISTINCT ON (device_id) * FROM gone ORDER BY device_id),"
        f" n AS (SELECT DISTINCT ON (device_id) {_columns(fields)} FROM {new}"
        " WHERE device_id IN (SELECT device_id FROM o) ORDER BY device_id),"
        " c AS (SELECT o.device_id, o.owner_id FROM o LEFT JOIN n ON n.device_id = o.device_id"
        f" WHERE ({old}) IS DISTINCT FROM ({fresh}))"
        " SELECT ARRAY(SELECT device_id FROM o), ARRAY(SELECT device_id FROM c),"
        " ARRAY(SELECT DISTINCT owner_id FROM c)"
    )


def _columns(names: Iterable[str] = ROW_FIELDS) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _each(alias: str, names: Iterable[str] = ROW_FIELDS) -> str:
    return each(alias, names)


def _same_as_new(alias: str) -> str:
    """The report row `alias` has every column of the new row `n`."""
    return f"({_each(alias)}) IS NOT DISTINCT FROM ({_each('n')})"


@contextmanager
def _rows_table() -> Iterator[str]:
    """A temporary table of report rows, without ids or indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_NEW_ROWS} ON COMMIT DROP AS SELECT {_each('r')}"
            f" FROM {connection.ops.quote_name(ReportRow._meta.db_table)} r WITH NO DATA"
        )
        yield _NEW_ROWS
        cursor.execute(f"DROP TABLE {_NEW_ROWS}")


@contextmanager
def _devices_table(device_ids: Iterable[int], name: str = _DEVICES) -> Iterator[str]:
    """A temporary table of these device ids, analysed, for the statements inside to
    join. `= ANY(%s)` of 16,000 ids was planned as scans of whole indexes of archives
    (the planner cannot see into the array), where a join of a known table of 16,000
    rows looks the devices and their archives up."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {name} (id bigint PRIMARY KEY) ON COMMIT DROP")
        with cursor.copy(f"COPY {name} (id) FROM STDIN") as copy:
            for pk in set(device_ids):
                copy.write_row((pk,))
        cursor.execute(f"ANALYZE {name}")
        yield name
        cursor.execute(f"DROP TABLE {name}")
