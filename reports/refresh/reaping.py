"""Runs and uploads whose worker died: said so, instead of "running" for ever.

Every run does its work in one transaction, so a worker that dies changes nothing:
PostgreSQL (or SQLite) rolls the transaction back. Only the run log's row, written
outside it, would go on saying "running", and an upload's page would wait for ever.
`reap()` finds the rows whose worker is gone (reports.refresh.liveness) and ends them as
failed, with the reason. It is cheap (it looks only at unfinished rows), so it runs
whenever a run starts and whenever someone looks at the log or an upload.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reports.refresh.liveness import is_gone
from reports.refresh.models import Run
from reports.refresh.uploads import Upload

RUN_GONE = (
    "Ended without finishing: its process stopped (killed, or its machine went down) "
    "before the end. Nothing was changed: the import's transaction was rolled back."
)
UPLOAD_GONE = (
    "The worker stopped (killed, or its machine went down) before the job ended. "
    "Nothing was changed; upload the files again."
)
WORKING = (Upload.State.CHECKING, Upload.State.APPLYING)
# The Sync now job (reports.refresh.jobs, which imports this module through the log).
SYNC_JOB = "reports.refresh.jobs.sync_from_vendor"


class WorkerGone(Exception):
    """What a Sync now job whose worker died failed with, on its page."""


def reap() -> int:
    """End every unfinished run and upload job whose worker is gone; how many."""
    ended = 0
    for run in Run.objects.filter(outcome=Run.Outcome.RUNNING).exclude(worker=""):
        if is_gone(run.worker):
            ended += Run.objects.filter(pk=run.pk, outcome=Run.Outcome.RUNNING).update(
                outcome=Run.Outcome.FAILED, error=RUN_GONE, finished_at=timezone.now()
            )
    for upload in Upload.objects.filter(state__in=WORKING).exclude(worker=""):
        if is_gone(upload.worker):
            moved = Upload.objects.filter(pk=upload.pk, state=upload.state).update(
                state=Upload.State.FAILED, failure=UPLOAD_GONE
            )
            if moved:
                upload.remove_files()
            ended += moved
    return ended + _reap_sync_jobs()


def _reap_sync_jobs() -> int:
    """A Sync now whose worker died stays RUNNING in the job engine's table, and a second
    click would follow it for ever: it failed when its run did."""
    ended = 0
    running = DBTaskResult.objects.filter(task_path=SYNC_JOB, status=TaskResultStatus.RUNNING)
    for job in running:
        (user_id,) = job.args_kwargs["args"]
        run = Run.objects.of_sync_now(user_id, job.started_at)
        if run is not None and run.outcome == Run.Outcome.FAILED and run.error == RUN_GONE:
            job.set_failed(WorkerGone(RUN_GONE))
            ended += 1
    return ended
