"""`manage.py import_backup_report FILE.csv` (spec section 6)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError

from accounts.models import Org, User
from reports.importing import values
from reports.importing.csv_file import LONGEST_LINE
from reports.models import Archive, Destination, Device, ReportRow, Server, UserSearch
from reports.row import FIELD_NAMES, ROW, VENDOR_CSV_HEADER
from tests.import_support import database_snapshot, run, write_csv
from tests.migrated_sqlite_support import migrated_sqlite, sqlite_environment
from tests.test_read_model import assert_in_step

UTC = dt.UTC


def vendor_row(n: int = 1, archive: int | None = 1, **cells: str) -> dict[str, str]:
    """Row n of a vendor export: user n owns device n; archive k of it unless None."""
    row = {
        "orgUid": "org-hq",
        "orgName": "Headquarters",
        "orgExtRef": "HQ",
        "userUid": f"user-{n}",
        "username": f"user{n}@example.com",
        "email": f"user{n}@example.com",
        "userExtRef": f"E{n:04d}",
        "userStatus": "Active",
        "firstName": "Ana",
        "lastName": f"Lastname{n}",
        "deviceUid": f"device-{n}",
        "deviceName": f"LAPTOP-{n}",
        "deviceOsHostname": f"laptop-{n}.corp",
        "deviceExtRef": f"ASSET-{n}",
        "version": "11.4.1.12",
        "status": "Active",
        "alertStates": "OK",
        "os": "mac",
        "osVersion": "14.6",
        "address": "10.0.0.7:4242",
        "remoteAddress": "203.0.113.7",
        "creationDate": "2025-01-02T03:04:05.000Z",
        "lastConnectedDate": "2026-11-28T10:00:00.000Z",
    }
    if archive is not None:
        row |= {
            "archiveGuid": f"archive-{n}-{archive}",
            "destinationUid": "dest-cloud",
            "destinationName": "Code42 Cloud US",
            "serverUid": "server-1",
            "serverName": "cloud-us-1",
            "selectedBytes": "524288000",
            "backupCompletePercentage": "99.5",
            "archiveBytes": "262144000",
            "coldStorage": "false",
            "lastCompletedBackupDate": "2026-11-28T09:00:00.000Z",
            "lastActivity": "2026-11-28T10:00:00.000Z",
            "mostRecentUserProfileCreationResult": "SUCCESS",
            "mostRecentUserProfileBackupResult": "SUCCESS",
        }
    return row | cells


@pytest.fixture
def report_csv(tmp_path):
    def make(rows, name="report.csv", **options) -> Path:
        return write_csv(tmp_path / name, rows, **options)

    return make


def import_report(path: Path, *args: str) -> str:
    return run("import_backup_report", path, *args)


# What the file makes


def test_it_creates_every_entity_and_the_report_rows(db, report_csv):
    path = report_csv(
        [vendor_row(1, archive=1), vendor_row(1, archive=2), vendor_row(2, archive=None)]
    )
    output = import_report(path)

    # An org, a destination, a server, two users, two devices, two archives.
    assert "Imported: 9 created, 0 updated, 0 unchanged." in output
    assert Org.objects.get().org_uid == "org-hq"
    assert Destination.objects.get().name == "Code42 Cloud US"
    assert Server.objects.get().destination.destination_uid == "dest-cloud"
    assert Device.objects.count() == 2
    assert Archive.objects.filter(device__device_uid="device-1").count() == 2
    assert ReportRow.objects.count() == 3
    bare = ReportRow.objects.get(device_uid="device-2")
    assert bare.archive_guid is None and bare.destination_name is None
    assert_in_step()


def test_imported_users_cannot_log_in_until_given_a_password(db, report_csv):
    import_report(report_csv([vendor_row(1)]))
    user = User.objects.get(user_uid="user-1")
    assert user.username == "user1@example.com"
    assert not user.has_usable_password()
    assert user.org.org_uid == "org-hq"


def test_an_unknown_org_is_created_at_the_top_and_a_known_one_keeps_its_parent(orgs, report_csv):
    rows = [
        vendor_row(1, orgUid="org-sales", orgName="Sales & Marketing"),
        vendor_row(2, orgUid="org-new", orgName="New Org"),
    ]
    import_report(report_csv(rows))
    sales = Org.objects.get(org_uid="org-sales")
    assert sales.name == "Sales & Marketing"
    assert sales.parent == orgs["emea"]
    assert sales.path == orgs["sales"].path
    new = Org.objects.get(org_uid="org-new")
    assert new.parent is None
    assert new.path == f"/{new.pk}/"
    assert_in_step()


def test_report_rows_encode_back_to_the_imported_cells(db, report_csv):
    """Round trip: the 37 fields in, the same 37 vendor strings out."""
    rows = [
        vendor_row(
            1, archive=1, coldStorage="true", coldStorageExpireDate="2027-01-01T00:00:00.000Z"
        ),
        vendor_row(1, archive=2, backupCompletePercentage="0.0", lastCompletedBackupDate=""),
        vendor_row(2, archive=None, lastName="Sørensen", userExtRef=""),
        vendor_row(3, deviceName='Room 4, "Lab"\nsecond line', alertStates="WarningBackupAlert"),
    ]
    import_report(report_csv(rows))

    def encoded(row: ReportRow) -> dict:
        return ROW.encode_dict(getattr(row, attribute) for attribute in ROW.attributes)

    imported = sorted(
        (encoded(row) for row in ReportRow.objects.all()),
        key=lambda r: (r["deviceUid"], r["archiveGuid"] or ""),
    )
    expected = sorted(
        ({name: row.get(name) or None for name in FIELD_NAMES} for row in rows),
        key=lambda r: (r["deviceUid"], r["archiveGuid"] or ""),
    )
    assert imported == expected


def test_columns_are_found_by_name_in_any_order_with_extras(db, report_csv):
    columns = ["Unrelated", *reversed(VENDOR_CSV_HEADER), "notes"]
    import_report(report_csv([vendor_row(1) | {"Unrelated": "x", "notes": "y"}], columns=columns))
    assert Archive.objects.get().archive_bytes == 262144000


def test_a_column_named_twice_is_refused_only_when_it_is_read(db, report_csv):
    """Spec 6: extra columns do not matter, twice as much as once; `notes,notes` stopped
    every import (found by an audit). A column the import reads, named twice, holds a
    value no one can pick, and is refused as before."""
    columns = [*VENDOR_CSV_HEADER, "notes", "notes"]
    import_report(report_csv([vendor_row(1) | {"notes": "y"}], columns=columns))
    assert Archive.objects.get().archive_bytes == 262144000
    for twice in ("deviceName", "firstName"):  # the vendor's, and an extra one it reads
        path = report_csv([vendor_row(2)], columns=[*VENDOR_CSV_HEADER, "firstName", twice])
        with pytest.raises(
            CommandError, match=rf"line 1, column {twice}: the header names this column twice"
        ):
            import_report(path)
    assert Archive.objects.count() == 1  # nothing of the refused files


def test_columns_the_vendor_does_not_write_are_left_alone(db, report_csv):
    import_report(report_csv([vendor_row(1, lastName="Dunn")]))
    import_report(report_csv([vendor_row(1, email="new@example.com")], columns=VENDOR_CSV_HEADER))
    user = User.objects.get()
    assert (user.email, user.last_name) == ("new@example.com", "Dunn")


# What the vendor writes


def test_it_reads_null_for_missing_dates_numbers_and_text(db, report_csv):
    row = vendor_row(
        1,
        lastConnectedDate="null",
        selectedBytes="null",
        backupCompletePercentage="NULL",
        coldStorage="null",
        userExtRef="null",
        deviceOsHostname="null",
    )
    import_report(report_csv([row]))
    device, archive = Device.objects.get(), Archive.objects.get()
    assert device.last_connected_date is None
    assert device.os_hostname == ""
    assert archive.selected_bytes is None
    assert archive.backup_complete_percentage is None
    assert archive.cold_storage is False
    report_row = ReportRow.objects.get()
    assert report_row.user_ext_ref is None and report_row.last_connected_date is None


def test_it_reads_empty_cells_as_missing(db, report_csv):
    row = vendor_row(1, lastActivity="", archiveBytes="", email="", alertStates="")
    import_report(report_csv([row]))
    archive = Archive.objects.get()
    assert (archive.last_activity, archive.archive_bytes) == (None, None)
    assert ReportRow.objects.get().email is None


EXPECTED = dt.datetime(2026, 11, 28, 14, 3, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("2026-11-28T14:03:07Z", EXPECTED),
        ("2026-11-28T14:03:07.000Z", EXPECTED),
        ("2026-11-28T14:03:07.250Z", EXPECTED.replace(microsecond=250000)),
        ("2026-11-28T14:03:07+00:00", EXPECTED),
        ("2026-11-28T15:03:07+01:00", EXPECTED),
        ("2026-11-28T09:03:07.000-05:00", EXPECTED),
        ("2026-11-28 14:03:07", EXPECTED),
        ("Nov 28, 2026 2:03:07 PM", EXPECTED),
        ("Nov 28, 2026 02:03:07\u202fPM", EXPECTED),  # what newer Java runtimes write
        ("Nov 28, 2026 12:03:07 AM", EXPECTED.replace(hour=0)),
        (" null ", None),
        ("", None),
    ],
)
def test_it_reads_every_date_form_the_vendor_writes(cell, expected):
    assert values.datetime(cell) == expected


@pytest.mark.parametrize(
    "cell", ["yesterday", "Nov 31, 2026 1:00:00 PM", "2026-13-01", "Foo 1, 2026 1:00:00 AM"]
)
def test_it_refuses_what_is_not_a_date(cell):
    with pytest.raises(values.CellError, match="as a date"):
        values.datetime(cell)


def test_a_number_of_bytes_is_read_whatever_its_leading_zeros():
    """More than 4,300 digits is too many for int(), zeros leading or not."""
    assert values.byte_count("0" * 4300 + "7") == 7
    with pytest.raises(values.CellError, match="too large"):
        values.byte_count("1" + "0" * 4300)


def test_dates_in_every_form_reach_the_database_in_utc(db, report_csv):
    rows = [
        vendor_row(1, lastConnectedDate="Nov 28, 2026 10:15:03 AM"),
        vendor_row(2, lastConnectedDate="2026-11-28T11:15:03.000+01:00"),
        vendor_row(3, lastConnectedDate="2026-11-28T10:15:03Z"),
    ]
    import_report(report_csv(rows))
    moments = set(Device.objects.values_list("last_connected_date", flat=True))
    assert moments == {dt.datetime(2026, 11, 28, 10, 15, 3, tzinfo=UTC)}


def test_it_reads_a_byte_order_mark_quoted_cells_and_non_ascii_names(db, report_csv):
    name = 'Room 4, "Lab"\r\nsecond line'
    row = vendor_row(1, deviceName=name, lastName="Åkesson-Ørsted 李", orgName="Département, Paris")
    import_report(report_csv([row], bom=True))
    device = Device.objects.get()
    assert device.name == name
    assert device.user.last_name == "Åkesson-Ørsted 李"
    assert Org.objects.get().name == "Département, Paris"
    assert "åkesson-ørsted 李" in UserSearch.objects.get(owner_id=device.user_id).user_search


@pytest.mark.parametrize(
    "cell, expected", [("true", True), ("TRUE", True), ("False", False), ("fAlSe", False)]
)
def test_booleans_in_any_letter_case(db, report_csv, cell, expected):
    import_report(report_csv([vendor_row(1, coldStorage=cell)]))
    assert Archive.objects.get().cold_storage is expected


def test_numbers_and_alert_states(db, report_csv):
    row = vendor_row(
        1,
        selectedBytes="1099511627776",
        archiveBytes="0",
        backupCompletePercentage="100",
        alertStates=" WarningBackupAlert   CriticalConnectionAlert ",
    )
    import_report(report_csv([row]))
    archive, report_row = Archive.objects.get(), ReportRow.objects.get()
    assert (archive.selected_bytes, archive.archive_bytes) == (1099511627776, 0)
    assert archive.backup_complete_percentage == 100.0
    assert report_row.alert_states == "WarningBackupAlert CriticalConnectionAlert"
    assert report_row.alerted


# Bad files


@pytest.mark.parametrize(
    "column, cell, message",
    [
        ("lastConnectedDate", "yesterday", 'cannot read "yesterday" as a date'),
        ("selectedBytes", "12.5", 'cannot read "12.5" as a whole number of bytes'),
        ("archiveBytes", "-1", "whole number of bytes"),
        ("archiveBytes", str(2**63 - 1), "too large for a number of bytes (at most 9,007,"),
        ("selectedBytes", str(2**53), "too large for a number of bytes"),
        # int() refused 4,301 digits with a ValueError: the import stopped unsaid.
        ("archiveBytes", "9" * 4301, "too large for a number of bytes"),
        ("backupCompletePercentage", "ninety", "as a percentage"),
        ("backupCompletePercentage", "100.1", "from 0 to 100"),
        ("coldStorage", "yes", 'cannot read "yes" as true or false'),
        ("deviceUid", "", "deviceUid is missing"),
        ("userUid", "null", "userUid is missing"),
        ("orgUid", " ", "orgUid is missing"),
        ("username", "", "username is missing"),
        ("status", "Actve", '"Actve" is not one of Active, Deactivated'),
        ("deviceName", "x" * 201, "at most 200 fit"),
        ("deviceUid", "9E+17", "is a number as a spreadsheet rounds it"),
        ("archiveGuid", "8.00000000000000E+17", "is a number as a spreadsheet rounds it"),
    ],
)
def test_a_bad_cell_names_file_line_and_column(db, report_csv, column, cell, message):
    rows = [vendor_row(n) for n in range(1, 5)]
    rows[2][column] = cell
    path = report_csv(rows)
    with pytest.raises(CommandError) as error:
        import_report(path)
    assert str(error.value).startswith(f"{path}, line 4, column {column}: ")
    assert message in str(error.value)
    assert not Device.objects.exists()


def test_uids_a_spreadsheet_rounded_are_refused_not_merged(db, report_csv):
    """A file saved by Excel holds its 18-digit uids as 9E+17: every device of it was
    imported as one device "9E+17", every person as one person, without a word (found
    by an audit). A uid with an E that is no such number stays a uid."""
    rows = [vendor_row(n, userUid="7E+17", deviceUid="9E+17", archiveGuid="8E+17") for n in (1, 2)]
    with pytest.raises(CommandError, match=r"line 2, column archiveGuid: \"8E\+17\" is a number"):
        import_report(report_csv(rows))
    assert not Device.objects.exists()
    import_report(report_csv([vendor_row(1, deviceUid="9E+17A"), vendor_row(2, deviceUid="E+17")]))
    assert set(Device.objects.values_list("device_uid", flat=True)) == {"9E+17A", "E+17"}


def test_line_numbers_count_the_lines_inside_quoted_cells(db, report_csv):
    rows = [vendor_row(1, deviceName="two\nthree\nfour"), vendor_row(2), vendor_row(3)]
    rows[2]["lastConnectedDate"] = "yesterday"
    path = report_csv(rows, newline="\n")
    with pytest.raises(CommandError, match=r"line 6, column lastConnectedDate"):
        import_report(path)


def test_the_line_is_the_one_the_bad_cell_is_on(db, report_csv):
    # The bad cell comes after a cell with a line break in the same record.
    columns = ["deviceName", *(c for c in VENDOR_CSV_HEADER if c != "deviceName")]
    rows = [vendor_row(1, deviceName="first\nsecond", lastConnectedDate="soon")]
    with pytest.raises(CommandError, match=r"line 3, column lastConnectedDate"):
        import_report(report_csv(rows, columns=columns))


def test_a_missing_required_column_is_named(db, report_csv):
    columns = [c for c in VENDOR_CSV_HEADER if c != "archiveBytes"]
    path = report_csv([vendor_row(1)], columns=columns)
    with pytest.raises(
        CommandError, match=rf"^{path}, line 1, column archiveBytes: required column"
    ):
        import_report(path)


@pytest.mark.parametrize(("separator", "said"), [(";", "semicolons (;)"), ("\t", "tabs")])
def test_a_file_separated_otherwise_is_said_so(db, report_csv, separator, said):
    """A spreadsheet's "CSV" where the comma is the decimal mark: every column was said
    to be missing, all 34 named (found by an audit)."""
    path = report_csv([vendor_row(1)])
    path.write_text(path.read_text(encoding="utf-8").replace(",", separator), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        import_report(path)
    assert str(error.value) == (
        f"{path}, line 1: the columns are separated by {said}, not commas: save or export the "
        "file as comma-separated CSV, as the vendor writes it (nothing was imported)"
    )


def test_a_short_row_names_the_first_missing_column(db, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(",".join(VENDOR_CSV_HEADER) + "\n" + "a,b,c\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 2, column orgExtRef: the row ends after 3 cells"):
        import_report(path)


def test_a_file_that_is_not_utf8_is_refused(db, tmp_path):
    path = tmp_path / "latin1.csv"
    text = (
        ",".join(VENDOR_CSV_HEADER)
        + "\n"
        + ",".join(vendor_row(1).get(c, "") for c in VENDOR_CSV_HEADER)
    )
    path.write_bytes(text.replace("Headquarters", "Hauptbüro").encode("latin-1"))
    with pytest.raises(CommandError, match=r"line 2, column orgName: is not UTF-8"):
        import_report(path)


@pytest.mark.parametrize("line", [1, 3])
def test_an_endless_line_is_refused_as_it_is_met(people, tmp_path, line):
    """A file of one endless line (a JSON export) was read whole into memory before csv
    refused it (2026-12-06): a line is read up to LONGEST_LINE characters."""
    lines = [",".join(VENDOR_CSV_HEADER)]
    lines += [",".join(vendor_row(n).get(c, "") for c in VENDOR_CSV_HEADER) for n in (1, 2)]
    lines.insert(line - 1, '[{"deviceUid": "1"}' + ", {}" * (LONGEST_LINE // 4))
    path = tmp_path / "endless.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = database_snapshot()
    with pytest.raises(CommandError, match=rf"line {line}: the line is longer than 8,388,608"):
        import_report(path)
    assert database_snapshot() == before


def test_a_bad_row_in_the_middle_leaves_the_database_exactly_as_it_was(people, report_csv):
    dave = people["dave"]
    rows = [vendor_row(n) for n in range(1, 60)]
    rows[0] |= {"userUid": dave.user_uid, "username": "dave", "lastName": "Renamed"}
    rows[30]["lastConnectedDate"] = "yesterday"
    before = database_snapshot()
    with pytest.raises(CommandError, match=r"line 32, column lastConnectedDate"):
        import_report(report_csv(rows))
    assert database_snapshot() == before


def test_a_username_of_someone_the_file_does_not_name_is_refused(people, report_csv):
    before = database_snapshot()
    path = report_csv([vendor_row(1), vendor_row(2, username="alice")])
    with pytest.raises(CommandError, match=r'line 3, column username: "alice" already belongs'):
        import_report(path)
    assert database_snapshot() == before


def test_two_users_of_one_file_cannot_share_a_username(db, report_csv):
    path = report_csv([vendor_row(1), vendor_row(2, username="user1@example.com")])
    with pytest.raises(
        CommandError, match=r"line 3, column username: .* userUid user-1 and user-2"
    ):
        import_report(path)


def test_users_may_swap_usernames(db, report_csv):
    import_report(report_csv([vendor_row(1), vendor_row(2)]))
    swapped = [
        vendor_row(1, username="user2@example.com"),
        vendor_row(2, username="user1@example.com"),
    ]
    assert "2 updated" in import_report(report_csv(swapped))
    assert User.objects.get(user_uid="user-1").username == "user2@example.com"
    assert_in_step()


def test_a_failure_exits_with_status_1_and_no_traceback(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [vendor_row(1, coldStorage="maybe")])
    # Migrated: the failure is written to the run log.
    env = sqlite_environment(migrated_sqlite(tmp_path / "unused.sqlite3"))
    result = subprocess.run(
        [sys.executable, "manage.py", "import_backup_report", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"{path}, line 2, column coldStorage" in result.stderr
    assert "Traceback" not in result.stderr


# Running it again, updating, dry runs


def test_a_second_import_of_the_same_file_changes_nothing(db, report_csv):
    path = report_csv([vendor_row(n, archive=a) for n in range(1, 6) for a in (1, 2)])
    import_report(path)
    before = database_snapshot()
    output = import_report(path)
    assert "Imported: 0 created, 0 updated" in output
    assert database_snapshot() == before


def test_a_renamed_user_updates_all_their_report_rows(people, report_csv):
    dave = people["dave"]
    row = vendor_row(
        9, userUid=dave.user_uid, username="dave", lastName="Dunnington", orgUid="org-accounting"
    )
    row["orgName"] = "Accounting"
    output = import_report(report_csv([row]))
    assert "users: 0 created, 1 updated" in output
    # dave's device from the fixture is not in the file; its row follows him all the same.
    assert set(ReportRow.objects.filter(owner_id=dave.pk).values_list("last_name", flat=True)) == {
        "Dunnington"
    }
    assert ReportRow.objects.filter(owner_id=dave.pk).count() == 2
    assert_in_step()


def test_updates_of_devices_archives_destinations_and_servers(people, report_csv):
    import_report(report_csv([vendor_row(1, archive=1), vendor_row(2, archive=1)]))
    moved = vendor_row(
        2,
        archive=1,
        archiveGuid="archive-1-1",  # the archive now belongs to device 2
        destinationUid="dest-cloud-1",  # the fixture's
        destinationName="Renamed Cloud",
        serverName="renamed-server",
        deviceName="RENAMED",
    )
    output = import_report(report_csv([moved]))
    assert "archives: 0 created, 1 updated" in output
    assert Archive.objects.get(archive_guid="archive-1-1").device.device_uid == "device-2"
    assert ReportRow.objects.get(device_uid="device-1").archive_guid is None
    # The fixture's archives share the destination and server: their rows follow too.
    fixture_rows = ReportRow.objects.filter(owner_id__in=[u.pk for u in people.values()])
    assert {(r.destination_name, r.server_name) for r in fixture_rows} == {
        ("Renamed Cloud", "renamed-server")
    }
    assert_in_step()


def test_a_dry_run_says_what_would_change_and_writes_nothing(people, report_csv):
    before = database_snapshot()
    dave = people["dave"]
    rows = [vendor_row(1), vendor_row(2, userUid=dave.user_uid, username="dave")]
    output = import_report(report_csv(rows), "--dry-run")
    assert "users: 1 created, 1 updated, 0 unchanged" in output
    assert "Dry run, nothing written." in output
    assert database_snapshot() == before


def test_a_large_share_of_the_fleet_rebuilds_and_a_small_one_refreshes(people, report_csv):
    output = import_report(report_csv([vendor_row(n) for n in range(1, 30)]))
    assert "Report rows: rebuilt" in output
    output = import_report(report_csv([vendor_row(1, deviceName="RENAMED")]))
    assert "Report rows: redone for 1 device." in output
    assert_in_step()


def test_null_is_missing_only_in_lower_case_for_text(db, report_csv):
    import_report(report_csv([vendor_row(1, lastName="Null", firstName="null")]))
    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("", "Null")


def test_spaces_around_a_uid_are_not_part_of_it(db, report_csv):
    import_report(report_csv([vendor_row(1, deviceUid=" device-1 ")]))
    assert Device.objects.get().device_uid == "device-1"


def test_blank_lines_are_skipped(db, tmp_path):
    path = write_csv(tmp_path / "blank.csv", [vendor_row(1), vendor_row(2)], newline="\n")
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert "2 rows read" in import_report(path)


def test_a_blank_line_above_the_header_is_said_so(db, tmp_path):
    """It was read as the header, and every column was said missing (found by an audit)."""
    path = write_csv(tmp_path / "late-header.csv", [vendor_row(1)])
    path.write_text("\r\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 1: the first line is blank: the header must"):
        import_report(path)
    assert not Device.objects.exists()


def test_rows_of_empty_cells_a_spreadsheet_saves_are_skipped(db, tmp_path):
    """Excel saves a row of commas for each row once used below the data: the import
    stopped at the first, "orgUid is missing" (found by an audit). A row with one cell
    is still a row."""
    path = write_csv(tmp_path / "empty-rows.csv", [vendor_row(1), vendor_row(2)])
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("," * 36 + "\r\n") * 3 + ",,\r\n", encoding="utf-8")
    assert "2 rows read" in import_report(path)
    path.write_text(text + "," * 20 + "x" + "," * 16 + "\r\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 4, column orgUid: orgUid is missing"):
        import_report(path)


def test_a_file_that_is_not_valid_csv_is_refused_with_its_line(db, tmp_path):
    path = write_csv(tmp_path / "quotes.csv", [vendor_row(1)], newline="\n")
    path.write_text(path.read_text(encoding="utf-8") + '"unclosed,"x"y\n', encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 3, column archiveGuid: not valid CSV"):
        import_report(path)


@pytest.mark.parametrize(
    ("cell", "cut", "error"),
    [
        ('"MacBook"Pro', False, "',' expected after '\"'"),
        ('"MacBook Pro, the one', True, "unexpected end of data"),
    ],
)
def test_a_cell_csv_refuses_is_named_by_its_column(db, tmp_path, cell, cut, error):
    """Text after a closing quote, or a file cut inside a quoted cell: the error gave
    the line alone (found by an audit of the import)."""
    rows = [vendor_row(1), vendor_row(2, deviceName="PLACEHOLDER"), vendor_row(3)]
    path = write_csv(tmp_path / "bad.csv", rows, newline="\n")
    text = path.read_text(encoding="utf-8").replace("PLACEHOLDER", cell)
    if cut:
        text = text[: text.index(cell) + len(cell)]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        import_report(path)
    assert f"line 3, column deviceName: not valid CSV ({error})" in str(refused.value)


def test_a_quote_never_closed_in_a_long_file_is_said_to_be_one(db, tmp_path):
    """A quote opened and never closed, with more of the file after it than a cell may
    hold: csv reads on to its limit, and the error said only that the cell was too long,
    sending the person after a long cell the file does not have (found by an audit)."""
    rows = [vendor_row(n, deviceName=f"PC-{n}") for n in range(1, 2001)]
    path = write_csv(tmp_path / "open-quote.csv", rows, newline="\n")
    text = path.read_text(encoding="utf-8").replace("PC-5,", '"PC-5,', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        import_report(path)
    said = str(refused.value)
    assert "line 6, column deviceName: the cell is longer than 131,072 characters" in said
    assert "as a cell whose opening quote is never closed does: is the closing quote" in said


def test_a_missing_file_is_named(db, tmp_path):
    with pytest.raises(CommandError, match=r"nosuch.csv: No such file"):
        import_report(tmp_path / "nosuch.csv")


@pytest.mark.parametrize("command", ["import_backup_report", "import_orgs"])
def test_a_pipe_is_refused_as_what_it_is(db, tmp_path, command):
    """The import reads its file more than once (the header, then the rows; on
    PostgreSQL by COPY): given a pipe (`/dev/stdin`, `<(curl ...)`), PostgreSQL said "the
    file is empty" of a whole export, and SQLite imported it (found by an audit of
    section 6). Both say what it is, in the run log too, and import nothing."""
    from reports.refresh.models import Run

    data = write_csv(tmp_path / "report.csv", [vendor_row(1), vendor_row(2)]).read_bytes()
    if command == "import_orgs":
        data = b"orgUid,orgName,orgExtRef,parentOrgUid\norg-a,A,,\n"
    before = database_snapshot()
    reading, writing = os.pipe()
    feeding = threading.Thread(target=lambda: _feed(writing, data))
    feeding.start()
    try:
        with pytest.raises(CommandError, match=rf"/dev/fd/{reading}: is not a regular file"):
            run(command, Path(f"/dev/fd/{reading}"))
    finally:
        os.close(reading)  # the writer's wait, if nothing read the pipe, ends
        feeding.join()
    assert database_snapshot() == before
    (failed,) = Run.objects.all()
    assert failed.outcome == Run.Outcome.FAILED and "not a regular file" in failed.error


def _feed(pipe: int, data: bytes) -> None:
    try:
        with os.fdopen(pipe, "wb") as file:
            file.write(data)
    except BrokenPipeError:
        pass


def test_the_benchmark_file_imports_and_reimports_cleanly(db, tmp_path):
    path, orgs_path = tmp_path / "fleet.csv", tmp_path / "orgs.csv"
    script = Path(settings.BASE_DIR) / "bench" / "make_vendor_csv.py"
    subprocess.run(
        [sys.executable, str(script), "400", str(path), "--orgs-csv", str(orgs_path)], check=True
    )
    run("import_orgs", orgs_path)
    assert "400 rows read" in import_report(path)
    assert ReportRow.objects.count() == 400
    assert ReportRow.objects.filter(archive_guid__isnull=True).exists()
    assert_in_step()
    assert "Imported: 0 created, 0 updated" in import_report(path)
