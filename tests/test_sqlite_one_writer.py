"""SQLite: an import takes the database's one write lock as its transaction begins
(accounts.locks.wait_in_transaction), so a web request writing meanwhile waits for it
rather than make it fail. A transaction that reads first and writes after fails at once
with "database is locked" when another writer committed in between: an import comparing
while someone signed in did (2026-12-06). Two processes on one SQLite file, as `make run`'s
web server and worker are."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import migrated_sqlite_support

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


def migrated_sqlite(tmp_path: Path, **settings_of_the_run: str) -> tuple[Path, dict]:
    """The checkout and the environment of processes sharing one migrated SQLite file
    (the suite's own DATABASE_URL left out), with these settings besides."""
    path = migrated_sqlite_support.migrated_sqlite(tmp_path / "db.sqlite3")
    environment = migrated_sqlite_support.sqlite_environment(path)
    environment |= {"DJANGO_SETTINGS_MODULE": "backupreport.settings", **settings_of_the_run}
    return Path(settings.BASE_DIR), environment


def script_process(script: str, signal: str, root: Path, environment: dict) -> subprocess.Popen:
    """A Python process running `script` on the migrated file, told the signal's path."""
    return subprocess.Popen(
        [sys.executable, "-c", script, signal],
        cwd=root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_write_meanwhile_waits_for_the_import(tmp_path):
    root, environment = migrated_sqlite(tmp_path)
    signal = str(tmp_path / "comparing")

    def start(script: str) -> subprocess.Popen:
        return script_process(script, signal, root, environment)

    importing, web = start(IMPORT), start(WEB)
    started = time.monotonic()
    outputs = [process.communicate(timeout=120) for process in (importing, web)]
    assert importing.returncode == 0, outputs[0]
    assert web.returncode == 0, outputs[1]
    assert "import committed" in outputs[0][0]
    waited = float(outputs[1][0].split()[-1])
    assert waited >= 1.0, (waited, time.monotonic() - started)  # until the import's commit


HOLDER = """
import sys, time
import django
django.setup()
from django.db import transaction
from reports.importing.one_at_a_time import wait_for_other_imports
with transaction.atomic():
    wait_for_other_imports()  # another import's write lock, held past the web's wait
    open(sys.argv[1], "w").close()
    time.sleep(10)  # past the second's start (a few seconds) and its 1 s busy wait
print("first import committed")
"""


def test_a_second_import_waits_for_the_first_and_is_logged(tmp_path):
    """Started during a long import, a second one failed once the web's busy timeout
    ran out: a traceback ("database is locked") and no line in the run log (found by an
    audit, 2026-12-06). It waits for the first, as on PostgreSQL, then runs."""
    from tests.import_support import write_csv
    from tests.test_import_backup_report import vendor_row

    report = write_csv(tmp_path / "report.csv", [vendor_row(n) for n in (1, 2)])
    # The web's wait, shorter than the first import.
    root, environment = migrated_sqlite(tmp_path, SQLITE_BUSY_SECONDS="1")
    manage = [sys.executable, "manage.py"]
    signal = tmp_path / "holding"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(signal)],
        cwd=root,
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    while not signal.exists() and holder.poll() is None:
        time.sleep(0.05)
    second = subprocess.run(
        [*manage, "import_backup_report", str(report)],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert holder.communicate(timeout=60)[0].strip() == "first import committed"
    assert second.returncode == 0, second.stderr[-2000:]
    assert "2 created" in second.stdout
    runs = subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from reports.refresh.models import Run; print([r.outcome for r in Run.objects.all()])",
        ],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert runs.stdout.strip().splitlines()[-1] == "['succeeded']"


# An import whose turn comes between its run log's line and its own transaction: it
# says so (argv[1]) and waits for the first import to hold the lock (argv[2]).
SECOND = """
import os, sys, time
import django
django.setup()
from django.core.management import call_command
from reports.importing import environment
apply = environment._apply
def in_turn(*args, **kwargs):
    open(sys.argv[1], "w").close()
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.05)
    return apply(*args, **kwargs)
environment._apply = in_turn
call_command("import_backup_report", sys.argv[3])
"""

FIRST = """
import os, sys, time
import django
django.setup()
from django.db import transaction
from accounts.models import Org
from reports.importing.one_at_a_time import wait_for_other_imports
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
with transaction.atomic():
    wait_for_other_imports()
    Org.objects.create(org_uid="org-hq", name="Headquarters")  # an import's writes
    open(sys.argv[2], "w").close()
    time.sleep(3)  # the second compares meanwhile, unless it waits
print("first import committed")
"""


def test_an_import_waits_for_the_import_lock_before_it_reads(tmp_path):
    """The import's transaction begins with the import lock (wait_for_other_imports),
    the database's one write lock on SQLite. Without it, an import that read while
    another held the lock failed at its first write once the other had committed
    ("database is locked"): the test above passed all the same, its second import
    waiting at its run log's line, before its transaction begins."""
    from tests.import_support import write_csv
    from tests.test_import_backup_report import vendor_row

    report = write_csv(tmp_path / "report.csv", [vendor_row(1)])
    root, environment = migrated_sqlite(tmp_path)
    turn, holding = tmp_path / "turn", tmp_path / "holding"

    def start(script: str, *args: object) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", script, str(turn), str(holding), *map(str, args)],
            cwd=root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first, second = start(FIRST), start(SECOND, report)
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert outputs[0][0].strip() == "first import committed", outputs[0]
    assert second.returncode == 0, outputs[1][1][-2000:]
    assert "1 created" in outputs[1][0]


READS_FLUSH = """
import os, sys, time
import django
django.setup()
from django.utils import timezone
from accounts.audit.models import ReadTally
from accounts.audit.reads import Count, hour_of, reads
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
now = timezone.now()
reads._counts[(7, "reader", "", hour_of(now))] = Count(
    count=3, first=now, last=now, resources={"DeviceBackupReport"}, addresses={"10.0.0.1"}
)
reads._flush_when_due()  # the timer thread's flush
print(sum(ReadTally.objects.values_list("count", flat=True)))
"""


def test_api_read_counts_are_written_after_an_import_not_lost(tmp_path):
    """The timer thread's flush of API read counts read its tally row first and wrote
    after: during an import it failed with "database is locked" (at the import's commit,
    or after the web's busy wait) and the counts were lost from the audit log (found by
    an audit of `make run` under load). It takes the write lock first and waits as long
    as an import runs."""
    # The web's wait, shorter than the import.
    root, environment = migrated_sqlite(tmp_path, SQLITE_BUSY_SECONDS="1", AUDIT_LOG="1")
    signal = str(tmp_path / "comparing")
    importing, flushing = (
        script_process(script, signal, root, environment) for script in (IMPORT, READS_FLUSH)
    )
    outputs = [process.communicate(timeout=120) for process in (importing, flushing)]
    assert "import committed" in outputs[0][0], outputs[0]
    assert "database is locked" not in outputs[1][1], outputs[1][1][-2000:]
    assert outputs[1][0].strip() == "3", outputs[1]


@pytest.mark.parametrize("command", ["snapshot_health", "send_notifications"])
def test_the_daily_jobs_wait_for_a_long_import(tmp_path, command):
    """Run by cron while an import held SQLite's write lock past the web's busy wait,
    snapshot_health failed ("take snapshot failed: OperationalError: database is
    locked"), the day's health snapshot missed, and send_notifications likewise (found
    by an audit of `make run` under load). They wait for the import, as imports do."""
    # The web's wait, shorter than the import.
    root, environment = migrated_sqlite(tmp_path, SQLITE_BUSY_SECONDS="1")
    manage = [sys.executable, "manage.py"]
    demo = [*manage, "generate_demo_data", "--devices", "20", "--history-days", "0", "-v0"]
    subprocess.run(demo, cwd=root, env=environment, check=True)  # orgs to snapshot, people to mail
    signal = tmp_path / "holding"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER.replace("time.sleep(10)", "time.sleep(4)"), str(signal)],
        cwd=root,
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    while not signal.exists() and holder.poll() is None:
        time.sleep(0.05)
    job = subprocess.run(
        [*manage, command], cwd=root, env=environment, capture_output=True, text=True, timeout=120
    )
    assert holder.communicate(timeout=60)[0].strip() == "first import committed"
    assert job.returncode == 0, job.stderr[-2000:]
