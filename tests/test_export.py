"""The CSV export: PostgreSQL's COPY and the Python reader give the same bytes, and
those bytes are the report's rows, encoded and escaped, whatever the data holds."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection

from reports.export import copy_chunks, csv_chunks, csv_lines
from reports.query import report_query
from reports.row import ROW
from tests.api_support import API
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: COPY is its export path"
)


@pytest.fixture
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


def python_csv(rows) -> bytes:
    return "".join(csv_lines(rows)).encode()


def spreadsheet_safe(value: str | None) -> str:
    """A JSON value as the CSV should hold it: null empty, formula starts defused."""
    if value is None:
        return ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def expected_csv_table(rows) -> list[list[str]]:
    """The rows as a spreadsheet should read them, encoded from their columns."""
    return [
        list(ROW.names),
        *(
            [spreadsheet_safe(value) for value in row]
            for row in (ROW.encode_values(values) for values in rows.values_list(*ROW.attributes))
        ),
    ]


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
@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_copy_and_python_exports_are_byte_identical(awkward_fleet, admin_user, params):
    rows = report_query(params, admin_user).rows
    assert b"".join(copy_chunks(rows)) == python_csv(rows)


@on_postgres
def test_copy_export_keeps_the_role_limit(awkward_fleet, people):
    dave = people["dave"]
    rows = report_query({}, dave).rows
    copied = b"".join(copy_chunks(rows))
    assert copied == python_csv(rows)
    assert len(copied.decode().splitlines()) == 2  # the header and dave's one row


@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_the_csv_holds_the_rows_encoded_from_their_columns(awkward_fleet, admin_user, params):
    rows = report_query(params, admin_user).rows
    data = b"".join(csv_chunks(rows))
    assert list(csv.reader(io.StringIO(data.decode(), newline=""))) == expected_csv_table(rows)
    assert data.endswith(b"\n")


def test_formulas_are_defused(awkward_fleet, admin_user):
    rows = report_query({}, admin_user).rows
    table = list(csv.reader(io.StringIO(b"".join(csv_chunks(rows)).decode(), newline="")))
    cells = [cell for row in table for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells
    assert "'+tricky@example.com" in cells
    assert "'-LAPTOP\t1" in cells


def test_an_edit_reaches_the_export(awkward_fleet, admin_user):
    awkward_fleet.last_name = "Renamed"
    awkward_fleet.save()
    rows = report_query({"user": "renamed"}, admin_user).rows
    table = list(csv.reader(io.StringIO(b"".join(csv_chunks(rows)).decode(), newline="")))
    assert len(table) == 1 + 5
    assert {row[ROW.names.index("lastName")] for row in table[1:]} == {"Renamed"}
    assert table == expected_csv_table(rows)


@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_the_csv_rows_are_the_json_rows(client, awkward_fleet, admin_user, params):
    client.force_login(admin_user)
    data = client.get(API, {**params, "pgSize": 1000}).json()["data"]
    response = client.get(API, {**params, "export": "csv"})
    text = b"".join(response.streaming_content).decode()
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert rows == [[spreadsheet_safe(row[name]) for name in header] for row in data]
    if data:
        assert set(header) == set(data[0])  # every field, no other
