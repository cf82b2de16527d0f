"""PostgreSQL: a sync that reads only the rows that changed since the last one (issue 29).

An hourly sync of a million devices downloads a file most of whose rows are the rows the
last sync applied. After the file is COPYed in (reports.importing.in_database), each
record gets a hash of its cells (`keys`); joined with the last applied file's hashes
(reports.importing.snapshot), the records fall in three sets: the same as a record of
the last file, new (changed or added), and gone (the last file's records this one no
longer has). Only what the new and gone records name is read, checked and compared:

- people, devices and archives that a new or gone record names are "affected": every
  record naming one is read (the last record naming a uid gives its values, as always),
  and only they are compared with the tables and written;
- orgs, destinations and servers are few but named by every record: each distinct form
  of one (its uid and cells) is read once, from its last record, and the tables are
  compared whole, as by a full import;
- a uid named only by records identical to the last file's has the values the last
  import gave it, provided the records kept their order (checked: otherwise the last of
  two differing records could be another one) and nothing else wrote the tables since
  (the snapshot's log).

Anything unusual (no snapshot, another layout of columns, records reordered, two records
alike, a uid cell with space around it, more than MOST_CHANGED of the records new) and
the import reads the whole file as before. Both ways give the same tables:
tests/test_import_delta.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import md5

from reports.importing.snapshot import KEPT, SNAPSHOT, Snapshot

# What the SQL reading (reports.importing.in_database) leaves to the Python parsers in
# text, its cells joined by \x01: space at an end, as str.isspace() knows it (strip()
# takes it off; \x01 is not space), or a defused formula's quote
# (reports.importing.values.undefused).
_SPACE = "[\\x02-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
UNPLAIN = f"(^|\\x01)({_SPACE}|'')|{_SPACE}(\\x01|$)"

# The raw records (reports.importing.in_database), which COPY gives, besides their cells,
# the hash of each (`h`, HashedRecords).
RAW = "import_raw"
# Each record's number, hash and the uids the snapshot keeps: what the delta
# reads, apart from the forms (mark_wanted), in a narrow table, so that its passes over
# a million records do not read the records' cells each time (and the snapshot is
# saved from it). And its place in RAW (`place`, its ctid: RAW is only ever written by
# its COPY), by which the records the delta reads are fetched.
KEYS = "import_keys"
PAIRS = "import_pairs"  # each record of this file and of the last, paired by hash
NAMING = "import_naming"  # the records naming an affected uid, with their uids
WANTED = "import_wanted"  # the records read and checked
MOST_CHANGED = 0.3  # past this share of new records, reading every record is cheaper


def affected(label: str) -> str:
    return f"import_affected_{label}"


def gone(label: str) -> str:
    return f"import_gone_{label}"


@dataclass
class Delta:
    """What this file changes against the snapshot `number`."""

    number: int
    counts: dict[str, int]  # the last file's rows a table, snapshot.Snapshot.counts
    new: int  # records not in the last file
    gone: int  # records of the last file not in this one

    @property
    def nothing_changed(self) -> bool:
        return not (self.new or self.gone)


# A record whose every quote opens a cell, closes it, or is doubled inside it. Elsewhere
# COPY and Python's csv module part: a quote inside an unquoted cell (13"x") Python keeps
# and COPY takes for the start of a quoted part (stored 13x), text after a closing quote
# ("MacBook"Pro) Python refuses and COPY joins (found by an audit, 2026-12-06).
# Unrolled ("[^"]*(?:""[^"]*)*"): three times faster on a file quoting every cell.
_CELL = rb'(?:"[^"]*(?:""[^"]*)*"|[^",]*)'
QUOTED_AS_PYTHON_READS = re.compile(rb"%s(?:,%s)*\r?" % (_CELL, _CELL))


class HashedRecords:
    """The file's bytes as they go to COPY, each record led by the MD5 of its text as one
    more cell (the raw table's `h`), so that the hash comes in with the record: no table
    of hashes to load and join after (at a million records, 3 s of passes gone for a
    COPY 0.8 s longer: a sync 1.3 s shorter). Taken in this process while the database
    parses the chunk before: the other core.

    A record ends at a line end outside quotes: an odd count of quotes so far opens a
    quoted cell (an escaped quote is two), as COPY reads CSV. Anything COPY would read
    otherwise (a bare carriage return ending lines, say) gives it records without their
    hash cell, or with one inside a cell, and so a short row or a count unlike `count`:
    the file is then read by the Python path (reports.importing.in_database). The
    header, the first record, is led by its hash too, and COPY skips it."""

    def __init__(self) -> None:
        self.count = 0
        # A record whose quotes COPY reads otherwise than Python's csv module: the file
        # is then the Python path's (QUOTED_AS_PYTHON_READS; in_database.staging).
        self.unlike_python = False
        self._rest = b""
        self._record: list[bytes] = []  # the lines of a record inside quotes so far
        self._quoted = False

    def feed(self, chunk: bytes) -> bytes:
        """The records this chunk completes, each led by its hash."""
        lines = (self._rest + chunk).split(b"\n")
        self._rest = lines.pop()
        return b"".join([led for line in lines if (led := self._line(line))])

    def end(self) -> bytes:
        """The last record, if the file does not end with a line end; a quote left open
        is sent as it is, for COPY to refuse."""
        last = self._line(self._rest) if self._rest or self._record else b""
        if self._quoted:
            last = b"\n".join(self._record)
        self._rest, self._record = b"", []
        return last

    def _line(self, line: bytes) -> bytes:
        if line.count(b'"') % 2:
            self._quoted = not self._quoted
        if self._quoted:
            self._record.append(line)
            return b""
        if self._record:
            line = b"\n".join([*self._record, line])
            self._record = []
        if b'"' in line and not QUOTED_AS_PYTHON_READS.fullmatch(line):
            self.unlike_python = True
        self.count += 1
        digest = md5(line.removesuffix(b"\r"), usedforsecurity=False).hexdigest()
        return b"%s,%s\n" % (digest.encode(), line)


def uid_value(cell: str) -> str:
    """The SQL of a uid from its raw cell, as the SQL reading takes it (empty or the
    vendor's `null`: none); the keys and the staged rows alike."""
    return f"NULLIF(NULLIF({cell}, ''), 'null')"


def keyed_records(uids: dict[str, str]) -> str:
    """The raw records with the uid of each table (`uids`: label -> raw column) as the
    SQL reading takes it, named by its label. Taken as a pass reads the records, not by
    COPY as it writes each one (generated columns): COPY is the sync's longest step, and
    each generated column made it form every record twice (2026-12-05, at 1,000,000
    devices: COPY 1.6 s shorter without them)."""
    columns = ", ".join(f"{uid_value(f'r.{cell}')} AS {label}" for label, cell in uids.items())
    return f"(SELECT r.*, {columns} FROM {RAW} r)"


def load_keys(cursor, uids: dict[str, str]) -> None:
    """KEYS, from the records (one pass)."""
    kept = ", ".join(f"{uid_value(f'r.{uids[label]}')} AS {label}" for label in KEPT)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {KEYS} AS SELECT r.rec, r.h, {kept}, r.ctid AS place FROM {RAW} r"
    )


def unplain(cells: Iterable[str]) -> str:
    """SQL: a record's uid cells (`cells`, raw columns of the records as `r`) have a form
    only the Python parsers read (space around one, a defused formula)."""
    joined = " || chr(1) || ".join(f"r.{cell}" for cell in cells)
    return f"{joined} ~ '{UNPLAIN}'"


def classify(cursor, snapshot: Snapshot, records: int) -> Delta | None:
    """Pair this file's records with the snapshot's; None if the delta cannot stand in
    for a full reading (reordered, two records alike, too much new or gone)."""
    # An unpaired record's uids come along: a new record's own, a gone record's from
    # the snapshot (mark_affected).
    unpaired = ", ".join(
        f"CASE WHEN k.rec IS NULL OR s.rec IS NULL THEN coalesce(k.{label}, s.{label}) END"
        f" AS {label}"
        for label in KEPT
    )
    cursor.execute(
        f"CREATE TEMPORARY TABLE {PAIRS} AS SELECT k.rec, s.rec AS old_rec, {unpaired}"
        f" FROM {KEYS} k FULL JOIN {SNAPSHOT} s ON s.h = k.h"
    )
    cursor.execute(
        "SELECT count(*) FILTER (WHERE old_rec IS NULL), count(*) FILTER (WHERE rec IS NULL),"
        f" count(*) FILTER (WHERE rec IS NOT NULL), count(DISTINCT rec) FROM {PAIRS}"
    )
    new, removed, paired, distinct = cursor.fetchone()
    # A record matching two (two alike in the last file, kept there: snapshot.save).
    if paired != distinct or paired != records:
        return None
    if new > MOST_CHANGED * records:
        return None
    # The same records in the same order: each kept record's old number above the last.
    cursor.execute(
        f"SELECT 1 FROM (SELECT old_rec, lag(old_rec) OVER (ORDER BY rec) AS before FROM {PAIRS}"
        " WHERE rec IS NOT NULL AND old_rec IS NOT NULL) o WHERE old_rec <= before LIMIT 1"
    )
    if cursor.fetchone():
        return None
    return Delta(snapshot.number, snapshot.counts, new, removed)


def mark_affected(cursor) -> None:
    """The people, devices and archives a new or gone record names, a table each (the
    pairs hold the uids of unpaired records, classify)."""
    for label in KEPT:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {affected(label)} AS"
            f" SELECT DISTINCT {label} AS uid FROM {PAIRS} WHERE {label} IS NOT NULL"
        )
        cursor.execute(f"CREATE UNIQUE INDEX ON {affected(label)} (uid)")
        cursor.execute(f"ANALYZE {affected(label)}")


