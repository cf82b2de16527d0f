"""Tampering with the audit log as someone beside the app can (the table's owner, by
SQL): the append-only trigger switched off, rows written with a plain queryset, the
model's guard being the app's and not the database's. For the tests of what the chain
then shows. And a database file of its own for the commands a test runs in another
process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, models

from accounts.audit.models import Event
from tests.migrated_sqlite_support import migrated_sqlite, sqlite_environment

TRIGGER = "audit_event_append_only"


@contextmanager
def tampering() -> Iterator[models.QuerySet]:
    """The events, unguarded, inside; the trigger back on after."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_event DISABLE TRIGGER {TRIGGER}")
            try:
                yield models.QuerySet(Event)
            finally:
                cursor.execute(f"ALTER TABLE audit_event ENABLE TRIGGER {TRIGGER}")
            return
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [TRIGGER]
        )
        (created,) = cursor.fetchone()
        cursor.execute(f"DROP TRIGGER {TRIGGER}")
        try:
            yield models.QuerySet(Event)
        finally:
            cursor.execute(created)


def has_trigger() -> bool:
    """Whether the events table has its append-only trigger (SQLite drops it with a
    table a migration remakes)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = 'audit_event'::regclass",
                [TRIGGER],
            )
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s"
                " AND tbl_name = 'audit_event'",
                [TRIGGER],
            )
        return cursor.fetchone() is not None


def manage(env: dict, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    """`manage.py <arguments>` in a process of its own, with `env`."""
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def database_file(path: Path) -> dict:
    """The environment of commands run against a SQLite file of their own, migrated:
    the test database is not visible from another process on SQLite."""
    return sqlite_environment(migrated_sqlite(path))
