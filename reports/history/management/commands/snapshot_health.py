"""Take today's health snapshot of every org and warm what it changed: run daily (health
ages even when no new data arrives); imports and syncs do the same when they succeed.
It is the after-refresh pipeline (reports.pipeline) on a new day."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.locks import wait_for_the_writer
from reports.pipeline import Occasion, after_refresh


class Command(BaseCommand):
    help = (
        "Record today's backup health, storage and cold storage of every org (replacing "
        "today's earlier snapshot), remove snapshots older than HISTORY_DAYS, and compute "
        "the figures it changed ahead: the steps that follow every import, on a new day."
    )

    def handle(self, *args, **options) -> None:
        # A cron job nobody waits on: on SQLite it waits for an import's write lock as
        # long as the import runs, as imports do; after the web's 20 s the day's snapshot
        # failed, "database is locked" (found by an audit of `make run` under load).
        wait_for_the_writer()
        outcomes = after_refresh(Occasion.NEW_DAY, "the daily snapshot")
        # --verbosity 0 (the README's crontab): nothing unless a step fails, so that cron
        # mails only errors; every step's line was written, a mail a day (found by an audit).
        for outcome in outcomes if options["verbosity"] else ():
            self.stdout.write(outcome.line())
        failed = [outcome.line() for outcome in outcomes if outcome.failed]
        if failed:
            raise CommandError("; ".join(failed))
