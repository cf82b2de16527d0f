"""For the upload and Sync now tests: the job engine's real worker loop, files as the
vendor writes them, and the web's upload gestures."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accounts.models import User


def run_worker(worker_id: str = "test-worker") -> None:
    """Run every queued job with the worker's own loop, as `manage.py db_worker --batch`
    does (its command only adds signal handlers and logging), in this thread."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


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
