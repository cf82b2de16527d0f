"""Tampering with the audit log as someone beside the app can (the table's owner, by
SQL): the append-only trigger switched off, rows written with a plain queryset, the
model's guard being the app's and not the database's. For the tests of what the chain
then shows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models

from accounts.audit.models import Event

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
