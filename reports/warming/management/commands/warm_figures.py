"""Compute every role scope's first figures now (as each refresh does when it ends)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from reports.warming.warm import BY_ANOTHER, warm_everything


class Command(BaseCommand):
    help = (
        "Compute the overview, each report's default figures, the trend and compliance "
        "by org for every role scope, and store them for every app server to find. "
        "Imports, syncs, uploads, rebuilds and the daily snapshot do this when they end."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        warmed = warm_everything()
        if warmed.by_another:
            self.stdout.write(f"Not warmed: {BY_ANOTHER}.")
            return
        self.stdout.write(
            f"Warmed {warmed.figures} figure(s) of {warmed.scopes} scope(s) "
            f"in {time.perf_counter() - started:.1f} s."
        )
