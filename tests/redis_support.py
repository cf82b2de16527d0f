"""The Redis the scale-out tests share: 127.0.0.1:6379, database 15 (TEST_REDIS_URL); under
pytest-xdist each worker its own database (15 for gw0, 14 for gw1, ...), because a test
empties its database.

`.ci/run` starts redis-server. Without one, the tests that need it skip with the command
that starts it, or fail when the CI environment variable is set, so that CI cannot pass
them by accident (as the browser tests do for Chromium).
"""

from __future__ import annotations

import os

import pytest

_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER}")


def _redis_missing() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return (
            f"no Redis at {REDIS_URL} ({error}); to run these tests: apt-get install "
            "redis-server && redis-server --daemonize yes --save '' --appendonly no"
        )
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    reason = _redis_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL
