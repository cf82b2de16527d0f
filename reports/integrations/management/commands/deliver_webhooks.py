"""manage.py deliver_webhooks: look for the events no refresh announces (a failed run,
stale data, the week's summary) and send what is due. Every few minutes from a timer."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reports import clock
from reports.integrations.delivery import deliver_due
from reports.integrations.events import scheduled_events


class Command(BaseCommand):
    help = "Write the webhook events found now and send the due deliveries."

    def handle(self, *args, **options) -> None:
        now = clock.now()
        found = scheduled_events(now)
        passed = deliver_due(now)
        self.stdout.write(
            f"{found} new deliver(ies); {passed.delivered} delivered, {passed.failed} to retry, "
            f"{passed.gave_up} given up"
        )
