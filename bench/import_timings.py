"""Section i: the import a sync makes, timed beside PostgreSQL's own COPY of the same file.

The files are what a sync downloads: the fleet's own export with `extraColumns=true`
(the 37 columns the sync asks for) and its org tree as reports.refresh.vendor.write_tree
writes it. Each is applied as the sync applies them (reports.importing.environment,
read_files then apply_files in mirror mode), so the figure is the sync without its
download (the download is section d's 37-column export, over HTTP). The reference is
`COPY ... FROM STDIN` of the same file into a plain table of text columns, no index.

Three syncs: nothing changed (the export itself), every device's dates moved (each
date cell a day earlier, so none lands in the future), 1% changed (every 100th row's
dates moved, every 1,000th row left out: a removed archive or device; each of its runs
other rows, see SMALL_SYNC_RUNS). After each
changed file the export itself is applied again, so the fleet ends as it began (timed
too: that is the same change backwards; after the every-dates-moved one, while the
API is under load).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fleet
from django.db import connection

from accounts.models import Org, User
from reports.export import csv_chunks, header
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
    peak_mb: float  # the importing process's peak resident memory (VmHWM)


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
    write_tree(orgs, path)  # (notes, where each org starts): the file is what counts


def derive(
    source: Path, target: Path, every: int, leave_out_every: int | None = None, offset: int = 0
) -> None:
    """A copy of the export in which every `every`-th row's dates are a day earlier and
    every `leave_out_every`-th row is left out, counting from the row `offset`."""
    with (
        source.open(encoding="utf-8", newline="") as given,
        target.open("w", encoding="utf-8", newline="") as written,
    ):
        reader = csv.reader(given)
        writer = csv.writer(written, lineterminator="\n")
        names = next(reader)
        writer.writerow(names)
        dates = [i for i, name in enumerate(names) if name.endswith("Date")]
        for number, row in enumerate(reader, start=-offset):
            if leave_out_every and number % leave_out_every == 0:
                continue
            if number % every == 0:
                for i in dates:
                    if row[i] not in ("", "null"):  # the vendor writes `null` for none
                        moved = dt.datetime.fromisoformat(row[i]) - dt.timedelta(days=1)
                        row[i] = encode_datetime(moved)
            writer.writerow(row)


REFERENCE_RUNS = 3
# The 1% sync and its change back, each run this many times, their medians the figures:
# the same 1% sync's report rows took from 6.4 to 13.4 s on one machine (2026-12-05),
# the one step of it that varies so (its INSERT into the report table's indexes). Each
# run changes other rows (its own offset): an hourly sync's 1% are other devices each
# hour, and a run that changed the very rows of the run before found their index pages
# in memory, which an hourly sync does not (report rows 7.1 s against 10.3-10.4 s for
# other rows, at 1,000,000 devices, 2026-12-05).
SMALL_SYNC_RUNS = 3
RUN = ", run "  # "1% changed, run 2"
ONE_PERCENT = 100  # every 100th row


def time_reference_copy(path: Path) -> float | None:
    """COPY of the file into a fresh plain table of text columns: the median seconds of
    REFERENCE_RUNS. One COPY of the same million-device file took from 5.7 to 13.6 s
    within one run on this machine (2026-12-04), which moved every ratio with it."""
    if connection.vendor != "postgresql":
        return None
    return statistics.median(_time_one_copy(path) for _ in range(REFERENCE_RUNS))


def _time_one_copy(path: Path) -> float:
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


def _sync_command(report: Path, tree: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).parent / "sync_import.py"), str(report), str(tree)]


def time_sync_import(label: str, report: Path, tree: Path, log) -> ImportTiming:
    """The sync's import of these files (mirror mode, one transaction), timed whole, in a
    process of its own (bench/sync_import.py) whose peak memory is the import's. Before
    it, untimed, the statistics autovacuum would have brought up to date since the last
    sync (fleet.analyze; an hourly sync's predecessor is an hour old)."""
    fleet.analyze()
    reference = time_reference_copy(report)
    log(f"i. {label}")
    done = json.loads(
        subprocess.run(
            _sync_command(report, tree), capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
    )
    return _timing(label, report, done, reference)


def _timing(label: str, report: Path, done: dict, reference: float | None) -> ImportTiming:
    return ImportTiming(
        label,
        done["seconds"],
        done["totals"],
        done["phases"],
        reference,
        report.stat().st_size,
        done["peak_mb"],
    )


@dataclass
class Files:
    base: Path
    tree: Path
    moved: Path
    one_percent: list[Path]  # a file a run, each changing other rows


@contextmanager
def files() -> Iterator[Files]:
    """The export, its org tree and the two changed exports, in a folder removed after."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        place = Path(folder)
        runs = range(1, SMALL_SYNC_RUNS + 1)
        made = Files(
            place / "export.csv",
            place / "orgs.csv",
            place / "moved.csv",
            [place / f"one-percent-{run}.csv" for run in runs],
        )
        write_export(made.base)
        write_org_tree(made.tree)
        derive(made.base, made.moved, every=1)
        for run, path in zip(runs, made.one_percent, strict=True):
            offset = (run - 1) * ONE_PERCENT // SMALL_SYNC_RUNS
            derive(made.base, path, every=ONE_PERCENT, leave_out_every=1000, offset=offset)
        yield made


def measure(made: Files, log) -> tuple[ImportTiming, list[ImportTiming]]:
    """(the untimed-in-the-table first pass, the syncs). The first pass makes the fleet
    equal its own export: generate_demo_data writes some dates (coldStorageExpireDate)
    to the microsecond, the export to the millisecond, so a first sync after it updates
    those archives; without it "nothing changed" would not be true. It is also the
    last sync the next ones read the difference from (reports.importing.delta). The
    every-dates-moved export is applied last: load_during_sync applies the export
    itself after it (every date back, under the API's load), restoring the fleet."""
    base, tree = made.base, made.tree
    first = time_sync_import("first pass: the fleet as its export says", base, tree, log)
    syncs = [time_sync_import("nothing changed", base, tree, log)]
    for run, one_percent in enumerate(made.one_percent, start=1):
        syncs += [
            time_sync_import(f"1% changed{RUN}{run}", one_percent, tree, log),
            time_sync_import(f"1% back (restoring the fleet){RUN}{run}", base, tree, log),
        ]
    return first, [*syncs, time_sync_import("every device's dates moved", made.moved, tree, log)]


def medians(timings: list[ImportTiming]) -> list[tuple[str, int, float, float | None]]:
    """(label, runs, median seconds, median ratio to the reference) of each sync run
    more than once, in their order."""
    runs: dict[str, list[ImportTiming]] = {}
    for timing in timings:
        label, repeated, _ = timing.label.partition(RUN)
        if repeated:
            runs.setdefault(label, []).append(timing)
    return [
        (
            label,
            len(each),
            statistics.median(t.seconds for t in each),
            statistics.median(t.seconds / t.reference_seconds for t in each)
            if all(t.reference_seconds for t in each)
            else None,
        )
        for label, each in runs.items()
    ]


def load_during_sync(made: Files, load: Callable[[int], dict], seconds: int, log) -> dict:
    """Section g's load (`load(seconds)`: wrk's figures) alone, then while a sync applies
    the export itself after the every-dates-moved one (every date back: a typical day's
    change, which restores the fleet). The load starts with the sync (its reading
    included) and runs `seconds` or until it ends. The sync's timing is in "timing"."""
    log("i. the API's load without a sync")
    alone = load(seconds)
    reference = time_reference_copy(made.base)
    log("i. the API's load during a sync (every date back)")
    started = time.perf_counter()
    command = _sync_command(made.base, made.tree)
    sync = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        during = load(seconds)
        overlap = time.perf_counter() - started
        output, _ = sync.communicate()
    finally:
        if sync.poll() is None:
            sync.kill()
    done = json.loads(output.splitlines()[-1])
    label = "every date back (restoring the fleet), under the API's load"
    return {
        "alone": alone,
        "during": during,
        "seconds": seconds,
        "sync_seconds": done["seconds"],
        "load_ended_after": overlap,
        "timing": _timing(label, made.base, done, reference),
    }
