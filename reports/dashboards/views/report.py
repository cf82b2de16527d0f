"""The five reports: one view; each report's defaults from the catalog (reports.catalog),
its table, controls and template from reports.dashboards.report_pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts import audit
from accounts.org_names import OrgNames
from accounts.roles import reach_of_request
from reports import clock, health
from reports.catalog import SEARCH_FIRST
from reports.dashboards import figures, spreadsheet
from reports.dashboards.chips import chips, org_tree_note
from reports.dashboards.filters import (
    ARCHIVES,
    DASHBOARD_PARAMETERS,
    DEVICES,
    dashboard_query,
    one_row_per_device,
    org_uid_read_as_shared,
    unnamed_org,
)
from reports.dashboards.forms import DEFAULT_PAGE_SIZE, ReportForm
from reports.dashboards.links import QueryLinks
from reports.dashboards.paging import fetch_page, summary_of_devices
from reports.dashboards.report_pages import REPORT_PAGES, ReportPage
from reports.dashboards.views.storage import carried_filters, storage_tabs
from reports.export import csv_response
from reports.models import ReportRow
from reports.query import InvalidParameters

# The pages' own filters in the words their chips and controls use: the notice named
# their parameters (orgTree, exactOs), which the page shows nowhere else (an audit).
PAGE_FILTER_WORDS = {
    "health": "backup health",
    "backupAge": "last backup",
    "exactOrgUid": "org only, not the orgs below it",
    "exactOs": "OS family",
    "orgTree": "org and below",
    "coldStorageExpired": "expiry passed",
    "coldStorageExpiresWithin": "cold storage expiring within",
}


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
        "tabs": storage_tabs(None, carried_filters(params)) if slug == "disk-usage" else [],
        "links": links,
        "warning_days": health.warning_days(),
        "critical_days": health.critical_days(),
        "unfiltered": report.is_unfiltered(params),
    }
    try:
        query = dashboard_query(params, request.user, reach)
    except InvalidParameters as invalid:
        context["form"] = ReportForm(
            params,
            shown=drawn.fields,
            page_size=page_size,
            reach=reach,
            rejected=tuple(invalid.errors),
        )
        context["errors"] = invalid.errors
        return render(request, drawn.template, context, status=400)

    if query.export == "csv":
        if report.awaits_search(params):  # every row in reach, where the page lists none
            return HttpResponse(SEARCH_FIRST + "\n", status=400, content_type="text/plain")
        audit.record_export(request, target=f"report {slug}", rows=query.rows.count())
        # Named apart from the page's other exports, so a browser keeps every one.
        columns = "extra-columns" if query.extra_columns else "vendor-columns"
        name = spreadsheet.file_name(f"{slug}_{columns}", params, "csv")
        return csv_response(query.rows, extra_columns=query.extra_columns, name=name)
    if params.get("pgSize"):
        page_size = query.page_size
    context["form"] = form = ReportForm(
        params, shown=drawn.fields, page_size=page_size, reach=reach
    )
    # The API reads no sharing: its link lists the viewer's rows directly in a shared
    # org where the page lists its subtree's, and the page says so (found by an audit).
    # Asked once, for the notice and the chip.
    org_uid = params.get("orgUid")
    shared_uid = (
        org_uid if org_uid and org_uid_read_as_shared(org_uid, request.user, reach.scope) else ""
    )
    if shared_uid:
        context["api_reads_unshared"] = f"orgUid={shared_uid}"
    context["chips"] = chips(form.carried, links, reach.scope, request.user, shared_uid)
    context["org_tree_note"] = org_tree_note(form, request.user, reach.scope)
    # `view` only shapes the page; the API is one row per archive whatever it says.
    context["dashboard_only"] = [
        (name, PAGE_FILTER_WORDS[name])
        for name in DASHBOARD_PARAMETERS
        if params.get(name) and name != "view"
    ]
    context["api_url"] = links.api(page_size)
    if report.awaits_search(params):
        return render(request, drawn.template, context | {"awaiting_search": True})

    # The totals are over the archive rows, as the API's; the per-device view pages
    # through one row per device, as many as the totals' devices.
    context["question"] = drawn.question(query.sort_key, query.sort_descending, query.params)
    context["cold_storage_pick"] = drawn.cold_storage_pick(query.params)
    summary = figures.summary(report, query.rows)
    if slug == "cold-storage":
        context["expired"] = figures.expired(query.rows, clock.now())
        context["expired_url"] = links.url(coldStorageExpired="true", pgNum=None)
    per_device = drawn.device_table is not None and query.params.get("view") == DEVICES
    if per_device:
        shown = one_row_per_device(query, params)
        summary = summary_of_devices(summary, shown)
        page = fetch_page(shown, query.page_number, page_size, summary)
        _attach_destinations(page.rows, request.user)
    else:
        page = fetch_page(query.rows, query.page_number, page_size, summary)
    table = (drawn.device_table if per_device else drawn.table)(
        page.rows,
        links=links,
        sort_key=query.sort_key,
        descending=query.sort_descending,
        org_names=OrgNames((row.org_path for row in page.rows), reach.scope),
    )
    if not summary.rows and not context["unfiltered"]:
        context["unnamed_org"] = unnamed_org(params, request.user, reach)
    context["nothing_imported"] = not summary.rows and figures.nothing_imported(reach)
    context |= {
        "summary": summary,
        "page": page,
        "table": table,
        "pager": links.pager(page),
        "per_device": per_device,
        "views": _views(drawn, links, per_device),
    }
    return render(request, drawn.template, context)


def _attach_destinations(rows: list[ReportRow], user) -> None:
    """Each device row's archives, for the destinations inside it: one query a page."""
    by_device: dict[int, list[dict]] = {row.device_id: [] for row in rows}
    archives = (
        ReportRow.objects.visible_to(user)
        .filter(device_id__in=by_device, archive_id__isnull=False)
        .order_by("device_id", "destination_name", "archive_guid")
        .values("device_id", "destination_name", "last_completed_backup_date", "archive_bytes")
    )
    for archive in archives:
        by_device[archive["device_id"]].append(archive)
    for row in rows:
        row.destinations = by_device[row.device_id]


def _views(drawn: ReportPage, links: QueryLinks, per_device: bool) -> dict | None:
    """The switch between one row per device and one per archive; None: no switch."""
    if drawn.device_table is None:
        return None
    return {
        "devices": None if per_device else links.url(view=DEVICES, pgNum=None),
        "archives": links.url(view=ARCHIVES, pgNum=None) if per_device else None,
    }
