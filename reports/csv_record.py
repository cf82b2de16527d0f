"""How a report row is written as one CSV record: the export's format.

The read model keeps each row's record, written together with the row, so that
exporting a million rows is the database handing over stored text rather than encoding
every field of every row on every export: `ReportRow.csv_line` holds the vendor's 34
cells, `ReportRow.csv_extra` the three extension cells (firstName, lastName,
coldStorageExpireDate), each after a comma, so that `csv_line || csv_extra` is the
extended record. Names, order and value encoding come from reports.row. A change to the
format here needs a migration that rebuilds the report table (as reports migration 0010
does), or stored records go stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from accounts.formula_cells import defused
from reports.row import EXTRA_ROW, ROW, VENDOR_ROW, RowShape

# The vendor writes a missing value as this word; its scripts test for it
# (`0 if value == "null" else int(value)`) and fail on an empty cell.
NULL_CELL = "null"
# Newline-terminated records, as PostgreSQL's COPY writes them.
LINE_END = "\n"
HEADER = ",".join(VENDOR_ROW.names) + LINE_END
EXTENDED_HEADER = ",".join(ROW.names) + LINE_END

# RFC 4180 quoting, as PostgreSQL's CSV does it: a field holding a comma, a quote or a
# line break is quoted.
QUOTED_FOR = (",", '"', "\r", "\n")
NEEDS_QUOTES = re.compile("[" + "".join(QUOTED_FOR) + "]")  # none is special in a class


def csv_cell(value: str | None) -> str:
    """One encoded value as a CSV field: null is `null`, a formula start is defused."""
    if value is None:
        return NULL_CELL
    value = defused(value)
    if NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_record(values: Iterable[str | None]) -> str:
    """Encoded values, in field order -> one CSV record without its line end."""
    return ",".join([csv_cell(value) for value in values])


def _encoded(shape: RowShape, row: Mapping[str, object]) -> list[str | None]:
    return shape.encode_values([row.get(attribute) for attribute in shape.attributes])


def row_record(row: Mapping[str, object]) -> str:
    """A report row's raw values by attribute (missing ones null) -> its vendor record:
    the 34 cells of the vendor's export."""
    return csv_record(_encoded(VENDOR_ROW, row))


def extra_cells(row: Mapping[str, object]) -> str:
    """The same row's three extension cells, each after a comma: appended to its vendor
    record they make the extended one."""
    return "," + csv_record(_encoded(EXTRA_ROW, row))
