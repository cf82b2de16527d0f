"""The import by the database (PostgreSQL, reports.importing.in_database) against the
Python path on the same files: the same tables, the same report rows, the same summary,
the same errors. SQLite has the Python path only."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, models, transaction

from accounts.models import Org, User
from reports.importing import in_database
from reports.importing.csv_file import CsvFile, ImportFailed
from reports.importing.environment import apply_files, read_files
from reports.importing.in_database import StagedReport
from reports.importing.report_csv import DEVICES
from reports.models import Archive, Destination, Device, ReportRow, Server
from reports.row import FIELD_NAMES
from tests.import_support import database_snapshot, write_csv

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")

ROWS = 3000
VOLATILE = {"password", "date_joined", "last_login"}  # random or the clock's, not the file's


def vendor_csv(path: Path, *args: str) -> list[dict]:
    script = Path(settings.BASE_DIR) / "bench" / "make_vendor_csv.py"
    subprocess.run([sys.executable, str(script), str(ROWS), str(path), *args], check=True)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def fleet(tmp_path):
    """(the org tree, the first export, the rows of a later export with every kind of change)."""
    tree = tmp_path / "orgs.csv"
    first = tmp_path / "first.csv"
    vendor_csv(first, "--orgs-csv", str(tree))
    later = vendor_csv(tmp_path / "later.csv", "--days-later", "1")
    unchanged = vendor_csv(tmp_path / "again.csv")
    return tree, first, every_kind_of_change(later, unchanged)


def every_kind_of_change(later: list[dict], unchanged: list[dict]) -> list[dict]:
    rows = later[: ROWS // 3] + unchanged[ROWS // 3 :]  # a third of the dates moved
    devices = list(dict.fromkeys(row["deviceUid"] for row in rows))
    gone = set(devices[:30])  # devices the source no longer lists
    departed = next(row for row in rows if row["deviceUid"] in gone)
    if any(r["userUid"] == departed["userUid"] for r in rows if r["deviceUid"] not in gone):
        raise AssertionError("the departing user has a device left: pick another seed")
    rows = [row for row in rows if row["deviceUid"] not in gone]
    # A device that keeps one archive of two, an archive moving to another device.
    two = [r for r in rows if r["archiveGuid"] and r["deviceUid"] == rows[200]["deviceUid"]]
    rows.remove(two[-1])
    mover = next(r for r in rows[300:] if r["archiveGuid"])
    target = next(r for r in rows[400:] if r["deviceUid"] != mover["deviceUid"])
    device_cells = [
        n for n in FIELD_NAMES if n.startswith(("device", "user", "org")) or n in DEVICE_CELLS
    ]
    mover.update({name: target[name] for name in device_cells})
    mover.update({"username": target["username"], "firstName": target["firstName"]})
    # Two people swap usernames; a person moves org; an org is renamed.
    a, b = rows[500]["userUid"], rows[600]["userUid"]
    name_a = rows[500]["username"]
    name_b = rows[600]["username"]
    for row in rows:
        if row["userUid"] == a:
            row["username"] = name_b
        elif row["userUid"] == b:
            row["username"] = name_a
    mover_org = rows[700]
    for row in rows:
        if row["userUid"] == mover_org["userUid"]:
            row.update(orgUid="org-1", orgName=_org_name(rows, "org-1"), orgExtRef="OU-00001")
    for row in rows:
        if row["orgUid"] == "org-2":
            row["orgName"] = "Org 2, renamed"
    # The last row naming a person gives their values.
    first_row = next(r for r in rows[800:] if sum(x["userUid"] == r["userUid"] for x in rows) > 1)
    first_row["email"] = "overruled@example.com"
    # A server moving to the other destination, named so on its last row only.
    server_rows = [r for r in rows if r["serverUid"]]
    moved_server = server_rows[-1]
    other = next(r for r in server_rows if r["destinationUid"] != moved_server["destinationUid"])
    moved_server.update(destinationUid=other["destinationUid"], destinationName="Renamed dest")
    # Cells the SQL leaves to the Python parsers, and the forms it reads itself.
    odd = rows[900:920]
    odd[0]["lastConnectedDate"] = "Nov 28, 2026 10:15:03 AM"
    odd[1]["firstName"] = "Élodie"
    odd[2]["deviceName"] = "'=SUM(A1)"
    odd[3]["deviceUid"] = f"  {odd[3]['deviceUid']} "
    odd[4]["selectedBytes"] = "NULL"
    odd[5]["coldStorage"] = "TRUE"
    odd[6]["status"] = "active"
    odd[7]["backupCompletePercentage"] = "99."
    odd[8]["lastActivity"] = "2026-11-28T10:15:03+02:00"
    odd[9]["lastActivity"] = "2026-11-28T10:15:03.1234567Z"
    odd[10]["lastName"] = "Null"
    odd[11]["alertStates"] = "  OK   WarningBackupAlert "
    odd[12]["userExtRef"] = "null"
    odd[13]["archiveBytes"] = " 12 "
    odd[14]["lastActivity"] = "2026-11-28 10:15:03"
    odd[15]["address"] = "\u00a0padded\u00a0"
    odd[16]["archiveBytes"] = str(2**53 - 1)  # the most a cell may say: more digits than SQL reads
    odd[17]["selectedBytes"] = "999999999999999"  # the most digits SQL reads
    # New people, devices, an org only the report names, a destination and a server.
    template = next(r for r in rows if r["archiveGuid"])
    for n in range(40):
        new = dict(template)
        new.update(
            userUid=f"new-user-{n // 2}",
            username=departed["username"] if n < 2 else f"new{n // 2}@example.com",
            deviceUid=f"new-device-{n}",
            archiveGuid=f"new-archive-{n}" if n % 4 else "",
            orgUid="org-new" if n % 3 == 0 else template["orgUid"],
            orgName="New org" if n % 3 == 0 else template["orgName"],
        )
        if n % 4 == 0:
            new.update({c: "" for c in ARCHIVE_CELLS})
        if n == 5:
            new.update(destinationUid="dest-new", destinationName="New", serverUid="srv-new")
        rows.append(new)
    return rows


DEVICE_CELLS = (
    *("version", "status", "alertStates", "os", "osVersion", "address", "remoteAddress"),
    *("creationDate", "lastConnectedDate"),
)
ARCHIVE_CELLS = (
    *("archiveGuid", "destinationUid", "destinationName", "serverUid", "serverName"),
    *("selectedBytes", "backupCompletePercentage", "archiveBytes", "coldStorage"),
    *("lastCompletedBackupDate", "lastActivity", "mostRecentUserProfileCreationResult"),
    *("mostRecentUserProfileBackupResult", "coldStorageExpireDate"),
)


def _org_name(rows: list[dict], org_uid: str) -> str:
    return next((r["orgName"] for r in rows if r["orgUid"] == org_uid), org_uid)


def state() -> dict[str, list]:
    """Every table the import writes, by uids rather than keys (which differ between two
    runs), and the report rows likewise."""
    uid_of_org = dict(Org.objects.values_list("pk", "org_uid"))

    def path(value: str) -> str:
        return "/".join(uid_of_org[int(pk)] for pk in value.strip("/").split("/") if pk)

    tables = {}
    for model in (Org, User, Destination, Server, Device, Archive):
        names = []
        for f in model._meta.concrete_fields:
            if f.primary_key or f.name in VOLATILE:
                continue
            if isinstance(f, models.ForeignKey):
                names.append(f"{f.name}__{_uid_field(f.related_model)}")
            else:
                names.append(f.name)
        rows = [tuple(r) for r in model.objects.values_list(*names)]
        if model is Org:
            at = names.index("path")
            rows = [(*r[:at], path(r[at]), *r[at + 1 :]) for r in rows]
        tables[model.__name__] = sorted(rows, key=repr)
    keys = {"id", "device_id", "archive_id", "owner_id", "org_id"}
    names = [f.attname for f in ReportRow._meta.concrete_fields if f.attname not in keys]
    at = names.index("org_path")
    report = [(*r[:at], path(r[at]), *r[at + 1 :]) for r in ReportRow.objects.values_list(*names)]
    tables["ReportRow"] = sorted(report, key=repr)
    return tables


def _uid_field(model) -> str:
    return {Org: "org_uid", User: "user_uid", Destination: "destination_uid"}.get(
        model, {Server: "server_uid", Device: "device_uid", Archive: "archive_guid"}.get(model)
    )


def both_paths(report: Path, tree: Path | None, **options) -> tuple:
    """(outcome, state) of the Python path, rolled back; then of the database's path."""
    with transaction.atomic():
        files = read_files(report, tree, by_database=False)
        by_python = apply_files(files, **options).lines(), state()
        transaction.set_rollback(True)
    files = read_files(report, tree)
    assert isinstance(files.report, StagedReport)
    by_database = apply_files(files, **options).lines(), state()
    return by_python, by_database


