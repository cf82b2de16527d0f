"""For the upload and Sync now tests: the job engine's real worker loop, files as the
vendor writes them, and the web's upload gestures."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from reports.row import VENDOR_CSV_HEADER
from tests.import_support import write_csv
from tests.sync_support import Answer, CannedVendor
from tests.test_import_backup_report import vendor_row
from tests.test_sync_hostile import ORGS, REPORT, TOKEN, csv_answer, org_page, report_count

EXPORT = "/api/DeviceBackupReport?export"


def run_worker(worker_id: str = "test-worker") -> None:
    """Run every queued job with the worker's own loop, as `manage.py db_worker --batch`
    does (its command only adds signal handlers and logging), in this thread.

    Between jobs the loop closes connections that are not in autocommit mode, as a
    long-running worker should; a test's connection is in its transaction, which that
    would end. So here, as Django's test client does for requests, it is left open."""
    closing = db_worker.close_old_connections
    db_worker.close_old_connections = lambda **kwargs: None
    try:
        db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()
    finally:
        db_worker.close_old_connections = closing


def queued_jobs() -> list[str]:
    """The task paths of jobs waiting for the worker."""
    return list(DBTaskResult.objects.ready().values_list("task_path", flat=True))


def export_as_root() -> str:
    """The fleet's vendor CSV, as a system administrator downloads it: the file an admin
    would upload back."""
    client = Client()
    client.force_login(User.objects.get(username="root"))
    response = client.get("/api/DeviceBackupReport", {"export": "csv"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def rows_of(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def csv_text(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def csv_file(name: str, text: str | bytes) -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


@contextmanager
def canned_vendor(settings, folder: Path) -> Iterator[CannedVendor]:
    """A vendor in a thread, set as VENDOR_*: an org tree of one, an export of two devices."""
    canned = CannedVendor()
    export = write_csv(folder / "export.csv", [vendor_row(1), vendor_row(2)], VENDOR_CSV_HEADER)
    canned.on(TOKEN, Answer(body={"access_token": "token", "token_type": "bearer"}))
    canned.on(
        ORGS,
        org_page([{"orgUid": "org-hq", "orgName": "HQ", "orgExtRef": None, "parentOrgUid": None}]),
    )
    canned.on(REPORT, report_count(2))
    canned.on(EXPORT, csv_answer(export.read_bytes()))
    settings.VENDOR_URL = canned.url
    settings.VENDOR_CLIENT_ID, settings.VENDOR_CLIENT_SECRET = "key-sync-now", "secret"
    settings.VENDOR_USERNAME = settings.VENDOR_PASSWORD = ""
    settings.VENDOR_ATTEMPTS = 2
    settings.VENDOR_RETRY_SECONDS = 0.001
    settings.VENDOR_TIMEOUT_SECONDS = 5
    try:
        yield canned
    finally:
        canned.stop()
