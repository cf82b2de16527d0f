"""Two warms at once (two nodes' daily snapshots, an import's warm beside the schedule's)
take turns through the warm lock (reports.warming.warm.WARM_LOCK): neither fails, and
the one that waited warms nothing its turn would repeat.

On PostgreSQL with real processes (`manage.py`, as a scheduler starts them); SQLite lets
one writer in at a time by itself, and there warming takes that lock first."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from reports.warming.models import StoredFigure
from reports.warming.warm import BY_ANOTHER, WARM_LOCK, warm_everything
from tests.database_support import database_url

ROOT = Path(__file__).resolve().parent.parent
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL: processes share the test database"
)


def manage(*command: str) -> subprocess.Popen:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST") and k not in ("REDIS_URL", "CACHE_URL")
    } | {"DATABASE_URL": database_url(), "SECRET_KEY": settings.SECRET_KEY}
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_daily_snapshots_at_once_both_succeed(fleet):
    """`snapshot_health & snapshot_health`: one exited 1, "warm figures failed:
    OperationalError: could not serialize access due to concurrent delete" (an audit)."""
    for _ in range(3):  # the race was not met every time
        first, second = manage("snapshot_health"), manage("snapshot_health")
        for code, output in (finished(first), finished(second)):
            assert code == 0, output
            assert "failed" not in output, output


def waiting_on_the_lock() -> int:
    """How many sessions of this database wait for an advisory lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0]


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_warm_waits_for_the_first_and_does_not_repeat_it(fleet):
    with connection.cursor() as cursor:  # a warm on another node, still running
        cursor.execute("SELECT pg_advisory_lock(%s)", [WARM_LOCK])
    try:
        waiting = [manage("warm_figures"), manage("warm_figures")]
        # Both waiting on the lock before it is let go: three seconds' sleep was not
        # always enough for a process to start on a loaded machine, and one that came
        # after the first warm had ended warmed again, as it should (2026-12-07).
        deadline = time.monotonic() + 90
        while waiting_on_the_lock() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert waiting_on_the_lock() == 2, "a warm did not wait"
        assert all(process.poll() is None for process in waiting), "a warm did not wait"
        assert not StoredFigure.objects.exists()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [WARM_LOCK])
    outputs = []
    for process in waiting:
        code, output = finished(process)
        assert code == 0, output
        outputs.append(output)
    # One warmed; the other, having waited, found the same generation warmed.
    assert sorted(BY_ANOTHER in output for output in outputs) == [False, True], outputs
    assert any(output.startswith("Warmed ") for output in outputs), outputs
    assert StoredFigure.objects.exists()


@pytest.mark.django_db
def test_a_warm_asked_for_after_another_ended_warms_again(fleet):
    """Only a warm that waited for another skips: run after it, it may be a new day's."""
    first = warm_everything()
    assert first.figures > 0
    again = warm_everything()
    assert (again.by_another, again.figures) == (False, first.figures)
