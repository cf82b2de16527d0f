"""How far a job on the worker has got, for the progress bar on its page.

Written to a small JSON file under UPLOAD_DIR, not to the database: an import is one
transaction, whose writes no other connection sees before it commits, and on SQLite no
other connection may write at all while it runs. A file is seen at once by the web
process, whatever the database.

A job moves through stages (an import's phases, as reports.importing times them); each
stage has a share of the bar, and the reading stage fills its share line by line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from reports.importing.changes import Timings
from reports.importing.csv_file import CsvFile, Record

LABELS = {
    "queued": "Waiting for the worker",
    "count": "Counting the lines",
    "read": "Reading and checking every row",
    "wait": "Waiting for another import to finish",
    "compare": "Comparing with the data here",
    "write": "Writing the changes",
    "report rows": "Bringing the reports up to date",
    "done": "Done",
}
# Shares of the bar, in percent. A check reads and compares every row, about as long
# each (measured at 50,000 rows on PostgreSQL); an import's shares come from its preview
# (apply_plan). A stage a plan does not list leaves the bar where it is.
CHECK = {"count": 2, "read": 49, "compare": 49}
# Per row read, compared or written, and per device whose report rows are redone, about
# 0.1, 0.1, 0.1 and 0.6 ms (the same measure): what an import's shares are made of.
COSTS = {"read": 1, "compare": 1, "write": 1, "report rows": 6}
# Write at most this often while reading: a million rows must not mean a million writes.
EVERY_SECONDS = 0.25


def upload_progress_key(upload_id) -> str:
    """The progress file of an upload's check and import."""
    return f"upload-{upload_id}"


def sync_progress_key(task_id) -> str:
    """The progress file of a Sync now job."""
    return f"sync-{task_id}"


class Progress:
    def __init__(self, key: str, plan: dict[str, float] | None = None) -> None:
        self.path = Path(settings.UPLOAD_DIR) / "progress" / f"{key}.json"
        self.plan = plan or {}
        self.percent: float | None = 0.0 if plan else None
        self._written = 0.0

    def stage(self, stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        """Say that the job is at this stage (done of total within it, if it counts)."""
        if stage in self.plan:
            within = min(done / total, 1.0) if total else 0.0
            self.percent = _start_of(self.plan, stage) + self.plan[stage] * within
        elif stage == "done" and self.plan:
            self.percent = 100.0
        self._write(
            {
                "stage": stage,
                "label": message or LABELS.get(stage, stage),
                "done": done,
                "total": total,
                "percent": None if self.percent is None else round(self.percent, 1),
            }
        )

    def say(self, message: str) -> None:
        """A message of a job that has no stages of its own (the sync's)."""
        self.stage("message", message=message)

    def lines(self, stage: str, done: int, total: int) -> None:
        """Lines read so far: written at most every EVERY_SECONDS."""
        now = time.monotonic()
        if now - self._written >= EVERY_SECONDS:
            self.stage(stage, done, total)

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def _write(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed over: a reader sees the old state or the new one,
        # never half a file.
        draft = self.path.with_suffix(f".{os.getpid()}.tmp")
        draft.write_text(json.dumps(state), encoding="utf-8")
        os.replace(draft, self.path)
        self._written = time.monotonic()


def apply_plan(preview: dict, records: int) -> dict[str, float]:
    """The shares of an import's stages, from what its check said it would change: an
    import that changes nothing is all reading and comparing, a first import mostly
    writing and building the report rows."""
    totals = preview["totals"]
    written = totals["created"] + totals["updated"] + totals["removed"]
    devices = sum(
        table["created"] + table["updated"] + (table["removed"] or 0)
        for table in preview["tables"]
        if table["label"] in ("devices", "archives")
    )
    amounts = {"read": records, "compare": records, "write": written}
    amounts["report rows"] = min(devices, records)
    costs = {stage: COSTS[stage] * amount for stage, amount in amounts.items()}
    total = sum(costs.values()) or 1
    return {"count": 1} | {stage: 99 * cost / total for stage, cost in costs.items()}


def _start_of(plan: dict[str, float], stage: str) -> float:
    start = 0.0
    for name, share in plan.items():
        if name == stage:
            return start
        start += share
    return start


class StagedTimings(Timings):
    """An import's Timings that also tell the progress file each phase as it begins."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        if phase != "read":  # reading reports its lines itself
            self.progress.stage(phase)
        with super().__call__(phase):
            yield


class CountedCsvFile(CsvFile):
    """A CSV file checked whole (every error) that reports the lines it has read,
    `offset` lines of earlier files counted before its own."""

    def __init__(
        self, path: Path, name: str, progress: Progress, total: int, offset: int = 0
    ) -> None:
        super().__init__(path, name, every_error=True)
        self.progress, self.total, self.offset = progress, total, offset

    def records(self, required: Iterable[str]) -> Iterator[Record]:
        for number, record in enumerate(super().records(required)):
            if number % 1000 == 0:
                self.progress.lines("read", self.offset + record.line, self.total)
            yield record


def count_lines(path: Path) -> int:
    """Physical lines, as the CSV reader numbers them (a last line without its line
    break counts too); a million-row export takes well under a second."""
    lines, last = 0, b"\n"
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")
