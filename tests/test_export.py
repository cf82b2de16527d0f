"""The CSV export: PostgreSQL's COPY and the Python reader give the same bytes, and
those bytes are the report's rows, encoded and escaped, whatever the data holds; in
both shapes, the vendor's exact 34 columns and, asked for, the three extension ones."""

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.db import connection

from reports.export import copy_chunks, csv_chunks, csv_lines
from reports.importing.report_csv import COLUMNS, parser_for
from reports.models import Archive, ReportRow
from reports.query import report_query
from reports.row import ROW
from tests.api_support import API, EXTRA_COLUMNS, VENDOR_COLUMNS
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory, refreshing_once
from tests.import_support import database_snapshot, run, write_csv

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: COPY is its export path"
)


@pytest.fixture
@refreshing_once
def awkward_fleet(people, orgs):
    """Values that test every encoding and every CSV quoting rule."""
    tricky = UserFactory(
        username="=cmd|' /C calc'!A0",
        first_name='Zoë "Z"',
        last_name="Łukasz, Jr.\nsecond line",
        email="+tricky@example.com",
        user_ext_ref="@1001",
        org=orgs["sales"],
    )
    device = DeviceFactory(
        user=tricky,
        name="-LAPTOP\t1",
        os_hostname="\rcarriage",
        ext_ref="\\.",  # COPY's end-of-data marker: unquoted in a many-column row
        address="C:\\new\\table\\\\x",  # backslash sequences that are not escapes
        remote_address="bell\x07 back\x08 feed\x0c tab\x0b end",  # control characters
        alert_states="CriticalBackupAlert WarningConnectionAlert",
        last_connected_date=None,
        creation_date=dt.datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=dt.UTC),
    )
    for guid, percentage in [("a-1", 0.25), ("a-2", 99.95), ("a-3", 12.45), ("a-4", 0.05)]:
        ArchiveFactory(
            device=device,
            archive_guid=guid,
            backup_complete_percentage=percentage,
            cold_storage=guid == "a-2",
            cold_storage_expire_date=dt.datetime(2027, 5, 1, tzinfo=dt.UTC),
            selected_bytes=2**40 + 7,
            archive_bytes=0,
            most_recent_user_profile_backup_result='said "ok", then "=1+1"',
        )
    DeviceFactory(user=tricky, name="never backed up")
    return tricky


# The export's two shapes: the vendor's 34 columns, and those plus the three extras.
SHAPES = pytest.mark.parametrize("extra_columns", [False, True], ids=["vendor", "extended"])


def columns(extra_columns: bool) -> list[str]:
    return VENDOR_COLUMNS + (EXTRA_COLUMNS if extra_columns else [])


def python_csv(rows, extra_columns: bool = False) -> bytes:
    return "".join(csv_lines(rows, extra_columns)).encode()


def spreadsheet_safe(value: str | None) -> str:
    """A JSON value as the CSV should hold it: null `null`, formula starts defused."""
    if value is None:
        return "null"
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def expected_csv_table(rows, extra_columns: bool = False) -> list[list[str]]:
    """The rows as a spreadsheet should read them, encoded from their columns."""
    names = columns(extra_columns)
    encoded = (ROW.encode_dict(values) for values in rows.values_list(*ROW.attributes))
    return [names, *([spreadsheet_safe(row[name]) for name in names] for row in encoded)]


def csv_table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


PARAMETER_SETS = [
    {},
    {"srtKey": "backupCompletePercentage", "srtDir": "desc"},
    {"srtKey": "lastConnectedDate"},
    {"user": "łukasz"},
    {"coldStorage": "true"},
    {"orgUid": "org-emea", "srtKey": "username"},
    {"orgUid": "no-such-org"},
]


@on_postgres
@SHAPES
@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_copy_and_python_exports_are_byte_identical(
    awkward_fleet, admin_user, params, extra_columns
):
    rows = report_query(params, admin_user).rows
    copied = b"".join(copy_chunks(rows, extra_columns))
    assert copied == python_csv(rows, extra_columns)
    assert csv_table(copied) == expected_csv_table(rows, extra_columns)


