"""The org picker's suggestions: a small JSON answer for the type-ahead of the
dashboards' "Org and below" field (static/reports/org_picker.js). Only orgs within the
caller's reach, each with its path of names as the caller may read it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from accounts import org_names
from accounts.roles import reach_of_request

MAX_TYPED = 200  # no org path a person types is longer


@login_required
@require_GET
def org_suggestions(request: HttpRequest) -> JsonResponse:
    typed = request.GET.get("q", "")
    if len(typed) > MAX_TYPED:
        return JsonResponse(
            {"error": f"q is {len(typed)} characters long; type at most {MAX_TYPED}."},
            status=400,
        )
    found = org_names.suggestions(typed, reach_of_request(request).scope)
    return JsonResponse(
        {"orgs": [{"orgUid": o.org_uid, "name": o.name, "path": o.label} for o in found]}
    )
