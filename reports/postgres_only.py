"""What only PostgreSQL can do, in one place: the product's boundary between backends.

Behaviour is written once for PostgreSQL and SQLite: caching goes by generations whose
triggers one migration operation writes for both (accounts.watched_tables); the report
query, health, history, warming and the API are the same code on both. What follows is
what SQLite has no equal of, each with its reason; every module that asks which
backend it runs on asks `on_postgres()`, so `grep on_postgres` lists every fork in the
road, and apart from those below each only chooses a faster road to the same result.
(Migrations, which must not change once run, keep their own tests of the vendor.)

- A health check folded into the request's first read (`first_row`): Django sends its
  own `SELECT 1` before the first query of a request when CONN_HEALTH_CHECKS is on; the
  optional backend `backupreport.postgres` answers the check with the read itself. With
  Django's stock engine (DATABASE_ENGINE) or SQLite the read is an ordinary query.
- One snapshot for several statements (`one_snapshot`): warming keys every figure by
  the generation it read first; PostgreSQL's default isolation would let an import
  committed meanwhile slip other rows under that number. SQLite's transaction reads one
  snapshot from its first read to its end already.
- Advisory locks across processes and machines (accounts.locks: one import or sync at a
  time): SQLite lets one writer in at a time by itself, so there the lock is that one
  write lock, taken as the transaction begins.
  accounts.password_checks takes advisory locks of its own, for the same reason, and
  keeps them there: accounts, the bottom floor, imports nothing of reports.
- Two writers of the report table taking turns (reports.read_model locks the table):
  SQLite has one writer at a time by itself.
- Speed only, the same rows either way: COPY for bulk writes, bulk updates and the CSV
  export (reports.bulk, reports.importing.updates, reports.export), a fresh table
  swapped in for a rebuild (reports.replacing), indexes dropped and remade while a whole
  fleet is imported (reports.bulk), epoch arithmetic in SQL (reports.health). And a
  worker known by its database session (reports.refresh.liveness); elsewhere by its
  process.
- Speed only too, and the largest: the report file imported by the database
  (reports.importing.in_database: COPY into temporary staging tables, cells read and
  tables compared and written by set operations) and the report rows made by one
  INSERT ... SELECT (reports.read_model_sql, with to_json and ICU's lower case). A
  million-device sync in Python took ten minutes of both cores; SQLite has no COPY nor
  a second process to share the work with, and its fleets are small. The Python path
  stays the reference: anything the SQL would not read or write exactly alike goes
  through it, and tests hold both to the same tables, report rows and errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

VENDOR = "postgresql"


def on_postgres(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == VENDOR


def first_row(using: str, sql: str) -> tuple | None:
    """The first row of `sql`, a read made at the start of a request. On the optional
    backend (backupreport.postgres) it is also the connection's health check when one
    is due; anywhere else, an ordinary query after Django's own check."""
    connection = connections[using]
    fetch_first_row = getattr(connection, "fetch_first_row", None)
    if fetch_first_row is not None:
        return fetch_first_row(sql)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def one_snapshot(connection: BaseDatabaseWrapper) -> None:
    """Call first in a transaction: every statement of it reads the same data.
    SQLite's transactions do so already."""
    if on_postgres(connection):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


@contextmanager
def local_settings(connection: BaseDatabaseWrapper, **values: str) -> Iterator[None]:
    """Server settings for the statements inside, put back after. Set for the
    transaction only (set_config's is_local): an error inside rolls them back with
    its savepoint or transaction, and a caller's own transaction keeps its settings."""
    with connection.cursor() as cursor:
        before = {}
        for name, value in values.items():
            cursor.execute(
                "SELECT current_setting(%s), set_config(%s, %s, true)", [name] * 2 + [value]
            )
            before[name] = cursor.fetchone()[0]
        yield
        for name, value in before.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
