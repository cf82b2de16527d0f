"""Agent versions sort by number, dotted part by dotted part: 7.0.3.55, 8.8.1.36,
10.4.2.5, 11.5.0.36. As text they sorted 10.4.2.5 before 7.0.3.55, and an admin sorting
by version to find the outdated agents read them in the wrong order (found by an audit,
2026-12-07).

The sort is by a collation, VERSION_COLLATION, that compares runs of digits by their
value (Unicode's root order with numeric ordering, ICU's "kn"): on PostgreSQL the ICU
collation migration 0026 creates, on SQLite the Python comparison below, registered on
every connection by backupreport.sqlite. Any text compares, so odd values never fail:
"11.5.0-beta" before "11.5.0.36" ("-" before "."), letters after digits and regardless
of case first (a before B), 07 equal to 7 at first. Strings ICU finds equal are ordered
by their bytes, as PostgreSQL does for a deterministic collation, so the order is total.

The Python comparison is ICU's order for ASCII text, which agent versions are (the
vendor writes digits, dots and letters; the field holds 50 characters); tests compare
it with PostgreSQL's on tricky values and on 30,000 random ASCII strings. Beyond ASCII
it is deterministic, but not ICU's (ICU reads accents as their letter and digits of
every script as numbers; here they come after ASCII by code point).

A stored key (each number written 20 digits wide, compared byte by byte) would have
been equal on both databases by construction, but PostgreSQL's regexp_replace took
50 µs a row to make it, ten times the whole sort's time on an index-less table.
"""

from __future__ import annotations

import functools
import re

from django.db.models import F
from django.db.models.functions import Collate

VERSION_COLLATION = "version_numeric"
# ICU's root order of printable ASCII (the digits stand for numbers): read from
# PostgreSQL 15 with ICU 72 (`ORDER BY c COLLATE version_numeric` of chr(32) to chr(126)),
# the controls tab to carriage return before them. The other controls are ignored by ICU.
_ORDER = "\t\n\x0b\x0c\r" + " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0abcdefghijklmnopqrstuvwxyz"
_RANK = {char: rank for rank, char in enumerate(_ORDER)}
_RANK |= {char.upper(): _RANK[char] for char in "abcdefghijklmnopqrstuvwxyz"}
_RANK |= {digit: _RANK["0"] for digit in "123456789"}
_NUMBER = _RANK["0"]
_BEYOND_ASCII = len(_ORDER)
_IGNORED = {chr(code) for code in (*range(0, 9), *range(14, 32), 127)}
_PIECES = re.compile(r"[0-9]+|.", re.DOTALL)


# Kept for each text read: SQLite calls the collation at every comparison of a sort, two
# keys each, some n log n of them, and the keys made afresh each time took a page 400 of
# 80,000 rows sorted by version 7.5 s against 0.08 s as text, the CSV export as long
# again (found by a review). A fleet has few versions; each is read once.
@functools.lru_cache(maxsize=4096)
def _sort_key(text: str) -> tuple:
    """ICU's three comparisons in a row: the primary weights (a number by its value,
    a letter whatever its case), the case (small letters first), then the bytes."""
    primary, case = [], []
    for piece in _PIECES.findall(text):
        if piece in _IGNORED:
            continue
        if piece[0] in "0123456789":
            value = piece.lstrip("0")
            primary.append((_NUMBER, len(value), value))
            case.append(0)
        else:
            primary.append((_RANK.get(piece, _BEYOND_ASCII + ord(piece)), 0, ""))
            case.append(1 if piece.isupper() else 0)
    return tuple(primary), tuple(case), text.encode()


def compare_versions(left: str, right: str) -> int:
    """SQLite's collation function: negative, zero or positive, as the order says."""
    a, b = _sort_key(left), _sort_key(right)
    return (a > b) - (a < b)


def by_version(attribute: str) -> Collate:
    """The column, to order by number (see above)."""
    return Collate(F(attribute), VERSION_COLLATION)
