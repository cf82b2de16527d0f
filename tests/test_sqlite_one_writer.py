"""SQLite: an import takes the database's one write lock as its transaction begins
(reports.locks.wait_in_transaction), so a web request writing meanwhile waits for it
rather than make it fail. A transaction that reads first and writes after fails at once
with "database is locked" when another writer committed in between: an import comparing
while someone signed in did (2026-12-06). Two processes on one SQLite file, as `make run`'s
web server and worker are."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's own locking; PostgreSQL has row locks"
)

IMPORT = """
import sys, time
import django
django.setup()
from django.db import transaction
from accounts.models import Org
from reports.importing.one_at_a_time import wait_for_other_imports
with transaction.atomic():
    wait_for_other_imports()
    Org.objects.count()  # the compare's first read
    open(sys.argv[1], "w").close()  # the web's turn
    time.sleep(2)
    Org.objects.create(org_uid="from-the-import", name="Import")  # the writes
print("import committed")
"""

WEB = """
import os, sys, time
import django
django.setup()
from accounts.models import Org
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
started = time.monotonic()
Org.objects.create(org_uid="from-the-web", name="Web")  # a sign-in's audit event, say
print(f"web waited {time.monotonic() - started:.1f}")
"""


def test_a_write_meanwhile_waits_for_the_import(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment |= {
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "backupreport.settings",
    }
    root = Path(settings.BASE_DIR)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=root,
        env=environment,
        check=True,
        timeout=300,
    )
    signal = str(tmp_path / "comparing")

    def start(script: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", script, signal],
            cwd=root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    importing, web = start(IMPORT), start(WEB)
    started = time.monotonic()
    outputs = [process.communicate(timeout=120) for process in (importing, web)]
    assert importing.returncode == 0, outputs[0]
    assert web.returncode == 0, outputs[1]
    assert "import committed" in outputs[0][0]
    waited = float(outputs[1][0].split()[-1])
    assert waited >= 1.0, (waited, time.monotonic() - started)  # until the import's commit
