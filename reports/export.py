"""The streaming CSV export: one generator, used by the API and the dashboards' button.

Rows come from a server-side cursor in chunks, so memory does not grow with the row
count. Names, order and encoding come from reports.row.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from reports.row import ROW

CHUNK_ROWS = 2000
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write() hands back what csv.writer wrote."""

    def write(self, text: str) -> str:
        return text


def csv_cell(value: str | None) -> str:
    if value is None:
        return ""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: QuerySet) -> Iterator[str]:
    """The header, then one line per row, each a complete CSV record."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(ROW.names)
    values = rows.values_list(*ROW.attributes).iterator(chunk_size=CHUNK_ROWS)
    batch: list[str] = []
    for row in values:
        batch.append(writer.writerow([csv_cell(v) for v in ROW.encode_values(row)]))
        if len(batch) >= 200:  # fewer, larger writes to the socket
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def download_name(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"DeviceBackupReport-{now:%Y-%m-%d}.csv"


def csv_response(rows: QuerySet) -> StreamingHttpResponse:
    """Every row of this (visible, filtered, sorted) queryset, as a CSV download."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{download_name()}"'
    response["Cache-Control"] = "no-store"
    return response
