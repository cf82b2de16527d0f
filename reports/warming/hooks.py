"""Warming after each successful import, sync, upload or rebuild.

The run log saves the run a last time when it ends, outside the work's transaction
(reports.refresh.log): then the new data is in. Connected after reports.history's
snapshot (INSTALLED_APPS order), so the trend warmed holds the snapshot just taken.
"""

from __future__ import annotations

from django.db.models.signals import post_save


def warm_after_run(sender, instance, update_fields=None, **kwargs) -> None:
    from reports.refresh.models import Run
    from reports.warming.warm import warm_logged

    ending = update_fields is not None and "outcome" in update_fields
    if ending and instance.outcome == Run.Outcome.SUCCEEDED:
        warm_logged(f"run {instance.pk}")


def connect() -> None:
    from reports.refresh.models import Run

    post_save.connect(warm_after_run, sender=Run, dispatch_uid="warming_after_run")
