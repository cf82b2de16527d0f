"""Django's Redis cache, answering as a miss while Redis is down or restarting.

Every app server shares one Redis (REDIS_URL). Django's own backend raises the client's
ConnectionError from get and set, and the API, /metrics, the overview, compliance and
the reset page answered 500 for as long as Redis was away (found by an audit). Here,
while Redis cannot be reached:

- a read is a miss: the caller computes the value from the database, as on a cold cache;
- a value written (set, set_many, touch) is not kept: the next read computes it again.

Neither can ever answer stale, afterwards either, because nothing in this product tells
the cache that something changed: every key holds a generation read from the database
(accounts.access_generation, reports.cache), a number a trigger moves on with each
write and never uses twice. A write during the outage moves the number; a value kept
before it stays under the old number, which no one asks for again. Kept API callers
are not in Redis at all (accounts.caller_memo).

What the caller acts on is not guessed, it raises as before: add and incr (a lock, a
count: accounts.password_reset counts in the database instead), delete and clear (a
delete is how one would tell a cache to forget: lost silently, an old value would
answer once Redis is back).

Once Redis failed, this process leaves it alone for RETRY_SECONDS: a Redis that does
not answer at all costs each request its connect timeout (settings: CACHES' OPTIONS)
once, not once a figure. The outage is logged at most once a LOG_SECONDS, with how many
reads and writes went without it.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
LOG_SECONDS = 60.0


class Outage:
    """When this process last found Redis unreachable, and how many operations went
    without it since it was last logged; shared by the process's threads."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._logged_at: float | None = None
        self._missed = 0

    def skipping(self) -> bool:
        """Whether Redis failed less than RETRY_SECONDS ago: not asked, missed at once."""
        with self._lock:
            if self._failed_at is None or self.clock() - self._failed_at >= RETRY_SECONDS:
                return False
            self._missed += 1
            return True

    def failed(self, error: Exception) -> None:
        with self._lock:
            now = self.clock()
            self._failed_at = now
            self._missed += 1
            if self._logged_at is not None and now - self._logged_at < LOG_SECONDS:
                return
            self._logged_at, missed, self._missed = now, self._missed, 0
        logger.warning(
            "cache: Redis unreachable (%s); %d read(s) and write(s) went to the database "
            "or were not kept since the last such line",
            error,
            missed,
        )

    def answered(self) -> None:
        with self._lock:
            if self._failed_at is None:
                return
            self._failed_at = None
            missed, self._missed, self._logged_at = self._missed, 0, None
        logger.warning(
            "cache: Redis answers again (%d read(s) and write(s) went without it)", missed
        )


class ResilientRedisCache(RedisCache):
    """CACHES' BACKEND with REDIS_URL (backupreport.settings.cache_from_url)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.outage = Outage()

    def _missed(self, operation, missed):
        if self.outage.skipping():
            return missed
        try:
            result = operation()
        except RedisError as error:
            self.outage.failed(error)
            return missed
        self.outage.answered()
        return result

    def get(self, key, default=None, version=None):
        return self._missed(lambda: RedisCache.get(self, key, default, version), default)

    def get_many(self, keys, version=None):
        return self._missed(lambda: RedisCache.get_many(self, keys, version), {})

    def has_key(self, key, version=None):
        return self._missed(lambda: RedisCache.has_key(self, key, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._missed(lambda: RedisCache.set(self, key, value, timeout, version), None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        not_kept = list(data)
        return self._missed(lambda: RedisCache.set_many(self, data, timeout, version), not_kept)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._missed(lambda: RedisCache.touch(self, key, timeout, version), False)
