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
alike, a uid cell with space around it, more than MOST_CHANGED of the records new)
and the import reads the whole file as before. Both ways give the same tables:
tests/test_import_delta.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from reports.importing.snapshot import KEPT, SNAPSHOT, Snapshot

# What the SQL reading (reports.importing.in_database) leaves to the Python parsers in
# text, its cells joined by \x01: space at an end, as str.isspace() knows it (strip()
# takes it off; \x01 is not space), or a defused formula's quote
# (reports.importing.values.undefused).
_SPACE = "[\\x02-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
UNPLAIN = f"(^|\\x01)({_SPACE}|'')|{_SPACE}(\\x01|$)"

# The raw records (reports.importing.in_database), which COPY gives, besides their cells,
# the keys of a record (key_columns): the hash of its cells and the uid of each table.
KEYS = "import_raw"
PAIRS = "import_pairs"  # each record of this file and of the last, paired by hash
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


def key_columns(cells: list[str], uids: dict[str, str]) -> list[str]:
    """Columns of the raw records' table that COPY fills as it writes each record: the
    hash of all `cells` (`h`), each table's uid (`uids`: label -> raw column) as the SQL
    reading takes it, and whether the record is `plain`: no uid cell with a form only
    the Python parsers read (space around it, a defused formula), no cell holding the
    separator of the hashed text (which would make two records' texts alike)."""
    separated = " || chr(1) || ".join(cells)
    uid_cells = " || chr(1) || ".join(uids.values())
    columns = [
        f"h uuid GENERATED ALWAYS AS (md5({separated})::uuid) STORED",
        f"plain boolean GENERATED ALWAYS AS ({uid_cells} !~ '{UNPLAIN}'"
        f" AND strpos({' || '.join(cells)}, chr(1)) = 0) STORED",
    ]
    columns += [
        f"{label} text GENERATED ALWAYS AS (NULLIF(NULLIF({cell}, ''), 'null')) STORED"
        for label, cell in uids.items()
    ]
    return columns


def all_plain(cursor) -> bool:
    cursor.execute(f"SELECT bool_and(plain) FROM {KEYS}")
    (plain,) = cursor.fetchone()
    return plain is not False


def classify(cursor, snapshot: Snapshot, records: int) -> Delta | None:
    """Pair this file's records with the snapshot's; None if the delta cannot stand in
    for a full reading (reordered, two records alike, too much new or gone)."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {PAIRS} AS SELECT k.rec, s.rec AS old_rec"
        f" FROM {KEYS} k FULL JOIN {SNAPSHOT} s ON s.h = k.h"
    )
    cursor.execute(
        "SELECT count(*) FILTER (WHERE old_rec IS NULL), count(*) FILTER (WHERE rec IS NULL),"
        f" count(*) FILTER (WHERE rec IS NOT NULL), count(DISTINCT rec) FROM {PAIRS}"
    )
    new, removed, paired, distinct = cursor.fetchone()
    if paired != distinct or paired != records:  # a record matching two (two alike)
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
    """The people, devices and archives a new or gone record names, a table each."""
    for label in KEPT:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {affected(label)} AS"
            f" SELECT k.{label} AS uid FROM {KEYS} k JOIN {PAIRS} p ON p.rec = k.rec"
            f" WHERE p.old_rec IS NULL AND k.{label} IS NOT NULL"
            f" UNION SELECT s.{label} FROM {SNAPSHOT} s JOIN {PAIRS} p ON p.old_rec = s.rec"
            f" WHERE p.rec IS NULL AND s.{label} IS NOT NULL"
        )
        cursor.execute(f"CREATE UNIQUE INDEX ON {affected(label)} (uid)")
        cursor.execute(f"ANALYZE {affected(label)}")


def mark_wanted(cursor, forms: dict[str, tuple[list[str], str]]) -> None:
    """WANTED: every record naming an affected person, device or archive, and for each
    of orgs, destinations and servers the last record of each distinct form (`forms`:
    label -> (the columns that make one, which records name one))."""
    naming = " OR ".join(f"k.{label} IN (SELECT uid FROM {affected(label)})" for label in KEPT)
    selects = [f"SELECT rec FROM {KEYS} k WHERE {naming}"]
    for columns, which in forms.values():
        selects.append(f"SELECT max(rec) FROM {KEYS} k WHERE {which} GROUP BY {', '.join(columns)}")
    cursor.execute(f"CREATE TEMPORARY TABLE {WANTED} AS " + " UNION ".join(selects))
    cursor.execute(f"CREATE UNIQUE INDEX ON {WANTED} (rec)")
    cursor.execute(f"ANALYZE {WANTED}")


def mark_gone(cursor) -> dict[str, int]:
    """Per kept table, the uids the last file named and this one does not: label -> count."""
    counts = {}
    for label in KEPT:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {gone(label)} AS SELECT a.uid FROM {affected(label)} a"
            f" WHERE NOT EXISTS (SELECT 1 FROM {KEYS} k WHERE k.{label} = a.uid)"
        )
        cursor.execute(f"SELECT count(*) FROM {gone(label)}")
        (counts[label],) = cursor.fetchone()
    return counts


TEMPORARY = [PAIRS, WANTED] + [affected(label) for label in KEPT] + [gone(label) for label in KEPT]
