"""One import at a time.

Two imports comparing with the same tables at once would each decide to create the
same new rows, and the second to commit would stop on a unique key. So on PostgreSQL
an import takes a transaction-level advisory lock before it compares: a second one
waits for the first to commit, then compares with what it wrote. (SQLite lets one
writer in at a time by itself.)
"""

from __future__ import annotations

from accounts.locks import wait_in_transaction

# Any number, the same for every import ("BRIM").
IMPORT_LOCK = 0x4252494D


def wait_for_other_imports() -> None:
    """Call inside the import's transaction; the lock ends with it."""
    wait_in_transaction(IMPORT_LOCK)
