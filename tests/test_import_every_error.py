"""Checking a file whole (CsvFile(every_error=True), what an upload's preview does): every
bad row is named with its line and column, and the file is still refused as a whole."""

from __future__ import annotations

import pytest

from reports.importing import csv_file as csv_module
from reports.importing.changes import Timings
from reports.importing.csv_file import CsvFile, FileErrors, ImportFailed
from reports.importing.environment import Files, apply_files
from reports.importing.orgs import parse as parse_tree
from reports.importing.report_csv import parse as parse_report
from reports.row import FIELD_NAMES
from tests.import_support import database_snapshot, write_csv
from tests.test_import_backup_report import vendor_row

ORG_COLUMNS = ("orgUid", "orgName", "orgExtRef", "parentOrgUid")


def where(errors: list[ImportFailed]) -> list[tuple[int | None, str | None]]:
    return [(error.line, error.column) for error in errors]


def test_every_bad_cell_of_the_report_is_named(tmp_path):
    rows = [
        vendor_row(1),
        vendor_row(2, lastConnectedDate="yesterday"),
        vendor_row(3),
        vendor_row(4, selectedBytes="lots", deviceUid=""),
        vendor_row(5, userUid="", username=""),
        vendor_row(6, lastCompletedBackupDate="2024-13-45T00:00:00Z", selectedBytes="abc"),
    ]
    path = write_csv(tmp_path / "report.csv", rows)

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))

    errors = raised.value.errors

    # Every bad cell of a row, in the file's column order, a required one left empty
    # too: the preview named a row's first alone (found by an audit).
    def in_file_order(*columns: str) -> list[str]:
        return sorted(columns, key=FIELD_NAMES.index)

    assert where(errors) == [
        (3, "lastConnectedDate"),
        *((5, column) for column in in_file_order("selectedBytes", "deviceUid")),
        *((6, column) for column in in_file_order("userUid", "username")),
        *((7, column) for column in in_file_order("lastCompletedBackupDate", "selectedBytes")),
    ]
    assert raised.value.count == 7
    assert "yesterday" in errors[0].message
    assert str(raised.value).endswith("(and 6 more errors)")


def test_an_import_still_stops_at_the_first_bad_row(tmp_path):
    rows = [vendor_row(1, lastConnectedDate="yesterday"), vendor_row(2, userUid="")]
    path = write_csv(tmp_path / "report.csv", rows)

    with pytest.raises(ImportFailed) as raised:
        parse_report(CsvFile(path))

    assert not isinstance(raised.value, FileErrors)
    assert (raised.value.line, raised.value.column) == (2, "lastConnectedDate")


def test_rows_of_the_wrong_length_are_each_named(tmp_path):
    path = write_csv(tmp_path / "report.csv", [vendor_row(1), vendor_row(2), vendor_row(3)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1] + ",extra"
    lines[3] = ",".join(lines[3].split(",")[:5])
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert [error.line for error in raised.value.errors] == [2, 4]
    assert "the header has" in raised.value.errors[0].message


def test_a_fault_that_ends_the_reading_comes_after_the_rows_before_it(tmp_path):
    # Far enough down that the text is decoded after the first rows were read.
    rows = [vendor_row(1, selectedBytes="x")] + [vendor_row(n) for n in range(2, 100)]
    path = write_csv(tmp_path / "report.csv", rows)
    path.write_bytes(path.read_bytes() + b"\xff\xfe not text\r\n")

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert [error.message for error in raised.value.errors][1:] == [
        "is not UTF-8 text (save or export it as UTF-8 CSV)"
    ]
    assert raised.value.errors[0].column == "selectedBytes"


def test_duplicate_usernames_are_each_named(tmp_path):
    rows = [
        vendor_row(1, username="same"),
        vendor_row(2, username="same"),
        vendor_row(3, username="other"),
        vendor_row(4, username="other"),
    ]
    path = write_csv(tmp_path / "report.csv", rows)

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert where(raised.value.errors) == [(3, "username"), (5, "username")]


def test_many_errors_are_counted_and_the_first_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_module, "MAX_ERRORS", 3)
    rows = [vendor_row(n, selectedBytes="x") for n in range(1, 8)]
    path = write_csv(tmp_path / "report.csv", rows)

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert [error.line for error in raised.value.errors] == [2, 3, 4]
    assert raised.value.count == 7


@pytest.mark.django_db  # its tree is checked against the orgs known, with the cells
def test_every_bad_row_of_the_org_tree_is_named(tmp_path):
    rows = [
        {"orgUid": "org-a", "orgName": "A"},
        {"orgUid": "", "orgName": "nameless"},
        {"orgUid": "org-a", "orgName": "A again"},
        {"orgUid": "org-b", "orgName": "B" * 500},
    ]
    path = write_csv(tmp_path / "orgs.csv", rows, columns=ORG_COLUMNS)

    with pytest.raises(FileErrors) as raised:
        parse_tree(CsvFile(path, every_error=True))

    assert where(raised.value.errors) == [(3, "orgUid"), (4, "orgUid"), (5, "orgName")]


