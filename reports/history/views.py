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
from reports.history.compliance import OutOfReach
from reports.history.records import csv_lines, trend_csv_lines

COLUMNS = (
    ("org", "Org"),
    ("devices", "Active devices"),
    ("now", "Backed up now"),
    ("week", "7 days ago"),
    ("month", "30 days ago"),
    ("change", "Change"),
)


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
        # Each org's failing devices, live, on the backup status report.
        "failing_url": reverse("report", args=["backup-status"]),
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
