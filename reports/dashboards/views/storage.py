"""Storage by user and by org (reports.dashboards.rollups): disk usage's answer to
"who uses the most", one row per person or per org, sortable, exportable as CSV.

The filters are the report query's (the same form as disk usage's, reach first); the
sort, paging and export are the rollup's own, since its columns are sums, not fields.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts import audit, file_names
from accounts.formula_cells import defused
from accounts.org_names import OrgNames
from accounts.roles import reach_of_request
from reports import clock
from reports.catalog import REPORTS
from reports.dashboards import figures, rollups
from reports.dashboards.chips import chips, org_tree_note
from reports.dashboards.filters import dashboard_query
from reports.dashboards.forms import ReportForm
from reports.dashboards.links import QueryLinks
from reports.dashboards.paging import Page
from reports.query import MAX_OFFSET, InvalidParameters, given_once, whole_number

PAGE_SIZE = rollups.PAGE_SIZE
FILTERS = ("user", "device", "orgTree", "os", "destination", "active", "coldStorage")
# The rollup's own parameters; every other one is the report query's.
OWN = ("srtKey", "srtDir", "pgNum", "export")
# What each page of disk usage orders or shows its own way; the rest filter the rows,
# and a link between its pages carries them (a figure linked to a list that dropped
# them, with other numbers, 2026-12-06).
NOT_FILTERS = (*OWN, "pgSize", "view", "extraColumns")


def carried_filters(params: QueryDict) -> dict[str, str]:
    """The filters of a disk usage page, as its links to the others carry them."""
    return {name: value for name, value in params.items() if name not in NOT_FILTERS and value}


@dataclass(frozen=True)
class RollupPage:
    """What the filter form needs of a page: where it submits and resets to."""

    per: rollups.Per

    @property
    def path(self) -> str:
        return reverse("storage-rollup", args=[self.per.slug])

    @property
    def default_url(self) -> str:
        return self.url()

    def url(self, **filters: str) -> str:
        order = {"srtKey": rollups.DEFAULT_SORT, "srtDir": "desc"}
        return f"{self.path}?{urlencode(order | filters)}"

    @property
    def title(self) -> str:
        return self.per.title


@dataclass(frozen=True)
class Order:
    sort: str
    descending: bool
    page_number: int
    export: bool


def _order(params: QueryDict) -> Order:
    given, errors = given_once(params, OWN)
    sort = given.get("srtKey", rollups.DEFAULT_SORT)
    if sort not in rollups.SORTS:
        errors["srtKey"] = f"{sort!r} is not accepted; use one of {', '.join(rollups.SORTS)}."
    direction = given.get("srtDir", "desc").lower()
    if direction not in ("asc", "desc"):
        errors["srtDir"] = f"{given['srtDir']!r} is not accepted; use one of asc, desc."
    number = given.get("pgNum", "1")
    page_number = whole_number(number)
    if page_number is None or not 0 < page_number <= MAX_OFFSET:
        errors["pgNum"] = f"{number!r} is not a page number; use 1 or more."
    export = given.get("export", "")
    if export and export.lower() != "csv":
        errors["export"] = f"{export!r} is not accepted; use csv."
    if errors:
        raise InvalidParameters(errors)
    return Order(sort, direction == "desc", page_number, bool(export))


def _filters(params: QueryDict) -> QueryDict:
    kept = params.copy()
    for name in OWN:
        kept.pop(name, None)
    return kept


@login_required
@require_GET
def storage_page(request: HttpRequest, per: str) -> HttpResponse:
    if per not in rollups.PER:
        raise Http404("No such rollup")
    by = rollups.PER[per]
    page_of = RollupPage(by)
    params = request.GET
    reach = reach_of_request(request)
    links = QueryLinks(request.path, params)
    filters = carried_filters(params)
    context = {"report": page_of, "per": by, "links": links, "tabs": storage_tabs(by, filters)}
    try:
        order = _order(params)
        query = dashboard_query(_filters(params), request.user, reach)
    except InvalidParameters as invalid:
        context["form"] = ReportForm(
            params, shown=FILTERS, page_size=PAGE_SIZE, reach=reach, rejected=tuple(invalid.errors)
        )
        context["errors"] = invalid.errors
        return render(request, "reports/storage_rollup.html", context, status=400)
    if order.export:
        return _csv(request, query.rows, by, order, reach.scope)

    form = ReportForm(params, shown=FILTERS, page_size=PAGE_SIZE, reach=reach)
    del form.fields["pgSize"]
    total = figures.rollup_count(query.rows, by)
    found = figures.rollup_page(query.rows, by, order.sort, order.descending, order.page_number)
    start = (order.page_number - 1) * PAGE_SIZE
    page = Page(
        found, order.page_number, PAGE_SIZE, start + len(found) < total, -(-total // PAGE_SIZE)
    )
    names = OrgNames((r.who.get("org_path", "") for r in found), reach.scope)
    context |= {
        "form": form,
        "chips": chips(form.carried, links, reach.scope, request.user),
        "org_tree_note": org_tree_note(form, request.user, reach.scope),
        "total": total,
        "page": page,
        "rows": [_shown(r, by, names, filters) for r in found],
        "headers": _headers(links, order),
        "export_url": links.url(export="csv", pgNum=None),
        "pager": links.pager(page),
        "nothing_imported": not total and figures.nothing_imported(reach),
    }
    return render(request, "reports/storage_rollup.html", context)


def storage_tabs(current: rollups.Per | None, filters: dict[str, str]) -> list[dict]:
    """Disk usage's three views: its archives (current None), by user, by org, each
    with the filters of the page it is shown on."""
    usage = REPORTS["disk-usage"]
    tabs = [{"label": "Archives", "url": usage.url(**filters), "current": current is None}]
    for by in rollups.PER.values():
        url = RollupPage(by).url(**filters)
        tabs.append({"label": f"By {by.noun}", "url": url, "current": by == current})
    return tabs


HEADERS = (
    ("archiveBytes", "Archived"),
    ("selectedBytes", "Selected"),
    ("devices", "Devices"),
    ("largestDevice", "Largest device"),
)


def _headers(links: QueryLinks, order: Order) -> list[dict]:
    headers = []
    for key, label in HEADERS:
        current = key == order.sort
        # Sums read largest first; a second click on the sorted column turns it round.
        direction = "asc" if current and order.descending else "desc"
        sort = "none"
        if current:
            sort = "descending" if order.descending else "ascending"
        url = links.url(srtKey=key, srtDir=direction, pgNum=None)
        headers.append({"label": label, "url": url, "sort": sort})
    return headers


def _shown(rollup: rollups.Rollup, by: rollups.Per, names: OrgNames, filters: dict) -> dict:
    """A row, its links to the rows it sums under the page's filters (the same count):
    the row's own org or user in place of the page's (a page filtered by exactOrgUid
    gave its link that parameter twice: a 500, found by an audit, 2026-12-06)."""
    who = rollup.who
    usage = REPORTS["disk-usage"]
    if by.slug == "user":
        full_name = " ".join(n for n in (who.get("first_name"), who.get("last_name")) if n)
        org = names.shown(who.get("org_path", ""), who.get("org_name"))
        user_uid = who.get("user_uid")
        rows_url = usage.url(**filters | {"userUid": user_uid}) if user_uid else None
        return {
            "name": who.get("username") or "(unknown)",
            "detail": full_name or who.get("email") or "",
            "org": org,
            "rows_url": rows_url,
            "rollup": rollup,
        }
    named = names.get(who.get("org_path", ""))
    org_uid = who.get("org_uid")
    return {
        "name": named.label if named else (who.get("org_name") or "(no org)"),
        "detail": "",
        "org": "",
        "rows_url": usage.url(**filters | {"exactOrgUid": org_uid}) if org_uid else None,
        "users_url": RollupPage(rollups.PER["user"]).url(**filters | {"exactOrgUid": org_uid})
        if org_uid
        else None,
        "rollup": rollup,
    }


CSV_HEADER = {
    "user": [
        "username",
        "firstName",
        "lastName",
        "email",
        "org",
        "devices",
        "archives",
        "archiveBytes",
        "selectedBytes",
        "largestDevice",
        "largestDeviceBytes",
    ],
    "org": [
        "orgUid",
        "org",
        "devices",
        "archives",
        "archiveBytes",
        "selectedBytes",
        "largestDeviceBytes",
    ],
}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(request, rows, by: rollups.Per, order: Order, reach) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    # Recorded before a byte goes, as every export is: a download broken off was not
    # recorded at all when counted as it streamed (found by an audit of section 13).
    # The page's own count, kept until the data changes: no second grouping.
    rows_in_file = figures.rollup_count(rows, by)
    audit.record_export(request, target=f"storage by {by.slug}", rows=rows_in_file)

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER[by.slug])
        for batch in rollups.every(rows, by, order.sort, order.descending):
            yield from _csv_lines(writer, batch, by, reach)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = file_names.stamped(f"storage-by-{by.slug}", "csv", clock.now())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv_lines(writer, batch: list, by: rollups.Per, reach) -> Iterator[str]:
    names = OrgNames((r.who.get("org_path", "") for r in batch), reach)
    for rollup in batch:
        who = rollup.who
        named = names.get(who.get("org_path", ""))
        org = named.label if named else (who.get("org_name") or "")
        sums = [rollup.devices, rollup.archives, rollup.archive_bytes, rollup.selected_bytes]
        if by.slug == "user":
            fields = ("username", "first_name", "last_name", "email")
            person = [defused(who.get(f) or "") for f in fields]
            largest = [defused(rollup.largest_device_name or ""), rollup.largest_device_bytes]
            yield writer.writerow([*person, defused(org), *sums, *largest])
        else:
            uid = defused(who.get("org_uid") or "")
            yield writer.writerow([uid, defused(org), *sums, rollup.largest_device_bytes])
