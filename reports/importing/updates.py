"""Updating many rows by primary key, each row with its own values.

bulk_update() writes one CASE WHEN per field and row: for 95,000 changed archives
Django spent minutes building SQL, and one UPDATE a row (executemany) still took two
minutes on PostgreSQL. There the rows go by COPY into a temporary table and one
UPDATE ... FROM joins them in; elsewhere (SQLite, in-process) executemany is quick.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from django.db import connections, models, router, transaction

from reports.postgres_only import on_postgres

BATCH = 5000


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Set `fields` (attnames, e.g. "user_id") of each row; a row is (pk, *values).

    Values are what the model's fields hold in Python, as for save(). No signals.
    """
    using = router.db_for_write(model)
    connection = connections[using]
    model_fields = [model._meta.get_field(name) for name in fields]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if on_postgres(connection):
            _copy_and_join(cursor, connection, model, model_fields, rows)
        else:
            _execute_many(cursor, connection, model, model_fields, rows)


def _copy_and_join(cursor, connection, model, model_fields, rows) -> None:
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    staging = quote(f"import_{model._meta.db_table}")
    columns = [pk] + [quote(field.column) for field in model_fields]
    cursor.execute(
        f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
        f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
    )
    with cursor.copy(f"COPY {staging} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    assignments = ", ".join(f"{column} = s.{column}" for column in columns[1:])
    cursor.execute(
        f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s WHERE t.{pk} = s.{pk}"
    )
    cursor.execute(f"DROP TABLE {staging}")  # a second update of the table may follow


def _execute_many(cursor, connection, model, model_fields, rows) -> None:
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in model_fields)
    statement = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    prepare = [field.get_db_prep_save for field in model_fields]
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        params = [
            [to_db(value, connection) for to_db, value in zip(prepare, values, strict=True)] + [pk]
            for pk, *values in batch
        ]
        cursor.executemany(statement, params)
