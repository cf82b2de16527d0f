"""Taking the day's snapshot from the read model, and forgetting old ones.

One GROUP BY org over the report table gives every org's figures at once: each
device is counted on its `device_first` row, with its largest selection; archived
storage over every row, as the overview counts them (reports.dashboards.overview).
Health is the one rule's (`health_q`: the stalest destination's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from accounts import org_paths
from accounts.locks import wait_in_transaction
from reports import clock
from reports.health import ACTIVE, Health, health_q, thresholds
from reports.history.models import Snapshot
from reports.models import ReportRow
from reports.pipeline import Occasion
from reports.read_model import DEVICE_SELECTED_BYTES

SNAPSHOT_LOCK = 0x42524853  # "BRHS", any number of its own
FIGURES = ("devices", "ok", "warning", "critical", "never")
STORAGE = ("selected_bytes", "archive_bytes", "cold_archives", "cold_bytes")


@dataclass(frozen=True)
class Taken:
    day: dt.date
    orgs: int
    removed: int


def day_of(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def figures_by_org(rows, now: dt.datetime) -> dict[int, dict[str, int]]:
    """Each org's figures over these report rows (rows without an org are left out)."""
    device = Q(device_first=True) & ACTIVE
    cold = Q(cold_storage=True)

    def devices(condition: Q) -> Count:
        return Count("device_id", filter=device & condition)

    counts = {"devices": devices(Q())}
    counts |= {h.value: devices(health_q(h, now)) for h in Health}
    counts |= {
        "selected_bytes": DEVICE_SELECTED_BYTES,
        "archive_bytes": Sum("archive_bytes"),
        "cold_archives": Count("archive_id", filter=cold),
        "cold_bytes": Sum("archive_bytes", filter=cold),
    }
    grouped = (
        rows.order_by()
        .filter(org_id__isnull=False)
        .alias(last=F("device_backup_date"))
        .values("org_id")
        .annotate(**{f"n_{name}": value for name, value in counts.items()})
    )
    # Prefixed: an aggregate may not take the name of the field it sums.
    return {
        row.pop("org_id"): {name[2:]: value or 0 for name, value in row.items()} for row in grouped
    }


def take(now: dt.datetime | None = None) -> Taken:
    """Replace the day's snapshot with the figures of now, then apply the retention."""
    now = now or clock.now()
    day = day_of(now)
    with transaction.atomic():
        # Two at once (the daily job and an import's, or two nodes' timers) would both
        # insert the day's rows: the second waits, then replaces the first's.
        wait_in_transaction(SNAPSHOT_LOCK)
        figures = figures_by_org(ReportRow.objects.all(), now)
        # A report row may still name an org that an import has just removed.
        from accounts.models import Org

        # Each row keeps its org as it is, read once the org is removed (models).
        known = {
            pk: {"org_uid": uid, "org_name": name, "path": path}
            for pk, uid, name, path in Org.objects.filter(pk__in=figures).values_list(
                "pk", "org_uid", "name", "path"
            )
        }
        follow_ancestors()
        # The thresholds health_q judged by, kept with the figures (models).
        judged_by = thresholds()
        Snapshot.objects.filter(day=day).delete()
        Snapshot.objects.bulk_create(
            [
                Snapshot(
                    org_id=org_id,
                    day=day,
                    taken_at=now,
                    warning_days=judged_by.warning,
                    critical_days=judged_by.critical,
                    **known[org_id],
                    **values,
                )
                for org_id, values in figures.items()
                if org_id in known
            ],
            batch_size=2000,
        )
        removed = forget_old(now)
    return Taken(day=day, orgs=len(known), removed=removed)


def follow_ancestors() -> int:
    """Each removed org's rows at its path below the nearest of its ancestors still there,
    where that ancestor is now; how many rows moved. A live org's history follows its
    moves (reading.ROW_PATH); a removed one's kept the path it went with (signals), and
    once its parent moved to another subtree, the old subtree's manager still counted its
    past and the new one's did not (found by an audit of section 9). Done with every
    snapshot (the imports and syncs that move orgs take one) and as an org is saved in
    the admin (signals). Removed orgs' paths are few, each rewritten with one UPDATE."""
    from accounts.models import Org

    # Without the model's ordering, which DISTINCT would select too: a path per row.
    removed = Snapshot.objects.filter(org__isnull=True).order_by()
    kept = set(removed.values_list("path", flat=True).distinct())
    ancestors = {pk for path in kept for pk in org_paths.pks(path)}
    now_at = dict(Org.objects.filter(pk__in=ancestors).values_list("pk", "path"))
    moved = 0
    for path in kept:
        pks = org_paths.pks(path)
        # The nearest ancestor still there: the removed ones below it keep their order.
        nearest = next((i for i in range(len(pks) - 1, -1, -1) if pks[i] in now_at), None)
        if nearest is None:
            continue  # no ancestor left: nothing it could have moved with
        new_path = now_at[pks[nearest]] + "".join(f"{pk}/" for pk in pks[nearest + 1 :])
        if new_path != path:
            moved += Snapshot.objects.filter(org__isnull=True, path=path).update(path=new_path)
    return moved


def take_snapshot(occasion: Occasion) -> str:
    """The after-refresh step (reports.pipeline): today's snapshot after new data, and
    on a new day; a rebuild brings no new data."""
    if occasion is Occasion.REBUILT:
        return "not taken: a rebuild brings no new data"
    taken = take()
    return (
        f"Snapshot of {taken.day}: {taken.orgs} org(s); "
        f"{taken.removed} snapshot row(s) older than the retention, or dated after today, removed."
    )


def oldest_kept(now: dt.datetime) -> dt.date:
    """HISTORY_DAYS days are kept: today and the days before it, that many in all."""
    return day_of(now) - dt.timedelta(days=settings.HISTORY_DAYS - 1)


def forget_old(now: dt.datetime) -> int:
    """The days before the retention's, and any after today's: taken by a clock that ran
    ahead and was set back since, such a day stayed "the latest" until the calendar
    caught up, shown after today in the trend and read as today's by compliance and
    /metrics (found by an audit of section 9). Today's snapshot is the latest."""
    outside = Q(day__lt=oldest_kept(now)) | Q(day__gt=day_of(now))
    removed, _ = Snapshot.objects.filter(outside).delete()
    return removed
