"""Writing many rows of one table at once: COPY on PostgreSQL, bulk_create elsewhere.

For the bulk writers (the read model's rebuild, the demo generator). Rows go in as
given: no save(), no signals, so the caller keeps the read model in step itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from reports.postgres_only import on_postgres

BATCH = 2000
COPY_BATCH = 20_000


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    using: str = DEFAULT_DB_ALIAS,
    table: str | None = None,
) -> int:
    """Insert rows of plain values, one per field attname (e.g. "user_id"), in order.

    Values are what the model's fields hold in Python (str, int, float, bool, aware
    datetime, None). A primary key left out of `fields` is given by the database.
    `table` writes to another table of the model's shape (PostgreSQL only; see
    reports.replacing). Returns the number of rows written.
    """
    connection = connections[using]
    if on_postgres(connection):
        return _copy(connection, model, fields, rows, table or model._meta.db_table)
    if table is not None:
        raise ValueError("writing to another table is for PostgreSQL only")
    return _bulk_create(model, fields, rows, using)


def _copy(connection, model: type[models.Model], fields: Sequence[str], rows, table: str) -> int:
    # COPY writes a million rows in seconds where INSERT batches take minutes; values
    # are adapted by psycopg from their Python types, as bulk_create would send them.
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    statement = f"COPY {quote(table)} ({columns}) FROM STDIN"
    count = 0
    rows = iter(rows)
    # One COPY a batch, the batch read before it starts: `rows` may itself be reading
    # from this connection (a server-side cursor), which a running COPY would block.
    while batch := list(islice(rows, COPY_BATCH)):
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in batch:
                copy.write_row(row)
        count += len(batch)
    return count


def _bulk_create(model: type[models.Model], fields: Sequence[str], rows, using: str) -> int:
    count = 0
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        objects = [model(**dict(zip(fields, row, strict=True))) for row in batch]
        model.objects.using(using).bulk_create(objects)
        count += len(objects)
    return count


def plain_indexes(cursor, tables: Sequence[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the tables' indexes that back no constraint
    (a primary key or unique constraint is made with its constraint). PostgreSQL."""
    cursor.execute(
        """
        SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid)
        FROM pg_index AS index
        WHERE index.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = index.indexrelid)
        ORDER BY 1
        """,
        [list(tables)],
    )
    return cursor.fetchall()


@contextmanager
def loading(
    *tables: type[models.Model],
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[None]:
    """Load first, index and check after: for filling tables that nobody reads yet.

    Drops the tables' plain indexes and foreign keys; on exit adds the foreign keys back,
    each checked in one pass over its table rather than once for every row, and builds
    the indexes anew, one sort each rather than an update for every row. For a million
    devices that is minutes saved. Primary keys and unique constraints stay, checking
    every row as it comes.

    PostgreSQL only; elsewhere it does nothing. One transaction holds it all: an error
    brings indexes and keys back with the rollback, and other sessions wait for these
    tables until it commits. `progress(done, total)` hears of each key and index made.
    """
    connection = connections[using]
    if not on_postgres(connection):
        yield
        return
    names = [[model._meta.db_table for model in tables]]
    with transaction.atomic(using=using):
        # A table cannot change while deferred key checks of earlier writes are pending.
        connection.check_constraints()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
                FROM pg_constraint
                WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
                ORDER BY 1, 2
                """,
                names,
            )
            foreign_keys = cursor.fetchall()
            for table, name, _ in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            indexes = plain_indexes(cursor, names[0])
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        connection.check_constraints()
        statements = [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition in foreign_keys
        ] + [definition for _, definition in indexes]
        with connection.cursor() as cursor:
            # Sort in memory rather than on disk where the server allows less.
            cursor.execute(
                "SELECT set_config('maintenance_work_mem', '512MB', true) FROM pg_settings"
                " WHERE name = 'maintenance_work_mem' AND setting::bigint < 512 * 1024"
            )
            for done, statement in enumerate(statements):
                if progress:
                    progress(done, len(statements))
                cursor.execute(statement)
        if progress:
            progress(len(statements), len(statements))