def test_both_paths_give_the_same_tables_report_rows_and_summary(db, fleet, tmp_path):
    tree, first, rows = fleet
    apply_files(read_files(first, tree, by_database=False), mirror_mode=True)
    later = write_csv(tmp_path / "later.csv", rows)
    by_python, by_database = both_paths(later, tree, mirror_mode=True)
    assert by_database[1] == by_python[1]
    assert by_database[0] == by_python[0]
    summary = "\n".join(by_database[0])
    for kind in ("created", "updated", "removed", "unchanged"):
        assert f" 0 {kind}" not in summary.split("Imported:")[1], summary
    assert "moved aside" in summary
    assert "Report rows: redone for" in summary


def test_a_first_import_and_a_repeat_are_the_same_on_both_paths(db, fleet):
    tree, first, _ = fleet
    by_python, by_database = both_paths(first, tree, mirror_mode=True)
    assert by_database == by_python
    again = apply_files(read_files(first, tree), mirror_mode=True).lines()
    assert "Imported: 0 created, 0 updated, 0 removed" in "\n".join(again)


def test_a_dry_run_counts_the_same_and_writes_nothing(db, fleet, tmp_path):
    tree, first, rows = fleet
    apply_files(read_files(first, tree), mirror_mode=True)
    later = write_csv(tmp_path / "later.csv", rows)
    before = database_snapshot()
    by_python = apply_files(
        read_files(later, tree, by_database=False), dry_run=True, mirror_mode=True
    )
    by_database = apply_files(read_files(later, tree), dry_run=True, mirror_mode=True)
    assert by_database.lines() == by_python.lines()
    assert database_snapshot() == before


