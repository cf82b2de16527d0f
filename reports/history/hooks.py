"""A snapshot after each successful import or sync.

The run log (reports.refresh.log) saves the run a last time when it ends, outside the
work's transaction: that save, with a succeeded outcome, is the moment the new data is
in. Listening for it keeps the importers and the sync unaware of history.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_save

logger = logging.getLogger(__name__)


def snapshot_after_refresh(sender, instance, update_fields=None, **kwargs) -> None:
    from reports.history.snapshots import take
    from reports.refresh.models import Run

    ending = update_fields is not None and "outcome" in update_fields
    refresh = instance.kind in (Run.Kind.IMPORT, Run.Kind.SYNC)
    if not (ending and refresh and instance.outcome == Run.Outcome.SUCCEEDED):
        return
    try:
        take()
    except Exception:
        # The data is in and the run says so; the daily snapshot will catch up.
        logger.exception("The snapshot after run %s failed", instance.pk)


def connect() -> None:
    from reports.refresh.models import Run

    post_save.connect(snapshot_after_refresh, sender=Run, dispatch_uid="history_after_refresh")
