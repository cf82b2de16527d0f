"""Finding the webhook events and writing one delivery per event and endpoint (unique:
at most once), for delivery.py to send on the worker.

- devices entering critical: the active devices critical now (the one health rule,
  reports.health) that were not when events were last looked for, one batch a run per
  endpoint, only the devices of the endpoint's org subtree (the reach rule). The first
  look only notes the critical devices: no batch of the whole fleet's old news;
- a sync or an import (an upload's, a command's) that failed, once per run;
- the data older than DATA_STALE_HOURS, once per last successful refresh;
- the weekly summary, once per ISO week, from the health snapshots.

`webhook_events` is the after-refresh step (reports.pipeline); `manage.py
deliver_webhooks` runs `scheduled_events` too, for what no refresh announces (a failed
run, data going stale, a new week).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils.http import urlencode

from accounts.org_names import OrgNames
from accounts.roles import Reach
from reports import clock
from reports.catalog import REPORTS
from reports.health import ACTIVE, Health, critical_days, shown_date, with_health
from reports.history.models import Snapshot
from reports.history.reading import Figures, daily_totals, latest_snapshot, snapshots_of
from reports.history.snapshots import day_of
from reports.integrations.jobs import deliver_webhooks
from reports.integrations.models import CriticalDevices, Event, WebhookDelivery, WebhookEndpoint
from reports.integrations.payloads import LISTED_DEVICES
from reports.models import ReportRow
from reports.notifications.links import absolute
from reports.pipeline import Occasion
from reports.refresh.data_age import data_age
from reports.refresh.models import Run
from reports.row import encode_datetime

RECENT_FAILURES = dt.timedelta(days=7)  # a failed run older than this is not announced
CHUNK = 10_000


def reach_of_endpoint(endpoint: WebhookEndpoint) -> Reach:
    if endpoint.org is None:
        return Reach(everything=True, owner_id=None)
    return Reach(everything=False, owner_id=None, org_paths=(endpoint.org.path,))


def _org_names_of(endpoint: WebhookEndpoint, paths: Iterable[str] = ()) -> OrgNames | None:
    """How the messages people read (Slack, Teams) name the orgs at these paths and the
    endpoint's own: with the path where the name alone is ambiguous, told from the
    endpoint's reach as the dashboards tell it an org manager of its org (spec section
    11, accounts.org_names), so never a name above its org. Two Finance orgs read alike
    in a batch of the fleet's (found by an audit of section 14). None for plain JSON,
    which names an org as the API does: orgName, its own name, beside orgUid."""
    if endpoint.kind == WebhookEndpoint.Kind.JSON:
        return None
    own = [endpoint.org.path] if endpoint.org else []
    return OrgNames([*paths, *own], reach_of_endpoint(endpoint))


def _org_shown(names: OrgNames | None, path: str, name: str | None) -> str | None:
    """An org's name as the endpoint's payload holds it: as its message shows it
    (_org_names_of), or the org's own name for plain JSON."""
    return names.shown(path, name) if names is not None else name


def _scope_name(endpoint: WebhookEndpoint, names: OrgNames | None) -> str | None:
    """The endpoint's org, as a message's scope ("... in Finance")."""
    if endpoint.org is None:
        return None
    return _org_shown(names, endpoint.org.path, endpoint.org.name)


def active_endpoints() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(active=True).select_related("org"))


def endpoints_for(
    event: str, endpoints: list[WebhookEndpoint] | None = None
) -> list[WebhookEndpoint]:
    """The active endpoints that want the event (of `endpoints`, when read already)."""
    endpoints = active_endpoints() if endpoints is None else endpoints
    return [endpoint for endpoint in endpoints if endpoint.wants(event)]


def write(deliveries: list[WebhookDelivery]) -> int:
    """The new ones; an event an endpoint already has is left as it is."""
    before = WebhookDelivery.objects.count()
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return WebhookDelivery.objects.count() - before


def _critical_now(now: dt.datetime) -> array:
    devices = ReportRow.objects.filter(ACTIVE, device_first=True)
    ids = with_health(devices, Health.CRITICAL, now).order_by("device_id")
    return array("q", ids.values_list("device_id", flat=True).iterator(CHUNK))


