"""The development server on PostgreSQL holds no more connections than it serves at once.

`manage.py runserver` answers each request on a thread of its own, which ends with the
request: a connection kept for its next request (CONN_MAX_AGE) would never be used
again. A client asking once per device (the vendor's Go sample c42ComputerUserReport
asks `/api/Computer/<guid>` for each) used to take all of PostgreSQL's connections and
then be refused with `too many clients already`. Under runserver the settings keep none
(backupreport.settings.DEVELOPMENT_SERVER).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from reports.models import Device
from tests.api_support import PASSWORD
from tests.database_support import database_url
from tests.port_support import free_port
from tests.test_two_app_servers import servers_can_check_passwords

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 200
AT_ONCE = 8
A_HANDFUL = 5

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL's connections: the suite's SQLite is in this process's memory",
    ),
    pytest.mark.django_db(transaction=True),
]


def connections_to_the_test_database() -> int:
    """Sessions on this database but this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def start_runserver(port: int) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")} | {
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "1",
        "DB_CONN_MAX_AGE": "60",  # what a developer's shell may well say; runserver keeps none
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
            return server
        except requests.RequestException:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            time.sleep(0.1)
    raise AssertionError("runserver did not answer")


def test_quick_requests_leave_a_handful_of_connections_at_most(personas):
    servers_can_check_passwords([personas["sysadmin"]])
    guids = list(Device.objects.values_list("device_uid", flat=True))
    assert guids
    port = free_port()
    server = start_runserver(port)
    try:
        before = connections_to_the_test_database()
        session = requests.Session()  # one client, as the Go sample's
        session.auth = ("sysadmin", PASSWORD)

        def ask(number: int) -> int:
            guid = guids[number % len(guids)]
            url = f"http://127.0.0.1:{port}/api/Computer/{guid}"
            return session.get(
                url, params={"idType": "guid", "incAll": "true"}, timeout=60
            ).status_code

        with ThreadPoolExecutor(AT_ONCE) as pool:
            answers = list(pool.map(ask, range(REQUESTS)))
        assert answers == [200] * REQUESTS
        time.sleep(0.5)  # a request's thread closes its connection as it ends
        left = connections_to_the_test_database()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert left - before <= A_HANDFUL, (before, left)