@on_postgres
@SHAPES
def test_copy_export_keeps_the_role_limit(awkward_fleet, people, extra_columns):
    dave = people["dave"]
    rows = report_query({}, dave).rows
    copied = b"".join(copy_chunks(rows, extra_columns))
    assert copied == python_csv(rows, extra_columns)
    assert len(copied.decode().splitlines()) == 2  # the header and dave's one row


@SHAPES
@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_the_csv_holds_the_rows_encoded_from_their_columns(
    awkward_fleet, admin_user, params, extra_columns
):
    rows = report_query(params, admin_user).rows
    data = b"".join(csv_chunks(rows, extra_columns))
    assert csv_table(data) == expected_csv_table(rows, extra_columns)
    assert data.endswith(b"\n")


def test_formulas_are_defused(awkward_fleet, admin_user):
    rows = report_query({}, admin_user).rows
    table = csv_table(b"".join(csv_chunks(rows, extra_columns=True)))
    cells = [cell for row in table for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells
    assert "'+tricky@example.com" in cells
    assert "'-LAPTOP\t1" in cells


def test_an_edit_reaches_the_export(awkward_fleet, admin_user):
    awkward_fleet.last_name = "Renamed"
    awkward_fleet.save()
    rows = report_query({"user": "renamed"}, admin_user).rows
    table = csv_table(b"".join(csv_chunks(rows, extra_columns=True)))
    assert len(table) == 1 + 5
    assert {row[ROW.names.index("lastName")] for row in table[1:]} == {"Renamed"}
    assert table == expected_csv_table(rows, extra_columns=True)


@pytest.mark.parametrize("params", PARAMETER_SETS)
@pytest.mark.parametrize(
    ("extension", "extra_columns"),
    [({}, False), ({"extraColumns": "false"}, False), ({"extraColumns": ""}, False)]
    + [({"extraColumns": "true"}, True), ({"extraColumns": "TRUE"}, True)],
)
def test_the_csv_rows_are_the_json_rows(
    client, awkward_fleet, admin_user, params, extension, extra_columns
):
    client.force_login(admin_user)
    data = client.get(API, {**params, **extension, "pgSize": 1000}).json()["data"]
    response = client.get(API, {**params, **extension, "export": "csv"})
    header, *rows = csv_table(b"".join(response.streaming_content))
    assert header == columns(extra_columns)
    assert rows == [[spreadsheet_safe(row[name]) for name in header] for row in data]
    if data:  # JSON rows carry every field, whatever the CSV is asked for
        assert list(data[0]) == VENDOR_COLUMNS + EXTRA_COLUMNS


# Exactly what vendor scripts read


def export_table(client, user, **params) -> list[list[str]]:
    client.force_login(user)
    response = client.get(API, {"export": "csv", **params})
    assert response.status_code == 200
    return csv_table(b"".join(response.streaming_content))


def test_the_csv_is_exactly_the_34_vendor_columns_with_null_cells(
    client, awkward_fleet, admin_user
):
    header, *rows = export_table(client, admin_user)
    assert header == VENDOR_COLUMNS
    assert len(rows) == 10 and all(len(row) == 34 for row in rows)
    cells = [cell for row in rows for cell in row]
    assert "" not in cells  # a missing value is never an empty cell
    bare = dict(zip(header, next(r for r in rows if r[9] == "never backed up"), strict=True))
    archive_fields = [
        "archiveGuid",
        "destinationUid",
        "destinationName",
        "serverUid",
        "serverName",
        "selectedBytes",
        "backupCompletePercentage",
        "archiveBytes",
        "coldStorage",
        "lastCompletedBackupDate",
        "lastActivity",
        "mostRecentUserProfileCreationResult",
        "mostRecentUserProfileBackupResult",
    ]
    assert {name: bare[name] for name in archive_fields} == dict.fromkeys(archive_fields, "null")
    # The sizing line of a vendor-export script, on every row including the bare device.
    archive_bytes = header.index("archiveBytes")
    total = sum(int(0 if row[archive_bytes] == "null" else row[archive_bytes]) for row in rows)
    assert total == sum(Archive.objects.values_list("archive_bytes", flat=True))


def test_null_is_the_bare_word_not_a_quoted_cell(client, awkward_fleet, admin_user):
    client.force_login(admin_user)
    response = client.get(API, {"export": "csv", "device": "never backed up"})
    (line,) = b"".join(response.streaming_content).decode().splitlines()[1:]
    assert line.startswith("null,") and ",null,null," in line and '"null"' not in line


def test_extra_columns_add_the_three_after_the_vendors(client, awkward_fleet, admin_user):
    vendor = export_table(client, admin_user)
    header, *rows = export_table(client, admin_user, extraColumns="True")
    assert header == VENDOR_COLUMNS + EXTRA_COLUMNS
    assert all(len(row) == 37 for row in rows)
    assert [row[:34] for row in rows] == vendor[1:]  # the same rows, the same order
    extras = {
        (row[header.index("archiveGuid")], *row[34:])
        for row in rows
        if row[header.index("userUid")] == awkward_fleet.user_uid
    }
    first, last = 'Zoë "Z"', "Łukasz, Jr.\nsecond line"
    assert extras == {
        *((guid, first, last, "2027-05-01T00:00:00.000Z") for guid in ("a-1", "a-2", "a-3", "a-4")),
        ("null", first, last, "null"),  # the device with no archive
    }


@pytest.mark.parametrize(
    "query",
    [
        {"export": "csv", "extraColumns": "maybe"},
        {"export": "csv", "extraColumns": "1"},
        {"extraColumns": "yes"},  # checked in JSON too, where it changes nothing
        {"export": "csv", "extraColumns": ["true", "false"]},
    ],
)
def test_a_bad_extra_columns_value_is_a_400_naming_it(client, awkward_fleet, admin_user, query):
    client.force_login(admin_user)
    response = client.get(API, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body["parameters"]) == ["extraColumns"]
    assert (
        "true or false" in body["parameters"]["extraColumns"]
        or "once" in (body["parameters"]["extraColumns"])
    )


def test_the_dashboards_export_button_adds_the_extras_and_vendor_csv_does_not(
    client, awkward_fleet, admin_user
):
    client.force_login(admin_user)
    page = client.get("/reports/cold-storage/", {"srtDir": "asc"}).content.decode()
    links = {
        label: html.unescape(href)
        for href, label in re.findall(r'href="([^"]+)">(Export CSV|Vendor CSV)</a>', page)
    }
    assert set(links) == {"Export CSV", "Vendor CSV"}
    for label, expected in (("Export CSV", True), ("Vendor CSV", False)):
        response = client.get(links[label])
        header, *rows = csv_table(b"".join(response.streaming_content))
        assert header == columns(expected), label
        assert rows and all(len(row) == len(header) for row in rows)
    # A page reached from either keeps neither in its filter form.
    page = client.get(links["Export CSV"].replace("export=csv", "export=")).content.decode()
    assert 'name="extraColumns"' not in page


# The export imports back: `null` and an empty cell are both a missing value


@SHAPES
@pytest.mark.parametrize("missing", ["null", ""])
def test_the_export_imports_back_changing_nothing(
    people, admin_user, tmp_path, extra_columns, missing
):
    bare = DeviceFactory(user=people["dave"], name="never backed up", last_connected_date=None)
    sams = DeviceFactory(user=people["sam"])
    ArchiveFactory(device=sams, selected_bytes=None, last_activity=None)
    data = b"".join(csv_chunks(report_query({}, admin_user).rows, extra_columns))
    header, *rows = csv_table(data)
    assert "null" in {cell for row in rows for cell in row}
    cells = [
        {name: missing if cell == "null" else cell for name, cell in zip(header, row, strict=True)}
        for row in rows
    ]
    path = write_csv(tmp_path / "export.csv", cells, columns=header)
    before = database_snapshot()
    assert "Imported: 0 created, 0 updated" in run("import_backup_report", path)
    assert database_snapshot() == before
    assert ReportRow.objects.get(device_uid=bare.device_uid).archive_guid is None


@pytest.mark.parametrize("column", list(COLUMNS))
def test_every_column_reads_null_and_an_empty_cell_alike(column):
    parse = parser_for(*COLUMNS[column])
    assert parse("null") == parse("") == parse(" null ")
