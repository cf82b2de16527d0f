"""Caching what is computed from the report table until the table changes.

Counting or summing a million rows takes a few hundred milliseconds; the answer stays
true until the next write. A trigger on each table a cached figure reads moves
`ReadModelGeneration` on with every write, to a number never used before, and that
number is part of each key, so a cached value is exact, never stale. The triggers are
made by one migration operation for PostgreSQL and SQLite alike
(accounts.watched_tables.WatchTable), so both backends cache the same way. A key is the
SQL and parameters of the query itself: the role limit is in them, so two users share a
value only when they asked the very same question.

Every cached figure is declared in `FIGURES` with the tables it reads; a figure not
declared there cannot be cached, and tests/test_cache_figures.py fails when a declared
table has no trigger. A new figure: add it to FIGURES; if it reads a table no figure
read before, add `WatchTable("<table>", REPORT)` to a migration of the table's app.

The figures a page shows first are also computed ahead, after every refresh
(reports.warming), and kept in the database as well as the cache: `warmed()` finds
them there when this process's cache has not got them yet, `warm()` puts them there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import QuerySet

from accounts.watched_tables import Counter, move_on
from reports.models import ReadModelGeneration
from reports.warming import store

T = TypeVar("T")
TIMEOUT_SECONDS = 3600

# The report generation: its table, PostgreSQL function (migrations 0004, 0005) and the
# suffix of its triggers' names.
REPORT = Counter(ReadModelGeneration._meta.db_table, "reports_next_generation", "generation")

# Every cached figure, by the name in its keys, and the tables it reads: each must be
# watched by a REPORT trigger (WatchTable), or its value would outlive a write.
REPORT_ROWS = "reports_reportrow"
USERS = "accounts_user"
ORGS = "accounts_org"
SNAPSHOTS = "history_snapshot"
FIGURES: dict[str, tuple[str, ...]] = {
    "count": (REPORT_ROWS,),  # the report API's totalCount (reports.api.views)
    "page": (REPORT_ROWS,),  # the report API's pages (reports.api.page_cache)
    "computers": (REPORT_ROWS,),  # Computer's counts (reports.api.computers)
    "users": (USERS, ORGS),  # User's count (reports.api.users)
    "orgs": (ORGS,),  # Org's count (reports.api.orgs)
    "overview": (REPORT_ROWS,),  # the overview's figures (reports.dashboards.figures)
    "summary": (REPORT_ROWS,),  # a report page's totals (reports.dashboards.figures)
    "trend": (SNAPSHOTS,),  # the 90-day trend (reports.history.figures)
    "compliance": (SNAPSHOTS, ORGS),  # compliance by org (reports.history.figures)
    "health-by-org": (REPORT_ROWS,),  # compliance's "now", each org's dates (the same)
    "rollup": (REPORT_ROWS, ORGS),  # storage by user or org (reports.dashboards.figures)
    "rollup-count": (REPORT_ROWS,),  # how many users or orgs a rollup lists (the same)
    "expiries": (REPORT_ROWS,),  # cold storage's expiry dates (the same)
    "metrics": (SNAPSHOTS, ORGS),  # /metrics' org sums (reports.integrations.figures)
}


def moved_on_by_migrate(sender, using: str = DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    """The report generation moved on by a `migrate` that applied a migration, as an
    upgrade's does (README, Upgrading): a value kept by the release before is its code's
    answer, and Redis keeps its pages through the restart, the database its stored
    figures until the next refresh warms anew. A release that mended a figure (or what a
    reach reads) answered the old one until the next write (found by an audit of the
    caches). One with nothing to apply moves nothing: `make run` runs it at every start,
    and each start threw the warmed figures away (found by a review). So a release that
    changes an answer without a schema change ships an empty migration (`makemigrations
    reports --empty`), which moves it on here. `plan`: the migrations applied, of every
    app; none for a flush."""
    if not plan:
        return
    connection = connections[using]
    if {REPORT.table, REPORT_ROWS} <= set(connection.introspection.table_names()):
        move_on(connection, REPORT, REPORT_ROWS)  # not there: migrated back before them


def figure_key(name: str, number: int, digest: str) -> str:
    """The cache key of a declared figure's value at a generation."""
    if name not in FIGURES:
        raise LookupError(f"{name!r} is not in reports.cache.FIGURES: declare what it reads")
    return f"report:{name}:{number}:{digest}"


def generation() -> int | None:
    """The report table's generation, or None while there is none (a flush took the
    row away until the next write).

    Read on every API page, kept or not: plain SQL, where the database the router reads
    the model from (a replica's, with the rows) answers, as the ORM would ask it; its
    query building cost a kept page a seventh of its CPU."""
    with connections[router.db_for_read(ReadModelGeneration)].cursor() as cursor:
        cursor.execute(NUMBER_SQL)
        row = cursor.fetchone()
    return row[0] if row is not None else None


NUMBER_SQL = f"SELECT number FROM {ReadModelGeneration._meta.db_table} WHERE id = 1"


def query_key(queryset: QuerySet) -> str:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a query that matches nothing whatever the data
        return "nothing"
    return repr((sql, params))


def _cache_key(name: str, number: int, key: str) -> str:
    return figure_key(name, number, hashlib.sha256(key.encode()).hexdigest())


def cached(name: str, key: str, compute: Callable[[], T], number: int | None = None) -> T:
    """compute(), or what it gave for the same key since the table last changed.

    `number`: the generation, when the caller has just read it (one query less)."""
    if number is None:
        number = generation()
    if number is None:
        return compute()
    cache_key = _cache_key(name, number, key)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT_SECONDS)
    return value


def warmed(name: str, key: str, compute: Callable[[], T]) -> T:
    """As cached(), and what warm() stored for the key found before computing it."""
    number = generation()
    if number is None:
        return compute()

    def stored_or_computed() -> T:
        value = store.stored(_cache_key(name, number, key))
        return compute() if value is None else value

    return cached(name, key, stored_or_computed, number=number)


def warm(name: str, key: str, compute: Callable[[], T]) -> T:
    """compute() now, stored for every process to find through warmed()."""
    number = generation()
    if number is None:
        return compute()
    cache_key = _cache_key(name, number, key)
    value = compute()
    store.store(cache_key, number, value)
    cache.set(cache_key, value, TIMEOUT_SECONDS)
    return value
