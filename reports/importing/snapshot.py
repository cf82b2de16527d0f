"""PostgreSQL: what the last mirror import applied, for the next one to compare with.

A sync applies the vendor's whole export, and most of it is what the last sync applied:
an hour later a few percent of the rows differ. The snapshot keeps each row of the last
applied export as a hash of its text, with its record number and the uids of its
person, device and archive (reports.importing.delta reads it). It says what the
database holds only while nothing else has written the tables it stands for: every
other write to devices, archives and people leaves a row in a log (triggers, migration
0016), as does a change of an org's, a destination's or a server's uid (0027: the rows
the snapshot stands for point at them by that uid), and a snapshot counts only while
that log is empty.

The tables are the import's own: the snapshot is UNLOGGED (after a crash it comes back
empty, and the next import compares everything, as the first one did).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

SNAPSHOT = "reports_import_snapshot"
STATE = "reports_import_state"
WRITES = "reports_import_writes"
KEPT = ("users", "devices", "archives")  # the uids a snapshot row keeps


@dataclass(frozen=True)
class Snapshot:
    number: int  # grows with every snapshot saved
    counts: dict[str, int]  # label -> rows of that table the export listed


def current(layout: str) -> Snapshot | None:
    """The snapshot of the last mirror import, if its file had this layout of columns
    and nothing but imports wrote the tables since."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT snapshot_number, counts FROM {STATE}"
            f" WHERE layout = %s AND NOT EXISTS (SELECT 1 FROM {WRITES})"
            " AND to_regclass(%s) IS NOT NULL",
            [layout, SNAPSHOT],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    number, counts = found
    return Snapshot(number, counts if isinstance(counts, dict) else json.loads(counts))


def others_wrote(*, forget: bool) -> int:
    """Under the import lock: how many transactions but imports wrote the watched tables
    since the last snapshot. `forget` (a mirror import that writes, before it compares):
    every write committed so far is what it compares with, so none of them makes the
    next import read everything. Writes still uncommitted stay in the log (this
    transaction does not see them)."""
    with connection.cursor() as cursor:
        if forget:
            cursor.execute(f"WITH w AS (DELETE FROM {WRITES} RETURNING 1) SELECT count(*) FROM w")
        else:
            cursor.execute(f"SELECT count(*) FROM {WRITES}")
        return cursor.fetchone()[0]


def stands(number: int) -> bool:
    """The snapshot `number` is still the last one saved."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT snapshot_number FROM {STATE}")
        return cursor.fetchone()[0] == number


def save(layout: str, counts: dict[str, int], keys: str) -> None:
    """After a mirror import's writes, in its transaction: the applied file's rows
    (`keys`: a table of them) become the snapshot. Two rows alike are kept as they are:
    the next import's pairing sees a hash matching two and reads every record
    (reports.importing.delta.classify); no unique index checks it here (0.6-1.7 s of
    each sync at a million rows)."""
    columns = ", ".join(("rec", "h", *KEPT))
    with connection.cursor() as cursor:
        _forget_own_writes(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {SNAPSHOT}")
        cursor.execute(f"CREATE UNLOGGED TABLE {SNAPSHOT} AS SELECT {columns} FROM {keys} k")
        cursor.execute(f"ANALYZE {SNAPSHOT}")
        cursor.execute(
            f"UPDATE {STATE} SET layout = %s, counts = %s, snapshot_number = snapshot_number + 1",
            [layout, json.dumps(counts)],
        )


def keep() -> None:
    """After a mirror import that changed no person, device nor archive: the snapshot
    still stands for the tables."""
    with connection.cursor() as cursor:
        _forget_own_writes(cursor)


def _forget_own_writes(cursor) -> None:
    """This import's own writes are what the snapshot stands for."""
    cursor.execute(f"DELETE FROM {WRITES} WHERE txid = txid_current()")


def forget() -> None:
    """No snapshot: the next import reads every record."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE} SET layout = NULL, counts = NULL")
