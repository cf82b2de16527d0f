"""The import by the database against the Python path on small files with one oddity
each: the cases tests/test_import_in_database.py's big fleet leaves out (found by an
audit of sections 6 and 8: both paths already agreed on every one; kept so that they
go on agreeing). Each file is imported by both paths onto the same first import, as a
sync would (the second import, by the database, reads it against the first one's
snapshot where it can): the same tables, report rows and summary, or the same error
by file, line and column."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from reports.importing.csv_file import ImportFailed
from reports.importing.environment import apply_files, read_files
from reports.importing.in_database import StagedReport
from reports.row import FIELD_NAMES
from tests.test_import_in_database import state

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

ROWS = 60


@pytest.fixture
def first(db, tmp_path) -> list[dict]:
    """A small fleet's export, imported as a sync would: its rows, for each case to alter."""
    path = tmp_path / "first.csv"
    script = Path(settings.BASE_DIR) / "bench" / "make_vendor_csv.py"
    subprocess.run([sys.executable, str(script), str(ROWS), str(path)], check=True)
    apply_files(read_files(path), mirror_mode=True)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def text(rows: list[dict], columns=FIELD_NAMES, newline: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator=newline)
    writer.writeheader()
    writer.writerows({column: row.get(column, "") for column in columns} for row in rows)
    return out.getvalue()


def for_person(rows: list[dict], at: int, **cells) -> list[dict]:
    """Every row of the person of row `at` given these cells."""
    person = rows[at]["userUid"]
    for row in rows:
        if row["userUid"] == person:
            row.update(cells)
    return rows


def a_second_person_named_as(rows: list[dict], at: int, name: str) -> list[dict]:
    other = next(n for n, row in enumerate(rows) if row["userUid"] != rows[at]["userUid"])
    return for_person(rows, other, username=name)


def no_archive(row: dict) -> dict:
    cells = ("archiveGuid", "destinationUid", "destinationName", "serverUid", "serverName")
    return dict(row, **dict.fromkeys((*cells, "selectedBytes", "archiveBytes"), ""))


# Each case: the first export's rows -> the bytes of the file to import.
CASES = {
    # Files
    "empty": lambda rows: b"",
    "header only": lambda rows: text([]).encode(),
    "header only, no line end": lambda rows: text([]).rstrip().encode(),
    "byte order mark": lambda rows: b"\xef\xbb\xbf" + text(rows).encode(),
    "line feeds": lambda rows: text(rows, newline="\n").encode(),
    "carriage returns": lambda rows: text(rows, newline="\r").encode(),
    "blank lines": lambda rows: text(rows).replace("\r\n", "\r\n\r\n", 3).encode(),
    "Latin-1": lambda rows: text(for_person(rows, 5, firstName="José")).encode(
        "latin-1", "replace"
    ),
    "UTF-16": lambda rows: text(rows).encode("utf-16"),
    "cut inside a record": lambda rows: text(rows).encode()[: len(text(rows).encode()) * 2 // 3],
    "a column twice": lambda rows: text(rows, [*FIELD_NAMES, "deviceName"]).encode(),
    "columns in reverse": lambda rows: text(rows, list(reversed(FIELD_NAMES))).encode(),
    "a column missing": lambda rows: text(rows, [c for c in FIELD_NAMES if c != "os"]).encode(),
    # Rows
    "a row twice, the later one differing": lambda rows: text(
        [*rows, dict(rows[3], deviceName="later")]
    ).encode(),
    "a row twice, the earlier one differing": lambda rows: text(
        [dict(rows[3], deviceName="earlier"), *rows]
    ).encode(),
    "a username in capitals": lambda rows: text(
        for_person(rows, 5, username=rows[5]["username"].upper())
    ).encode(),
    "two people whose usernames differ in case": lambda rows: text(
        a_second_person_named_as(rows, 5, rows[5]["username"].upper())
    ).encode(),
    "a username decomposed": lambda rows: text(
        for_person(rows, 5, username=unicodedata.normalize("NFD", "élodie@example.com"))
    ).encode(),
    "a person in two orgs": lambda rows: text(
        [*rows, dict(rows[5], archiveGuid="second-archive", orgUid=rows[-1]["orgUid"])]
    ).encode(),
    "a device with an archive and a row without": lambda rows: text(
        [*rows, no_archive(rows[5])]
    ).encode(),
    "a device uid in capitals beside it": lambda rows: text(
        [*rows, dict(rows[5], deviceUid=rows[5]["deviceUid"].upper(), archiveGuid="other")]
    ).encode(),
    "formulas": lambda rows: text(
        [dict(rows[5], deviceName='=HYPERLINK("x")', deviceExtRef="+1", osVersion="@x")] + rows[6:]
    ).encode(),
    "a no-break space after a uid": lambda rows: text(
        [dict(rows[5], deviceUid=rows[5]["deviceUid"] + "\u00a0")] + rows[6:]
    ).encode(),
    "a tab and a backslash-N": lambda rows: text(
        [dict(rows[5], deviceName="a\tb\\N")] + rows[6:]
    ).encode(),
    "a percentage of two decimals": lambda rows: text(
        [dict(rows[5], backupCompletePercentage="99.55")] + rows[6:]
    ).encode(),
    "a date without its zone": lambda rows: text(
        [dict(rows[5], lastActivity="2026-11-28T10:15:03")] + rows[6:]
    ).encode(),
    "a bad number on one line of two": lambda rows: text(
        [dict(rows[5], selectedBytes="1e3")] + rows[6:]
    ).encode(),
}


# Good files that PostgreSQL's COPY does not read as csv does: left to the Python path.
READ_BY_PYTHON = {"carriage returns", "blank lines"}


def outcome(path: Path, by_database: bool) -> tuple:
    """(the summary, the tables, whether the database read it) or (the error's line,
    column and message), rolled back."""
    with transaction.atomic():
        try:
            files = read_files(path, by_database=by_database)
            staged = isinstance(files.report, StagedReport)
            found = apply_files(files, mirror_mode=True).lines(), state(), staged
        except ImportFailed as failed:
            found = (failed.line, failed.column, failed.message), None, None
        transaction.set_rollback(True)
    return found


@pytest.mark.parametrize("case", CASES)
def test_both_paths_give_the_same_result_or_error(first, tmp_path, case):
    path = tmp_path / "later.csv"
    path.write_bytes(CASES[case]([dict(row) for row in first]))
    by_python = outcome(path, by_database=False)
    by_database = outcome(path, by_database=True)
    assert by_database[0] == by_python[0]
    assert by_database[1] == by_python[1]
    if by_database[1] is not None:  # imported: by the database, unless it may not read it
        assert by_database[2] is (case not in READ_BY_PYTHON)