@pytest.mark.django_db
def test_unknown_parents_are_each_named_and_nothing_is_written(tmp_path):
    rows = [
        {"orgUid": "org-a", "orgName": "A", "parentOrgUid": "org-nowhere"},
        {"orgUid": "org-b", "orgName": "B"},
        {"orgUid": "org-c", "orgName": "C", "parentOrgUid": "org-elsewhere"},
    ]
    tree = write_csv(tmp_path / "orgs.csv", rows, columns=ORG_COLUMNS)
    report = write_csv(tmp_path / "report.csv", [vendor_row(1, orgUid="org-b")])
    report_file, orgs_file = CsvFile(report, every_error=True), CsvFile(tree, every_error=True)
    files = Files(
        report_file, parse_report(report_file), orgs_file, parse_tree(orgs_file), Timings()
    )
    before = database_snapshot()

    with pytest.raises(FileErrors) as raised:
        apply_files(files, mirror_mode=True)

    assert where(raised.value.errors) == [(2, "parentOrgUid"), (4, "parentOrgUid")]
    assert database_snapshot() == before


def test_a_cell_too_long_for_csv_is_named_by_its_column(tmp_path):
    """csv stops at a cell over its limit without saying which: the column is found
    again, past quoted cells holding commas, quotes and line breaks before it."""
    rows = [
        vendor_row(1),
        vendor_row(2, deviceName='a "quoted", two-\nline name', osVersion="x" * 200_000),
    ]
    path = write_csv(tmp_path / "report.csv", rows)

    with pytest.raises(ImportFailed) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert where([raised.value]) == [(3, "osVersion")]
    assert raised.value.message == "the cell is longer than 131,072 characters"


def test_a_cell_too_long_is_named_past_a_quote_inside_an_unquoted_cell(tmp_path):
    """A quote inside an unquoted cell (13"x") is text to csv; the column was not found
    past one (the cells were read as csv_file read a long cell, otherwise than its bad
    quotes)."""
    rows = [vendor_row(1), vendor_row(2, deviceName='MacBook 13"x"', osVersion="x" * 200_000)]
    path = write_csv(tmp_path / "report.csv", rows)
    path.write_text(path.read_text().replace('"MacBook 13""x"""', 'MacBook 13"x"'))
    assert 'MacBook 13"x",' in path.read_text()  # unquoted, as csv.writer would not

    with pytest.raises(ImportFailed) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert where([raised.value]) == [(3, "osVersion")]


def test_a_rows_bad_cells_are_named_in_the_order_of_the_file_s_columns(tmp_path):
    """The cells were read in the vendor's column order: a file of its own order named
    a row's errors in another than the file's (found by a review)."""
    columns = list(reversed(FIELD_NAMES))
    row = vendor_row(1, lastCompletedBackupDate="soon", selectedBytes="lots", deviceUid="")
    path = write_csv(tmp_path / "report.csv", [row], columns=columns)
    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))
    named = [error.column for error in raised.value.errors]
    assert named == sorted(named, key=columns.index)
    assert len(named) == 3


def test_an_import_stopped_at_a_row_says_each_of_its_bad_cells(tmp_path):
    """An upload applied without its preview stops at the first bad row; its record
    counted one error however many cells were bad (found by a review)."""
    from reports.refresh.jobs import _errors

    path = write_csv(tmp_path / "report.csv", [vendor_row(1, selectedBytes="x", deviceUid="")])
    with pytest.raises(ImportFailed) as raised:
        parse_report(CsvFile(path))
    said = _errors(raised.value)
    assert said["error_count"] == 2
    assert {error["column"] for error in said["errors"]} == {"selectedBytes", "deviceUid"}


def test_the_command_and_the_run_log_say_each_bad_cell_of_the_row_it_stops_at(db, tmp_path):
    """The command's error and the run log said the row's first bad cell alone: the next
    was met only by running it again once that was mended (found by an audit)."""
    from django.core.management.base import CommandError

    from reports.refresh.models import Run
    from tests.import_support import run

    rows = [vendor_row(1), vendor_row(2, selectedBytes="17 GB", lastActivity="11/28/2026")]
    rows[1]["deviceName"] = "two\nlines"  # a later cell on a later line says its line
    columns = [c for c in FIELD_NAMES if c not in ("deviceName", "lastActivity")]
    columns += ["deviceName", "lastActivity"]
    path = write_csv(tmp_path / "report.csv", rows, columns=columns)
    said = (
        f'{path}, line 3, column selectedBytes: cannot read "17 GB" as a whole number of '
        'bytes; line 4, column lastActivity: cannot read "11/28/2026" as a date'
    )
    with pytest.raises(CommandError) as raised:
        run("import_backup_report", path)
    assert str(raised.value) == f"{said} (nothing was imported)"
    assert Run.objects.get().error == said


def test_the_header_again_in_the_file_is_one_error_that_says_so(tmp_path):
    """Two exports joined into one file (`cat a.csv b.csv`): the second header was read
    as a row, and the preview listed ten errors on its line, each a column's name that
    is no date or number ("cannot read "coldStorage" as true or false"), none saying
    what the line is (found by an audit)."""
    path = write_csv(tmp_path / "joined.csv", [vendor_row(1), vendor_row(2)])
    text = path.read_text(encoding="utf-8")
    path.write_text(text + text, encoding="utf-8")

    with pytest.raises(FileErrors) as raised:
        parse_report(CsvFile(path, every_error=True))

    assert where(raised.value.errors) == [(4, None)]
    assert raised.value.message == (
        "this line is the header again: two files joined into one? Only the first line "
        "may be the header"
    )
