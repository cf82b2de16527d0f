"""What the database answers that is a 503 (busy, locked, out of reach), not a 500:
backupreport.unreachable, read off real SQLite errors."""

from __future__ import annotations

import sqlite3

from django.db import OperationalError

from backupreport.unreachable import database_unreachable


def as_django_raises_it(error: sqlite3.Error) -> OperationalError:
    wrapped = OperationalError(*error.args)
    wrapped.__cause__ = error  # as django.db.utils.DatabaseErrorWrapper chains it
    return wrapped


def test_a_write_after_another_writer_committed_since_this_one_read_is_busy(tmp_path):
    """SQLITE_BUSY_SNAPSHOT (WAL): a transaction that read, then wrote after another
    writer committed; two first sign-ins of one stranger at once were a 500."""
    path = tmp_path / "db.sqlite3"
    first = sqlite3.connect(path, isolation_level=None)
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("CREATE TABLE t (x)")
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    first.execute("BEGIN")
    first.execute("SELECT count(*) FROM t").fetchall()  # this transaction's snapshot
    other.execute("INSERT INTO t VALUES (1)")  # the other writer commits
    try:
        first.execute("INSERT INTO t VALUES (2)")
    except sqlite3.OperationalError as error:
        refused = error
    assert refused.sqlite_errorname == "SQLITE_BUSY_SNAPSHOT"
    assert database_unreachable(as_django_raises_it(refused))


def test_a_wrong_statement_is_no_outage(tmp_path):
    connection = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        connection.execute("SELECT * FROM no_such_table")
    except sqlite3.OperationalError as error:
        refused = error
    assert not database_unreachable(as_django_raises_it(refused))
