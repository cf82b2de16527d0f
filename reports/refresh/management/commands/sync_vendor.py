import time

from django.core.management.base import BaseCommand, CommandError

from accounts import audit
from reports.importing.csv_file import ImportFailed
from reports.importing.mass_removal import OVERRIDE
from reports.refresh.models import Run
from reports.refresh.sync import AnotherSyncIsRunning, sync
from reports.refresh.vendor import SyncFailed, Vendor


class Command(BaseCommand):
    help = (
        "Make this product equal the vendor's server: pull its org tree and its whole "
        "DeviceBackupReport export, and apply both as one import that also removes what the "
        "vendor no longer lists. Connection from VENDOR_URL and VENDOR_CLIENT_ID + "
        "VENDOR_CLIENT_SECRET (an API client) or VENDOR_USERNAME + VENDOR_PASSWORD. Safe to "
        "run at any moment: one sync at a time, and a failure changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="download and say what would change; write nothing",
        )
        parser.add_argument(
            "--scheduled",
            action="store_true",
            help="record the run as started by the schedule (the systemd timer, cron)",
        )
        parser.add_argument(
            OVERRIDE,
            "--allow-empty",  # its name before it covered more than an empty export
            action="store_true",
            dest="allow_mass_removal",
            help=(
                "apply an export that removes more than MIRROR_REMOVAL_LIMIT_PERCENT of the "
                "devices, or any org, or lists no device at all (refused without it)"
            ),
        )

    def handle(self, *args, dry_run: bool, scheduled: bool, allow_mass_removal: bool, **options):
        started = time.monotonic()
        verbosity = options["verbosity"]
        trigger = Run.Trigger.SCHEDULE if scheduled else Run.Trigger.COMMAND
        try:
            vendor = Vendor.from_settings()
            if verbosity and vendor.url:
                self.stdout.write(f"Syncing from {vendor.url} as {vendor.account}.")
            with audit.by_command("the sync_vendor command"):
                outcome = sync(
                    vendor,
                    dry_run=dry_run,
                    trigger=trigger,
                    allow_mass_removal=allow_mass_removal,
                    say=self._say(verbosity),
                )
        except AnotherSyncIsRunning as refused:
            # Not a failure: the running sync does the work; a scheduler tries again later.
            if verbosity:
                self.stdout.write(str(refused))
            return
        except (SyncFailed, ImportFailed) as error:
            raise CommandError(f"{error} (nothing was changed)") from None
        # --verbosity 0, the README's crontab: nothing unless it fails, so that cron mails
        # only errors; the summary was written at every run, and cron mailed it hourly
        # (found by an audit of the README's schedule).
        if not verbosity:
            return
        for line in outcome.lines():
            self.stdout.write(line)
        if verbosity >= 2:
            self.stdout.write(outcome.timings.line())
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))

    def _say(self, verbosity: int):
        def say(message: str) -> None:
            if verbosity:
                self.stdout.write(message)

        return say
