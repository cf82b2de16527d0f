"""More than one machine: a shared Redis cache when REDIS_URL (or CACHE_URL) is set, the
per-process cache otherwise, and report reads from a replica alias when
DATABASE_REPLICA_URL is set, writes never. Each runs manage.py in a fresh process,
configured as an app server would be (Redis at 127.0.0.1:6379, as .ci/run starts it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.database_support import database_url
from tests.redis_support import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


def shell(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "CACHE_URL", "DATABASE_REPLICA_URL")
    } | env
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


CACHE_PROBE = """
import json, uuid
from django.conf import settings
from django.core.cache import cache
key = "scale-out-probe-" + uuid.uuid4().hex
cache.set(key, [1, "two"], 30)
print(json.dumps({"backend": settings.CACHES["default"]["BACKEND"], "value": cache.get(key)}))
cache.delete(key)
"""


def test_without_a_cache_url_each_process_caches_in_memory():
    result = shell(CACHE_PROBE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["backend"].endswith("LocMemCache")


@pytest.mark.parametrize("variable", ["REDIS_URL", "CACHE_URL"])
def test_a_redis_url_selects_djangos_redis_backend_and_it_answers(variable, redis_url):
    """Django's own, answering as a miss while Redis is away (tests/test_cache_outage.py)."""
    result = shell(CACHE_PROBE, **{variable: REDIS_URL})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "backend": "backupreport.resilient_cache.ResilientRedisCache",
        "value": [1, "two"],
    }


def test_a_value_set_by_one_process_is_read_by_another(redis_url):
    key = f"scale-out-shared-{os.getpid()}"
    first = shell(
        f"from django.core.cache import cache; cache.set({key!r}, 42, 30)", REDIS_URL=REDIS_URL
    )
    assert first.returncode == 0, first.stderr
    second = shell(
        f"from django.core.cache import cache; print(cache.get({key!r})); cache.delete({key!r})",
        REDIS_URL=REDIS_URL,
    )
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[-1] == "42"


def test_another_cache_scheme_is_refused_by_name():
    result = shell("pass", CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert "CACHE_URL / REDIS_URL: unsupported scheme" in result.stderr


ROUTING_PROBE = """
import json
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.contrib.auth.models import Group
from accounts.models import User
from accounts.roles import SYSTEM_ADMINISTRATORS
from reports.api.views import report_page
from reports.models import ReportRow
from reports.query import report_query

with transaction.atomic():
    admin = User.objects.create(username="routing-probe-admin")
    admin.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    with CaptureQueriesContext(connections["default"]) as primary, \\
            CaptureQueriesContext(connections["replica"]) as replica:
        report_page(report_query({"pgSize": "2", "pgNum": "2"}, admin))
        reads = (len(primary.captured_queries), len(replica.captured_queries))
        ReportRow.objects.filter(pk=-1).delete()
        ReportRow.objects.filter(pk=-1).update(username="x")
    transaction.set_rollback(True)
print(json.dumps({
    "primary": [q["sql"] for q in primary.captured_queries],
    "replica": [q["sql"] for q in replica.captured_queries],
    "reads": reads,
}))
"""


def with_a_replica(probe: str) -> dict:
    """What the probe printed, run with the test database as primary and as replica (a
    second alias of the same database is enough to prove the routing)."""
    url = database_url()
    result = shell(probe, DATABASE_URL=url, DATABASE_REPLICA_URL=url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DATABASE_URL is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_with_a_replica_report_reads_go_to_it_and_writes_do_not(personas):
    found = with_a_replica(ROUTING_PROBE)
    on_primary, on_replica = found["primary"], found["replica"]
    report_reads = [sql for sql in on_replica if "reports_reportrow" in sql]
    assert report_reads, on_replica  # the page and its count
    assert any("reports_readmodelgeneration" in sql for sql in on_replica)
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in on_replica)
    assert not [
        sql
        for sql in on_primary
        if sql.lstrip().upper().startswith("SELECT") and '"reports_reportrow"' in sql
    ], on_primary
    writes = [sql for sql in on_primary if sql.lstrip().upper().startswith(("DELETE", "UPDATE"))]
    assert len(writes) == 2 and all("reports_reportrow" in sql for sql in writes), on_primary


GENERATIONS_PROBE = """
import json
from django.db import connections
from django.test.utils import CaptureQueriesContext
from reports.api import generations

with CaptureQueriesContext(connections["default"]) as primary, \\
        CaptureQueriesContext(connections["replica"]) as replica:
    generations.read()
print(json.dumps({
    "primary": [q["sql"] for q in primary.captured_queries],
    "replica": [q["sql"] for q in replica.captured_queries],
}))
"""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DATABASE_URL is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_with_a_replica_the_report_generation_comes_from_it_and_the_access_one_does_not(db):
    found = with_a_replica(GENERATIONS_PROBE)
    assert [sql for sql in found["replica"] if "reports_readmodelgeneration" in sql]
    assert not [sql for sql in found["replica"] if "accounts_accessgeneration" in sql]
    assert [sql for sql in found["primary"] if "accounts_accessgeneration" in sql]
    assert not [sql for sql in found["primary"] if "reports_readmodelgeneration" in sql]
