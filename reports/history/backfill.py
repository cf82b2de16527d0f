"""Plausible past snapshots for a demo fleet: `generate_demo_data` has only today.

Starting from today's real snapshot, each org gets a course over the days before it:
some improving (fewer OK devices the further back), some slipping (more), most steady,
with a little day-to-day noise; the fleet and its storage grow slowly towards today.
The same seed gives the same history.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from reports import clock
from reports.history.models import Snapshot
from reports.history.snapshots import take

BATCH = 5000
# Share of OK devices gained (improving) or lost (slipping) per day, looking forward.
DRIFT_PER_DAY = 0.004
# Improving, slipping, steady: their weights. An org doing worse than most today is
# more likely to have slipped there; one doing well, to have climbed.
COURSES = (+1, -1, 0)
WEIGHTS_DOING_WELL = (0.35, 0.1, 0.55)
WEIGHTS_DOING_BADLY = (0.15, 0.5, 0.35)
DOING_WELL = 0.8  # share of OK devices


def _course(today: Snapshot, rng: random.Random) -> int:
    well = today.devices and today.ok / today.devices >= DOING_WELL
    return rng.choices(COURSES, WEIGHTS_DOING_WELL if well else WEIGHTS_DOING_BADLY)[0]


def _past(today: Snapshot, age: int, course: int, rng: random.Random, day: dt.date) -> Snapshot:
    growth = 1 - 0.0015 * age  # the fleet was a little smaller
    devices = max(0, round(today.devices * growth))
    never = min(devices, round(today.never * growth))
    backed = devices - never
    share = today.ok / today.devices if today.devices else 0.0
    share = share - course * DRIFT_PER_DAY * age + rng.uniform(-0.02, 0.02)
    ok = max(0, min(backed, round(devices * share)))
    stale = backed - ok
    # Stale devices split between warning and critical about as they do today.
    today_stale = today.warning + today.critical
    critical_part = today.critical / today_stale if today_stale else 0.5
    critical_part = min(1.0, max(0.0, critical_part + rng.uniform(-0.05, 0.05)))
    critical = round(stale * critical_part)
    return Snapshot(
        org_id=today.org_id,
        org_uid=today.org_uid,
        org_name=today.org_name,
        path=today.path,
        day=day,
        devices=devices,
        ok=ok,
        warning=stale - critical,
        critical=critical,
        never=never,
        selected_bytes=round(today.selected_bytes * growth),
        archive_bytes=round(today.archive_bytes * (1 - 0.002 * age)),
        cold_archives=round(today.cold_archives * growth),
        cold_bytes=round(today.cold_bytes * growth),
        taken_at=today.taken_at - dt.timedelta(days=age),
        # Made up from today's figures: judged as today's were.
        warning_days=today.warning_days,
        critical_days=today.critical_days,
    )


def backfill(days: int, seed: int = 1, now: dt.datetime | None = None) -> int:
    """Today's snapshot and `days - 1` days before it (replacing any); rows written."""
    now = now or clock.now()
    today = take(now).day
    rng = random.Random(seed)
    latest = list(Snapshot.objects.filter(day=today).order_by("org_id"))
    courses = {s.org_id: _course(s, rng) for s in latest}
    past_days = [today - dt.timedelta(days=age) for age in range(1, days)]
    written = 0
    with transaction.atomic():
        Snapshot.objects.filter(day__in=past_days).delete()
        batch = []
        for age, day in enumerate(past_days, start=1):
            for snapshot in latest:
                batch.append(_past(snapshot, age, courses[snapshot.org_id], rng, day))
                if len(batch) >= BATCH:
                    Snapshot.objects.bulk_create(batch)
                    written, batch = written + len(batch), []
        Snapshot.objects.bulk_create(batch)
        written += len(batch)
    return written + len(latest)
