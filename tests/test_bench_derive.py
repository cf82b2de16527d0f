"""Section i's changed exports (bench/import_timings.derive): each run of the 1% sync
changes rows of its own, as an hourly sync meets other devices each hour; a run that
changed the rows of the run before would find their index pages in memory."""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import import_timings  # noqa: E402  (bench/, beside run.py)


def changed(source: Path, target: Path) -> tuple[set[str], set[str]]:
    """(the ids of rows whose date moved, the ids of rows left out)."""
    with source.open(newline="") as given, target.open(newline="") as derived:
        before = {row["id"]: row for row in csv.DictReader(given)}
        after = {row["id"]: row for row in csv.DictReader(derived)}
    moved = {i for i, row in after.items() if row != before[i]}
    return moved, set(before) - set(after)


def test_each_run_of_the_one_percent_sync_changes_rows_of_its_own(tmp_path):
    source = tmp_path / "export.csv"
    with source.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["id", "lastConnectedDate", "name"])
        for number in range(3000):
            writer.writerow([number, "2026-11-28T10:15:03.000Z", f"device {number}"])
    runs = []
    for offset in (0, 33, 66):
        target = tmp_path / f"one-percent-{offset}.csv"
        import_timings.derive(source, target, every=100, leave_out_every=1000, offset=offset)
        runs.append(changed(source, target))
    for offset, (moved, left_out) in zip((0, 33, 66), runs, strict=True):
        assert moved | left_out == {str(n) for n in range(offset, 3000, 100)}
        assert left_out == {str(n) for n in range(offset, 3000, 1000)}
    assert not runs[0][0] & runs[1][0] and not runs[1][0] & runs[2][0]
