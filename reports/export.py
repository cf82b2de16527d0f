"""The streaming CSV export: one generator, used by the API and the dashboards' button.

Every report row keeps its CSV record (`ReportRow.csv_line`, see reports.csv_record),
so an export only hands over that one column of the very query the report runs,
filters, role limit and sort included: the vendor's 34 columns, which scripts read by
position. Asked for with `extraColumns=true`, the database appends the three extension
cells it keeps beside them (`csv_extra`), so the record is still stored text, copied.
On PostgreSQL the database streams it with COPY ... TO STDOUT; elsewhere a server-side
cursor is read in chunks. Either way memory does not grow with the row count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Func, QuerySet, TextField
from django.http import StreamingHttpResponse

from reports import clock
from reports.csv_record import EXTENDED_HEADER, HEADER, LINE_END
from reports.postgres_only import on_postgres

CHUNK_ROWS = 2000
COPY_BLOCK_BYTES = 256 * 1024

# COPY's text format writes a backslash, and the control characters below, as a
# backslash sequence; in one text column nothing else is escaped.
_COPY_ESCAPE = re.compile(rb"\\([\\bfnrtv])")
_COPY_UNESCAPED = {
    b"\\": b"\\",
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
}


def _copy_unescaped(block: bytes) -> bytes:
    if b"\\" not in block:  # nearly every block
        return block
    return _COPY_ESCAPE.sub(lambda match: _COPY_UNESCAPED[match.group(1)], block)


def header(extra_columns: bool = False) -> str:
    return EXTENDED_HEADER if extra_columns else HEADER


def records(rows: QuerySet, extra_columns: bool = False) -> QuerySet:
    """The rows' stored CSV records, one text column, as the export writes them."""
    if not extra_columns:
        return rows.values_list("csv_line", flat=True)
    # Joined with || (both columns are NOT NULL, so no COALESCE): the same SQL on
    # PostgreSQL and SQLite, and each record still a copy of what the row stores.
    extended = Func(
        F("csv_line"),
        F("csv_extra"),
        template="(%(expressions)s)",
        arg_joiner=" || ",
        output_field=TextField(),
    )
    return rows.annotate(csv_record=extended).values_list("csv_record", flat=True)


def csv_lines(rows: QuerySet, extra_columns: bool = False) -> Iterator[str]:
    """The header, then the rows' records in batches, each record ending its line."""
    yield header(extra_columns)
    stored = records(rows, extra_columns).iterator(chunk_size=CHUNK_ROWS)
    batch: list[str] = []
    for record in stored:
        batch.append(record)
        if len(batch) >= 200:  # fewer, larger writes to the socket
            yield LINE_END.join(batch) + LINE_END
            batch = []
    if batch:
        yield LINE_END.join(batch) + LINE_END


def copy_chunks(rows: QuerySet, extra_columns: bool = False) -> Iterator[bytes]:
    """The same CSV as csv_lines, streamed by PostgreSQL's COPY."""
    yield header(extra_columns).encode()
    try:
        sql, params = records(rows, extra_columns).query.sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing
        return
    # psycopg merges the parameters client-side: COPY takes none of its own. Text
    # format, one column: each row arrives as its record and a newline, escaped.
    statement = f"COPY ({sql}) TO STDOUT"
    with connections[rows.db].cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        # COPY hands over a row at a time; a socket write per row would cost more than
        # the database's work, so rows go out in blocks of whole rows.
        block = bytearray()
        for data in copy:
            block += data
            if len(block) >= COPY_BLOCK_BYTES:
                yield _copy_unescaped(bytes(block))
                block.clear()
        if block:
            yield _copy_unescaped(bytes(block))


def csv_chunks(rows: QuerySet, extra_columns: bool = False) -> Iterator[bytes]:
    """The CSV of these rows in encoded chunks: COPY on PostgreSQL, Python elsewhere."""
    if on_postgres(connections[rows.db]):
        return copy_chunks(rows, extra_columns)
    return (lines.encode("utf-8") for lines in csv_lines(rows, extra_columns))


def download_name(now: dt.datetime | None = None) -> str:
    now = now or clock.now()
    return f"DeviceBackupReport-{now:%Y-%m-%d}.csv"


def csv_response(
    rows: QuerySet, extra_columns: bool = False, name: str | None = None
) -> StreamingHttpResponse:
    """Every row of this (visible, filtered, sorted) queryset, as a CSV download: the
    vendor's 34 columns, and the three extension columns after them if asked for. The
    API answers under the vendor's file name; a page names its report and filters."""
    response = StreamingHttpResponse(
        csv_chunks(rows, extra_columns), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name or download_name()}"'
    return response
