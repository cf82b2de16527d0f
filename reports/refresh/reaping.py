"""Runs, uploads and jobs whose worker died: said so, instead of "running" for ever.

Every run does its work in one transaction, so a worker that dies changes nothing:
PostgreSQL (or SQLite) rolls the transaction back. Only what is written outside it
would go on saying "running": the run log's row, an upload (whose page would wait for
ever), the job engine's own record of the job (RUNNING, so a Sync now button would
follow it for ever) and the job's progress file. `reap()` finds those whose worker is
gone (reports.refresh.liveness) and ends them as failed, with the reason, and removes
the progress files. It is cheap (it looks only at unfinished rows), so it runs whenever
a run starts and whenever someone looks at the log, the Data page or a job's page.

A job names its worker as it starts (`name_the_worker`, on the job engine's
task_started signal, so that no job can forget it): the engine's own worker id says
nothing of whether that process lives.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reports.refresh import liveness
from reports.refresh.models import Run, Upload
from reports.refresh.progress import Progress, sync_progress_key, upload_progress_key

RUN_GONE = (
    "Ended without finishing: its process stopped (killed, or its machine went down) "
    "before the end. Nothing was changed: the import's transaction was rolled back."
)
UPLOAD_GONE = (
    "The worker stopped (killed, or its machine went down) before the job ended. "
    "Nothing was changed; upload the files again."
)
WORKING = (Upload.State.CHECKING, Upload.State.APPLYING)
# The jobs of reports.refresh.jobs (which imports this module through the log).
SYNC_JOB = "reports.refresh.jobs.sync_from_vendor"
UPLOAD_JOBS = ("reports.refresh.jobs.check_upload", "reports.refresh.jobs.apply_upload")


class WorkerGone(Exception):
    """What a job whose worker died failed with, in the job engine's record."""


def name_the_worker(sender, task_result: TaskResult, **kwargs) -> None:
    """As a job starts on the worker: add this worker's token to the job's worker ids."""
    token = liveness.current()
    DBTaskResult.objects.filter(pk=task_result.id).update(
        worker_ids=[*task_result.worker_ids, token]
    )


def reap() -> int:
    """End every unfinished run, upload and job whose worker is gone; how many."""
    ended = 0
    for run in Run.objects.filter(outcome=Run.Outcome.RUNNING).exclude(worker=""):
        if liveness.is_gone(run.worker):
            ended += Run.objects.filter(pk=run.pk, outcome=Run.Outcome.RUNNING).update(
                outcome=Run.Outcome.FAILED, error=RUN_GONE, finished_at=run.ends_at(timezone.now())
            )
    for upload in Upload.objects.filter(state__in=WORKING).exclude(worker=""):
        if liveness.is_gone(upload.worker):
            moved = Upload.objects.filter(pk=upload.pk, state=upload.state).update(
                state=Upload.State.FAILED, failure=UPLOAD_GONE
            )
            if moved:
                upload.remove_files()
                Progress(upload.progress_key).remove()
            ended += moved
    return ended + _reap_jobs()


def _reap_jobs() -> int:
    """Jobs the engine says are RUNNING whose worker is gone: failed, with the reason."""
    ended = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for job in running.only("id", "task_path", "args_kwargs", "worker_ids"):
        tokens = [worker for worker in job.worker_ids if liveness.is_token(worker)]
        if not tokens or not liveness.is_gone(tokens[-1]):
            continue
        reason = UPLOAD_GONE if job.task_path in UPLOAD_JOBS else RUN_GONE
        # Only if still RUNNING: never over what the engine itself wrote meanwhile.
        failed = DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING)
        if failed.update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{WorkerGone.__module__}.{WorkerGone.__qualname__}",
            traceback=f"{WorkerGone.__module__}.{WorkerGone.__qualname__}: {reason}\n",
            return_value=None,
        ):
            if progress := _progress_of(job):
                progress.remove()
            ended += 1
    return ended


def _progress_of(job: DBTaskResult) -> Progress | None:
    if job.task_path == SYNC_JOB:
        return Progress(sync_progress_key(job.id))
    if job.task_path in UPLOAD_JOBS:
        (upload_id,) = job.args_kwargs["args"]
        return Progress(upload_progress_key(upload_id))
    return None
