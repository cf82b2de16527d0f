"""The figures /metrics exposes, read from what is stored, never from the report table.

Per org: the latest health snapshot (reports.history), each org's own devices and
storage, added up to subtrees here, for the orgs of the caller's reach down to
settings.METRICS_ORG_DEPTH (and always the reach's own top orgs, however deep an org
manager's org lies). Health is the one rule's (reports.health), as the snapshot took it.
The run log, the notification send log and the webhook delivery log are small tables
counted with GROUP BY.

The series are bounded: 8 per listed org (4 healths, 4 storage figures), so at most
8 x (orgs at depth <= METRICS_ORG_DEPTH) + the fleet totals, the data age and a few per
run kind, message kind and webhook endpoint. No series per device or per user.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from operator import add

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum

from accounts import org_paths
from accounts.models import Org
from accounts.roles import Reach, reach_of
from reports import cache
from reports.cache import warmed
from reports.history.reading import ROW_PATH, Figures, latest_snapshot, snapshots_of
from reports.history.snapshots import FIGURES, STORAGE
from reports.integrations.models import WebhookDelivery, WebhookEndpoint
from reports.notifications.models import Message, SentToRemovedUsers
from reports.refresh.data_age import data_age
from reports.refresh.models import Run


@dataclass(frozen=True)
class OrgFigures:
    org_uid: str
    name: str
    depth: int
    figures: Figures


@dataclass(frozen=True)
class RunFigures:
    kind: str
    outcome: str
    runs: int
    seconds: float  # the finished runs' durations, added up
    last_at: dt.datetime | None


@dataclass(frozen=True)
class MetricFigures:
    snapshot_taken_at: dt.datetime | None  # None: no snapshot within the reach yet
    fleet: Figures  # the whole reach's
    orgs: list[OrgFigures]
    data_as_of: dt.datetime | None  # the last successful import or sync's export
    stale_seconds: int
    stale: bool
    with_logs: bool = False  # the logs below: for system administrators only
    # Whether the caller sees any fleet (an org subtree or everything): the snapshots
    # are by org, so a desktop user's own devices are not among them; their fleet series
    # said 0 devices of every health (2026-12-06) and are left out instead.
    has_fleet: bool = True
    runs: list[RunFigures] = field(default_factory=list)
    last_failed: dict[str, bool] = field(default_factory=dict)  # kind -> latest failed
    notifications: dict[tuple[str, str], int] = field(default_factory=dict)
    webhooks: dict[tuple[str, str], int] = field(default_factory=dict)


# The states a row ends in, counted by the _total counters, which only go up: a row
# in any other state moves on (a run running, a message failed and retried, a delivery
# pending), and counting it made the counters go down (2026-12-06); it is a gauge's.
RUN_ENDS = (Run.Outcome.SUCCEEDED, Run.Outcome.FAILED)
MESSAGE_ENDS = (Message.State.SENT,)
DELIVERY_ENDS = (WebhookDelivery.State.DELIVERED, WebhookDelivery.State.GAVE_UP)


def org_depth() -> int:
    return settings.METRICS_ORG_DEPTH


def _listed(path: str, depth_limit: int, tops: tuple[str, ...]) -> list[str]:
    """The listed orgs a snapshot row's org adds to: its ancestors (and itself) down to
    the depth limit, and the reach's top org it lies in, however deep."""
    depth = org_paths.depth(path)
    listed = [org_paths.ancestor_path(path, d) for d in range(1, min(depth, depth_limit) + 1)]
    listed += [top for top in tops if path.startswith(top) and top not in listed]
    return listed


def org_figures(
    reach: Reach, through=warmed
) -> tuple[dt.datetime | None, Figures, list[OrgFigures]]:
    """The latest snapshot of the reach, by org subtree down to the depth; its moment.

    Kept under the scope, the depth and the snapshot's moment (reports.cache.warmed),
    and computed ahead after each refresh (warm() below, settings.WARMED_FIGURES): a
    scrape reads one stored figure. A new snapshot is a new key: never a stale one."""
    latest = latest_snapshot()  # the fleet's: a reach without a row on it counts none
    if latest is None:
        return None, Figures(), []
    day, taken_at = latest
    scope = reach.scope
    key = f"{scope!r}|{org_depth()}|{taken_at.isoformat()}"
    fleet, orgs = through("metrics", key, lambda: _org_sums(scope, day))
    return taken_at, fleet, orgs


