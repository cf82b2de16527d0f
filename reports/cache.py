"""Caching what is computed from the report table until the table changes.

Counting or summing a million rows takes a few hundred milliseconds; the answer stays
true until the next write. On PostgreSQL a trigger moves `ReadModelGeneration` on with
every write, to a number never used before (a sequence, which no rollback takes back),
and that number is part of each key, so a cached value is exact, never stale. A key is
the SQL and parameters of the query itself: the role limit is in them, so two users
share a value only when they asked the very same question. SQLite, the small embedded
database, computes every time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from reports.models import ReadModelGeneration

T = TypeVar("T")
TIMEOUT_SECONDS = 3600


def generation() -> int | None:
    """The report table's generation, or None where there is no trigger to keep it."""
    if connection.vendor != "postgresql":
        return None
    return ReadModelGeneration.objects.values_list("number", flat=True).filter(pk=1).first()


def query_key(queryset: QuerySet) -> str:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a query that matches nothing whatever the data
        return "nothing"
    return repr((sql, params))


def cached(name: str, key: str, compute: Callable[[], T]) -> T:
    """compute(), or what it gave for the same key since the table last changed."""
    number = generation()
    if number is None:
        return compute()
    digest = hashlib.sha256(key.encode()).hexdigest()
    cache_key = f"report:{name}:{number}:{digest}"
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT_SECONDS)
    return value
