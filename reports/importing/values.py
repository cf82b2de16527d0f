"""Cell parsers: one vendor CSV cell -> one Python value, or CellError saying why not.

Every parser takes the raw cell text. An empty cell and the literal `null` (the vendor
writes it for missing dates, numbers and text alike) are missing values. Text takes
`null` in lower case only, so that a person named "Null" keeps their name; where
no text is valid (dates, numbers, booleans) any letter case will do.
"""

from __future__ import annotations

import datetime as dt
import math
import re


class CellError(ValueError):
    """A cell that cannot be read; the caller adds file, line and column."""


_MISSING = frozenset(("", "null"))


def is_missing(cell: str) -> bool:
    # The first test answers for nearly every cell without building a new string.
    return cell in _MISSING or cell.strip() in _MISSING


def is_missing_value(cell: str) -> bool:
    """Missing, for a cell that cannot hold text: `NULL` and `Null` count too."""
    return cell in _MISSING or cell.strip().lower() in _MISSING


def text(cell: str) -> str:
    """Free text, kept as written; missing is "" (the models' blank)."""
    return "" if is_missing(cell) else cell


def text_of(max_length: int):
    """Free text that must fit a column of max_length (PostgreSQL would refuse it late)."""

    def parse(cell: str) -> str:
        if is_missing(cell):
            return ""
        if len(cell) > max_length:
            raise CellError(f"is {len(cell)} characters long; at most {max_length} fit")
        return cell

    return parse


def uid(cell: str) -> str | None:
    """An identifier; spaces around it are an artefact of hand editing, not part of it."""
    return None if is_missing(cell) else cell.strip()


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
    if is_missing_value(cell):
        return None
    value = cell.strip()
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        parsed = _legacy_datetime(value)
    if parsed is None:
        raise CellError(f'cannot read "{cell}" as a date')
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


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


_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def byte_count(cell: str) -> int | None:
    """A whole, non-negative number of bytes, in plain ASCII digits."""
    if is_missing_value(cell):
        return None
    value = cell.strip()
    if not _DIGITS.fullmatch(value):
        raise CellError(f'cannot read "{cell}" as a whole number of bytes')
    number = int(value)
    if number >= 2**63:  # the column is a signed 64-bit integer
        raise CellError(f'"{cell}" is too large for a number of bytes')
    return number


def percentage(cell: str) -> float | None:
    """A decimal from 0 to 100 ("99.5")."""
    if is_missing_value(cell):
        return None
    value = cell.strip()
    if not _DECIMAL.fullmatch(value):
        raise CellError(f'cannot read "{cell}" as a percentage')
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 100.0):
        raise CellError(f'"{cell}" is not a percentage from 0 to 100')
    return number


def boolean(cell: str) -> bool | None:
    """true / false in any letter case, as the vendor's own scripts write them."""
    if is_missing_value(cell):
        return None
    value = cell.strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    raise CellError(f'cannot read "{cell}" as true or false')


def alert_states(cell: str) -> str:
    """Space separated states, stored with single spaces."""
    return " ".join(text(cell).split())


def choice(allowed: tuple[str, ...]):
    """A parser for one of a few words (a status), in any letter case; missing is ""."""
    canonical = {word.lower(): word for word in allowed}

    def parse(cell: str) -> str:
        if is_missing_value(cell):
            return ""
        value = canonical.get(cell.strip().lower())
        if value is None:
            raise CellError(f'"{cell}" is not one of {", ".join(allowed)}')
        return value

    return parse


def at_most(parser, max_length: int):
    """The parser, refusing text longer than the column holds."""

    def parse(cell: str):
        value = parser(cell)
        if value is not None and len(value) > max_length:
            raise CellError(f"is {len(value)} characters long; at most {max_length} fit")
        return value

    return parse
