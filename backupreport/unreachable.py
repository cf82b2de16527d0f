"""Whether an error says the database is out of reach rather than that a query was
wrong: the request was fine and will work once the database is back (a 503 with
Retry-After, backupreport.errors), and the log says so in one line, not as a server
error with a traceback (UnreachableLogFilter)."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError

# PostgreSQL's SQLSTATE classes 08 (connection), 53 (too many connections, out of
# memory or disk) and 57P (shut down, starting up); psycopg's own, raised before the
# server said anything (cannot connect, connection lost), carry no SQLSTATE. SQLite's
# by result code: busy or locked by another writer past the timeout, or no file.
_POSTGRESQL_UNREACHABLE = ("08", "53", "57P")
# SQLITE_BUSY_SNAPSHOT: a transaction that read, then wrote after another writer
# committed (WAL); tried again, it reads the new snapshot: two first sign-ins of one
# stranger at once were a 500 (found by a review).
_SQLITE_UNREACHABLE = {"SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED", "SQLITE_CANTOPEN"}


def database_unreachable(error: BaseException | None) -> bool:
    if isinstance(error, InterfaceError):  # the connection is closed
        return True
    if not isinstance(error, OperationalError):
        return False
    driver_error = error.__cause__
    if hasattr(driver_error, "sqlite_errorname"):
        return driver_error.sqlite_errorname in _SQLITE_UNREACHABLE
    sqlstate = getattr(driver_error, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_POSTGRESQL_UNREACHABLE)


class UnreachableLogFilter(logging.Filter):
    """A request answered 503 as the database was busy or out of reach is one warning
    line naming the error: Django logged it as an error with its traceback ("Internal
    Server Error" under DJANGO_DEBUG=1, `make run`'s), and a long import on SQLite
    filled the log with tracebacks of "database is locked" for requests that were fine
    (found by an audit of `make run` under load)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if database_unreachable(error):
            request = getattr(record, "request", None)
            record.msg = "Service Unavailable (the database is busy or out of reach: %s): %s"
            record.args = (error, getattr(request, "path", "?"))
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = record.exc_text = None
            record.status_code = 503
        return True
