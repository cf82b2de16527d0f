"""One run at a time across processes and machines, through PostgreSQL's advisory locks,
let go when the work ends or its process dies. `held_alone`: a session-level lock held
while the work runs; a second run does not wait for it, it learns that another holds it
and stops. `in_turn`: a session-level lock a second run waits for.
`wait_in_transaction`: a transaction-level lock; a second one waits for the first
transaction's end. SQLite lets one writer in at a time by itself; there
`wait_in_transaction` takes that one write lock at once instead (see it).

Here in accounts, the bottom floor, as accounts.watched_tables is: both apps take these
locks (the audit log's API read counts too), and accounts imports nothing of reports."""

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


@contextmanager
def in_turn(key: int) -> Iterator[bool]:
    """Around work that opens its own transaction: a second run waits for the first to
    end (or its process to die), however long; yields whether it waited. On PostgreSQL
    a session-level lock, taken before the transaction, whose first statement may then
    still choose its isolation (postgres_only.one_snapshot). On SQLite only the wait is
    set up, as long as a run's, and it yields False: call wait_in_transaction(key) first
    in the transaction, which takes the database's one write lock there (and, on
    PostgreSQL, the lock held already)."""
    if connection.vendor != "postgresql":
        wait_for_the_writer()
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (locked_at_once,) = cursor.fetchone()
        waited = not locked_at_once
        if waited:
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield waited
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def wait_in_transaction(key: int) -> None:
    """Call inside a transaction, first: wait until no other transaction holds `key`;
    this one holds it until it ends.

    On SQLite, the database's one write lock, waited for (the connection's timeout):
    a transaction that reads first and writes after fails at once with "database is
    locked" when another writer committed between its first read and its first write,
    as a web request's sign-in did in the seconds an import compares (2026-12-06). A
    write that changes nothing takes the lock."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE django_migrations SET id = id WHERE 0 = 1")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# How long an import or a sync waits on SQLite for another's write lock: as long as any
# runs (PostgreSQL's wait_in_transaction waits without end).
RUN_WAITS_SECONDS = 6 * 3600


def wait_for_the_writer() -> None:
    """On SQLite, this connection waits as long as another import or sync holds the
    database's one write lock, instead of the web's SQLITE_BUSY_SECONDS: a second
    import started during a long one failed after 20 s with a traceback ("database is
    locked") and was not in the run log (found by an audit, 2026-12-06). On PostgreSQL
    runs wait for each other by their advisory locks already."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {RUN_WAITS_SECONDS * 1000}")
