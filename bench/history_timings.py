"""Section j: history (the daily snapshot, the overview with its trend, compliance by org)
and the first visit after new data arrives.

The daily snapshot is timed alone (reports.history.snapshots.take) and as the scheduler
runs it (`snapshot_health`: the snapshot, then the figures warmed), in this process. The
pages are timed over HTTP as section e times them, and also on the first visit after a
change: after the daily snapshot, and after an import (the
command, `import_backup_report`, of a few rows whose dates moved: it logs a run, which
takes the day's snapshot and warms what the pages show). A first visit is one request,
so each is repeated `runs` times with a new change before each.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from client import Client, Timing
from django.core.management import call_command

from accounts.models import User
from reports.export import csv_chunks
from reports.history.snapshots import take
from reports.query import report_query
from reports.row import encode_datetime

COMPLIANCE = "/history/compliance/"


def time_snapshots(runs: int, log) -> list[Timing]:
    """The snapshot alone (reports.history.snapshots.take), and the daily command whole:
    the snapshot, then the figures it changed warmed for every scope."""
    alone, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        taken = take()
        alone.append(time.perf_counter() - started)
        started = time.perf_counter()
        daily_snapshot()
        whole.append(time.perf_counter() - started)
        log(f"j. snapshot of {taken.orgs:,} orgs in {alone[-1]:.1f} s, {whole[-1]:.1f} s warmed")
    return [
        Timing("daily snapshot alone (take)", "-", alone, 0, 0),
        Timing("daily snapshot (snapshot_health, warming included)", "-", whole, 0, 0),
    ]


def daily_snapshot() -> None:
    call_command("snapshot_health", verbosity=0)


def first_visits(
    label: str, clients: dict[str, Client], path: str, change: Callable[[], None], runs: int
) -> list[Timing]:
    """Per persona: the first request for `path` after each `change()`."""
    seconds: dict[str, list[float]] = {persona: [] for persona in clients}
    sizes: dict[str, int] = {}
    for _ in range(runs):
        change()
        for persona, client in clients.items():
            status, body, elapsed = client.fetch(path)
            if status != 200:
                raise RuntimeError(f"{label}: {path} answered {status} to {persona}")
            seconds[persona].append(elapsed)
            sizes[persona] = len(body)
    return [
        Timing(f"{label} as {persona}, first visit", path, seconds[persona], 200, sizes[persona])
        for persona in clients
    ]


class SmallImport:
    """An import of the rows of one employee's devices, each time with their dates a day
    earlier; `restore()` imports them as they were."""

    def __init__(self, employee_id: str, folder: Path):
        administrator = User.objects.get(username="bench-admin")
        rows = report_query({"user": employee_id}, administrator).rows
        self.original = b"".join(csv_chunks(rows, extra_columns=True)).decode()
        self.folder, self.shift = folder, 0

    def _write(self, days: int) -> Path:
        reader = csv.reader(io.StringIO(self.original))
        names = next(reader)
        dates = [i for i, name in enumerate(names) if name.endswith("Date")]
        path = self.folder / f"shift-{days}.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(names)
            for row in reader:
                for i in dates:
                    if days and row[i] not in ("", "null"):
                        moved = dt.datetime.fromisoformat(row[i]) - dt.timedelta(days=days)
                        row[i] = encode_datetime(moved)
                writer.writerow(row)
        return path

    def __call__(self) -> None:
        self.shift += 1
        call_command("import_backup_report", str(self._write(self.shift)), verbosity=0)

    def restore(self) -> None:
        call_command("import_backup_report", str(self._write(0)), verbosity=0)


def measure(clients: dict[str, Client], employee_id: str, runs: int, log) -> list[Timing]:
    timings = time_snapshots(runs, log)
    for label, path in (("overview", "/"), ("compliance", COMPLIANCE)):
        timings += first_visits(
            f"{label} after the daily snapshot", clients, path, daily_snapshot, runs
        )
        for persona, client in clients.items():
            timings.append(client.time(f"{label} as {persona}", path, runs))
    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        small_import = SmallImport(employee_id, Path(folder))
        try:
            for label, path in (("overview", "/"), ("compliance", COMPLIANCE)):
                log(f"j. the first {label} after an import")
                timings += first_visits(
                    f"{label} after an import", clients, path, small_import, runs
                )
        finally:
            small_import.restore()
    return timings
