"""The streaming CSV export: one generator, used by the API and the dashboards' button.

Every report row keeps its CSV record (`ReportRow.csv_line`, see reports.csv_record),
so an export only hands over that one column of the very query the report runs,
filters, role limit and sort included. On PostgreSQL the database streams it with
COPY ... TO STDOUT; elsewhere a server-side cursor is read in chunks. Either way memory
does not grow with the row count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from reports import clock
from reports.csv_record import HEADER, LINE_END

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


def csv_lines(rows: QuerySet) -> Iterator[str]:
    """The header, then the rows' records in batches, each record ending its line."""
    yield HEADER
    records = rows.values_list("csv_line", flat=True).iterator(chunk_size=CHUNK_ROWS)
    batch: list[str] = []
    for record in records:
        batch.append(record)
        if len(batch) >= 200:  # fewer, larger writes to the socket
            yield LINE_END.join(batch) + LINE_END
            batch = []
    if batch:
        yield LINE_END.join(batch) + LINE_END


def copy_chunks(rows: QuerySet) -> Iterator[bytes]:
    """The same CSV as csv_lines, streamed by PostgreSQL's COPY."""
    yield HEADER.encode()
    try:
        sql, params = rows.values_list("csv_line").query.sql_with_params()
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


def csv_chunks(rows: QuerySet) -> Iterator[bytes]:
    """The CSV of these rows in encoded chunks: COPY on PostgreSQL, Python elsewhere."""
    if connections[rows.db].vendor == "postgresql":
        return copy_chunks(rows)
    return (lines.encode("utf-8") for lines in csv_lines(rows))


def download_name(now: dt.datetime | None = None) -> str:
    now = now or clock.now()
    return f"DeviceBackupReport-{now:%Y-%m-%d}.csv"


def csv_response(rows: QuerySet) -> StreamingHttpResponse:
    """Every row of this (visible, filtered, sorted) queryset, as a CSV download."""
    response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{download_name()}"'
    response["Cache-Control"] = "no-store"
    return response
