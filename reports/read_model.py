"""Keeping the flat report table (`ReportRow`) in step with the environment tables.

`rebuild()` makes it anew from the join; the `refresh_*` functions redo the rows of
the devices an edit touched. Importers and the demo generator call these after their
bulk writes; admin and other ORM edits reach them through `reports.signals`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum

from accounts.models import Org, User
from reports import bulk
from reports.csv_record import extra_cells, row_record
from reports.health import device_health_date
from reports.json_record import row_json
from reports.models import (
    Archive,
    Destination,
    DestinationSearch,
    Device,
    DeviceSearch,
    OrgSearch,
    ReportRow,
    UserSearch,
)
from reports.postgres_only import on_postgres
from reports.replacing import replacing

SEARCH_SEPARATOR = "\x1f"  # ASCII unit separator: never typed into a search box
BATCH = 2000

_DEVICE_COLUMNS = {
    "device_id": "id",
    "device_uid": "device_uid",
    "device_name": "name",
    "device_os_hostname": "os_hostname",
    "device_ext_ref": "ext_ref",
    "version": "version",
    "status": "status",
    "alert_states": "alert_states",
    "os": "os",
    "os_version": "os_version",
    "address": "address",
    "remote_address": "remote_address",
    "creation_date": "creation_date",
    "last_connected_date": "last_connected_date",
    "owner_id": "user_id",
    "user_uid": "user__user_uid",
    "username": "user__username",
    "email": "user__email",
    "user_ext_ref": "user__user_ext_ref",
    "user_status": "user__user_status",
    "first_name": "user__first_name",
    "last_name": "user__last_name",
    "org_id": "user__org_id",
    "org_path": "user__org__path",
    "org_uid": "user__org__org_uid",
    "org_name": "user__org__name",
    "org_ext_ref": "user__org__ext_ref",
}
_ARCHIVE_COLUMNS = {
    "archive_id": "id",
    "archive_guid": "archive_guid",
    "destination_uid": "destination__destination_uid",
    "destination_name": "destination__name",
    "server_uid": "server__server_uid",
    "server_name": "server__name",
    "selected_bytes": "selected_bytes",
    "archive_bytes": "archive_bytes",
    "backup_complete_percentage": "backup_complete_percentage",
    "cold_storage": "cold_storage",
    "cold_storage_expire_date": "cold_storage_expire_date",
    "last_completed_backup_date": "last_completed_backup_date",
    "last_activity": "last_activity",
    "most_recent_user_profile_creation_result": "most_recent_user_profile_creation_result",
    "most_recent_user_profile_backup_result": "most_recent_user_profile_backup_result",
} | {column: f"device__{source}" for column, source in _DEVICE_COLUMNS.items()}

_SEARCHES = {
    "user_search": ("username", "email", "user_ext_ref", "last_name", "first_name"),
    "org_search": ("org_name", "org_ext_ref"),
    "device_search": ("device_name", "device_os_hostname", "device_ext_ref", "device_uid"),
    "destination_search": ("destination_name",),
    "os_search": ("os", "os_version"),
}
# Where each search is kept: once a person, device, org or destination, by the row
# column that names it (see UserSearch), never on the rows.
SEARCH_HOMES: dict[str, tuple[type, str]] = {
    "user_search": (UserSearch, "owner_id"),
    "device_search": (DeviceSearch, "device_id"),
    "os_search": (DeviceSearch, "device_id"),
    "org_search": (OrgSearch, "org_id"),
    "destination_search": (DestinationSearch, "destination_uid"),
}
DEVICE_SEARCH_FIELDS = ("device_id", "device_search", "os_search")
USER_SEARCH_FIELDS = ("owner_id", "user_search")
# The fields of a person and of a device the searches kept apart read: the row's name
# of each, and the field's name on the person's and the device's model.
_OWNER_FIELDS = {
    name: _DEVICE_COLUMNS[name].removeprefix("user__") for name in _SEARCHES["user_search"]
}
_DEVICE_FIELDS = {
    name: _DEVICE_COLUMNS[name] for column in DEVICE_SEARCH_FIELDS[1:] for name in _SEARCHES[column]
}
# The row columns that a person's and a device's texts are made of, and which device and
# owner: where a device's rows keep these, its texts and its owner's stay as they were.
SEARCHED_ROW_FIELDS = ("device_id", "owner_id", *_OWNER_FIELDS, *_DEVICE_FIELDS)
# An org's and a destination's likewise, on the Org and Destination models.
ORG_FIELDS = {
    name: _DEVICE_COLUMNS[name].removeprefix("user__org__") for name in _SEARCHES["org_search"]
}
DESTINATION_FIELDS = {
    name: _ARCHIVE_COLUMNS[name].removeprefix("destination__")
    for name in _SEARCHES["destination_search"]
}


def search_text(value: str) -> str:
    """How both the stored search columns and the query values are normalised."""
    return value.lower()


def full_names(first_name: str | None, last_name: str | None) -> tuple[str, ...]:
    """How people type a person's name into a search box: "first last" and "last,
    first" (spec section 11). Stored in the user search column beside the names, so
    that `user=Andrew Carter` is one partial match like any other; in the shape a typed
    name is read in (as_typed_name), as the vendor's names need not be: HR data leaves
    a space at an end ("Ana ") or two between words, and "Ana Dijk" found no one (found
    by an audit of section 11 on an imported fleet)."""
    if not (first_name and last_name):
        return ()
    return (as_typed_name(f"{first_name} {last_name}"), as_typed_name(f"{last_name}, {first_name}"))


# The characters str.split() runs together (those str.isspace() knows): the SQL of the
# stored full names (search_texts_sql) names them, to read a name as as_typed_name does.
SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def as_typed_name(text: str) -> str:
    """A person's name as typed, in the shape full_names() stores: spaces run together
    and a comma followed by one space ("Roberts,Chris", "Chris  Roberts" found no one;
    found by an audit of the pages)."""
    return re.sub(r" ?, ?", ", ", " ".join(text.split()))


def search_column(column: str, values: dict) -> str:
    """One *_search column of a row from its fields; the user's also holds full names."""
    texts = [values.get(source) for source in _SEARCHES[column]]
    if column == "user_search":
        texts += full_names(values.get("first_name"), values.get("last_name"))
    return search_text(SEARCH_SEPARATOR.join(t for t in texts if t is not None))


