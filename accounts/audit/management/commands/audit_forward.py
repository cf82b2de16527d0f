import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.audit import forwarding
from accounts.audit.reads import close_hours_before, hour_of


class Command(BaseCommand):
    help = (
        "Send the audit events syslog has not had yet (AUDIT_SYSLOG_*), and make the API "
        "reads of hours that are over into events. With --loop, every --every seconds: "
        "catches up after syslog was down while the web was idle."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="run until stopped")
        parser.add_argument("--every", type=int, default=60, help="seconds between rounds")

    def handle(self, *args, loop: bool, every: int, **options) -> None:
        if not forwarding.configured():
            raise CommandError("AUDIT_SYSLOG_HOST is not set: nowhere to forward to.")
        while True:
            close_hours_before(hour_of(timezone.now()))
            try:
                sent = forwarding.deliver_all()
                self.stdout.write(f"Forwarded {sent} audit events.")
            except OSError as error:
                if not loop:
                    raise CommandError(f"syslog unreachable: {error}") from error
                self.stderr.write(f"syslog unreachable ({error}); trying again in {every} s")
            if not loop:
                return
            time.sleep(every)
