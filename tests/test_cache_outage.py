"""The shared cache down or restarting (backupreport.resilient_cache): a real
redis-server of the test's own, stopped mid-test and started again from its saved data.

While it is down every surface answers the figures of now; once it is back no value kept
before the outage answers for data that changed during it; the reset page still counts
its limits (in the job table)."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import subprocess
import time

import pytest
import redis
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from accounts.password_reset import RESETS_AN_HOUR_PER_EMAIL
from accounts.roles import ORG_MANAGERS
from backupreport import resilient_cache
from tests.factories import ArchiveFactory, DeviceFactory
from tests.metrics_support import METRICS, bearer
from tests.personas import PASSWORD, ago

_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
PORT = int(os.environ.get("TEST_OUTAGE_REDIS_PORT", "8801")) + _WORKER
API = "/api/DeviceBackupReport?pgSize=1"


class OwnRedis:
    """A redis-server this test starts and stops; its data saved on stop, read on start,
    as a Redis with persistence comes back from a restart: what was kept before the
    outage is there again after it."""

    def __init__(self, directory):
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.client = redis.Redis(port=PORT, socket_connect_timeout=1)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(PORT), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {PORT}")

    def stop(self) -> None:
        with contextlib.suppress(redis.ConnectionError):  # it answers nothing once down
            self.client.shutdown(save=True)
        self.process.wait(10)

    def keys(self, pattern: str) -> list[bytes]:
        return self.client.keys(pattern)


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server: apt-get install redis-server")
    server = OwnRedis(tmp_path)
    server.start()
    caches_ = {
        "default": {
            "BACKEND": "backupreport.resilient_cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{PORT}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 5},
        }
    }
    with override_settings(CACHES=caches_):
        caches["default"]  # built anew from the overridden settings
        yield server
    if server.process.poll() is None:
        server.process.kill()  # only the one this test started
        server.process.wait(10)


@pytest.fixture
def ask_redis_every_time(monkeypatch):
    """Redis asked at each read: a process that just found it down would leave it alone
    RETRY_SECONDS, and a read after the restart must reach it."""
    monkeypatch.setattr(resilient_cache, "RETRY_SECONDS", 0)


def total_count(client, **headers) -> int:
    response = client.get(API, **headers)
    assert response.status_code == 200, response.content
    return response.json()["metadata"]["totalCount"]


def basic(username: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {pair}"}


def new_ok_device(user):
    device = DeviceFactory(user=user, last_connected_date=ago(hours=1))
    ArchiveFactory(device=device, last_completed_backup_date=ago(hours=2))


def test_every_surface_answers_the_figures_of_now_while_redis_is_down(
    client, fleet, own_redis, caplog
):
    root = fleet["users"]["root"]
    client.force_login(root)
    before = total_count(client)
    assert own_redis.keys("*report:*")  # the answers were kept in Redis
    own_redis.stop()
    new_ok_device(fleet["users"]["dave"])  # a write while it is down

    with caplog.at_level(logging.WARNING, logger="backupreport.resilient_cache"):
        assert total_count(client) == before + 1  # not 500, not the kept count
        for path in ("/", "/history/compliance/"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        assert client.get(METRICS, **bearer(root)).status_code == 200
        client.logout()
        response = client.post("/accounts/password-reset/", {"email": "dave@example.com"})
        assert response.status_code == 302
    assert DBTaskResult.objects.count() == 1  # the reset queued
    # Logged once for the whole outage, not once a request.
    outage_lines = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(outage_lines) == 1


def test_nothing_kept_before_the_outage_answers_what_changed_during_it(
    client, fleet, own_redis, ask_redis_every_time
):
    users = fleet["users"]
    alice_sees = total_count(client, **basic("alice"))
    root_sees = total_count(client, **basic("root"))
    assert alice_sees > 0
    total_count(client, **basic("dave"))
    kept = set(own_redis.keys("*report:page:*"))
    assert len(kept) == 3  # each scope's first page is in Redis

    own_redis.stop()
    users["dave"].is_active = False  # deactivated during the outage
    users["dave"].save()
    users["alice"].groups.remove(Group.objects.get(name=ORG_MANAGERS))  # a role taken away
    new_ok_device(users["carol"])
    own_redis.start()

    assert kept <= set(own_redis.keys("*report:page:*"))  # the old pages are back in Redis
    assert client.get(API, **basic("dave")).status_code == 401
    assert total_count(client, **basic("alice")) != alice_sees  # no longer the fleet's rows
    assert total_count(client, **basic("root")) == root_sees + 1
    assert len(set(own_redis.keys("*report:page:*")) - kept) == 2  # answered afresh, kept anew


def test_the_reset_limits_hold_while_redis_is_down(client, db, own_redis):
    own_redis.stop()
    for typed in ["dave@example.com", " Dave@Example.com"] * RESETS_AN_HOUR_PER_EMAIL:
        response = client.post("/accounts/password-reset/", {"email": typed})
        assert response.status_code == 302
    # Counted in the job table: neither one address flooded nor every reset refused.
    assert DBTaskResult.objects.count() == RESETS_AN_HOUR_PER_EMAIL
    client.post("/accounts/password-reset/", {"email": "erin@example.com"})
    assert DBTaskResult.objects.count() == RESETS_AN_HOUR_PER_EMAIL + 1