def mark_wanted(cursor, forms: dict[str, tuple[list[str], str]], uids: dict[str, str]) -> None:
    """WANTED: every record naming an affected person, device or archive, and for each
    of orgs, destinations and servers the last record of each distinct form (`forms`:
    label -> (the columns of keyed_records that make one, its uid first; which records
    name one)), all forms found in one pass (grouping sets); with each its place in RAW,
    the forms' from KEYS (a pass over its narrow rows), for the reading to fetch them
    there rather than join RAW whole (1.4 s for 47,000 records of 1,600,000,
    2026-12-05)."""
    naming = " OR ".join(f"k.{label} IN (SELECT uid FROM {affected(label)})" for label in KEPT)
    sets = ", ".join(f"({', '.join(columns)})" for columns, _ in forms.values())
    # A form's set by its uid, grouped in no set but its own: tried in the reverse order
    # (a server's form holds its destination's uid too).
    which = " ".join(
        f"WHEN GROUPING({columns[0]}) = 0 THEN {named}"
        for columns, named in reversed(forms.values())
    )
    kept = ", ".join(KEPT)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {NAMING} AS SELECT rec, place, {kept} FROM {KEYS} k WHERE {naming}"
    )
    cursor.execute(
        f"CREATE TEMPORARY TABLE {WANTED} AS SELECT rec, place FROM {NAMING}"
        f" UNION SELECT rec, place FROM {KEYS} WHERE rec IN (SELECT max(rec)"
        f" FROM {keyed_records(uids)} k GROUP BY GROUPING SETS ({sets}) HAVING CASE {which} END)"
    )
    cursor.execute(f"CREATE UNIQUE INDEX ON {WANTED} (rec)")
    cursor.execute(f"ANALYZE {WANTED}")


def mark_gone(cursor) -> dict[str, int]:
    """Per kept table, the uids the last file named and this one does not: label -> count.
    Only an affected uid can be gone, and every record naming one is in NAMING."""
    counts = {}
    for label in KEPT:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {gone(label)} AS SELECT a.uid FROM {affected(label)} a"
            f" WHERE NOT EXISTS (SELECT 1 FROM {NAMING} n WHERE n.{label} = a.uid)"
        )
        cursor.execute(f"SELECT count(*) FROM {gone(label)}")
        (counts[label],) = cursor.fetchone()
    return counts
