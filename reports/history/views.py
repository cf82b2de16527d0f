"""Compliance by org: the page (and its CSV) and the JSON resource, one computation."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.roles import Reach, reach_of
from reports import clock, health
from reports.api import errors, vendor
from reports.dashboards.views.common import page_context
from reports.history.compliance import (
    SORTS,
    Compliance,
    OutOfReach,
    sorted_rows,
)
from reports.history.reading import has_history
from reports.history.records import csv_lines, record
from reports.warming import figures

DEFAULT_SORT = "now"  # the worst first: what a review starts with
NO_FLEET = "Compliance by org covers org subtrees; your role lets you see your own devices only."
COLUMNS = (
    ("org", "Org"),
    ("devices", "Active devices"),
    ("now", "Backed up now"),
    ("week", "7 days ago"),
    ("month", "30 days ago"),
    ("change", "Change"),
)


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def _compliance(reach: Reach, query) -> tuple[Compliance, list, str]:
    """The level asked for, sorted; raises OutOfReach or BadParameter."""
    sort = query.get("sort") or DEFAULT_SORT
    compliance = figures.compliance(reach, query.get("org") or None)
    try:
        rows = sorted_rows(compliance.rows, sort)
    except ValueError as error:
        raise BadParameter("sort", str(error)) from None
    return compliance, rows, sort


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
    reach = reach_of(request.user)
    context = page_context(request, "compliance") | {"warning_days": health.warning_days()}
    if not has_history(reach):
        return render(
            request, "reports/compliance.html", context | {"refused": NO_FLEET}, status=403
        )
    try:
        compliance, rows, sort = _compliance(reach, request.GET)
    except OutOfReach:
        raise Http404("No such org, or not one you may see.") from None
    except BadParameter as bad:
        context |= {"error": f"{bad.name}: {bad}"}
        return render(request, "reports/compliance.html", context, status=400)
    org = request.GET.get("org") or None
    if request.GET.get("format") == "csv":
        name = f"compliance-{org or 'all'}-{clock.now():%Y%m%d}.csv"
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


@vendor.resource
def compliance_resource(request: HttpRequest) -> HttpResponse:
    reach = reach_of(request.user)
    if not has_history(reach):
        return errors.forbidden(NO_FLEET)
    try:
        compliance, rows, sort = _compliance(reach, request.GET)
    except OutOfReach:
        return vendor.not_found("org")
    except BadParameter as bad:
        return errors.invalid_parameters({bad.name: str(bad)})
    level = compliance.level
    return JsonResponse(
        {
            "data": {
                "org": {"orgUid": level.org_uid, "orgName": level.name} if level else None,
                "day": compliance.day.isoformat() if compliance.day else None,
                "sort": sort,
                "sorts": list(SORTS),
                "rows": [record(row) for row in rows],
            }
        }
    )
