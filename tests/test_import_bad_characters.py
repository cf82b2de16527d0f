"""Cells the database cannot store (issue 23): a NUL character in text, which PostgreSQL
refuses, and a date that leaves the years 1 to 9999 once put in UTC. Every way in (the
upload's check, `import_backup_report`, `import_orgs`, the sync) names the file, line and
column, with a message a person can act on, never a raw DataError, OverflowError or
traceback; and nothing changes. On SQLite (which would keep a NUL) and PostgreSQL alike."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from reports.catalog import REPORTS
from reports.importing.csv_file import CsvFile, FileErrors
from reports.importing.report_csv import parse as parse_report
from reports.models import Device
from reports.refresh.models import Run, Upload
from reports.row import VENDOR_CSV_HEADER
from tests.import_support import database_snapshot, run, write_csv
from tests.refresh_support import EXPORT, canned_vendor, csv_file, run_worker
from tests.test_import_backup_report import vendor_row
from tests.test_sync_hostile import csv_answer

NUL = "\x00"
# Each bad cell of one row, and what the error says about it.
BAD_CELLS = {
    "deviceName": (f"LAPTOP{NUL}1", "holds a NUL character (\\x00) at position 7"),
    "email": (f"ana{NUL}@example.com", "holds a NUL character (\\x00) at position 4"),
    "username": (f"{NUL}ana", "holds a NUL character (\\x00) at position 1"),
    "deviceUid": (f"device-{NUL}", "holds a NUL character (\\x00) at position 8"),
    "alertStates": (f"OK{NUL}", "holds a NUL character (\\x00)"),
    "status": (f"Active{NUL}", '"Active\\x00" is not one of'),
    "lastConnectedDate": (
        "0001-01-01T00:00:00+14:00",
        '"0001-01-01T00:00:00+14:00" is outside the dates that can be stored',
    ),
    "lastCompletedBackupDate": (
        "9999-12-31T23:59:59-14:00",
        '"9999-12-31T23:59:59-14:00" is outside the dates that can be stored',
    ),
}


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def vendor(settings, tmp_path):
    with canned_vendor(settings, tmp_path) as canned:
        yield canned


def bad_report(tmp_path, column: str, name: str = "report.csv"):
    cell, _ = BAD_CELLS[column]
    return write_csv(tmp_path / name, [vendor_row(1), vendor_row(2, **{column: cell})])


def test_the_check_names_every_bad_cell(tmp_path):
    rows = [vendor_row(1)] + [
        vendor_row(n, **{column: cell})
        for n, (column, (cell, _)) in enumerate(BAD_CELLS.items(), 2)
    ]
    path = write_csv(tmp_path / "report.csv", rows)

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, "report.csv", every_error=True))

    errors = raised.value.errors
    assert [(e.line, e.column) for e in errors] == [
        (line, column) for line, column in enumerate(BAD_CELLS, 3)
    ]
    for error, (_, message) in zip(errors, BAD_CELLS.values(), strict=True):
        assert message in error.message
        assert NUL not in str(error)  # a message the log and JSON can hold


@pytest.mark.django_db
@pytest.mark.parametrize("column", BAD_CELLS)
def test_import_backup_report_names_file_line_and_column(tmp_path, column):
    run("import_backup_report", write_csv(tmp_path / "first.csv", [vendor_row(1)]))
    before = database_snapshot()
    path = bad_report(tmp_path, column)

    with pytest.raises(CommandError) as raised:
        run("import_backup_report", path)

    _, message = BAD_CELLS[column]
    assert f"report.csv, line 3, column {column}: " in str(raised.value)
    assert message in str(raised.value)
    assert str(raised.value).endswith("(nothing was imported)")
    assert database_snapshot() == before
    failed = Run.objects.first()
    assert failed.outcome == Run.Outcome.FAILED and message in failed.error


@pytest.mark.django_db
def test_import_orgs_names_a_nul_in_an_org_name(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        f"orgUid,orgName,orgExtRef,parentOrgUid\norg-a,A,,\norg-b,B{NUL},,org-a\n",
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match=r"orgs.csv, line 3, column orgName: holds a NUL"):
        run("import_orgs", path)

    assert not Device.objects.exists() and not Run.objects.filter(outcome="succeeded").exists()


@pytest.mark.django_db
def test_a_lone_surrogate_cannot_reach_the_database(tmp_path):
    """The other thing PostgreSQL refuses in text, a surrogate alone, cannot come out of
    the UTF-8 decoder: its bytes (ED A0 80) are not UTF-8, named with their line."""
    path = write_csv(tmp_path / "report.csv", [vendor_row(1), vendor_row(2, deviceName="LAPTOP")])
    data = path.read_bytes().replace(b"LAPTOP,", b"LAPTOP\xed\xa0\x80,")

    path.write_bytes(data)
    with pytest.raises(CommandError, match=r"report.csv, line 3, column deviceName: is not UTF-8"):
        run("import_backup_report", path)

    assert not Device.objects.exists()


@pytest.mark.django_db
def test_the_dates_at_either_end_of_what_is_stored_are_kept(tmp_path, client, personas):
    """Just inside the range in UTC: stored and read back as they were."""
    path = write_csv(
        tmp_path / "report.csv",
        [
            vendor_row(1, lastConnectedDate="0001-01-01T00:00:00.000Z"),
            vendor_row(2, lastCompletedBackupDate="9999-12-31T23:59:59.000Z"),
        ],
    )
    run("import_backup_report", path)

    first = Device.objects.get(device_uid="device-1")
    assert first.last_connected_date.year == 1
    client.force_login(personas["sysadmin"])
    pages = ["/", "/api/DeviceBackupReport", "/api/DeviceBackupReport?export=csv"]
    for url in pages + [report.default_url for report in REPORTS.values()]:
        assert client.get(url).status_code == 200, url
    assert client.get(f"/devices/{first.device_uid}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["deviceName", "email", "lastConnectedDate"])
def test_the_upload_check_names_the_cell_and_changes_nothing(login, tmp_path, column):
    root = login("root")
    before = database_snapshot()
    path = bad_report(tmp_path, column, "DeviceBackupReport.csv")

    response = root.post(
        reverse("upload-files"), {"report": csv_file(path.name, path.read_bytes())}
    )
    assert response.status_code == 302
    run_worker()

    (upload,) = Upload.objects.all()
    assert upload.state == Upload.State.INVALID
    assert [(e["file"], e["line"], e["column"]) for e in upload.errors] == [
        ("DeviceBackupReport.csv", 3, column)
    ]
    assert BAD_CELLS[column][1] in upload.errors[0]["message"]
    page = root.get(reverse("upload", args=[upload.pk])).content.decode()
    assert "1 error: the files were refused, nothing was changed" in page
    assert database_snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["deviceName", "lastCompletedBackupDate"])
def test_the_sync_names_the_cell_and_changes_nothing(vendor, personas, tmp_path, column):
    cell, message = BAD_CELLS[column]
    rows = [vendor_row(1), vendor_row(2, **{column: cell})]
    vendor.on(
        EXPORT, csv_answer(write_csv(tmp_path / "x.csv", rows, VENDOR_CSV_HEADER).read_bytes())
    )
    before = database_snapshot()

    with pytest.raises(CommandError) as raised:
        call_command("sync_vendor", stdout=io.StringIO())

    assert f"line 3, column {column}: {message}" in str(raised.value)
    assert database_snapshot() == before
    run_ = Run.objects.get()
    assert run_.outcome == Run.Outcome.FAILED and f"column {column}" in run_.error


@pytest.mark.django_db
def test_a_latin_1_name_is_named_by_its_line_and_column(tmp_path):
    """A name saved as Latin-1 among UTF-8 rows was said by its line alone (found by an
    audit of the import): its column too, so that it can be found and fixed."""
    rows = [vendor_row(n) for n in range(1, 12)] + [vendor_row(12, lastName="PLACEHOLDER")]
    path = write_csv(tmp_path / "report.csv", rows)
    path.write_bytes(path.read_bytes().replace(b"PLACEHOLDER", "Müller".encode("latin-1")))
    with pytest.raises(CommandError) as refused:
        run("import_backup_report", path)
    assert "report.csv, line 13, column lastName: is not UTF-8 text" in str(refused.value)
