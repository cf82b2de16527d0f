"""The progress bar's arithmetic: stages and their shares, lines counted, the file the web
reads."""

from __future__ import annotations

import pytest

from reports.importing.csv_file import CsvFile, ImportFailed
from reports.refresh.progress import CHECK, Progress, apply_plan, count_lines


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


def preview(created=0, updated=0, removed=0, unchanged=0) -> dict:
    tables = [
        {
            "label": label,
            "created": created,
            "updated": updated,
            "removed": removed,
            "unchanged": unchanged,
        }
        for label in ("users", "devices", "archives")
    ]
    totals = {
        "created": 3 * created,
        "updated": 3 * updated,
        "removed": 3 * removed,
        "unchanged": 3 * unchanged,
    }
    return {"tables": tables, "totals": totals, "notes": []}


def test_an_import_that_changes_nothing_is_reading_and_comparing():
    plan = apply_plan(preview(unchanged=1000), records=1000)

    assert plan["write"] == plan["report rows"] == 0
    assert plan["read"] == plan["compare"] == pytest.approx(49.5)
    assert sum(plan.values()) == pytest.approx(100)


def test_a_first_import_is_mostly_writing_and_building_the_report():
    plan = apply_plan(preview(created=1000), records=1000)

    assert plan["report rows"] > plan["write"] > plan["read"]
    assert sum(plan.values()) == pytest.approx(100)


def test_removed_counts_as_written_and_a_plain_import_removes_nothing():
    plain = preview(updated=10, unchanged=990)
    for table in plain["tables"]:
        table["removed"] = None
    plain["totals"]["removed"] = 0

    assert apply_plan(plain, records=1000)["write"] > 0


def test_each_stage_fills_its_share():
    progress = Progress("job", CHECK)

    progress.stage("count")
    assert progress.read()["percent"] == 0
    progress.stage("read", 500, 1000)
    assert progress.read() == {
        "stage": "read",
        "label": "Reading and checking every row",
        "done": 500,
        "total": 1000,
        "percent": 26.5,
    }
    progress.stage("write")  # not a stage of a check: the bar stays
    assert progress.read()["percent"] == 26.5
    assert progress.read()["label"] == "Writing the changes"
    progress.stage("compare")
    assert progress.read()["percent"] == 51
    progress.stage("done")
    assert progress.read()["percent"] == 100

    progress.remove()
    assert progress.read() is None


def test_a_job_without_stages_has_no_percent():
    progress = Progress("sync-1")

    progress.say("Export: 12.5 MB.")

    assert progress.read()["label"] == "Export: 12.5 MB."
    assert progress.read()["percent"] is None


def test_lines_are_written_at_most_so_often(monkeypatch):
    progress = Progress("job", CHECK)
    progress.stage("read", 1, 100)

    progress.lines("read", 50, 100)

    assert progress.read()["done"] == 1  # too soon after the last write
    monkeypatch.setattr("reports.refresh.progress.EVERY_SECONDS", 0)
    progress.lines("read", 50, 100)
    assert progress.read()["done"] == 50


@pytest.mark.parametrize(
    ("text", "lines"),
    [(b"", 0), (b"a\n", 1), (b"a\r\nb", 2), (b"a\nb\n", 2), (b"x" * (1 << 21) + b"\n", 1)],
)
def test_lines_are_counted_as_the_reader_numbers_them(tmp_path, text, lines):
    path = tmp_path / "file.csv"
    path.write_bytes(text)

    assert count_lines(path) == lines


def test_a_bad_byte_far_down_a_large_file_is_found_on_its_line(tmp_path):
    # The file is read in pieces of a megabyte; an "é" is cut in two across the first
    # boundary, the bad byte comes in the third piece.
    # Rows, not the header again (which is one error of its own, csv_file).
    header, row = b"orgUid,orgName,orgExtRef,parentOrgUid\n", b"org-x,Name,Ext,org-y\n"
    head = header + row * (((1 << 20) - len(header)) // len(row))
    cut = b"x" * ((1 << 20) - len(head) - 1) + "é".encode() + b",,,\n"
    middle = b"ok,ok,ok,\n" * 110_000
    path = tmp_path / "orgs.csv"
    path.write_bytes(head + cut + middle + b"bad \xff byte,,,\n")
    expected = (head + cut + middle).count(b"\n") + 1

    with pytest.raises(ImportFailed) as raised:
        for _ in CsvFile(path).records(["orgUid"]):
            pass

    assert raised.value.line == expected
    assert raised.value.message == "is not UTF-8 text (save or export it as UTF-8 CSV)"
