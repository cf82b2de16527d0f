import argparse
import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import audit
from reports import clock
from reports.demo.environment import generate
from reports.demo.logins import DEMO_PASSWORD, ensure_demo_logins
from reports.demo.progress import Progress
from reports.history.backfill import backfill
from reports.models import Device


def instant(value: str) -> dt.datetime:
    """ISO-8601, e.g. 2026-11-28T12:00:00Z; without an offset, UTC."""
    parsed = parse_datetime(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date and time: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)


# Made up unless told otherwise: three months of trend, where HISTORY_DAYS keeps as many.
DEFAULT_HISTORY_DAYS = 90


class Command(BaseCommand):
    help = (
        "Fill an empty database with a realistic demo fleet: an org tree, people, devices, "
        "archives and the report table. The same --devices, --seed and --now give the "
        "same data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--devices", type=int, default=2000, help="Devices to create.")
        parser.add_argument("--seed", type=int, default=1, help="Another seed, another fleet.")
        parser.add_argument(
            "--now",
            type=instant,
            help="The instant ages count back from (default: the current time).",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=None,
            help=(
                "Days of backup health history to make up, today included (0: none; "
                f"default {DEFAULT_HISTORY_DAYS}, or HISTORY_DAYS where that keeps fewer)."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but say so) if the database already has devices.",
        )
        parser.add_argument(
            "--demo-logins",
            action="store_true",
            help="Create or update one demo login per role: demo-admin, demo-manager, demo-user.",
        )

    def handle(self, *args, devices: int, seed: int, now, if_empty: bool, **options) -> None:
        if devices < 1:
            raise CommandError("--devices must be at least 1.")
        if options["history_days"] is None:
            options["history_days"] = min(DEFAULT_HISTORY_DAYS, settings.HISTORY_DAYS)
        if options["history_days"] < 0:
            raise CommandError("--history-days must be 0 or more.")
        if options["history_days"] > settings.HISTORY_DAYS:
            # The next snapshot would remove the days past it, after "Made up N days".
            raise CommandError(
                f"--history-days {options['history_days']} is more than the "
                f"{settings.HISTORY_DAYS} days kept (HISTORY_DAYS)."
            )
        verbosity = options["verbosity"]
        existing = Device.objects.count()
        if existing and not if_empty:
            raise CommandError(
                f"The database already has {existing:,} devices; the demo fleet goes into an "
                "empty one. Use --if-empty to skip generating when there is data."
            )
        if existing:
            if verbosity:
                self.stdout.write(
                    f"The database already has {existing:,} devices: no demo data generated."
                )
        else:
            now = now or clock.now().replace(microsecond=0)
            self._generate(devices, seed, now, verbosity)
            self._history(options["history_days"], seed, now, verbosity)
        if options["demo_logins"]:
            self._demo_logins(verbosity)

    def _generate(self, devices: int, seed: int, now: dt.datetime, verbosity: int) -> None:
        progress = None
        if verbosity:
            progress = Progress(self.stdout, bar=self.stdout.isatty())
        started = time.monotonic()
        counts = generate(devices, seed=seed, now=now, progress=progress)
        elapsed = time.monotonic() - started
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {counts.devices:,} devices with {counts.archives:,} archives, "
                    f"owned by {counts.users:,} people in {counts.orgs:,} orgs, and "
                    f"{counts.rows:,} report rows in {elapsed:.1f} s."
                )
            )

    def _history(self, days: int, seed: int, now: dt.datetime, verbosity: int) -> None:
        if not days:
            return
        started = time.monotonic()
        rows = backfill(days, seed=seed, now=now)
        if verbosity:
            self.stdout.write(
                f"Made up {days} days of backup health history: {rows:,} snapshot rows "
                f"in {time.monotonic() - started:.1f} s."
            )

    def _demo_logins(self, verbosity: int) -> None:
        # The roles it gives are on the audit log by the OS user who ran it.
        with audit.by_command("the generate_demo_data command"):
            logins = ensure_demo_logins()
        if not verbosity:
            return
        # The address is the server's to say (`make run` prints it): the port may be any.
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {login.group:<23} sees {login.sees}")
