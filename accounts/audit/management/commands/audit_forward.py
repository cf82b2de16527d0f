import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.audit import forwarding
from accounts.audit.reads import close_hours_before, hour_of


class Command(BaseCommand):
    help = (
        "Make the API reads of hours that are over into events, and send the audit events "
        "syslog has not had yet (AUDIT_SYSLOG_*, when set). With --loop, every --every "
        "seconds: catches up after syslog was down while the web was idle."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="run until stopped")
        parser.add_argument("--every", type=int, default=60, help="seconds between rounds")

    def handle(self, *args, loop: bool, every: int, **options) -> None:
        # The past hours' reads become events with or without syslog: nothing else
        # closes them while the API is idle (found by an audit of section 13).
        # --verbosity 0 (a crontab): nothing unless it fails, so that cron mails only
        # errors; these lines were written at every round (found by an audit).
        say = self.stdout.write if options["verbosity"] else lambda _line: None
        while True:
            closed = close_hours_before(hour_of(timezone.now()))
            say(f"{closed} hourly API read tallies made api.reads events.")
            if not forwarding.configured():
                say("AUDIT_SYSLOG_HOST is not set: nothing forwarded.")
                if not loop:
                    return
                time.sleep(every)
                continue
            try:
                sent = forwarding.deliver_all()
                say(f"Forwarded {sent} audit events.")
            except OSError as error:
                if not loop:
                    raise CommandError(f"syslog unreachable: {error}") from error
                self.stderr.write(f"syslog unreachable ({error}); trying again in {every} s")
            if not loop:
                return
            time.sleep(every)