# A sigma that ends what is typed, and the other sigma. Lower case (Python's, and ICU's
# that the import in the database writes the texts with) makes a word's last Σ a final ς,
# but the end of what is typed is rarely a word's end: "ΚΩΣ" lowered is "κως", which
# "κωστας" does not hold (found by an audit of section 3).
OTHER_SIGMA = {"ς": "σ", "σ": "ς"}


def matching(rows: QuerySet, column: str, text: str) -> QuerySet:
    """The rows whose search `column` holds `text` (already search_text'ed), or holds
    it with the other sigma at its end (OTHER_SIGMA)."""
    model, key = SEARCH_HOMES[column]
    holds = Q(**{f"{column}__contains": text})
    if text[-1:] in OTHER_SIGMA:
        holds |= Q(**{f"{column}__contains": text[:-1] + OTHER_SIGMA[text[-1]]})
    found = model.objects.filter(holds).values(key)
    return rows.filter(**{f"{key}__in": found})


def _nulls(values: dict) -> dict:
    return {key: (None if value == "" else value) for key, value in values.items()}


def device_search_record(values: dict) -> tuple:
    """A device's DeviceSearch, as a tuple of DEVICE_SEARCH_FIELDS, from its row's
    values (keyed like _DEVICE_COLUMNS; the owner's need not be there)."""
    values = _nulls(values)
    texts = (search_column(column, values) for column in DEVICE_SEARCH_FIELDS[1:])
    return (values["device_id"], *texts)


