"""The management PDF (reports.dashboards.summary_pdf): the overview and
compliance by org, for the viewer's reach."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.roles import reach_of_request
from reports import clock
from reports.dashboards import summary_pdf


@login_required
@require_GET
def management_pdf_download(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    pdf = summary_pdf.management_pdf(request.user, reach_of_request(request), now)
    # As every export: with how its caller signed in (record_export; an audit).
    audit.record_export(request, kind="export.pdf", target=summary_pdf.TARGET, **pdf.audited())
    response = HttpResponse(pdf.data, content_type=summary_pdf.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{summary_pdf.file_name(now)}"'
    return response
