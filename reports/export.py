"""The streaming CSV export: one generator, used by the API and the dashboards' button.

On PostgreSQL the database writes the CSV itself (COPY ... TO STDOUT) from the very
query the report runs, filters, role limit and sort included, and the bytes stream
through; elsewhere a Python writer reads a server-side cursor in chunks. Either way
memory does not grow with the row count, and the two give byte-identical files (a test
proves it). Names, order and encoding come from reports.row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import StreamingHttpResponse

from reports.row import ROW

CHUNK_ROWS = 2000
COPY_BLOCK_BYTES = 256 * 1024
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Newline-terminated records, as PostgreSQL's COPY writes them.
LINE_END = "\n"
HEADER = ",".join(ROW.names) + LINE_END


# PostgreSQL's CSV quoting, which is RFC 4180's: a field holding a comma, a quote or a
# line break is quoted. (COPY also quotes a lone "\." when a row has one column only.)
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_cell(value: str | None) -> str:
    if value is None:
        return ""
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_lines(rows: QuerySet) -> Iterator[str]:
    """The header, then one line per row, each a complete CSV record."""
    yield HEADER
    values = rows.values_list(*ROW.attributes).iterator(chunk_size=CHUNK_ROWS)
    batch: list[str] = []
    for row in values:
        batch.append(",".join([csv_cell(v) for v in ROW.encode_values(row)]) + LINE_END)
        if len(batch) >= 200:  # fewer, larger writes to the socket
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def formula_safe_sql(expression: str) -> str:
    """csv_cell's escaping, in SQL."""
    starts = ", ".join("'" + c.replace("'", "''") + "'" for c in FORMULA_STARTS)
    quote = "''''"  # a one-character SQL string holding a single quote
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN {quote} || {expression} ELSE {expression} END"
    )


def copy_chunks(rows: QuerySet) -> Iterator[bytes]:
    """The same CSV as csv_lines, written by PostgreSQL's COPY from the report's query."""
    yield HEADER.encode()
    table = rows.model._meta.db_table
    columns = {
        f"csv_{i}": RawSQL(formula_safe_sql(expression), ())
        for i, expression in enumerate(ROW.postgres_expressions(table))
    }
    try:
        sql, params = rows.annotate(**columns).values_list(*columns).query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing
        return
    # psycopg merges the parameters client-side: COPY takes none of its own.
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with connections[rows.db].cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        # COPY hands over a row at a time; a socket write per row would cost more than
        # the database's work, so rows go out in blocks.
        block = bytearray()
        for data in copy:
            block += data
            if len(block) >= COPY_BLOCK_BYTES:
                yield bytes(block)
                block.clear()
        if block:
            yield bytes(block)


def csv_chunks(rows: QuerySet) -> Iterator[bytes]:
    """The CSV of these rows in encoded chunks: COPY on PostgreSQL, Python elsewhere."""
    if connections[rows.db].vendor == "postgresql":
        return copy_chunks(rows)
    return (line.encode("utf-8") for line in csv_lines(rows))


def download_name(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"DeviceBackupReport-{now:%Y-%m-%d}.csv"


def csv_response(rows: QuerySet) -> StreamingHttpResponse:
    """Every row of this (visible, filtered, sorted) queryset, as a CSV download."""
    response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{download_name()}"'
    response["Cache-Control"] = "no-store"
    return response
