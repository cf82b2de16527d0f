"""Caching what is computed from the report table until the table changes.

Counting or summing a million rows takes a few hundred milliseconds; the answer stays
true until the next write. On PostgreSQL a trigger moves `ReadModelGeneration` on with
every write, to a number never used before (a sequence, which no rollback takes back),
and that number is part of each key, so a cached value is exact, never stale. A key is
the SQL and parameters of the query itself: the role limit is in them, so two users
share a value only when they asked the very same question. SQLite, the small embedded
database, computes every time.

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
from django.db import connection, connections, router
from django.db.models import QuerySet

from reports.models import ReadModelGeneration
from reports.warming import store

T = TypeVar("T")
TIMEOUT_SECONDS = 3600


def generation() -> int | None:
    """The report table's generation, or None where there is no trigger to keep it.

    Read on every API page, kept or not: plain SQL, where the database the router reads
    the model from (a replica's, with the rows) answers, as the ORM would ask it; its
    query building cost a kept page a seventh of its CPU."""
    if connection.vendor != "postgresql":
        return None
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
    return f"report:{name}:{number}:{hashlib.sha256(key.encode()).hexdigest()}"


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
