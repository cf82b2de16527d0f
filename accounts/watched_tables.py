"""Generations: a number that moves on with every write to the tables it watches.

A value computed from some tables stays true until one of them is written. Rather than
each writer remembering to say so (a bulk import, the admin, a raw `COPY`, a flush), the
database says it: a trigger on each watched table moves a one-row counter on, in the
writing transaction. A cache keyed by the counter's number is then exact, never stale:
the access generation (accounts.access_generation) for kept API callers, the report
generation (reports.cache) for counts, figures and pages.

`WatchTable` is the one way to add such a trigger, a migration operation written once
for both backends:

- PostgreSQL: one statement-level trigger (INSERT, UPDATE, DELETE, TRUNCATE), so a bulk
  write costs one number; the number comes from a sequence, which no rollback takes
  back, so no number is ever used for two states of the data.
- SQLite: three row-level triggers (SQLite has no statement triggers and no TRUNCATE;
  its `DELETE` of a whole table fires them row by row while triggers exist). It has no
  sequence either, and a rollback takes the counter back with the data: the next number
  is therefore the clock in microseconds with a random tail, never below the last one
  plus one. A number a rolled-back write used is not seen again unless the next write
  falls in the same millisecond and draws the same of a million tails.

An UPDATE that changes only columns left out of `columns` (a user's last sign-in, say)
moves nothing: say which columns count, and the check in tests/test_caller_memo.py fails
when a column is added and not listed.

Here in accounts, the bottom floor, because both apps' migrations use it and accounts
imports nothing of reports; it knows tables by name only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import migrations

TRIGGER_EVENTS = ("insert", "update", "delete")


@dataclass(frozen=True)
class Counter:
    """A generation: its one-row table, the PostgreSQL function (made with its
    sequence by the migration that made the table) and the suffix of trigger names."""

    table: str
    function: str
    suffix: str

    def trigger_name(self, table: str) -> str:
        return f"{table}_{self.suffix}"


ACCESS = Counter(
    "accounts_accessgeneration", "accounts_next_access_generation", "access_generation"
)

# SQLite's next number: the clock in microseconds (julianday counts days; 2440587.5 is
# 1970-01-01), a random tail below that, never less than the last number plus one.
SQLITE_NEXT = (
    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000 + abs(random() % 1000000)"
)


def postgres_statements(counter: Counter, table: str, columns: tuple[str, ...]) -> list[str]:
    name = counter.trigger_name(table)
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} AFTER INSERT OR {update} OR DELETE OR TRUNCATE ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {counter.function}()",
    ]


def _sqlite_move_on(counter: Counter) -> str:
    return (
        f"INSERT INTO {counter.table} (id, number) VALUES (1, {SQLITE_NEXT})"
        f" ON CONFLICT (id) DO UPDATE SET number = max({counter.table}.number + 1,"
        " excluded.number)"
    )


def sqlite_statements(counter: Counter, table: str, columns: tuple[str, ...]) -> list[str]:
    move_on = _sqlite_move_on(counter)
    statements = []
    for event in TRIGGER_EVENTS:
        name = f"{counter.trigger_name(table)}_{event}"
        what = event.upper()
        if event == "update" and columns:
            what += f" OF {', '.join(columns)}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {what} ON {table} FOR EACH ROW BEGIN {move_on}; END",
        ]
    return statements


def move_on(connection, counter: Counter, table: str) -> None:
    """Move `counter` on as a write to `table`, which it watches, does, writing nothing:
    every value kept under the number before is asked for no more."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A statement trigger fires for a statement that touches no row.
            cursor.execute(f"DELETE FROM {table} WHERE false")
        else:
            cursor.execute(_sqlite_move_on(counter))


def drop_statements(vendor: str, counter: Counter, table: str) -> list[str]:
    name = counter.trigger_name(table)
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}"]
    return [f"DROP TRIGGER IF EXISTS {name}_{event}" for event in TRIGGER_EVENTS]


def is_watched(connection, counter: Counter, table: str) -> bool:
    """Whether writes to `table` move `counter` on, as WatchTable made it."""
    name = counter.trigger_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname = %s AND c.relname = %s AND NOT t.tgisinternal",
                [name, table],
            )
            return cursor.fetchone()[0] == 1
        names = [f"{name}_{event}" for event in TRIGGER_EVENTS]
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
            f" AND name IN ({', '.join(['%s'] * len(names))})",
            [table, *names],
        )
        return cursor.fetchone()[0] == len(names)


def update_columns(connection, counter: Counter, table: str) -> set[str] | None:
    """The columns whose UPDATE moves `counter` on; None: every column's."""
    name = counter.trigger_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT a.attname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " LEFT JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = ANY(t.tgattr)"
                " WHERE t.tgname = %s AND c.relname = %s",
                [name, table],
            )
            columns = {column for (column,) in cursor.fetchall()}
            return None if columns == {None} else columns
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{name}_update"],
        )
        (sql,) = cursor.fetchone()
    listed = re.search(r" UPDATE OF (.+?) ON ", sql)
    return None if listed is None else {column.strip() for column in listed[1].split(",")}


class WatchTable(migrations.operations.base.Operation):
    """Every write to `table` (to `columns` of it, for an UPDATE, when given) moves
    `counter` on. Made again where it exists (a PostgreSQL trigger of an earlier
    migration), so a migration may state a table's watch whatever came before."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, counter: Counter, columns: tuple[str, ...] = ()):
        self.table = table
        self.counter = counter
        self.columns = tuple(columns)

    def deconstruct(self):
        return (self.__class__.__name__, [self.table, self.counter], {"columns": self.columns})

    def state_forwards(self, app_label, state):
        pass  # triggers are not part of the models' state

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor == "postgresql":
            statements = postgres_statements(self.counter, self.table, self.columns)
        elif connection.vendor == "sqlite":
            statements = sqlite_statements(self.counter, self.table, self.columns)
        else:
            raise NotImplementedError(f"generations on {connection.vendor}: PostgreSQL, SQLite")
        for statement in statements:
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        for statement in drop_statements(vendor, self.counter, self.table):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Every write to {self.table} moves {self.counter.table} on"
