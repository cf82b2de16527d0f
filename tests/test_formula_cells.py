"""No file the product writes makes a spreadsheet run a formula (spec section 3's rule,
accounts.formula_cells): a device's name is its user's to choose, a failed sign-in's
username anyone's. The report's own export has its tests (test_api_report); these are
the other files, read back with the csv module and openpyxl (2026-12-06: a device named
=HYPERLINK(...) came out live from the spreadsheets and the rollup, a username from the
audit log)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.factories import ArchiveFactory, DeviceFactory
from tests.personas import ago

LINK = '=HYPERLINK("http://evil.example/","click")'
FIRST = "@SUM(1+1)"
STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(fleet):
    dave = fleet["users"]["dave"]
    dave.first_name = FIRST
    dave.save()
    ArchiveFactory(
        device=DeviceFactory(user=dave, name=LINK),
        last_completed_backup_date=ago(days=9),
        archive_bytes=500 * 1024**3,  # his largest device
    )
    return fleet


def rows_of_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = response.getvalue() if not response.streaming else b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def assert_no_formula(rows: list[list]) -> None:
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and cell.startswith(STARTS):
                raise AssertionError(f"a live formula: {cell!r} in {row}")


def test_the_dashboards_csv_spreadsheet(login, hostile):
    rows = rows_of_csv(login("root").get("/reports/backup-status/spreadsheet.csv?health=failing"))
    assert "'" + LINK in [cell for row in rows for cell in row]
    assert_no_formula(rows)


def test_the_dashboards_xlsx_spreadsheet_keeps_the_text_as_text(login, hostile):
    response = login("root").get("/reports/backup-status/spreadsheet.xlsx?health=failing")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == LINK]
    assert cells and all(cell.data_type == "s" for cell in cells)  # text, not a formula


def test_the_storage_rollup_csv(login, hostile):
    rows = rows_of_csv(login("root").get("/reports/disk-usage/by-user/?export=csv"))
    dave = next(row for row in rows if row[0] == "dave")
    assert "'" + FIRST in dave and "'" + LINK in dave  # his name; his largest device
    assert_no_formula(rows)


def test_the_audit_log_csv(login, hostile, client):
    client.post("/accounts/login/", {"username": LINK, "password": "x"}, HTTP_USER_AGENT="=1+2")
    rows = rows_of_csv(login("root").get("/audit/?format=csv"))
    cells = [cell for row in rows for cell in row]
    assert "'" + LINK in cells and "'=1+2" in cells
    assert_no_formula(rows)
