"""One device: its rows (one per destination archive), owner, org path, network, alerts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import org_names
from accounts.roles import reach_of_request
from reports.dashboards import device_paths
from reports.dashboards.links import api_path
from reports.dashboards.os_families import os_words
from reports.health import MISSING_COPY, health_of, shown_date
from reports.models import ReportRow


def _rows_of_device_for_user(path_text: str, user) -> list[ReportRow]:
    """The device's rows, of the first uid the path may name that the user sees (an old
    link's reading second: device_paths.readings); 404 for a device that does not exist
    or the user may not see. Read within reach, never before it: which reading is a
    device somewhere would tell a viewer of a device out of their reach (a review)."""
    uids = device_paths.readings(path_text)
    rows = list(
        ReportRow.objects.visible_to(user)
        .filter(device_uid__in=uids)
        .order_by("destination_name", "archive_guid")
    )
    for uid in uids:
        if found := [row for row in rows if row.device_uid == uid]:
            return found
    raise Http404("No such device")


def _org_names(org_path: str, request: HttpRequest) -> list[str]:
    """The owner's org and the ancestors the viewer may see, root first: an org
    manager reads the path from their own org down (accounts.org_names)."""
    named = org_names.names_of([org_path], reach_of_request(request).scope)
    return list(named[org_path].names) if org_path in named else []


@login_required
@require_GET
def device_page(request: HttpRequest, device_uid: str) -> HttpResponse:
    rows = _rows_of_device_for_user(device_uid, request.user)
    device = rows[0]
    archives = [row for row in rows if row.archive_id is not None]
    for row in archives:
        row.health = health_of(row.last_completed_backup_date)
    completed = [row.last_completed_backup_date for row in archives]
    context = {
        "device": device,
        "os": os_words(device.os),
        "archives": archives,
        "org_names": _org_names(device.org_path, request),
        # The device is as safe as its stalest destination (the stored health date,
        # reports.health); the latest backup is shown beside it.
        "health": health_of(device.device_backup_date),
        "stalest_backup": shown_date(device.device_backup_date),
        "missing_copy": device.device_backup_date == MISSING_COPY,
        "latest_backup": max((d for d in completed if d), default=None),
        # Selected once (the same files go to each destination); stored once each: the
        # device's sums as the read model keeps them for every table and sort.
        "selected_bytes": device.device_selected_bytes or 0,
        "archive_bytes": device.device_archive_bytes or 0,
        "api_url": f"{api_path()}?{urlencode({'deviceUid': device.device_uid})}",
    }
    return render(request, "reports/device.html", context)
