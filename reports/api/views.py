"""GET /api/DeviceBackupReport (spec section 3) and its OpenAPI document."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from accounts import audit
from accounts.roles import reach_of
from reports import clock
from reports.api import legacy_dates, page_cache
from reports.api.authentication import api_login_required
from reports.api.decorators import invalid_parameters, read_only
from reports.api.schema import openapi_document
from reports.cache import cached, query_key
from reports.export import csv_response
from reports.json_record import page_body
from reports.query import InvalidParameters, ReportQuery, report_query


def total_count(query: ReportQuery, generation: int | None = None) -> int:
    """COUNT(*) of the matching rows, kept until the report table changes (reports.cache):
    vendor scripts page through a query, asking the same count on every page."""
    rows = query.rows.order_by()
    return cached("count", query_key(rows), rows.count, generation)


def page_without_timestamp(query: ReportQuery, generation: int | None = None) -> bytes:
    """The JSON envelope but its timestamp (reports.api.page_cache puts it in): two
    queries (the count and the page), whatever the page size. The rows are their stored
    objects (reports.json_record), joined, never decoded."""
    metadata = {
        "params": query.params,
        "pgNum": query.page_number,
        "pgSize": query.page_size,
        "totalCount": total_count(query, generation),
    }
    return page_body(metadata, query.page().values_list("json_object", flat=True))


def report_page(query: ReportQuery) -> bytes:
    """The page as answered now."""
    return page_cache.Page.of(page_without_timestamp(query)).body(clock.now())


def json_page(request: HttpRequest) -> HttpResponse:
    """A JSON page, from the page cache when the same question was answered since the
    report table last changed (reports.api.page_cache); a 304 when the caller has it."""

    reach = reach_of(request.user)

    def compute(generation: int | None) -> bytes:
        query = report_query(request.GET, request.user, reach)
        return page_without_timestamp(query, generation)

    page, _ = page_cache.page_for(request, reach.scope, compute, request.generations.report)
    legacy = legacy_dates.wanted(request)
    etag = legacy_dates.etag(page.etag) if legacy else page.etag
    if page_cache.not_modified(request, page, etag):
        response = HttpResponse(status=304)
    else:
        # Every non-ASCII character is a \uXXXX escape (ensure_ascii), as the vendor
        # writes it: its Python 2 library logs each body with str(), which raises on the
        # first non-ASCII name. Every JSON answer, errors and the schema too, keeps that.
        response = HttpResponse(page.body(clock.now()), content_type="application/json")
        if legacy:
            response.content = legacy_dates.rewrite(response.content)
    response["ETag"] = etag
    return response


@read_only
@never_cache
@api_login_required
def device_backup_report(request: HttpRequest) -> HttpResponse:
    try:
        if "export" not in request.GET:
            return json_page(request)
        query = report_query(request.GET, request.user)
    except InvalidParameters as invalid:
        return invalid_parameters(invalid)
    if query.export == "csv":
        audit.record_export(request, target="DeviceBackupReport", rows=query.rows.count())
        return csv_response(query.rows, extra_columns=query.extra_columns)
    body = report_page(query)
    if legacy_dates.wanted(request):
        body = legacy_dates.rewrite(body)
    return HttpResponse(body, content_type="application/json")


@read_only
def openapi_schema(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document())
