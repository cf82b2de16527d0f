"""The dashboards' spreadsheet exports (issue 27): what is on screen, every row, within
reach, as XLSX (read back with openpyxl) and as CSV with a BOM and a health column;
file names that say the report, the filter and the time; the vendor CSV untouched."""

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from django.utils.http import urlencode

from tests.personas import all_device_names, device_names_seen_by

ROLES = ["root", "alice", "carol", "dave", "sam"]


def export(client, slug: str, fmt: str, **params):
    return client.get(f"/reports/{slug}/spreadsheet.{fmt}?{urlencode(params)}")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_role_gets_exactly_its_reach(login, name, fmt):
    client = login(name)
    response = export(client, "backup-status", fmt, view="archives", srtDir="asc")
    assert response.status_code == 200
    rows = xlsx_rows(response) if fmt == "xlsx" else csv_rows(response)
    header, data = rows[0], rows[1:]
    assert header[0] == "Device" and header[-1] == "Device health"
    assert {row[0] for row in data} == device_names_seen_by(name)
    if name == "root":
        assert {row[0] for row in data} == all_device_names()


def test_a_row_of_an_archive_says_its_health_is_its_devices(login, fleet):
    """One row per archive, each with its own last backup: the last column is the
    device's health (its stalest destination's, spec 11), as the page's column says in
    its title. Headed "Health" alone, the row of a copy backed up two hours ago read
    Critical (found by an audit of section 11)."""
    from tests.factories import ArchiveFactory
    from tests.personas import ago

    ArchiveFactory(device=fleet["critical"], last_completed_backup_date=ago(hours=2))
    rows = csv_rows(export(login("root"), "disk-usage", "csv", device="SAM-OLD"))
    assert rows[0][-1] == "Device health"
    assert [row[-1] for row in rows[1:]] == ["Critical", "Critical"]


def test_the_columns_and_health_are_those_on_screen(login, fleet):
    client = login("root")
    rows = xlsx_rows(export(client, "backup-status", "xlsx", view="devices", srtDir="asc"))
    header = rows[0]
    assert header == [
        "Device",
        "User",
        "Org",
        "OS",
        "Last connected (UTC)",
        "Stalest backup (UTC)",
        "Alerts",
        "Device health",
    ]
    health = {row[0]: row[-1] for row in rows[1:]}
    assert health["DAVE-WIN"] == "Warning"
    # The OS as the page says it, not the vendor's code "win" (found by an audit).
    assert {row[0]: row[3] for row in rows[1:]}["DAVE-WIN"] == "Windows"
    assert health["SAM-OLD"] == "Critical"
    assert health["ERIN-NEW"] == "Never backed up" or health["ERIN-NEW"].startswith("Never")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_destination_never_completed_is_said_as_on_the_page(login, fleet, fmt):
    """Left blank, the stalest backup read as never backed up beside Critical (found by
    an audit)."""
    from tests.factories import ArchiveFactory

    ArchiveFactory(device=fleet["users"]["dave"].devices.first(), last_completed_backup_date=None)
    client = login("root")
    response = export(client, "backup-status", fmt, view="devices", srtDir="asc")
    rows = xlsx_rows(response) if fmt == "xlsx" else csv_rows(response)
    header, data = rows[0], rows[1:]
    stalest = header.index("Stalest backup (UTC)")
    missing = [row for row in data if row[stalest] == "a destination never completed"]
    assert len(missing) == 1 and missing[0][-1] == "Critical"


def test_a_filter_narrows_the_file_and_sorts_it_as_the_page(login, fleet):
    client = login("root")
    response = export(
        client,
        "backup-status",
        "csv",
        view="devices",
        health="failing",
        srtKey="deviceName",
        srtDir="desc",
    )
    names = [row[0] for row in csv_rows(response)[1:]]
    assert names == sorted(names, reverse=True)
    assert set(names) == {"DAVE-WIN", "SAM-OLD", "ERIN-NEW"}


