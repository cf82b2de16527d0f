"""Section i: the import a sync makes, timed beside PostgreSQL's own COPY of the same file.

The files are what a sync downloads: the fleet's own export with `extraColumns=true`
(the 37 columns the sync asks for) and its org tree as reports.refresh.vendor.write_tree
writes it. Each is applied as the sync applies them (reports.importing.environment,
read_files then apply_files in mirror mode), so the figure is the sync without its
download (the download is section d's 37-column export, over HTTP). The reference is
`COPY ... FROM STDIN` of the same file into a plain table of text columns, no index.

Three syncs: nothing changed (the export itself), every device's dates moved (each
date cell a day earlier, so none lands in the future), 1% changed (every 100th row's
dates moved, every 1,000th row left out: a removed archive or device). After each
changed file the export itself is applied again, so the fleet ends as it began (timed
too: that is the same change backwards).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from accounts.models import Org, User
from reports.export import csv_chunks, header
from reports.importing.environment import apply_files, read_files
from reports.query import report_query
from reports.refresh.vendor import write_tree
from reports.row import encode_datetime

REFERENCE_TABLE = "bench_import_reference"


@dataclass
class ImportTiming:
    label: str
    seconds: float
    totals: dict[str, int]
    phases: str
    reference_seconds: float | None  # COPY of the same file; None off PostgreSQL
    size: int


def write_export(path: Path) -> None:
    """Every row's 37 columns, as a system administrator downloads them."""
    administrator = User.objects.get(username="bench-admin")
    rows = report_query({}, administrator).rows
    with path.open("wb") as export:
        for chunk in csv_chunks(rows, extra_columns=True):
            export.write(chunk)


def write_org_tree(path: Path) -> None:
    """The org tree as the sync writes it from the vendor's /api/v1/Org."""
    parents = dict(Org.objects.values_list("pk", "org_uid"))
    orgs = [
        {
            "orgUid": org.org_uid,
            "orgName": org.name,
            "orgExtRef": org.ext_ref,
            "parentOrgUid": parents.get(org.parent_id),
        }
        for org in Org.objects.order_by("path")
    ]
    write_tree(orgs, path)


def derive(source: Path, target: Path, every: int, leave_out_every: int | None = None) -> None:
    """A copy of the export in which every `every`-th row's dates are a day earlier and
    every `leave_out_every`-th row is left out."""
    with (
        source.open(encoding="utf-8", newline="") as given,
        target.open("w", encoding="utf-8", newline="") as written,
    ):
        reader = csv.reader(given)
        writer = csv.writer(written, lineterminator="\n")
        names = next(reader)
        writer.writerow(names)
        dates = [i for i, name in enumerate(names) if name.endswith("Date")]
        for number, row in enumerate(reader):
            if leave_out_every and number % leave_out_every == 0:
                continue
            if number % every == 0:
                for i in dates:
                    if row[i] not in ("", "null"):  # the vendor writes `null` for none
                        moved = dt.datetime.fromisoformat(row[i]) - dt.timedelta(days=1)
                        row[i] = encode_datetime(moved)
            writer.writerow(row)


def time_reference_copy(path: Path) -> float | None:
    """COPY of the file into a fresh plain table of text columns: seconds."""
    if connection.vendor != "postgresql":
        return None
    names = header(extra_columns=True).rstrip("\n").split(",")
    columns = ", ".join(f'"{name}" text' for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {REFERENCE_TABLE}")
        cursor.execute(f"CREATE TABLE {REFERENCE_TABLE} ({columns})")
        started = time.perf_counter()
        command = f"COPY {REFERENCE_TABLE} FROM STDIN WITH (FORMAT csv, HEADER)"
        with path.open("rb") as file, cursor.cursor.copy(command) as copy:
            while block := file.read(1024 * 1024):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute(f"DROP TABLE {REFERENCE_TABLE}")
    return seconds


def time_sync_import(label: str, report: Path, tree: Path, log) -> ImportTiming:
    """The sync's import of these files (mirror mode, one transaction), timed whole."""
    reference = time_reference_copy(report)
    log(f"i. {label}")
    started = time.perf_counter()
    outcome = apply_files(read_files(report, tree), mirror_mode=True)
    seconds = time.perf_counter() - started
    return ImportTiming(
        label,
        seconds,
        outcome.totals(),
        outcome.timings.line().removeprefix("Seconds: "),
        reference,
        report.stat().st_size,
    )


def measure(log) -> tuple[ImportTiming, list[ImportTiming]]:
    """(the untimed-in-the-table first pass, the syncs). The first pass makes the fleet
    equal its own export: generate_demo_data writes some dates (coldStorageExpireDate)
    to the microsecond, the export to the millisecond, so a first sync after it updates
    those archives; without it "nothing changed" would not be true."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        base, tree = Path(folder) / "export.csv", Path(folder) / "orgs.csv"
        moved, one_percent = Path(folder) / "moved.csv", Path(folder) / "one-percent.csv"
        write_export(base)
        write_org_tree(tree)
        derive(base, moved, every=1)
        derive(base, one_percent, every=100, leave_out_every=1000)
        first = time_sync_import("first pass: the fleet as its export says", base, tree, log)
        return first, [
            time_sync_import("nothing changed", base, tree, log),
            time_sync_import("every device's dates moved", moved, tree, log),
            time_sync_import("every date back (restoring the fleet)", base, tree, log),
            time_sync_import("1% changed", one_percent, tree, log),
            time_sync_import("1% back (restoring the fleet)", base, tree, log),
        ]
