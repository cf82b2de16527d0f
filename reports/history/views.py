"""Compliance by org: the page and its CSV; the overview's health trend as CSV (the JSON
twins are in reports.api.compliance)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts import audit, file_names
from accounts.roles import reach_of_request
from reports import clock, health
from reports.history.asking import NO_FLEET, NO_TREND, BadParameter, compliance_asked, trend_asked
from reports.history.compliance import ComplianceRow, OutOfReach, judged_notes
from reports.history.records import csv_lines, trend_csv_lines

COLUMNS = (
    ("org", "Org"),
    ("devices", "Active devices"),
    ("now", "Backed up now"),
    ("week", "7 days ago"),
    ("month", "30 days ago"),
    ("change", "Change"),
)


def _devices_url(row: ComplianceRow, **narrowed: str) -> str:
    """The list a row's count of devices links to, live, on the backup status report:
    its active devices, one row per device, in the org and every org below it, or, in
    the row of those directly in it, the org alone (exactOrgUid); `narrowed` (its
    failing devices: health=failing) further. The row counts the same devices
    (compliance.with_now_of), so each count is its list's (spec section 11)."""
    org = "exactOrgUid" if row.own else "orgUid"
    query = {org: row.org_uid, "active": "true", **narrowed, "view": "devices"}
    query |= {"srtKey": "lastCompletedBackupDate", "srtDir": "asc"}  # the stalest first
    return reverse("report", args=["backup-status"]) + "?" + urlencode(query)


def _sort_links(org: str | None, sort: str) -> list[dict]:
    links = []
    for column, label in COLUMNS:
        current = sort.lstrip("-") == column
        descending = sort.startswith("-")
        next_sort = f"-{column}" if current and not descending else column
        params = {"org": org} if org else {}
        links.append(
            {
                "label": label,
                "url": "?" + urlencode(params | {"sort": next_sort}),
                "order": ("descending" if descending else "ascending") if current else "",
                "numeric": column != "org",
            }
        )
    return links


@login_required
@require_GET
def compliance_page(request: HttpRequest) -> HttpResponse:
    reach = reach_of_request(request)
    context = {
        "warning_days": health.warning_days(),
        "target": settings.COMPLIANCE_TARGET_PERCENT,
    }
    if not reach.has_fleet:
        return render(
            request, "reports/compliance.html", context | {"refused": NO_FLEET}, status=403
        )
    try:
        compliance, rows, sort = compliance_asked(reach, request.GET)
    except OutOfReach:
        raise Http404("No such org, or not one you may see.") from None
    except BadParameter as bad:
        context |= {"error": f"{bad.name}: {bad}"}
        return render(request, "reports/compliance.html", context, status=400)
    org = request.GET.get("org") or None
    if request.GET.get("format") == "csv":
        audit.record_export(request, target="compliance", rows=len(rows))
        name = file_names.stamped(f"compliance-{file_names.part(org or 'all')}", "csv", clock.now())
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    params = {"org": org} if org else {}
    context |= {
        "compliance": compliance,
        "rows": rows,
        # Each row with the lists its two counts link to: its active devices, its
        # failing ones (the active count linked nowhere, found by an audit).
        "listed": [(row, _devices_url(row), _devices_url(row, health="failing")) for row in rows],
        "judged_notes": judged_notes(rows),
        "columns": _sort_links(org, sort),
        "csv_url": "?" + urlencode(params | {"sort": sort, "format": "csv"}),
        "api_url": reverse("history-compliance") + "?" + urlencode(params | {"sort": sort}),
    }
    return render(request, "reports/compliance.html", context)


@login_required
@require_GET
def trend_csv(request: HttpRequest) -> HttpResponse:
    """The overview's trend day by day (`days`, the overview's trend_days() by default),
    oldest first."""
    reach = reach_of_request(request)
    if not reach.has_fleet:
        return HttpResponse(NO_TREND + "\n", status=403, content_type="text/plain")
    try:
        points = trend_asked(reach, request.GET)
    except BadParameter as bad:
        return HttpResponse(f"{bad.name}: {bad}\n", status=400, content_type="text/plain")
    audit.record_export(request, target="health trend", rows=len(points))
    name = file_names.stamped("health-trend", "csv", clock.now())
    response = StreamingHttpResponse(
        trend_csv_lines(points), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