def user_search_record(values: dict) -> tuple:
    """An owner's UserSearch, as a tuple of USER_SEARCH_FIELDS, likewise."""
    values = _nulls(values)
    return (values["owner_id"], search_column("user_search", values))


def derive(values: dict) -> dict:
    """A row's columns as read from the join -> every column of a ReportRow but the
    device-wide ones: empty text is null; `alerted`, the CSV records and the JSON object
    derived."""
    values = _nulls(values)
    values["org_path"] = values["org_path"] or ""
    alert_states = values["alert_states"] or ""
    values["alerted"] = any(state != "OK" for state in alert_states.split())
    values["csv_line"] = row_record(values)
    values["csv_extra"] = extra_cells(values)
    values["json_object"] = row_json(values)
    return values


def device_rows(rows: list[dict]) -> list[dict]:
    """All the derived rows of one device: add the device-wide columns, its health date
    (reports.health), its selection counted once (the largest: the same files go to
    each destination) and its archived bytes summed (each destination stores its own
    copy; null without any, as SQL's sum)."""
    archives = [r for r in rows if r.get("archive_id") is not None]
    health_date = device_health_date(r["last_completed_backup_date"] for r in archives)
    selected = max(
        (r["selected_bytes"] for r in archives if r["selected_bytes"] is not None), default=None
    )
    stored = [r["archive_bytes"] for r in archives if r["archive_bytes"] is not None]
    first = min(rows, key=lambda r: (r.get("archive_guid") is not None, r.get("archive_guid")))
    for row in rows:
        row["device_backup_date"] = health_date
        row["device_selected_bytes"] = selected
        row["device_archive_bytes"] = sum(stored) if stored else None
        row["device_first"] = row is first
    return rows


# Summing devices' selections, each device once (spec section 11): its largest
# selection, stored on each of its rows, counted on its device_first row. Only over
# sets of whole devices (all rows of each: the role limit, device-level filters);
# a set that may hold some of a device's rows is summed by reports.dashboards.paging.
DEVICE_SELECTED_BYTES = Sum("device_selected_bytes", filter=Q(device_first=True))

# Every column of a report row but the id, which the database gives.
ROW_FIELDS = tuple(f.attname for f in ReportRow._meta.concrete_fields if not f.primary_key)
_NULL_ROW = dict.fromkeys(ROW_FIELDS)


def device_records(values: list[dict]) -> list[tuple]:
    """One device's rows as read from the join (keyed like _ARCHIVE_COLUMNS, or like
    _DEVICE_COLUMNS for a device without archives) -> its report rows as tuples of
    ROW_FIELDS, fields a row lacks null. Plain tuples: a model instance a row would
    cost minutes at a million rows."""
    records = []
    for row in device_rows([derive(row_values) for row_values in values]):
        full = _NULL_ROW | row
        if len(full) != len(ROW_FIELDS):
            raise ValueError(f"Not report row fields: {sorted(set(full) - set(ROW_FIELDS))}")
        records.append(tuple(full.values()))
    return records


def rows_for_devices(devices: Iterable[int] | None = None) -> Iterator[tuple]:
    """The report rows of these devices (all devices for None), built from the join,
    as tuples of ROW_FIELDS."""
    archives = Archive.objects.order_by()
    bare_devices = Device.objects.filter(archives__isnull=True).order_by()
    if devices is not None:
        device_ids = list(devices)
        archives = archives.filter(device_id__in=device_ids)
        bare_devices = bare_devices.filter(id__in=device_ids)
    names = list(_ARCHIVE_COLUMNS)
    archive_values = (
        dict(zip(names, values, strict=True))
        for values in archives.order_by("device_id")
        .values_list(*_ARCHIVE_COLUMNS.values())
        .iterator(chunk_size=BATCH)
    )
    for _, rows in groupby(archive_values, key=itemgetter("device_id")):
        yield from device_records(list(rows))
    names = list(_DEVICE_COLUMNS)
    for values in bare_devices.values_list(*_DEVICE_COLUMNS.values()).iterator(chunk_size=BATCH):
        yield from device_records([dict(zip(names, values, strict=True))])


