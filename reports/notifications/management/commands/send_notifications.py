"""Send what is due: the digests of the period and the owner alerts. Safe to run at any
moment and as often as wanted (hourly from a timer is fine): the send log sends each
message at most once, and one run at a time holds the lock."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.locks import held_alone, wait_for_the_writer
from reports.notifications.sending import send_due

# Any number, the same for every run ("BRNO"); the sync's and the import's are others.
NOTIFICATIONS_LOCK = 0x42524E4F


class Command(BaseCommand):
    help = (
        "Email the digests due this period to org managers and system administrators, "
        "and the owner alerts (when switched on), each at most once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be sent; send nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        # --verbosity 0 (the README's crontab, hourly): nothing unless a message fails, so
        # that cron mails only errors; the summary was written at every run, a mail an
        # hour (found by an audit). A held subscription says so on its page.
        say = self.stdout.write if options["verbosity"] else lambda _line: None
        # A cron job: on SQLite it waits for an import's write lock as long as the import
        # runs, as snapshot_health does; it failed after the web's 20 s (found by an audit).
        wait_for_the_writer()
        with held_alone(NOTIFICATIONS_LOCK) as alone:
            if not alone:
                say("Another send_notifications is running; this one stops.")
                return
            outcome = send_due(dry_run=dry_run, say=say)
        for held in outcome.held:
            say(f"Held {held}")
        if dry_run:
            return
        say(
            f"Sent {outcome.sent} message(s); {outcome.failed} failed (retried next run); "
            f"{outcome.skipped} already sent or claimed."
        )
        if outcome.failed:
            errors = outcome.errors
            if outcome.not_tried:
                errors = [*errors, f"{outcome.not_tried} more not tried, for the same reason."]
            raise CommandError("Some messages failed:\n" + "\n".join(errors))
