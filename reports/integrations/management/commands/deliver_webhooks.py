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
        found = scheduled_events(clock.now())
        # The time read again: what was just found is due from its writing (its
        # next_attempt_at), after the time it was looked for at; with that one it waited
        # for the next run, minutes later (2026-12-06).
        passed = deliver_due(clock.now())
        line = (
            f"{found} new deliver(ies); {passed.delivered} delivered, {passed.failed} to retry, "
            f"{passed.gave_up} given up"
        )
        # --verbosity 0 (cron, every 5 minutes): nothing unless a delivery was given up,
        # so that cron mails only that; the line was written at every run, a mail every
        # 5 minutes (found by an audit of section 14). A retry to come is no failure yet.
        if options["verbosity"]:
            self.stdout.write(line)
        elif passed.gave_up:
            self.stderr.write(f"{line}: see the admin's Webhook deliveries")