def _insert(rows: Iterable[tuple], table: str | None = None) -> int:
    return bulk.insert(ReportRow, ROW_FIELDS, rows, table=table)


def rebuild() -> int:
    """Make the whole read model anew from the environment tables. Returns the row count.

    Pages and the API keep the old rows until it commits. On PostgreSQL the rows go into
    a fresh copy of the table that takes its place at the end (reports.replacing):
    several times faster than deleting and inserting row by row, and the table and its
    indexes come out compact.
    """
    with transaction.atomic():
        _one_writer_at_a_time()
        if not on_postgres(connection):
            ReportRow.objects.all().delete()
            count = _insert(rows_for_devices())
        else:
            with replacing(ReportRow) as table:
                count = _insert(rows_for_devices(), table=table)
        write_searches(None)
        write_place_searches()
    _mark_all_visible()
    return count


def _mark_all_visible() -> None:
    """VACUUM the new table so that its visibility map says every page is visible: only
    then are a deep page's skipped rows read from the sort's index alone (index-only
    scans, reports.query). Autovacuum would get there, minutes later; VACUUM cannot run
    in a transaction, so inside one (a caller's, or a test's) it is left to autovacuum.
    PostgreSQL only: SQLite has no visibility map, nor VACUUM's options (`manage.py
    rebuild_report` failed on them there, 2026-12-06)."""
    if connection.in_atomic_block or not on_postgres(connection):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(ReportRow._meta.db_table)}")