def _org_sums(reach: Reach, day: dt.date) -> tuple[Figures, list[OrgFigures]]:
    depth_limit = org_depth()
    tops = () if reach.everything else reach.org_paths
    size = len(FIGURES + STORAGE)
    totals: dict[str, list[int]] = {}
    fleet = [0] * size
    # By the path each row had (ROW_PATH): a removed org's row keeps its figures but
    # not its org, and its None path was a 500 (found by the history fix's review).
    rows = snapshots_of(reach).filter(day=day).order_by().annotate(row_path=ROW_PATH)
    for path, *values in rows.values_list("row_path", *FIGURES, *STORAGE):
        fleet = list(map(add, fleet, values))
        for listed in _listed(path, depth_limit, tops):
            if reach.covers(listed):  # not an ancestor above an org manager's org
                totals[listed] = list(map(add, totals.get(listed) or [0] * size, values))
    orgs = Org.objects.in_bulk([org_paths.pks(p)[-1] for p in totals])
    listed = []
    for path, total in sorted(totals.items()):
        org = orgs.get(org_paths.pks(path)[-1])
        if org is not None:
            listed.append(OrgFigures(org.org_uid, org.name, org.depth, Figures(*total)))
    return Figures(*fleet), listed


def warm(user, now: dt.datetime) -> int:
    """/metrics' org figures of this user's scope, computed and stored
    (reports.warming, after the snapshot); how many figures."""
    org_figures(reach_of(user), through=cache.warm)
    return 1


def run_figures() -> tuple[list[RunFigures], dict[str, bool]]:
    """The run log by kind and outcome: how many, how long in all, the latest start;
    and per kind whether its latest finished run failed (what "sync failing" alerts on)."""
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    grouped = (
        Run.objects.order_by()
        .values("kind", "outcome")
        .annotate(
            runs=Count("pk"),
            last_at=Max("started_at"),
            took=Sum(duration, filter=Q(finished_at__isnull=False)),
        )
        .order_by("kind", "outcome")
    )
    runs = [
        RunFigures(
            r["kind"],
            r["outcome"],
            r["runs"],
            r["took"].total_seconds() if r["took"] is not None else 0.0,
            r["last_at"],
        )
        for r in grouped
    ]
    # Each kind's ends from zero, as webhook_figures' (increase() sees a first failure).
    counted = {(run.kind, run.outcome) for run in runs}
    runs += [
        RunFigures(kind, outcome, 0, 0.0, None)
        for kind in Run.Kind.values
        for outcome in RUN_ENDS
        if (kind, outcome) not in counted
    ]
    last_failed = {}
    for kind in Run.Kind.values:
        latest = (
            Run.objects.filter(kind=kind)
            .exclude(outcome=Run.Outcome.RUNNING)
            .order_by("-started_at", "-pk")
            .values_list("outcome", flat=True)
            .first()
        )
        if latest is not None:
            last_failed[kind] = latest == Run.Outcome.FAILED
    return runs, last_failed


def notification_figures() -> dict[tuple[str, str], int]:
    """Messages of the send log (reports.notifications) by kind and state; the sent
    ones with those sent to users deleted since, whose rows went with them."""
    grouped = Message.objects.order_by().values("kind", "state").annotate(n=Count("pk"))
    # Each kind's sent from zero, as webhook_figures' (increase() sees a first message).
    figures = Counter({(kind, Message.State.SENT.value): 0 for kind in Message.Kind.values})
    figures.update({(r["kind"], r["state"]): r["n"] for r in grouped})
    for kind, sent in SentToRemovedUsers.objects.filter(sent__gt=0).values_list("kind", "sent"):
        figures[(kind, Message.State.SENT.value)] += sent
    return dict(figures)


def metric_figures(reach: Reach, now: dt.datetime) -> MetricFigures:
    """What the caller may see: the org figures of their reach; the data age, which
    every page's frame shows anyone; the logs only for a system administrator."""
    taken_at, fleet, orgs = org_figures(reach)
    age = data_age(now)
    figures = MetricFigures(
        snapshot_taken_at=taken_at,
        fleet=fleet,
        orgs=orgs,
        data_as_of=age.last_refresh.data_as_of if age.last_refresh else None,
        stale_seconds=age.stale_hours * 3600,
        stale=age.stale,
        has_fleet=reach.has_fleet,
    )
    if not reach.everything:
        return figures
    runs, last_failed = run_figures()
    return replace(
        figures,
        with_logs=True,
        runs=runs,
        last_failed=last_failed,
        notifications=notification_figures(),
        webhooks=webhook_figures(),
    )


def webhook_figures() -> dict[tuple[str, str], int]:
    """Webhook deliveries by endpoint and state. An endpoint is named by its name, and
    by its id too where another bears the name (two were summed as one, 2026-12-06).
    Every endpoint's done states from zero: a counter's series that first appears at 1
    hides that 1 from increase(), which needs a sample before it, and an endpoint's
    first delivery given up alerted nobody (found by an audit of section 14)."""
    grouped = (
        WebhookDelivery.objects.order_by().values("endpoint_id", "state").annotate(n=Count("pk"))
    )
    names = dict(WebhookEndpoint.objects.values_list("pk", "name"))
    borne = Counter(names.values())

    def label(pk: int) -> str:
        name = names[pk]
        return f"{name} #{pk}" if borne[name] > 1 else name

    figures = {(label(pk), state): 0 for pk in names for state in DELIVERY_ENDS}
    for r in grouped:
        if r["endpoint_id"] in names:  # not one added since names were read
            figures[(label(r["endpoint_id"]), r["state"])] = r["n"]
    return figures
