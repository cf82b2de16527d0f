"""How a report row is written as one CSV record: the export's format.

The read model keeps each row's record (`ReportRow.csv_line`), written together with
the row, so that exporting a million rows is the database handing over one column
rather than encoding 37 for every row on every export. Names, order and value
encoding come from reports.row. A change to the format here needs a migration that
rebuilds the report table (as reports migration 0007 does), or stored records go stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from reports.row import ROW

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Newline-terminated records, as PostgreSQL's COPY writes them.
LINE_END = "\n"
HEADER = ",".join(ROW.names) + LINE_END

# RFC 4180 quoting, as PostgreSQL's CSV does it: a field holding a comma, a quote or a
# line break is quoted.
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def csv_cell(value: str | None) -> str:
    """One encoded value as a CSV field: null is empty, a formula start is defused."""
    if value is None:
        return ""
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_record(values: Iterable[str | None]) -> str:
    """Encoded values, in field order -> one CSV record without its line end."""
    return ",".join([csv_cell(value) for value in values])


def row_record(row: Mapping[str, object]) -> str:
    """A report row's raw values by attribute (missing ones null) -> its CSV record."""
    return csv_record(ROW.encode_values([row.get(attribute) for attribute in ROW.attributes]))
