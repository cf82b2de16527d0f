"""A report page's rows as a spreadsheet file (reports.dashboards.spreadsheet): the
same parameters as the page, the same reach, every row."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.roles import reach_of_request
from reports.catalog import REPORTS, SEARCH_FIRST
from reports.dashboards import spreadsheet
from reports.query import InvalidParameters


@login_required
@require_GET
def spreadsheet_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    report = REPORTS.get(slug)
    if report is None or fmt not in spreadsheet.FORMATS:
        raise Http404("No such report or format")
    params = request.GET
    if report.awaits_search(params):
        return HttpResponse(SEARCH_FIRST + "\n", status=400, content_type="text/plain")
    try:
        sheet, _ = spreadsheet.report_sheet(slug, params, request.user, reach_of_request(request))
    except InvalidParameters as invalid:
        wrong = "; ".join(f"{name}: {error}" for name, error in sorted(invalid.errors.items()))
        return HttpResponse(f"Bad parameters: {wrong}\n", status=400, content_type="text/plain")
    rows = sheet.rows.count()
    audit.record_export(request, target=f"report {slug}", rows=rows, kind=f"export.{fmt}")
    return spreadsheet.response(sheet, fmt, spreadsheet.file_name(slug, params, fmt))