def _device(row: dict, names: OrgNames | None) -> dict:
    # Its stalest destination's; null where one never completed (MISSING_COPY stands
    # for it as 1970-01-01, which the batch gave as that date; found by an audit of
    # section 11). A critical device has a date otherwise (none: never backed up).
    last = shown_date(row["device_backup_date"])
    return {
        "deviceUid": row["device_uid"],
        "deviceName": row["device_name"],
        "username": row["username"],
        # Its uid, not its path: the ids of the orgs above an org endpoint's own, which
        # it may not read (an audit).
        "orgUid": row["org_uid"],
        # Its own name, the API's orgName; for Slack and Teams, as the message shows it,
        # with its path where the name alone is ambiguous (_org_names_of).
        "orgName": _org_shown(names, row["org_path"], row["org_name"]),
        "lastCompletedBackupDate": encode_datetime(last) if last else None,
    }


def devices_entering_critical(now: dt.datetime) -> int:
    """One batch per endpoint of the devices that entered critical since the last look."""
    endpoints = endpoints_for(Event.CRITICAL)
    with transaction.atomic():
        if not endpoints:
            CriticalDevices.objects.all().delete()  # a new endpoint starts afresh
            return 0
        seen = CriticalDevices.objects.select_for_update().filter(pk=1).first()
        current = _critical_now(now)
        CriticalDevices.objects.update_or_create(
            pk=1, defaults={"device_ids": current.tobytes(), "checked_at": now}
        )
        if seen is None:
            return 0
        previous = array("q")
        previous.frombytes(bytes(seen.device_ids))
        entering = sorted(set(current) - set(previous))
        if not entering:
            return 0
        rows = []
        for start in range(0, len(entering), CHUNK):
            rows += ReportRow.objects.filter(
                device_first=True, device_id__in=entering[start : start + CHUNK]
            ).values(
                "device_uid",
                "device_name",
                "username",
                "org_uid",
                "org_name",
                "org_path",
                "device_backup_date",
            )
        rows.sort(key=lambda r: (r["device_backup_date"] is not None, r["device_backup_date"]))
        deliveries = []
        for endpoint in endpoints:
            reach = reach_of_endpoint(endpoint)
            mine = [row for row in rows if reach.covers(row["org_path"])]
            if not mine:
                continue
            listed = mine[:LISTED_DEVICES]
            names = _org_names_of(endpoint, (row["org_path"] for row in listed))
            payload = {
                "count": len(mine),
                "org_name": _scope_name(endpoint, names),
                "critical_days": critical_days(),
                "devices": [_device(row, names) for row in listed],
                "more": max(0, len(mine) - LISTED_DEVICES),
                # The report's own address, its defaults kept: "?health=critical" alone
                # dropped active=true, and the list it opened counted deactivated devices
                # too (found by an audit). As the digests' counts link; an org's endpoint
                # links to its org's list (orgUid, descendants included), of its count.
                "link": absolute(_critical_path(endpoint)),
            }
            key = f"{Event.CRITICAL} {encode_datetime(now)}"
            deliveries.append(
                WebhookDelivery(endpoint=endpoint, event=Event.CRITICAL, key=key, payload=payload)
            )
        return write(deliveries)


# What an endpoint of one org reads of a failed run instead of its message: a run is the
# whole fleet's, and its message may count the fleet ("it would remove 395 of 400
# devices"), which an org's endpoint received (found by an audit, 2026-12-06).
ORG_ENDPOINT_ERROR = (
    "A system administrator reads why on the data page (the run's message speaks of "
    "the whole fleet)."
)


def failed_runs(now: dt.datetime) -> int:
    endpoints = endpoints_for(Event.RUN_FAILED)
    if not endpoints:
        return 0
    runs = Run.objects.filter(
        outcome=Run.Outcome.FAILED,
        kind__in=[Run.Kind.SYNC, Run.Kind.IMPORT],
        started_at__gte=now - RECENT_FAILURES,
    )
    deliveries = [
        WebhookDelivery(
            endpoint=endpoint,
            event=Event.RUN_FAILED,
            key=f"{Event.RUN_FAILED} {run.pk}",
            payload={
                "run": run.pk,
                "kind": run.get_kind_display(),
                "trigger": run.get_trigger_display(),
                "started_at": encode_datetime(run.started_at),
                "error": run.error[:1000] if endpoint.org is None else ORG_ENDPOINT_ERROR,
                "link": absolute("/data/"),
            },
        )
        for run in runs
        for endpoint in endpoints
        if run.started_at >= endpoint.created_at  # no history for a new endpoint
    ]
    return write(deliveries)


