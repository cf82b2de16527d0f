from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.audit.retention import prune


class Command(BaseCommand):
    help = (
        "Remove audit events older than AUDIT_RETENTION_DAYS, whole days, oldest first, "
        "and record that it did. Safe to run at any moment (daily, from a timer)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, help="keep this many days instead")

    def handle(self, *args, days: int | None, **options) -> None:
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        removed = prune(days=days)
        # --verbosity 0 (a crontab): nothing, so that cron mails only errors; the removal
        # is recorded on the audit log either way (found by an audit).
        if options["verbosity"]:
            self.stdout.write(f"Removed {removed} audit events older than {days} days.")