def test_non_ascii_names_and_empty_cells_survive(login, fleet):
    client = login("root")
    rows = csv_rows(export(client, "backup-status", "csv", view="devices", srtDir="asc"))
    text = "\n".join(",".join(row) for row in rows)
    assert "None" not in text and "null" not in text
    users = xlsx_rows(export(client, "disk-usage", "xlsx", srtDir="asc"))
    assert len(users) == len(csv_rows(export(client, "disk-usage", "csv", srtDir="asc")))


def test_a_date_before_the_year_1000_is_written_whole(login, fleet):
    """The CSV wrote an imported date of year 999 as "999-03-04 05:06:07", which a
    spreadsheet does not read as a date (strftime's %Y pads no year); the XLSX as the
    number -329018.8, which Excel, whose dates begin in 1900, shows as ####."""
    device = fleet["warning"]
    device.last_connected_date = dt.datetime(999, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    device.save()
    client = login("root")
    csv_row = csv_rows(export(client, "backup-status", "csv", deviceUid=device.device_uid))[1]
    xlsx_row = xlsx_rows(export(client, "backup-status", "xlsx", deviceUid=device.device_uid))[1]
    assert "0999-03-04 05:06:07" in csv_row and "0999-03-04 05:06:07" in xlsx_row
    assert any(isinstance(cell, dt.datetime) for cell in xlsx_row)  # its later dates


def test_control_characters_in_a_name_are_shown_not_a_500(login, fleet):
    """A device named with a BEL and an ESC (the import keeps them): openpyxl refused
    the sheet, a 500 (2026-12-06). Shown as U+FFFD; the CSV keeps them as they are."""
    device = fleet["warning"]
    device.name = "bell\x07dev\x1b[31m"
    device.save()  # its report rows follow
    client = login("root")
    response = export(client, "backup-status", "xlsx", view="devices", srtDir="asc")
    assert response.status_code == 200
    names = [row[0] for row in xlsx_rows(response)]
    assert "bell\ufffddev\ufffd[31m" in names
    csv_names = [row[0] for row in csv_rows(export(client, "backup-status", "csv"))]
    assert "bell\x07dev\x1b[31m" in csv_names


def test_file_names_say_report_filter_and_time_and_differ(login, fleet):
    client = login("root")
    names = set()
    for fmt in ("xlsx", "csv"):
        response = export(client, "backup-status", fmt, health="critical", srtDir="asc")
        disposition = response["Content-Disposition"]
        name = re.search(r'filename="([^"]+)"', disposition).group(1)
        assert re.fullmatch(
            rf"backup-status_active-true_health-critical_\d{{4}}-\d\d-\d\dT\d{{4}}Z\.{fmt}", name
        ) or re.fullmatch(rf"backup-status_health-critical_\d{{4}}-\d\d-\d\dT\d{{4}}Z\.{fmt}", name)
        names.add(name)
    assert len(names) == 2
    page = client.get("/reports/disk-usage/?srtDir=asc").content.decode()
    assert "spreadsheet.xlsx?" in page and "spreadsheet.csv?" in page


def test_bad_input_is_named_never_a_500(login, fleet):
    client = login("root")
    response = export(client, "backup-status", "csv", health="purple")
    assert response.status_code == 400 and b"health" in response.content
    assert export(client, "backup-status", "pdf").status_code == 404
    assert export(client, "no-such-report", "csv").status_code == 404
    assert export(client, "search", "csv").status_code == 400


def test_anonymous_is_sent_to_sign_in(client, fleet):
    response = export(client, "backup-status", "xlsx", srtDir="asc")
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_page_asked_with_only_its_paging_downloads_what_it_lists(login, fleet, fmt):
    """?pgSize=100 lists every row (only an address with nothing redirects to the
    report's defaults); its download links dropped the paging and, asked with nothing,
    the file listed the defaults' rows (found by an audit of the pages)."""
    client = login("root")
    page = client.get("/reports/backup-status/?pgSize=100")
    assert page.status_code == 200
    shown = [row.device_name for row in page.context["page"].rows]
    link = {"xlsx": page.context["links"].xlsx, "csv": page.context["links"].spreadsheet_csv}
    assert link[fmt] in page.content.decode().replace("&amp;", "&")
    response = client.get(link[fmt])
    rows = xlsx_rows(response) if fmt == "xlsx" else csv_rows(response)
    assert [row[0] for row in rows[1:]] == shown
