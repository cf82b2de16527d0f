"""The five reports: one view; each report's defaults from the catalog (reports.catalog),
its table, controls and template from reports.dashboards.report_pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.org_names import OrgNames
from accounts.roles import reach_of_request
from reports import clock, health
from reports.catalog import SEARCH_PARAMETERS
from reports.dashboards import figures
from reports.dashboards.chips import chips
from reports.dashboards.filters import DASHBOARD_PARAMETERS, dashboard_query
from reports.dashboards.forms import DEFAULT_PAGE_SIZE, ReportForm
from reports.dashboards.links import QueryLinks
from reports.dashboards.paging import fetch_page
from reports.dashboards.report_pages import REPORT_PAGES, ReportPage
from reports.dashboards.views.storage import storage_tabs
from reports.export import csv_response
from reports.query import InvalidParameters


def _report_page(slug: str) -> ReportPage:
    try:
        return REPORT_PAGES[slug]
    except KeyError:
        raise Http404("No such report") from None


@login_required
@require_GET
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    drawn = _report_page(slug)
    report = drawn.report
    if not request.GET:
        return redirect(report.default_url)
    params = request.GET
    reach = reach_of_request(request)
    links = QueryLinks(request.path, params)
    page_size = DEFAULT_PAGE_SIZE
    context = {
        "report": report,
        "tabs": storage_tabs(None) if slug == "disk-usage" else [],
        "links": links,
        "warning_days": health.warning_days(),
        "critical_days": health.critical_days(),
    }
    try:
        query = dashboard_query(params, request.user, reach)
    except InvalidParameters as invalid:
        context["form"] = ReportForm(
            params, shown=drawn.fields, page_size=page_size, rejected=tuple(invalid.errors)
        )
        context["errors"] = invalid.errors
        return render(request, drawn.template, context, status=400)

    if query.export == "csv":
        return csv_response(query.rows, extra_columns=query.extra_columns)
    if params.get("pgSize"):
        page_size = query.page_size
    context["form"] = form = ReportForm(params, shown=drawn.fields, page_size=page_size)
    context["chips"] = chips(form.carried, links, reach.scope)
    context["dashboard_only"] = [name for name in DASHBOARD_PARAMETERS if params.get(name)]
    context["api_url"] = links.api(page_size)
    if report.needs_search and not any(params.get(name) for name in SEARCH_PARAMETERS):
        return render(request, drawn.template, context | {"awaiting_search": True})

    context["question"] = drawn.question(query.sort_key, query.sort_descending)
    summary = figures.summary(report, query.rows)
    if slug == "cold-storage":
        context["expired"] = figures.expired(query.rows, clock.now())
        context["expired_url"] = links.url(coldStorageExpired="true", pgNum=None)
    page = fetch_page(query.rows, query.page_number, page_size, summary)
    table = drawn.table(
        page.rows,
        links=links,
        sort_key=query.sort_key,
        descending=query.sort_descending,
        org_names=OrgNames((row.org_path for row in page.rows), reach.scope),
    )
    context |= {"summary": summary, "page": page, "table": table, "pager": links.pager(page)}
    return render(request, drawn.template, context)
