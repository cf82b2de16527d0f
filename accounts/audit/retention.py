"""Retention: events older than AUDIT_RETENTION_DAYS (400 by default) go, whole UTC
days at a time, oldest first, and the removal is itself an event.

The chain is cut only at its start: the oldest events up to the first one of a kept day
(by id, the chain's order; a summary dated a little before its id's neighbours stays
with them rather than be torn out of the middle). The first kept event's previous hash
becomes the chain's anchor, which audit_verify starts from.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import chain
from accounts.audit.models import ChainHead, Event
from accounts.audit.recording import record


def cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """The start of the oldest UTC day kept."""
    day = (now.astimezone(dt.UTC) - dt.timedelta(days=days)).date()
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def prune(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Remove the days past retention; how many events went. Nothing while the log is
    off (AUDIT_LOG=0): the removal could not be recorded, and the anchor it moves is
    vouched for by its note alone (chain.first_break)."""
    if not settings.AUDIT_LOG:
        return 0
    now = now or timezone.now()
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    before = cutoff(now, days)
    with transaction.atomic():
        head = chain.head_for_update()
        first_kept = Event.objects.filter(at__gte=before).order_by("id").first()
        if first_kept is None:
            doomed, anchor = Event.objects.all(), head.last_hash
        else:
            doomed, anchor = Event.objects.filter(id__lt=first_kept.pk), first_kept.previous_hash
        removed = doomed.remove_before(before)  # all of them: dated before the cutoff
        if not removed:
            return 0
        ChainHead.objects.filter(pk=1).update(anchor_hash=anchor)
        record(
            chain.RETENTION,
            actor="retention",
            ambient=False,
            removed=removed,
            before=before.date().isoformat(),
            days=days,
            anchor=anchor,
        )
    return removed
