"""One run at a time across processes and machines: a session-level advisory lock on
PostgreSQL, held while the work runs and let go when it ends or its process dies. A
second run does not wait for it; it learns that another holds it and stops. (SQLite
lets one writer in at a time by itself, so there the lock is always granted.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def held_alone(key: int) -> Iterator[bool]:
    """Yields whether this process holds the lock `key` (any number, one per kind of run)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (locked,) = cursor.fetchone()
    if not locked:
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
