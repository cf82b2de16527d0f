"""The worker's job (`manage.py db_worker`, reports.refresh.jobs' engine): send the due
webhook deliveries, and come back when the next retry is due."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult, get_date_max

from reports.integrations.delivery import deliver_due, next_due


@task()
def deliver_webhooks() -> dict:
    passed = deliver_due()
    later = next_due()
    if later is not None and not _queued_by(later):
        deliver_webhooks.using(run_after=later).enqueue()
    return {"delivered": passed.delivered, "failed": passed.failed, "gave_up": passed.gave_up}


def _queued_by(moment: dt.datetime) -> bool:
    """Whether a job of this task already waits to run by then (or at once: the
    backend's run_after for no delay is its largest date). That one comes back for what
    is still due; each job queued its own follow-up, and every refresh during a retry's
    wait (the after-refresh step queues the job) added one more chain of jobs, run
    together at each retry for as long as anything waited (found by an audit)."""
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=deliver_webhooks.module_path
    )
    return waiting.filter(Q(run_after__lte=moment) | Q(run_after=get_date_max())).exists()