def _one_writer_at_a_time() -> None:
    """Writers of the report table take turns; readers never wait for them.

    Rows are redone by deleting and inserting. Two transactions redoing the same device
    at once would each delete the rows it saw and insert its own: the later one, not
    seeing the earlier one's new rows, would double them. A lock mode that conflicts
    with itself (and with writes) but not with reads makes the second wait for the
    first to commit, and then see its rows. The lock ends with the transaction.
    """
    if on_postgres(connection):
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(ReportRow._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def _chunks(ids: list, size: int = 10_000) -> Iterator[list]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# The devices touched inside refreshed_at_the_end(), or None outside it.
_touched: ContextVar[set[int] | None] = ContextVar("touched_devices", default=None)


@contextmanager
def refreshed_at_the_end() -> Iterator[None]:
    """ORM edits inside redo the rows of the devices they touched once, on leaving,
    rather than once an edit: for a script or a test's fixture that saves many rows one
    by one (sixty devices and their archives were 140 refreshes, each reading every org's
    and destination's search text anew). Report rows read inside lag until the end; an
    error inside refreshes nothing (its transaction is to be rolled back). Nested, the
    inner one's devices join the outer one's (its refresh_devices is deferred in turn)."""
    token = _touched.set(set())
    try:
        yield
        touched = _touched.get()
    finally:
        _touched.reset(token)
    refresh_devices(touched)


def refresh_devices(device_ids: Iterable[int]) -> None:
    """Redo the rows of these devices; a device that no longer exists loses its rows."""
    if (touched := _touched.get()) is not None:
        touched.update(device_ids)
        return
    ids = sorted(set(device_ids))
    with transaction.atomic():
        _one_writer_at_a_time()
        for chunk in _chunks(ids):
            rows = ReportRow.objects.filter(device_id__in=chunk)
            former_owners = set(rows.values_list("owner_id", flat=True))
            rows.delete()
            _insert(rows_for_devices(chunk))
            write_searches(chunk, former_owners)
        write_place_searches()


def write_searches(device_ids: list[int] | None, former_owners: Iterable[int] = ()) -> None:
    """The search texts of these devices and their owners (of all for None) made anew
    from the environment tables, and those of former owners dropped who own no device
    now: in step with the rows (rows_for_devices reads the same fields). The Python way,
    for SQLite's small fleets and edits; search_texts_sql.write_searches writes only what
    differs, for syncs."""
    devices = Device.objects.order_by()
    device_searches = DeviceSearch.objects.all()
    users = User.objects.filter(devices__isnull=False).distinct().order_by()
    user_searches = UserSearch.objects.all()
    if device_ids is not None:
        devices = devices.filter(id__in=device_ids)
        device_searches = device_searches.filter(device_id__in=device_ids)
    owners = set(former_owners)

    def device_records() -> Iterator[tuple]:  # streamed: a million devices on PostgreSQL
        names = ["device_id", "owner_id", *_DEVICE_FIELDS]
        cells = devices.values_list("id", "user_id", *_DEVICE_FIELDS.values())
        for values in cells.iterator(BATCH):
            record = dict(zip(names, values, strict=True))
            owners.add(record["owner_id"])
            yield device_search_record(record)

    device_searches.delete()
    bulk.insert(DeviceSearch, DEVICE_SEARCH_FIELDS, device_records())
    if device_ids is not None:
        users = users.filter(id__in=owners)
        user_searches = user_searches.filter(owner_id__in=owners)
    names = ["owner_id", *_OWNER_FIELDS]
    cells = users.values_list("id", *_OWNER_FIELDS.values()).iterator(BATCH)
    user_searches.delete()
    bulk.insert(
        UserSearch,
        USER_SEARCH_FIELDS,
        (user_search_record(dict(zip(names, values, strict=True))) for values in cells),
    )


def place_search_texts() -> dict[type, dict]:
    """Every org's and destination's search text, by the row column that names it (a
    destination without a uid names no row)."""
    destinations = Destination.objects.exclude(destination_uid="")
    return {
        OrgSearch: _texts("org_search", Org.objects.all(), "id", ORG_FIELDS),
        DestinationSearch: _texts(
            "destination_search", destinations, "destination_uid", DESTINATION_FIELDS
        ),
    }


def _texts(column: str, places: QuerySet, key: str, fields: dict[str, str]) -> dict:
    cells = places.order_by().values_list(key, *fields.values())
    return {
        k: search_column(column, _nulls(dict(zip(fields, values, strict=True))))
        for k, *values in cells
    }


def write_place_searches() -> None:
    """The search texts of every org and destination, those that differ written, those
    of orgs and destinations gone dropped: they are few (thousands), and any refresh may
    follow a rename or a new one (no device yet), so each one writes them all."""
    for model, wanted in place_search_texts().items():
        key, column = (f.attname for f in model._meta.concrete_fields)
        stored = dict(model.objects.values_list(key, column))
        stale = [k for k, text in stored.items() if wanted.get(k) != text]
        for chunk in _chunks(stale):
            model.objects.filter(**{f"{key}__in": chunk}).delete()
        fresh = ((k, text) for k, text in wanted.items() if stored.get(k) != text)
        bulk.insert(model, (key, column), fresh)


def refresh_users(user_ids: Iterable[int]) -> None:
    refresh_devices(Device.objects.filter(user_id__in=list(user_ids)).values_list("id", flat=True))


def refresh_orgs(org_ids: Iterable[int]) -> None:
    """Redo the rows of every device owned in these orgs or below (a move changes paths)."""
    paths = list(Org.objects.filter(id__in=list(org_ids)).values_list("path", flat=True))
    for path in paths:
        owners = User.objects.filter(org__path__startswith=path).values_list("id", flat=True)
        refresh_users(owners)


def refresh_destinations(destination_ids: Iterable[int]) -> None:
    ids = list(destination_ids)
    refresh_devices(
        Archive.objects.filter(destination_id__in=ids).values_list("device_id", flat=True)
    )


def refresh_servers(server_ids: Iterable[int]) -> None:
    ids = list(server_ids)
    refresh_devices(Archive.objects.filter(server_id__in=ids).values_list("device_id", flat=True))
