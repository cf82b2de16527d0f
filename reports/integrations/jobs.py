"""The worker's job (`manage.py db_worker`, reports.refresh.jobs' engine): send the due
webhook deliveries, and come back when the next retry is due."""

from __future__ import annotations

from django_tasks import task

from reports.integrations.delivery import deliver_due, next_due


@task()
def deliver_webhooks() -> dict:
    passed = deliver_due()
    later = next_due()
    if later is not None:
        deliver_webhooks.using(run_after=later).enqueue()
    return {"delivered": passed.delivered, "failed": passed.failed, "gave_up": passed.gave_up}
