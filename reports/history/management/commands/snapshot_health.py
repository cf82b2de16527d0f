"""Take today's health snapshot of every org: run daily (health ages even when no new
data arrives); imports and syncs take one too when they succeed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reports.history.snapshots import take
from reports.warming.warm import warm_logged


class Command(BaseCommand):
    help = (
        "Record today's backup health, storage and cold storage of every org (replacing "
        "today's earlier snapshot) and remove snapshots older than HISTORY_DAYS."
    )

    def handle(self, *args, **options) -> None:
        taken = take()
        self.stdout.write(
            f"Snapshot of {taken.day}: {taken.orgs} org(s); "
            f"{taken.removed} snapshot row(s) older than the retention removed."
        )
        # The snapshot moved the generation on (a new day for the trend and compliance).
        warm_logged("the daily snapshot")