def error_of(path: Path, **options) -> tuple:
    found = []
    for by_database in (False, True):
        with pytest.raises(ImportFailed) as raised:
            apply_files(read_files(path, by_database=by_database), **options)
        found.append((raised.value.line, raised.value.column, raised.value.message))
    return tuple(found)


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("lastConnectedDate", "2026-02-30T10:00:00Z"),  # a date PostgreSQL refuses too
        ("lastConnectedDate", "2026-11-28T24:00:00Z"),  # one PostgreSQL would take
        ("selectedBytes", "+12"),
        ("status", "Sleeping"),
        ("deviceUid", ""),
        ("deviceUid", "9E+17"),  # a spreadsheet's rounding, which SQL took as a uid
    ],
)
def test_a_bad_cell_is_named_alike_by_line_and_column(db, fleet, tmp_path, cell, value):
    _, _, rows = fleet
    rows[10]["deviceName"] = "two\nlines"  # the lines after it are not records + 1
    rows[1234][cell] = value
    python, database = error_of(write_csv(tmp_path / "bad.csv", rows))
    assert database == python
    assert python[0] > 1236 and python[1] == cell


@pytest.mark.parametrize("column", ["extra", "alertStates"])
def test_a_cell_longer_than_python_reads_is_refused_alike(db, fleet, tmp_path, column):
    """A column no field reads (named "extra") or text without a maximum: a cell of
    200,000 characters was refused by the Python path and imported by this one (found
    by an audit, 2026-12-06)."""
    _, _, rows = fleet
    rows[5][column] = "A" * 200_000
    path = write_csv(tmp_path / "long.csv", rows, columns=[*FIELD_NAMES, "extra"])
    python, database = error_of(path)
    assert database == python
    assert python[1:] == (column, "the cell is longer than 131,072 characters")


def test_a_username_held_here_is_named_alike(db, fleet, tmp_path):
    _, _, rows = fleet
    rows[10]["deviceName"] = "two\nlines"
    User.objects.create_user(rows[1500]["username"], password="x")
    python, database = error_of(write_csv(tmp_path / "held.csv", rows))
    assert database == python
    assert python[1] == "username" and "already belongs" in python[2]


def test_a_refused_removal_leaves_everything_as_it_was(db, fleet, tmp_path):
    tree, first, rows = fleet
    apply_files(read_files(first, tree), mirror_mode=True)
    before = database_snapshot()
    with pytest.raises(ImportFailed, match="refused"):
        apply_files(read_files(write_csv(tmp_path / "few.csv", rows[:100]), tree), mirror_mode=True)
    assert database_snapshot() == before


def test_line_feeds_and_no_last_line_end_are_read_by_the_database_alike(db, fleet, tmp_path):
    """The COPY stream leads each record with its hash (delta.HashedRecords): a file of
    bare line feeds whose last record has no line end is still the database's to read,
    with the Python path's result, and the next sync pairs its records."""
    tree, first, _ = fleet
    with first.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    bare = write_csv(tmp_path / "bare.csv", rows, newline="\n")
    bare.write_bytes(bare.read_bytes().removesuffix(b"\n"))
    by_python, by_database = both_paths(bare, tree, mirror_mode=True)
    assert by_database == by_python
    again = read_files(bare, tree).report
    assert again.keyed and again.delta is not None and again.delta.nothing_changed


