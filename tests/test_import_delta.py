"""The sync's delta (PostgreSQL, reports.importing.delta): after a mirror import, the next
one reads only the records that changed. Held to a full reading of the same file on the
same database: the same tables, report rows and summary, whatever changed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db import connection, transaction

from accounts.models import Org
from reports.importing.environment import apply_files, read_files
from reports.importing.mass_removal import EVERYTHING
from reports.importing.snapshot import WRITES
from reports.models import Destination, Device, Server
from tests.import_support import write_csv
from tests.test_import_in_database import every_kind_of_change, state, vendor_csv

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def synced(db, tmp_path):
    """(the org tree, the rows of the first export), that export synced: a snapshot."""
    tree = tmp_path / "orgs.csv"
    first = tmp_path / "first.csv"
    rows = vendor_csv(first, "--orgs-csv", str(tree))
    files = read_files(first, tree)
    assert files.report.delta is None
    apply_files(files, mirror_mode=True)
    return tree, rows


def both_ways(path: Path, tree: Path | None, **options) -> tuple:
    """(lines and tables of a full reading, rolled back; of the delta's; was it a delta)."""
    with transaction.atomic():
        someone_wrote()
        files = read_files(path, tree)
        assert files.report.delta is None
        full = apply_files(files, **options).lines(), state()
        transaction.set_rollback(True)
    files = read_files(path, tree)
    used = files.report.delta is not None
    return full, (apply_files(files, **options).lines(), state()), used


def someone_wrote() -> None:
    """As a write by anyone but an import leaves it (the triggers of migration 0016)."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {WRITES} DEFAULT VALUES")


def changed_by_delta(tmp_path, tree, rows, name="later.csv", **options) -> list[str]:
    full, by_delta, used = both_ways(write_csv(tmp_path / name, rows), tree, **options)
    assert used, "the delta was not taken"
    assert by_delta[1] == full[1]
    assert by_delta[0] == full[0]
    return by_delta[0]


def test_every_kind_of_change_gives_what_a_full_reading_gives(synced, tmp_path):
    tree, first = synced
    again = vendor_csv(tmp_path / "again.csv")
    later = vendor_csv(tmp_path / "later-all.csv", "--days-later", "1")
    # every kind of change, with a twentieth of the dates moved (more reads the file whole)
    rows = every_kind_of_change(later[:150] + again[150:], again)
    padded = next(r for r in rows if r["deviceUid"].startswith(" "))
    padded["deviceUid"] = padded["deviceUid"].strip()  # a padded uid: no delta (below)
    summary = "\n".join(changed_by_delta(tmp_path, tree, rows, mirror_mode=True))
    assert "moved aside" in summary and "Report rows: redone for" in summary
    # and once more from the delta's own snapshot: every date back
    summary = "\n".join(changed_by_delta(tmp_path, tree, first, "back.csv", mirror_mode=True))
    assert "Imported:" in summary


def test_one_record_of_two_changing_a_device_takes_the_last_records_values(synced, tmp_path):
    tree, rows = synced
    devices = [r["deviceUid"] for r in rows]
    two = next(uid for uid in devices if devices.count(uid) == 2)
    first, second = (r for r in rows if r["deviceUid"] == two)
    first["deviceName"] = "renamed on the first record only"
    second["lastConnectedDate"] = "2020-01-01T00:00:00.000Z"
    changed_by_delta(tmp_path, tree, rows, mirror_mode=True)
    device = Device.objects.get(device_uid=two)
    assert device.name != "renamed on the first record only"
    assert device.last_connected_date.year == 2020


def test_a_few_rows_changed_and_left_out_as_an_hourly_sync_sees(synced, tmp_path):
    tree, rows = synced
    for n, row in enumerate(rows):
        if n % 50 == 0:
            row["archiveBytes"] = str(int(row["archiveBytes"] or 0) + 1)
    kept = [row for n, row in enumerate(rows) if n % 300 != 7]
    lines = changed_by_delta(tmp_path, tree, kept, mirror_mode=True)
    assert " removed" in "\n".join(lines)
    # the devices come back: people kept by the mirror are listed again
    changed_by_delta(tmp_path, tree, rows, "back.csv", mirror_mode=True)


def test_nothing_changed_reads_no_record_and_writes_nothing(synced, tmp_path):
    tree, rows = synced
    path = write_csv(tmp_path / "same.csv", rows)
    files = read_files(path, tree)
    assert files.report.delta is not None and files.report.delta.nothing_changed
    lines = apply_files(files, mirror_mode=True).lines()
    assert "Imported: 0 created, 0 updated, 0 removed" in "\n".join(lines)
    assert "Report rows: nothing to redo." in lines
    assert read_files(path, tree).report.delta.nothing_changed  # the snapshot still stands


def test_a_dry_run_says_what_a_full_reading_says(synced, tmp_path):
    tree, rows = synced
    rows[3]["deviceName"] = "a new name"
    del rows[10]
    changed_by_delta(tmp_path, tree, rows, mirror_mode=True, dry_run=True)


def test_an_edit_here_since_the_last_sync_makes_the_next_one_read_everything(synced, tmp_path):
    tree, rows = synced
    device = Device.objects.get(device_uid=rows[5]["deviceUid"])
    device.name = "edited by hand"
    device.save()
    files = read_files(write_csv(tmp_path / "same.csv", rows), tree)
    assert files.report.delta is None
    apply_files(files, mirror_mode=True)
    device.refresh_from_db()
    assert device.name == rows[5]["deviceName"]  # the mirror puts the vendor's back
    assert read_files(write_csv(tmp_path / "same.csv", rows), tree).report.delta is not None


@pytest.mark.parametrize(
    ("model", "uid", "column"),
    [
        (Org, "org_uid", "orgUid"),
        (Destination, "destination_uid", "destinationUid"),
        (Server, "server_uid", "serverUid"),
    ],
)
def test_a_uid_changed_here_since_the_last_sync_makes_the_next_one_read_everything(
    synced, tmp_path, model, uid, column
):
    """The delta takes the people and archives of unchanged records to point where the
    last sync pointed them: at the org, destination, server of that uid. One whose uid an
    admin changed since is another one to the export: read as a delta, the people stayed
    in the renamed org, and the archives kept the renamed destination, which the mirror
    removed under them: every sync after failed at its commit on the foreign key."""
    tree, rows = synced
    named = next(r[column] for r in rows if r[column])
    edited = model.objects.get(**{uid: named})
    setattr(edited, uid, f"{named}-edited")
    edited.save()  # as the admin saves it
    files = read_files(write_csv(tmp_path / "same.csv", rows), tree)
    apply_files(files, mirror_mode=True, allowed_removal=EVERYTHING)
    connection.check_constraints()  # what the commit checks
    assert not model.objects.filter(**{uid: f"{named}-edited"}).exists()  # gone from the mirror
    assert files.report.delta is None
    assert read_files(write_csv(tmp_path / "same.csv", rows), tree).report.delta is not None


def test_records_in_another_order_are_read_whole(synced, tmp_path):
    tree, rows = synced
    rows[1], rows[2] = rows[2], rows[1]
    files = read_files(write_csv(tmp_path / "swapped.csv", rows), tree)
    assert files.report.delta is None


def test_a_record_twice_is_read_whole_while_the_file_has_it(synced, tmp_path):
    tree, rows = synced
    twice = [*rows[:6], dict(rows[5]), *rows[6:]]
    path = write_csv(tmp_path / "twice.csv", twice)
    files = read_files(path, tree)
    assert files.report.delta is None  # its copy pairs with the record before it
    apply_files(files, mirror_mode=True)  # the snapshot keeps both
    twice[20]["deviceName"] = "renamed with the copy still there"
    path = write_csv(tmp_path / "twice-again.csv", twice)
    assert read_files(path, tree).report.delta is None  # each copy pairs with two
    assert read_files(write_csv(tmp_path / "once.csv", rows), tree).report.delta is None
    del rows[5]  # neither copy left: both gone, the delta stands again
    rows[20]["deviceName"] = "renamed without the record"
    changed_by_delta(tmp_path, tree, rows, "none.csv", mirror_mode=True)


def test_a_plain_import_leaves_no_snapshot_to_trust(synced, tmp_path):
    tree, rows = synced
    rows[3]["deviceName"] = "a plain import's name"
    apply_files(read_files(write_csv(tmp_path / "plain.csv", rows), tree))
    assert read_files(write_csv(tmp_path / "again.csv", rows), tree).report.delta is None


def test_a_padded_uid_is_read_whole_and_leaves_no_snapshot(synced, tmp_path):
    tree, rows = synced
    rows[4]["deviceUid"] = f" {rows[4]['deviceUid']} "
    path = write_csv(tmp_path / "padded.csv", rows)
    files = read_files(path, tree)
    assert files.report.delta is None
    apply_files(files, mirror_mode=True)
    assert read_files(path, tree).report.delta is None


def test_a_write_between_reading_and_applying_makes_it_read_everything(synced, tmp_path):
    tree, rows = synced
    devices = [r["deviceUid"] for r in rows]
    alone = next(n for n, uid in enumerate(devices) if devices.count(uid) == 1)
    rows[alone]["deviceName"] = "renamed at the vendor"
    path = write_csv(tmp_path / "later.csv", rows)
    files = read_files(path, tree)
    assert files.report.delta is not None
    device = Device.objects.get(device_uid=rows[7]["deviceUid"])
    device.name = "edited by hand meanwhile"
    device.save()
    apply_files(files, mirror_mode=True)
    assert files.report.delta is None  # read whole under the import's lock
    device.refresh_from_db()
    assert device.name == rows[7]["deviceName"]
    assert Device.objects.get(device_uid=devices[alone]).name == "renamed at the vendor"
    assert read_files(path, tree).report.delta.nothing_changed  # a snapshot was saved


def updated(table: str) -> tuple[int, int]:
    """(rows updated, of which HOT: no index touched) in this test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        return cursor.fetchone()


def test_a_day_of_moved_dates_updates_devices_and_archives_beside_their_old_rows(synced, tmp_path):
    """Migration 0017: room on each page, so that the sync's updates of dates (no index
    holds one) are HOT, written beside the row without an index entry."""
    tree, _ = synced
    later = tmp_path / "later.csv"
    vendor_csv(later, "--days-later", "1")
    before = {table: updated(table) for table in ("reports_device", "reports_archive")}
    apply_files(read_files(later, tree), mirror_mode=True)
    for table, (rows, hot) in before.items():
        now_rows, now_hot = updated(table)
        assert now_rows - rows > 50, table
        assert now_hot - hot == now_rows - rows, table