def stale_data(now: dt.datetime) -> int:
    age = data_age(now)
    endpoints = endpoints_for(Event.STALE)
    if not age.stale or not endpoints:
        return 0
    last = age.last_refresh
    payload = {
        "data_as_of": encode_datetime(last.data_as_of) if last else None,
        "stale_hours": age.stale_hours,
        "link": absolute("/data/"),
    }
    key = f"{Event.STALE} {last.pk if last else 'never'}"
    return write(
        [
            WebhookDelivery(endpoint=e, event=Event.STALE, key=key, payload=payload)
            for e in endpoints
        ]
    )


def _figures(figures: Figures) -> dict:
    """A day's health counts, and the thresholds they were judged by (null: unknown),
    so that a summary compares a week ago with now only as judged alike."""
    counts = {f: getattr(figures, f) for f in ("devices", "ok", "warning", "critical", "never")}
    judged = figures.judged_by
    return counts | {
        "warning_days": judged.warning if judged else None,
        "critical_days": judged.critical if judged else None,
    }


def weekly_summary(now: dt.datetime) -> int:
    endpoints = endpoints_for(Event.WEEKLY)
    if not endpoints:
        return 0
    today = day_of(now)
    year, week, _ = today.isocalendar()
    label = f"{year}-W{week:02}"
    deliveries = []
    for endpoint in endpoints:
        snapshots = snapshots_of(reach_of_endpoint(endpoint)).filter(day__lte=today)
        if not snapshots.exists():
            continue  # no snapshot yet: nothing to sum up
        latest, _ = latest_snapshot(up_to=today)
        # A week before the latest snapshot, not before today: on a Monday before its
        # snapshot the latest is Sunday's, and its week ago fell outside what was read,
        # summed as zeros (2026-12-06).
        week_before = latest - dt.timedelta(days=7)
        totals = daily_totals(snapshots, week_before)
        payload = {
            "week": label,
            "day": latest.isoformat(),
            "org_name": _scope_name(endpoint, _org_names_of(endpoint)),
            "now": _figures(totals.get(latest, Figures())),
            # None where no snapshot was taken that day (a fleet imported this week):
            # its figures were zeros, "A week ago: 0 active" (found by an audit).
            "week_ago": (
                _figures(totals.get(week_before, Figures()))
                if Snapshot.objects.filter(day=week_before).exists()
                else None
            ),
            # Compliance by org, from the endpoint's org down (there was no /history/).
            "link": absolute(_compliance_path(endpoint)),
        }
        deliveries.append(
            WebhookDelivery(
                endpoint=endpoint,
                event=Event.WEEKLY,
                key=f"{Event.WEEKLY} {label}",
                payload=payload,
            )
        )
    return write(deliveries)


def _critical_path(endpoint: WebhookEndpoint) -> str:
    org = {"orgUid": endpoint.org.org_uid} if endpoint.org else {}
    return REPORTS["backup-status"].url(health=Health.CRITICAL.value, **org)


def _compliance_path(endpoint: WebhookEndpoint) -> str:
    path = reverse("compliance")
    return f"{path}?{urlencode({'org': endpoint.org.org_uid})}" if endpoint.org else path


def scheduled_events(now: dt.datetime) -> int:
    """What no refresh announces: failed runs, stale data, the week's summary."""
    return failed_runs(now) + stale_data(now) + weekly_summary(now)


def webhook_events(occasion: Occasion) -> str:
    """The after-refresh step (reports.pipeline), after the snapshot: the events found
    now, written as deliveries, and the worker asked to send them. Nothing is sent here:
    a slow or dead endpoint never holds up an import. Without an endpoint, two queries."""
    now = clock.now()
    if not active_endpoints():
        CriticalDevices.objects.all().delete()  # a first endpoint starts afresh
        return "no webhook endpoint"
    found = scheduled_events(now)
    if occasion is not Occasion.REBUILT:
        found += devices_entering_critical(now)
    if not found:
        return "no new event"
    deliver_webhooks.enqueue()
    return f"{found} webhook deliver(ies) queued for the worker"
