"""The two numbers every API request goes by, read in one round trip.

A caller is kept under the access generation (accounts.caller_memo), a page under the
report table's (reports.api.page_cache); a kept page for a kept caller needs nothing
else from the database. Both are read when the request arrives, before anything is
answered from them, so that a write committed before the request is never answered
stale. They live in one database unless report reads go to a replica
(backupreport.routers): then the report table's comes from the replica, with its rows,
and the access generation from the primary, where sign-ins are checked.

Any backend, any engine: on the optional `backupreport.postgres` the read is also the
connection's health check (reports.postgres_only.first_row).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import router

from accounts import access_generation
from reports import cache, postgres_only
from reports.models import ReadModelGeneration


@dataclass(frozen=True)
class Generations:
    access: int | None
    report: int | None


_BOTH_SQL = f"SELECT ({access_generation.NUMBER_SQL}), ({cache.NUMBER_SQL})"  # one round trip


def read() -> Generations:
    if router.db_for_read(ReadModelGeneration) != access_generation.DATABASE:
        return Generations(access=access_generation.current(), report=cache.generation())
    access, report = postgres_only.first_row(access_generation.DATABASE, _BOTH_SQL)
    return Generations(access=access, report=report)
