"""Reading the audit log, for system administrators only (superusers likewise), on
every surface: the page with its filters, the same filters as CSV, and the JSON
resource a SIEM polls with a cursor. Everyone else finds nothing (404; signed out: the
page sends them to sign in, the JSON answers 401)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import file_names
from accounts.audit import reads
from accounts.audit.forms import EventFilter
from accounts.audit.kinds import KINDS
from accounts.audit.recording import record_export
from accounts.audit.syslog_lines import as_record
from accounts.callers import api_caller, unauthorized
from accounts.formula_cells import defused
from accounts.page_access import system_administrators_only
from accounts.roles import is_system_administrator

PAGE_SIZE = 100
CSV_COLUMNS = [
    "id",
    "at",
    "kind",
    "actor",
    "actor_id",
    "target",
    "address",
    "user_agent",
    "details",
    "hash",
    "previous_hash",
]
CURSOR_LIMIT, CURSOR_DEFAULT = 1000, 500
LARGEST_ID = 2**63 - 1  # a bigint: a larger cursor is a 400, not the database's error


@require_GET
@system_administrators_only
def events_page(request: HttpRequest) -> HttpResponse:
    form = EventFilter(request.GET)
    if not form.is_valid():
        context = {"form": form, "problems": form.problems()}
        return render(request, "audit/events.html", context, status=400)
    events = form.events().order_by("-id")
    if request.GET.get("format") == "csv":
        return _csv(request, events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    shown = [(event, KINDS.get(event.kind, event.kind), _details(event)) for event in page]
    context = {"form": form, "page": page, "shown": shown, "query": query.urlencode()}
    return render(request, "audit/events.html", context)


def _details(event) -> list[tuple[str, str]]:
    """(name, value) of each detail as a person reads it: text as it is, the rest as
    JSON; the page showed Python's repr of the whole dict (found by an audit)."""
    return [
        (name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for name, value in (event.details or {}).items()
    ]


def _csv(request: HttpRequest, events) -> StreamingHttpResponse:
    # The events up to now, the file's own export event not among them: it said one
    # row fewer than the file held (2026-12-06).
    last = events.aggregate(last=Max("id"))["last"]
    events = events.filter(id__lte=last) if last is not None else events.none()
    record_export(request, target="audit log", rows=events.count())
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            row = as_record(event)
            row["details"] = json.dumps(row["details"], sort_keys=True)
            yield writer.writerow([_cell(row[name]) for name in CSV_COLUMNS])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = file_names.stamped("audit-log", "csv", timezone.now())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cell(value):
    """Text a spreadsheet would run as a formula, defused: a failed sign-in's username
    and user agent are anyone's to choose (=HYPERLINK(...) came out live, 2026-12-06)."""
    return defused(value) if isinstance(value, str) else value


class _Echo:
    def write(self, value: str) -> str:
        return value


@never_cache
def events_resource(request: HttpRequest) -> HttpResponse:
    """GET /api/audit/events?cursor=<id>&limit=<n> (and the page's filters): the events
    after the cursor, oldest first, and the cursor to send next time. Signed in as the
    API is (Basic, an API client, a bearer token, a session)."""
    if request.method not in ("GET", "HEAD"):
        allowed = ["GET", "HEAD"]  # said in the body too, as the API's 405s say it
        response = JsonResponse({"error": "method not allowed", "allowed": allowed}, status=405)
        response["Allow"] = ", ".join(allowed)
        return response
    caller = api_caller(request)
    if caller is None:
        return unauthorized(request=request)
    request.user, request.api_client = caller
    # Summarised per caller and hour, as every API page read is: a log collector polling
    # here left no trace after its first sign-in (2026-12-06).
    reads.count(request, request.resolver_match.route if request.resolver_match else "")
    if not is_system_administrator(caller[0]):
        # The API's 404 (backupreport.errors), as for a path it does not have.
        raise Http404("No such resource")
    problems: dict[str, str] = {}
    cursor = _whole(request.GET.get("cursor", "0"), "cursor", 0, LARGEST_ID, problems)
    limit = _whole(
        request.GET.get("limit", str(CURSOR_DEFAULT)), "limit", 1, CURSOR_LIMIT, problems
    )
    form = EventFilter(request.GET)
    if not form.is_valid():
        problems |= form.problems_by_parameter()
    if problems:
        # The API's shape (reports/api/errors.py, which accounts/ may not import): each
        # bad parameter named with what is wrong under "parameters"; this one answered a
        # list under "detail", and a script reading "parameters" found none (found by an
        # audit of the small defects).
        return JsonResponse({"error": "invalid parameters", "parameters": problems}, status=400)
    events = list(form.events().filter(pk__gt=cursor).order_by("id")[: limit + 1])
    more = len(events) > limit
    events = events[:limit]
    next_cursor = events[-1].pk if events else cursor
    return JsonResponse(
        {
            "data": {
                "events": [as_record(e) for e in events],
                "cursor": str(next_cursor),
                "more": more,
            }
        }
    )


def _whole(text: str, name: str, least: int, most: int | None, problems: dict) -> int:
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or number < least or (most is not None and number > most):
        bound = f"from {least} to {most}" if most is not None else f"{least} or more"
        problems[name] = f"{text!r} is not a whole number {bound}"
        return least
    return number
