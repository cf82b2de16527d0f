"""GET /api/history/compliance: compliance by org as JSON, the page's twin
(reports.history.views), one computation (reports.history.asking); GET
/api/history/trend: the overview's health trend, the trend CSV's twin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.roles import reach_of
from reports.api import errors, vendor
from reports.api.decorators import resource
from reports.history.asking import NO_FLEET, NO_TREND, BadParameter, compliance_asked, trend_asked
from reports.history.compliance import SORTS, OutOfReach
from reports.history.records import record, trend_records


@resource
def compliance_resource(request: HttpRequest) -> HttpResponse:
    reach = reach_of(request.user)
    if not reach.has_fleet:
        return errors.forbidden(NO_FLEET)
    try:
        compliance, rows, sort = compliance_asked(reach, request.GET)
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


@resource
def trend_resource(request: HttpRequest) -> HttpResponse:
    reach = reach_of(request.user)
    if not reach.has_fleet:
        return errors.forbidden(NO_TREND)
    try:
        points = trend_asked(reach, request.GET)
    except BadParameter as bad:
        return errors.invalid_parameters({bad.name: str(bad)})
    return JsonResponse({"data": {"days": list(trend_records(points))}})
