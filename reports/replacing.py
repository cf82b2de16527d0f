"""Replacing every row of a table while readers go on reading it (PostgreSQL).

Deleting a million rows and inserting a million new ones updates every index for every
row (12 minutes for the report table at a million devices) and leaves the table and
its indexes twice their size, which every later full scan pays for. Instead the new
rows go into an empty copy of the table, unindexed; its indexes and keys are built
once it is full, one sort each; then, in the same transaction, the copy takes the
table's place and names. Readers see the old rows until the commit and wait only for
the swap at the end. Writers are the caller's to hold off (reports.read_model does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from reports import bulk

# Names the copy's indexes carry until the table they mirror is gone.
_TEMPORARY = "replacing_{}"


@contextmanager
def replacing(model: type[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """Yields the name of an empty, unindexed copy of the model's table to fill; on a
    clean exit the copy, indexed, becomes the table. PostgreSQL only; a table with
    foreign keys (to or from it) is refused."""
    connection = connections[using]
    table = model._meta.db_table
    quote = connection.ops.quote_name
    copy = f"{table}__replacement"
    with transaction.atomic(using=using), connection.cursor() as cursor:
        shape = _shape(cursor, table, model)
        cursor.execute(
            f"CREATE TABLE {quote(copy)} (LIKE {quote(table)} INCLUDING ALL EXCLUDING INDEXES)"
        )
        yield copy
        renames = []
        for number, (name, definition) in enumerate(shape["keys"]):
            temporary = _TEMPORARY.format(number)
            cursor.execute(f"ALTER TABLE {quote(copy)} ADD CONSTRAINT {temporary} {definition}")
            renames.append(f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {temporary} TO {name}")
        for number, (name, definition) in enumerate(shape["indexes"], len(renames)):
            temporary = _TEMPORARY.format(number)
            cursor.execute(_index_on(definition, name, temporary, shape["qualified"], copy))
            renames.append(f"ALTER INDEX {temporary} RENAME TO {name}")
        cursor.execute(f"ANALYZE {quote(copy)}")
        # The swap: the old table's lock is taken here, at the very end.
        cursor.execute(f"DROP TABLE {quote(table)}")
        cursor.execute(f"ALTER TABLE {quote(copy)} RENAME TO {quote(table)}")
        for statement in renames:
            cursor.execute(statement)
        for column, sequence in shape["sequences"]:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [quote(table), column])
            (current,) = cursor.fetchone()
            cursor.execute(f"ALTER SEQUENCE {current} RENAME TO {sequence}")
        for definition in shape["triggers"]:
            cursor.execute(definition)
        # A statement trigger fires even for no row: the new content counts as a write.
        cursor.execute(f"DELETE FROM {quote(table)} WHERE false")


def _shape(cursor, table: str, model: type[models.Model]) -> dict:
    """What the copy must be given: keys, indexes, triggers, sequence names."""
    cursor.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
        " AND (conrelid = %s::regclass OR confrelid = %s::regclass)",
        [table, table],
    )
    if cursor.fetchone()[0]:
        raise ValueError(f"{table} has foreign keys, which replacing() does not carry over")
    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.oid = %s::regclass",
        [table],
    )
    (qualified,) = cursor.fetchone()
    cursor.execute(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname",
        [table],
    )
    keys = cursor.fetchall()
    indexes = bulk.plain_indexes(cursor, [table])
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
        " WHERE tgrelid = %s::regclass AND NOT tgisinternal ORDER BY tgname",
        [table],
    )
    triggers = [row[0] for row in cursor.fetchall()]
    sequences = []
    for field in model._meta.concrete_fields:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, field.column])
        (sequence,) = cursor.fetchone()
        if sequence:
            sequences.append((field.column, sequence.rpartition(".")[2]))
    return {
        "qualified": qualified,
        "keys": keys,
        "indexes": indexes,
        "triggers": triggers,
        "sequences": sequences,
    }


def _index_on(definition: str, name: str, temporary: str, qualified: str, copy: str) -> str:
    """pg_get_indexdef's "CREATE [UNIQUE] INDEX name ON schema.table ..." made to
    create the same index, under a temporary name, on the copy."""
    head = f"INDEX {name} ON {qualified} "
    if head not in definition:
        raise ValueError(f"unexpected index definition: {definition}")
    schema = qualified.rpartition(".")[0]
    return definition.replace(head, f"INDEX {temporary} ON {schema}.{copy} ", 1)
