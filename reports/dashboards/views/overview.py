"""The home page, one per role from one template family (templates/reports/overview.html):

- a desktop user: their own devices first, each destination's last backup and what to do
  about a stale one; then their health and storage totals. No fleet charts: a top-10 of
  orgs with one bar, or the migration plan's OS split, mean nothing for two laptops.
- an org manager: their subtree, named; health, storage, charts and the trend.
- an administrator: the fleet, the same sections.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.views.decorators.http import require_GET

from accounts import org_names
from accounts.roles import Reach, reach_of_request
from reports import clock, health
from reports.catalog import REPORTS
from reports.dashboards import figures, os_families
from reports.dashboards.charts import Bar, bar_chart
from reports.dashboards.overview import OrgStorage, Overview
from reports.dashboards.own_devices import own_devices
from reports.history.charts import NARROW, WIDE, rejudged_notes, trend_chart
from reports.history.figures import trend
from reports.history.reading import thresholds_changed, trend_days
from reports.history.snapshots import day_of
from reports.models import ReportRow
from reports.templatetags.backup_format import bytes_human


def _health_cards(overview: Overview) -> list[dict]:
    status = REPORTS["backup-status"]
    total = overview.health.devices
    return [
        {
            "health": h,
            "count": count,
            "share": round(100 * count / total) if total else 0,
            "url": status.url(health=h.value),
        }
        for h, count in overview.health.by_health.items()
    ]


def _charts(overview: Overview, names: dict[str, org_names.OrgName]) -> dict:
    status, usage, plan = REPORTS["backup-status"], REPORTS["disk-usage"], REPORTS["migration-plan"]
    age_bars = [
        Bar(band.label, n, f"{n:,}", status.url(backupAge=band.key), band.health.value)
        for band, n in overview.health.by_band
    ]
    never = overview.health.by_health[health.Health.NEVER]
    age_bars.append(Bar("never", never, f"{never:,}", status.url(health="never"), "never"))
    org_labels = _org_labels(overview.by_org, names)
    org_bars = [
        Bar(
            org_labels[o.path],
            o.archive_bytes,
            bytes_human(o.archive_bytes),
            usage.url(exactOrgUid=o.org_uid) if o.org_uid else None,
            title=names.get(o.path).label if names.get(o.path) else (o.org_name or "(no org)"),
        )
        for o in overview.by_org
    ]
    os_bars = [
        Bar(
            os_families.name_of(o.os),
            o.devices,
            f"{o.devices:,}",
            # The bar counts by the device's os exactly; the plan's own `os` (a partial
            # match, with a default) would list other devices.
            plan.url(os="", exactOs=o.os or os_families.OTHER),
        )
        for o in overview.by_os
    ]
    return {
        "age_chart": bar_chart("Active devices by days since last completed backup", age_bars),
        "org_chart": bar_chart(
            "Archive storage by org (top 10)", org_bars, empty="No archives yet."
        ),
        "os_chart": bar_chart("Active devices by OS", os_bars, empty="No active devices."),
    }


def _org_labels(by_org: Sequence[OrgStorage], names: dict[str, org_names.OrgName]) -> dict:
    """Each chart org's label, by its path: its name after its parent's, where the viewer
    may read the parent's, and after as many names above as tell it from the chart's
    other orgs. Two names alone made Acme › EMEA › Sales › Inside and Acme › APAC ›
    Sales › Inside both "Sales › Inside", on the page and in the management PDF, which
    has no hover title to tell them apart (found by an audit)."""
    paths = {o.path: names[o.path].names for o in by_org if o.path in names}
    labels = {}
    for org in by_org:
        own = paths.get(org.path)
        if own is None:
            labels[org.path] = org.org_name or "(no org)"
            continue
        shown = min(2, len(own))
        others = [n for p, n in paths.items() if p != org.path]
        while shown < len(own) and any(n[-shown:] == own[-shown:] for n in others):
            shown += 1
        labels[org.path] = " › ".join(own[-shown:])
    return labels


def _trend(reach: Reach, now: dt.datetime) -> dict:
    """The health trend (its days: reports.history.reading.trend_days), for those whose
    reach is more than their own devices."""
    if not reach.has_fleet:
        return {}
    today = day_of(now)
    points = trend(reach, today)
    return {
        # Drawn twice, for a desktop's card and a phone's (app.css shows one): an SVG's
        # text shrinks with it, and 90 columns at a desktop's width leave none legible.
        "trend_chart": format_html(
            "{}{}", trend_chart(points, today, shape=WIDE), trend_chart(points, today, shape=NARROW)
        )
        if points
        else trend_chart(points, today),
        "trend_points": points[::-1],
        # The days judged by other thresholds than the day before them, said under the
        # chart and in their rows: a step there is partly the settings'.
        "trend_rejudged": thresholds_changed(points),
        "trend_notes": rejudged_notes(points),
        "trend_days": trend_days(),
        # Today's column is the snapshot's, the cards above it live: say when it was taken.
        "trend_today": today,
        "trend_as_of": points[-1][1].taken_at if points and points[-1][0] == today else None,
    }


def _audience(reach: Reach, names: dict[str, org_names.OrgName]) -> dict:
    """Whose devices the page is about, in words for its heading."""
    if reach.everything:
        return {"audience": "fleet"}
    if reach.org_paths:
        return {
            "audience": "subtree",
            "subtree_names": [names[p].label if p in names else p for p in reach.org_paths],
        }
    return {"audience": "own"}


@login_required
@require_GET
def overview_page(request: HttpRequest) -> HttpResponse:
    visible = ReportRow.objects.visible_to(request.user)
    # Health is relative to now: the figures kept until the data changes are the
    # devices' backup dates, put into bands at this very moment.
    as_of = clock.now()
    overview = figures.overview(visible).at(as_of)
    context = {
        "overview": overview,
        "as_of": as_of,
        "health_cards": _health_cards(overview),
        "warning_days": health.warning_days(),
        "critical_days": health.critical_days(),
        "status_url": REPORTS["backup-status"].default_url,
        "usage_url": REPORTS["disk-usage"].default_url,
        "cold_url": REPORTS["cold-storage"].default_url,
    }
    reach = reach_of_request(request)
    # Cards of zeros, with a run log that is empty too, told an administrator of a new
    # installation nothing of where to start (found by an audit of the pages).
    context["nothing_imported"] = not overview.health.devices and figures.nothing_imported(reach)
    if reach.has_fleet:
        # The orgs' paths as this viewer may read them, never the names above their
        # reach: the chart's and the manager's own orgs, in one read.
        paths = [o.path for o in overview.by_org] + list(reach.org_paths)
        names = org_names.names_of(paths, reach.scope)
        context |= _audience(reach, names) | _charts(overview, names) | _trend(reach, as_of)
    else:
        context |= _audience(reach, {}) | {"own_devices": own_devices(visible, as_of)}
    return render(request, "reports/overview.html", context)
