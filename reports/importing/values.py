"""Cell parsers: one vendor CSV cell -> one Python value, or CellError saying why not.

Every parser takes the raw cell text. An empty cell and the literal `null` (the vendor
writes it for missing dates, numbers and text alike) are missing values. Text takes
`null` in lower case only, so that a person named "Null" keeps their name; where
no text is valid (dates, numbers, booleans) any letter case will do.

A 100,000-row file is 3.7 million cells, so each parser tries the form the vendor
writes first and only then the slower, more forgiving reading.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from accounts.formula_cells import FORMULA_STARTS

UTC = dt.UTC


class CellError(ValueError):
    """A cell that cannot be read; the caller adds file, line and column."""


_MISSING = frozenset(("", "null"))


def is_missing(cell: str) -> bool:
    if cell == "" or cell == "null":
        return True
    # Only a cell with space at an end can be blank or null once stripped.
    return (cell[0].isspace() or cell[-1].isspace()) and cell.strip() in _MISSING


def is_missing_value(cell: str) -> bool:
    """Missing, for a cell that cannot hold text: `NULL` and `Null` count too."""
    return cell.strip().lower() in _MISSING


def _too_long(cell: str, max_length: int) -> CellError:
    return CellError(f"is {len(cell)} characters long; at most {max_length} fit")


# The one character PostgreSQL refuses in text (it ends a C string); SQLite would keep it,
# and the row would then fail on the other database. (A lone surrogate, the other thing
# text cannot hold, never gets this far: the UTF-8 decoder refuses it.)
NUL = "\x00"


def _nul(cell: str) -> CellError:
    return CellError(
        f"holds a NUL character (\\x00) at position {cell.index(NUL) + 1}, which no text "
        "may hold here"
    )


# What the export puts a `'` before (reports.csv_record), lest a spreadsheet run it.
_DEFUSED = frozenset(FORMULA_STARTS)


def undefused(cell: str) -> str:
    """The value the export wrote as `'=...`, `'-...`: reading it back takes the `'` off,
    so that an export imported again (a sync from another instance) is the same data."""
    if cell[1:2] in _DEFUSED and cell[0] == "'":
        return cell[1:]
    return cell


def text(cell: str) -> str:
    """Free text, kept as written; missing is "" (the models' blank)."""
    if NUL in cell:
        raise _nul(cell)
    return "" if is_missing(cell) else undefused(cell)


def text_of(max_length: int):
    """Free text that must fit a column of max_length (PostgreSQL would refuse it late)."""

    def parse(cell: str) -> str:
        # is_missing() written out: a call less on the commonest cell of all.
        if cell == "" or cell == "null":
            return ""
        if (cell[0].isspace() or cell[-1].isspace()) and cell.strip() in _MISSING:
            return ""
        if cell[0] == "'":
            cell = undefused(cell)
        if len(cell) > max_length:
            raise _too_long(cell, max_length)
        if NUL in cell:
            raise _nul(cell)
        return cell

    return parse


# A long number as a spreadsheet saves it once it has shown it in its General format
# (9E+17, 9.00719E+17): the vendor's uids are 18 digits, and Excel keeps 15 at most.
SPREADSHEET_NUMBER = re.compile(r"[0-9](\.[0-9]+)?[Ee]\+[0-9]+")


def uid_of(max_length: int):
    """An identifier; spaces around it are an artefact of hand editing, not part of it."""

    def parse(cell: str) -> str | None:
        value = cell.strip()
        if value == "" or value == "null":
            return None
        if value[0] == "'":
            value = undefused(value)
        if len(value) > max_length:
            raise _too_long(value, max_length)
        if NUL in value:
            raise _nul(value)
        if value[-1].isdigit() and SPREADSHEET_NUMBER.fullmatch(value):
            # Taken as an id, every device of a file saved by Excel was one device
            # "9E+17", every person one person, silently (found by an audit).
            raise CellError(
                f'"{value}" is a number as a spreadsheet rounds it, not an id: use the '
                "vendor's export as downloaded, or open it with this column as text"
            )
        return value

    return parse


def alert_states_of(max_length: int):
    """Space separated states, stored with single spaces."""

    def parse(cell: str) -> str:
        value = " ".join(text(cell).split())
        if len(value) > max_length:
            raise _too_long(value, max_length)
        return value

    return parse


def choice(allowed: tuple[str, ...]):
    """A parser for one of a few words (a status), in any letter case; missing is ""."""
    canonical = {word.lower(): word for word in allowed}
    as_written = {word: word for word in allowed}

    def parse(cell: str) -> str:
        value = as_written.get(cell)
        if value is not None:
            return value
        if is_missing_value(cell):
            return ""
        value = canonical.get(cell.strip().lower())
        if value is None:
            raise CellError(f'"{cell}" is not one of {", ".join(allowed)}')
        return value

    return parse


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# The vendor's older export form, "Nov 28, 2026 10:15:03 AM", in UTC. Newer Java
# runtimes put a narrow no-break space before AM/PM, which \s matches. Parsed by hand
# because strptime's %b follows the process locale.
_LEGACY_DATE = re.compile(
    r"([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})\s*([AaPp][Mm])"
)


def datetime(cell: str) -> dt.datetime | None:
    """ISO-8601 (with Z, milliseconds or an offset) or the legacy form; naive means UTC."""
    try:
        parsed = dt.datetime.fromisoformat(cell)
    except ValueError:
        if is_missing_value(cell):
            return None
        value = cell.strip()
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = _legacy_datetime(value)
        if parsed is None:
            raise CellError(f'cannot read "{cell}" as a date') from None
    if parsed.tzinfo is UTC:  # what "Z" gives
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in year 0 in UTC
        raise CellError(
            f'"{cell}" is outside the dates that can be stored (years 1 to 9999, in UTC)'
        ) from None


def _legacy_datetime(value: str) -> dt.datetime | None:
    match = _LEGACY_DATE.fullmatch(value)
    if not match:
        return None
    month, day, year, hour, minute, second, half = match.groups()
    if month.lower() not in _MONTHS or not 1 <= int(hour) <= 12:
        return None
    hour24 = int(hour) % 12 + (12 if half.lower() == "pm" else 0)
    try:
        return dt.datetime(
            int(year), _MONTHS[month.lower()], int(day), hour24, int(minute), int(second)
        )
    except ValueError:  # Feb 30, minute 61
        return None


_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


# The most bytes a cell may say: 8 PiB, thousands of times any archive, and the largest
# whole number a JSON reader keeps exactly (2**53 - 1; the API's clients read numbers
# as doubles). A cell of 2**63 - 1, which the column would take, made every total of
# the fleet overflow (SQLite's SUM; the snapshots' bigint columns) and the dashboards
# answer 500 (2026-12-06).
MAX_BYTES = 2**53 - 1


def byte_count(cell: str) -> int | None:
    """A whole, non-negative number of bytes, in plain ASCII digits, at most MAX_BYTES."""
    value = cell if cell.isascii() and cell.isdigit() else cell.strip()
    if not (value.isascii() and value.isdigit()):
        if is_missing_value(cell):
            return None
        raise CellError(f'cannot read "{cell}" as a whole number of bytes')
    # No more digits than MAX_BYTES has, leading zeros aside, before int(): it refuses
    # more than 4,300 with a ValueError, and the import stopped on that cell unsaid.
    digits = value.lstrip("0") or "0"
    number = int(digits) if len(digits) <= len(str(MAX_BYTES)) else MAX_BYTES + 1
    if number > MAX_BYTES:
        raise CellError(f'"{cell}" is too large for a number of bytes (at most {MAX_BYTES:,})')
    return number


def percentage(cell: str) -> float | None:
    """A decimal from 0 to 100 ("99.5")."""
    value = cell.strip()
    if not _DECIMAL.fullmatch(value):
        if is_missing_value(cell):
            return None
        raise CellError(f'cannot read "{cell}" as a percentage')
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 100.0):
        raise CellError(f'"{cell}" is not a percentage from 0 to 100')
    return number


_BOOLEANS = {"true": True, "false": False}


def boolean(cell: str) -> bool | None:
    """true / false in any letter case, as the vendor's own scripts write them."""
    value = _BOOLEANS.get(cell)
    if value is not None:
        return value
    if is_missing_value(cell):
        return None
    value = _BOOLEANS.get(cell.strip().lower())
    if value is None:
        raise CellError(f'cannot read "{cell}" as true or false')
    return value
