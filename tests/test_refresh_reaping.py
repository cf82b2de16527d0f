"""A run, upload or Sync now whose process dies (SIGKILL: no chance to say so) is ended as
failed, with the reason, the next time anyone looks, instead of "running" for ever; and
nothing it would have changed was kept.

The processes here are real: `manage.py import_backup_report` killed mid-import, and
workers that exit. On PostgreSQL they share the test database (a worker is known by its
database session); on SQLite a worker is an operating-system process, and the killed
import writes to an SQLite file of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from reports.refresh import jobs, liveness
from reports.refresh.models import Run, Upload
from reports.refresh.progress import Progress, sync_progress_key
from reports.refresh.reaping import RUN_GONE, UPLOAD_GONE, reap
from tests.import_support import write_csv
from tests.migrated_sqlite_support import migrated_sqlite
from tests.test_import_backup_report import vendor_row

ROWS = 6000  # an import of some seconds: long enough to be killed in the middle
ON_POSTGRES = connection.vendor == "postgresql"


def database_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a process on the test's database (PostgreSQL) or an SQLite file
    of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    if ON_POSTGRES:
        db = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(tmp_path / "killed.sqlite3")
    return env


def manage(env: dict[str, str], *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, **popen
    )


def query(env: dict[str, str], sql: str) -> list[tuple]:
    if ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    with sqlite3.connect(env["SQLITE_PATH"]) as sqlite:
        return sqlite.execute(sql).fetchall()


def a_gone_worker(env: dict[str, str]) -> str:
    """The token of a worker that has ended: a process that read its own and exited."""
    code = (
        "import django; django.setup();"
        "from reports.refresh.liveness import current; print(current())"
    )
    env = env | {"DJANGO_SETTINGS_MODULE": "backupreport.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_midway_is_failed_by_the_next_run_and_changed_nothing(tmp_path):
    env = database_env(tmp_path)
    if not ON_POSTGRES:
        migrated_sqlite(Path(env["SQLITE_PATH"]))
    big = write_csv(tmp_path / "big.csv", [vendor_row(n) for n in range(1, ROWS + 1)])
    small = write_csv(tmp_path / "small.csv", [vendor_row(ROWS + 1)])

    killed = manage(env, "import_backup_report", str(big), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not query(env, "SELECT id FROM refresh_run WHERE outcome = 'running'"):
        assert killed.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline, "the import never started its run"
        time.sleep(0.02)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    time.sleep(0.2)  # PostgreSQL ends the session when it sees the socket close
    assert query(env, "SELECT outcome FROM refresh_run") == [("running",)]

    after = manage(env, "import_backup_report", str(small), stdout=subprocess.PIPE, text=True)
    output, _ = after.communicate(timeout=120)
    assert after.returncode == 0, output

    runs = query(env, "SELECT outcome, error, finished_at IS NOT NULL FROM refresh_run ORDER BY id")
    assert runs == [("failed", RUN_GONE, True), ("succeeded", "", True)]
    # The killed import's transaction was rolled back: only the second import's device.
    assert query(env, "SELECT COUNT(*) FROM reports_device") == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_is_left_alone_and_a_gone_one_is_not(tmp_path):
    alive = Run.objects.create(kind=Run.Kind.SYNC, trigger="command", worker=liveness.current())
    gone = Run.objects.create(
        kind=Run.Kind.SYNC, trigger="command", worker=a_gone_worker(database_env(tmp_path))
    )
    unknown = Run.objects.create(kind=Run.Kind.SYNC, trigger="command")  # before the field

    assert reap() == 1

    alive.refresh_from_db(), gone.refresh_from_db(), unknown.refresh_from_db()
    assert (alive.outcome, gone.outcome, unknown.outcome) == ("running", "failed", "running")
    assert gone.error == RUN_GONE
    assert reap() == 0  # once


def test_a_reused_pid_is_not_taken_for_the_dead_process():
    """A process token names the pid and the process's start: the same pid started later
    is another process."""
    if not liveness.PROC.is_dir():
        pytest.skip("no /proc: only the pid is known")
    host, pid, started = liveness.process_token(os.getpid()).partition(":")[2].rsplit(":", 2)
    assert not liveness.is_gone(f"os:{host}:{pid}:{started}")
    assert liveness.is_gone(f"os:{host}:{pid}:{int(started) - 1}")
    assert not liveness.is_gone(f"os:another-machine:{pid}:{int(started) - 1}")


@pytest.fixture
def uploads(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_worker_died_says_so_on_its_page(login, uploads, tmp_path):
    root = login("root")
    upload = Upload.objects.create(
        report_name="report.csv",
        state=Upload.State.APPLYING,
        worker=a_gone_worker(database_env(tmp_path)),
    )
    upload.folder.mkdir(parents=True)
    (upload.report_path).write_text("kept until the job ends")

    status = root.get(reverse("upload-status", args=[upload.pk])).json()

    assert (status["state"], status["finished"]) == ("failed", True)
    assert UPLOAD_GONE in root.get(reverse("upload", args=[upload.pk])).content.decode()
    assert not upload.folder.exists()  # its files went with it


@pytest.mark.django_db(transaction=True)
def test_a_sync_now_whose_worker_died_fails_and_the_button_queues_a_new_one(
    login, uploads, settings, tmp_path
):
    settings.VENDOR_URL = "https://vendor.example"
    settings.VENDOR_CLIENT_ID, settings.VENDOR_CLIENT_SECRET = "key-sync-now", "secret"
    root = login("root")
    user = User.objects.get(username="root")
    job = DBTaskResult.objects.get(pk=jobs.sync_from_vendor.enqueue(user.pk).id)
    job.claim("theenginesownid")
    # What the job said as it started (reaping.name_the_worker), and as it went.
    gone = a_gone_worker(database_env(tmp_path))
    DBTaskResult.objects.filter(pk=job.pk).update(worker_ids=[*job.worker_ids, gone])
    progress = Progress(sync_progress_key(job.id))
    progress.say("Downloading the export")
    Run.objects.create(kind=Run.Kind.SYNC, trigger=Run.Trigger.WEB, user=user, worker=gone)

    status = root.get(reverse("sync", args=[job.pk]) + "status").json()

    assert (status["state"], status["finished"]) == ("failed", True)
    assert Run.objects.get().error == RUN_GONE
    assert progress.read() is None and not progress.path.exists()
    assert escape(RUN_GONE) in root.get(reverse("sync", args=[job.pk])).content.decode()
    again = root.post(reverse("sync-now"))
    assert again.status_code == 302 and again.url != reverse("sync", args=[job.pk])


def in_django(env: dict[str, str], code: str) -> str:
    """Run `code` in a process of its own on the same database; what it printed."""
    env = env | {"DJANGO_SETTINGS_MODULE": "backupreport.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# An upload confirmed and queued for the worker, as the confirm button leaves it.
QUEUE_AN_IMPORT = """
import os, shutil
from reports.refresh import jobs
from reports.refresh.models import Upload
rows = int(os.environ["ROWS"])
totals = {"created": rows, "updated": 0, "removed": 0, "unchanged": 0}
upload = Upload.objects.create(
    report_name="big.csv", mirror=False, state=Upload.State.APPLYING, records=rows,
    preview={"tables": [], "totals": totals, "notes": []},
)
upload.folder.mkdir(parents=True)
shutil.copy(os.environ["REPORT"], upload.report_path)
job = jobs.apply_upload.enqueue(str(upload.pk))
Upload.objects.filter(pk=upload.pk).update(task_id=str(job.id))
print(upload.pk, job.id)
"""


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_no_job_running_and_no_progress_file(tmp_path):
    """kill -9 of `manage.py db_worker` in the middle of an upload's import: the next look
    ends the upload, its run and its job (the job engine's own record) as failed, with
    the reason, and removes its progress file; nothing of the import was kept."""
    uploads = tmp_path / "uploads"
    big = write_csv(tmp_path / "big.csv", [vendor_row(n) for n in range(1, ROWS + 1)])
    env = database_env(tmp_path) | {"UPLOAD_DIR": str(uploads)}
    if not ON_POSTGRES:
        migrated_sqlite(Path(env["SQLITE_PATH"]))
    upload_id, job_id = in_django(
        env | {"ROWS": str(ROWS), "REPORT": str(big)}, QUEUE_AN_IMPORT
    ).split()
    progress = uploads / "progress" / f"upload-{upload_id}.json"

    worker = manage(
        env,
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--verbosity=0",
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (progress.exists() and query(env, "SELECT id FROM refresh_run")):
        assert worker.poll() is None, "the worker ended before it could be killed"
        assert time.monotonic() < deadline, "the worker never started the import"
        time.sleep(0.02)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    time.sleep(0.2)  # PostgreSQL ends the session when it sees the socket close
    stored_id = job_id if ON_POSTGRES else uuid.UUID(job_id).hex  # SQLite keeps the hex
    job_state = "SELECT status, traceback FROM django_tasks_database_dbtaskresult"
    job_state += f" WHERE id = '{stored_id}'"
    assert query(env, job_state)[0][0] == "RUNNING"

    assert int(in_django(env, "from reports.refresh.reaping import reap; print(reap())")) == 3

    status, traceback = query(env, job_state)[0]
    assert status == "FAILED" and UPLOAD_GONE in traceback
    assert query(env, "SELECT state, failure FROM refresh_upload") == [("failed", UPLOAD_GONE)]
    assert query(env, "SELECT outcome, error FROM refresh_run") == [("failed", RUN_GONE)]
    assert not progress.exists()
    assert not (uploads / upload_id).exists()
    assert query(env, "SELECT COUNT(*) FROM reports_device") == [(0,)]


@pytest.mark.django_db(transaction=True)
def test_a_run_reaped_after_the_clock_stepped_back_ends_when_it_started(tmp_path):
    """The clock stepped back since the dead run started: it ends when it started, never
    before (a negative duration took /metrics' run duration counter down)."""
    started = timezone.now() + dt.timedelta(minutes=5)
    gone = Run.objects.create(
        kind=Run.Kind.SYNC,
        trigger="command",
        worker=a_gone_worker(database_env(tmp_path)),
        started_at=started,
    )
    assert reap() == 1
    gone.refresh_from_db()
    assert (gone.outcome, gone.finished_at) == ("failed", started)