def test_a_file_read_whole_is_keyed_only_if_its_uid_cells_are_plain(db, fleet, tmp_path):
    """Only a file with no uid cell the Python parsers must read (space around it) can be
    the next sync's snapshot: told by the records they read, whatever else is odd in them."""
    tree, first, rows = fleet
    assert read_files(first, tree).report.keyed
    padded = [row for row in rows if row["deviceUid"] != row["deviceUid"].strip()]
    assert len(padded) == 1
    later = read_files(write_csv(tmp_path / "later.csv", rows), tree).report
    assert later.delta is None and not later.keyed
    padded[0]["deviceUid"] = padded[0]["deviceUid"].strip()
    plain = read_files(write_csv(tmp_path / "plain.csv", rows), tree).report
    assert plain.delta is None and plain.keyed


def test_two_people_of_one_file_with_one_username_are_left_to_the_python_path(db, fleet, tmp_path):
    _, _, rows = fleet
    holder = rows[100]
    other = next(r for r in rows[1000:] if r["userUid"] != holder["userUid"])["userUid"]
    for row in rows:
        if row["userUid"] == other:
            row["username"] = holder["username"]
    path = write_csv(tmp_path / "same.csv", rows)
    assert in_database.stage(CsvFile(path, "same.csv")) is None
    python, database = error_of(path)
    assert database == python
    assert python[1] == "username" and holder["username"] in python[2]


def test_every_date_moved_rebuilds_without_noting_a_device_alike(db, fleet, tmp_path):
    """A sync that moves every device's dates is a rebuild, chosen before the writes from
    the devices' diff: nothing notes the devices it writes (in_database.TOUCHED), and the
    tables and report rows are the Python path's, which notes them all and counts."""
    tree, first, _ = fleet
    apply_files(read_files(first, tree), mirror_mode=True)
    moved = tmp_path / "moved.csv"
    vendor_csv(moved, "--days-later", "1")
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        by_python, by_database = both_paths(moved, tree, mirror_mode=True)
    assert by_database == by_python
    assert "Report rows: rebuilt" in "\n".join(by_database[0])
    assert any(in_database.diff(DEVICES) in s for s in statements)
    assert not any(in_database.TOUCHED in s for s in statements)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [(b'MacBook 13"x"', 'MacBook 13"x"'), (b'"MacBook"Pro', None), (b'A"B,"C', None)],
)
def test_a_quote_inside_a_cell_is_read_as_the_python_path_reads_it(
    db, fleet, tmp_path, raw, stored
):
    """A quote inside an unquoted cell: COPY stored MacBook 13x where the Python path
    (and the upload's preview) read MacBook 13"x"; text after a closing quote COPY
    joined where the Python path refuses it (found by an audit, 2026-12-06). Such a
    file is the Python path's, on PostgreSQL too."""
    tree, first, rows = fleet
    rows[10]["deviceName"] = "PLACEHOLDER-NAME"
    path = write_csv(tmp_path / "quotes.csv", rows)
    path.write_bytes(path.read_bytes().replace(b"PLACEHOLDER-NAME", raw))
    device_uid = rows[10]["deviceUid"]
    if stored is None:
        python, database = error_of(path)
        assert database == python and python[0] == 12
        return
    with transaction.atomic():
        by_python = apply_files(read_files(path, by_database=False)).lines(), state()
        transaction.set_rollback(True)
    by_database = apply_files(read_files(path)).lines(), state()
    assert by_database == by_python
    assert Device.objects.get(device_uid=device_uid).name == stored


def test_quotes_where_csv_allows_them_stay_the_database_s(db, fleet, tmp_path):
    """Quoted cells, doubled quotes and a line end inside quotes: COPY reads them as
    Python does, so the file stays the database's to read."""
    _, _, rows = fleet
    rows[10]["deviceName"] = 'MacBook "13" Pro, two\nlines'
    files = read_files(write_csv(tmp_path / "quoted.csv", rows))
    assert isinstance(files.report, StagedReport)


def test_the_org_file_s_names_stand_over_the_report_s_alike(db, fleet, tmp_path):
    """An org the two files name otherwise: the org file's name, on both paths, and the
    second import changes nothing (found by an audit of the import)."""
    tree, first, _ = fleet
    lines = tree.read_text(encoding="utf-8").splitlines()
    cells = lines[2].split(",")
    cells[1] = "Renamed In The Tree"
    lines[2] = ",".join(cells)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    by_python, by_database = both_paths(first, renamed, mirror_mode=True)
    assert by_database == by_python
    assert Org.objects.get(org_uid=cells[0]).name == "Renamed In The Tree"
    again = apply_files(read_files(first, renamed), mirror_mode=True).lines()
    assert "Imported: 0 created, 0 updated, 0 removed" in "\n".join(again)
