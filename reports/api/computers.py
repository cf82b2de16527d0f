"""The vendor's Computer resource, read-only (spec section 7): `/api/v1/Computer`,
`/api/v1/Computer/<key>?idType=id|guid`, and the same at `/api/Computer`.

What pycpg (`sdk.devices`), crashplancli (`crashplan devices list`, with
`--include-backup-usage` and `--include-total-storage`: it sums `archiveBytes` of each
`backupUsage` entry whose `archiveFormat` is not ARCHIVE_V2) and the vendor's Go sample
c42ComputerUserReport (`/api/Computer/<guid>?idType=guid&incAll=true`:
backupUsage[].selectedFiles, lastBackup, todoBytes, todoFiles) read. A list is
`{"data": {"totalCount": N, "computers": [...]}}` in computerId order, with
`warningCount` and `criticalCount` when `incCounts` is true (pycpg's default).

Served from the read model: a device is its `device_first` report row and its archives
are its other rows, so a page is two queries (the counts, cached until the report table
changes, and the page with every archive of its devices) at any fleet size. The caller
sees the devices of their reach, `ReportRow.objects.visible_to`.

Values are the vendor's JSON types here (numbers, booleans, lists), not the strings of
DeviceBackupReport. Fields this product has no data for, and what they carry instead:

- a computer: `type` "COMPUTER", `blocked` false, `service` "CrashPlan"; `notes`,
  `parentComputerId`, `parentComputerGuid`, `osArch`, `javaVersion`, `modelInfo`,
  `timeZone`, `buildVersion`, `modificationDate`, `loginDate` null; `version` (the
  vendor's build number) null, with the agent version in `productVersion`. `alertState`
  is derived from `alertStates`: 2 if any is critical, 1 if any is a warning, else 0.
- a `backupUsage` entry (one per archive, none for a device that has no archive yet):
  `targetComputerGuid` / `targetComputerName` are the destination, `serverGuid` /
  `serverName` the server, `lastBackup` the archive's lastActivity, `lastCompletedBackup`
  (and `lastCompleted`, the key crashplancli's `devices show` reads) its
  lastCompletedBackupDate, `lastConnected` the device's, `percentComplete` its
  backupCompletePercentage, `alertStates` the device's. `archiveBytes` and
  `billableBytes` are 0 when unknown (crashplancli adds them up). `todoBytes` is derived:
  selectedBytes times the share not yet backed up, null when either is unknown.
  `archiveFormat` "ARCHIVE_V1", `using` true, `isProvider` false; `selectedFiles`,
  `todoFiles`, `sendRateAverage`, `completionRateAverage`, `targetComputerType`,
  `targetComputerOsName`, `targetComputerParentId`, `targetComputerParentGuid`,
  `storePointId`, `storePointName`, `serverId`, `serverHostName`,
  `lastMaintenanceDate`, `lastCompactDate`, `modificationDate`, `creationDate` and
  `activity` null.
"""

from __future__ import annotations

from itertools import groupby

from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse

from reports.api import vendor
from reports.api.decorators import resource
from reports.api.visibility import reach_and_orgs, visible_devices
from reports.cache import cached, query_key
from reports.health import ACTIVE, is_active
from reports.models import ReportRow
from reports.query import InvalidParameters
from reports.read_model import SEARCH_SEPARATOR, matching, search_text

_DEVICE_COLUMNS = (
    "device_id",
    "device_name",
    "device_os_hostname",
    "device_uid",
    "status",
    "alert_states",
    "owner_id",
    "user_uid",
    "org_id",
    "org_uid",
    "device_ext_ref",
    "last_connected_date",
    "os",
    "os_version",
    "address",
    "remote_address",
    "version",
    "creation_date",
)
_ARCHIVE_COLUMNS = (
    "archive_guid",
    "destination_uid",
    "destination_name",
    "server_uid",
    "server_name",
    "selected_bytes",
    "archive_bytes",
    "backup_complete_percentage",
    "last_activity",
    "last_completed_backup_date",
)
_COLUMNS = _DEVICE_COLUMNS + _ARCHIVE_COLUMNS
_ARCHIVES_START = len(_DEVICE_COLUMNS)
ORG_NOT_FOUND = "Unable to find org (or it is not one you may see)."


def alert_state(states: list[str]) -> int:
    if any(state.startswith("Critical") for state in states):
        return 2
    if any(state.startswith("Warning") for state in states):
        return 1
    return 0


def computer_record(values) -> dict:
    (
        pk,
        name,
        hostname,
        guid,
        status,
        alert_states,
        owner_id,
        user_uid,
        org_id,
        org_uid,
        ext_ref,
        last_connected,
        os,
        os_version,
        address,
        remote_address,
        version,
        created,
    ) = values[:_ARCHIVES_START]
    states = (alert_states or "OK").split()
    return {
        "computerId": pk,
        "name": name,
        "osHostname": hostname,
        "guid": guid,
        "type": "COMPUTER",
        "status": status,
        "active": is_active(status),
        "blocked": False,
        "alertState": alert_state(states),
        "alertStates": states,
        "userId": owner_id,
        "userUid": user_uid,
        "orgId": org_id,
        "orgUid": org_uid,
        "computerExtRef": ext_ref,
        "notes": None,
        "parentComputerId": None,
        "parentComputerGuid": None,
        "lastConnected": vendor.date_or_null(last_connected),
        "osName": os,
        "osVersion": os_version,
        "osArch": None,
        "address": address,
        "remoteAddress": remote_address,
        "javaVersion": None,
        "modelInfo": None,
        "timeZone": None,
        "version": None,
        "productVersion": version,
        "buildVersion": None,
        "creationDate": vendor.date_or_null(created),
        "modificationDate": None,
        "loginDate": None,
        "service": "CrashPlan",
    }


def todo_bytes(selected: int | None, percent: float | None) -> int | None:
    if selected is None or percent is None:
        return None
    return max(0, round(selected * (100.0 - percent) / 100.0))


def backup_usage_record(values, computer: dict) -> dict:
    (
        archive_guid,
        destination_uid,
        destination_name,
        server_uid,
        server_name,
        selected,
        archive_bytes,
        percent,
        last_activity,
        last_completed,
    ) = values[_ARCHIVES_START:]
    completed = vendor.date_or_null(last_completed)
    return {
        "targetComputerParentId": None,
        "targetComputerParentGuid": None,
        "targetComputerGuid": destination_uid,
        "targetComputerName": destination_name,
        "targetComputerOsName": None,
        "targetComputerType": None,
        "selectedFiles": None,
        "selectedBytes": selected,
        "todoFiles": None,
        "todoBytes": todo_bytes(selected, percent),
        "archiveBytes": archive_bytes or 0,
        "billableBytes": archive_bytes or 0,
        "sendRateAverage": None,
        "completionRateAverage": None,
        "lastBackup": vendor.date_or_null(last_activity),
        "lastCompletedBackup": completed,
        "lastCompleted": completed,
        "lastConnected": computer["lastConnected"],
        "lastMaintenanceDate": None,
        "lastCompactDate": None,
        "modificationDate": None,
        "creationDate": None,
        "using": True,
        "alertState": computer["alertState"],
        "alertStates": computer["alertStates"],
        "percentComplete": percent,
        "storePointId": None,
        "storePointName": None,
        "serverId": None,
        "serverGuid": server_uid,
        "serverName": server_name,
        "serverHostName": None,
        "isProvider": False,
        "archiveGuid": archive_guid,
        "archiveFormat": "ARCHIVE_V1",
        "activity": None,
    }


def computers_with_backup_usage(rows) -> list[dict]:
    """Report rows ordered by device, its archives together -> one computer a device."""
    computers = []
    for _, device_rows in groupby(rows, key=lambda values: values[0]):
        device_rows = list(device_rows)
        computer = computer_record(device_rows[0])
        computer["backupUsage"] = [
            backup_usage_record(values, computer)
            for values in device_rows
            if values[_ARCHIVES_START] is not None
        ]
        computers.append(computer)
    return computers


def _archives_in_order(rows: QuerySet[ReportRow]) -> QuerySet[ReportRow]:
    return rows.order_by("device_id", F("archive_guid").asc(nulls_first=True))


class ComputerListParameters(vendor.PageParameters):
    active = vendor.boolean()
    blocked = vendor.boolean()
    orgUid = vendor.text()
    userUid = vendor.text()
    targetComputerGuid = vendor.text()
    q = vendor.text()
    incBackupUsage = vendor.boolean()
    incCounts = vendor.boolean()
    incAll = vendor.boolean()
    incSettings = vendor.device_settings_not_kept()


class ComputerLookupParameters(vendor.LookupParameters):
    idType = vendor.choice("id", "guid")
    incBackupUsage = vendor.boolean()
    incAll = vendor.boolean()
    incSettings = vendor.device_settings_not_kept()


def _filtered(request: HttpRequest, params: dict) -> QuerySet[ReportRow]:
    devices = visible_devices(request.user)
    if params["active"] is not None:
        devices = devices.filter(ACTIVE) if params["active"] else devices.exclude(ACTIVE)
    if params["blocked"]:  # nothing is blocked here
        devices = devices.none()
    if params["orgUid"]:
        _, orgs = reach_and_orgs(request.user)
        path = orgs.filter(org_uid=params["orgUid"]).values_list("path", flat=True).first()
        if path is None:
            raise InvalidParameters({"orgUid": ORG_NOT_FOUND})
        devices = devices.filter(org_path__startswith=path)
    if params["userUid"]:
        devices = devices.filter(user_uid=params["userUid"])
    if params["targetComputerGuid"]:
        backing_up_there = ReportRow.objects.filter(destination_uid=params["targetComputerGuid"])
        devices = devices.filter(device_id__in=backing_up_there.values("device_id"))
    if params["q"]:
        if SEARCH_SEPARATOR in params["q"]:  # it would match across two fields
            devices = devices.none()
        devices = matching(devices, "device_search", search_text(params["q"]))
    return devices


def counts(devices: QuerySet[ReportRow], with_alerts: bool) -> dict:
    """totalCount (and warningCount, criticalCount): one query, cached until the report
    table changes; vendor clients page through a query asking the same on each page."""
    devices = devices.order_by()
    critical = Q(alert_states__contains="Critical")
    figures = {"totalCount": Count("pk")}
    if with_alerts:
        figures["warningCount"] = Count(
            "pk", filter=Q(alert_states__contains="Warning") & ~critical
        )
        figures["criticalCount"] = Count("pk", filter=critical)
    key = query_key(devices) + repr(sorted(figures))
    return cached("computers", key, lambda: devices.aggregate(**figures))


@resource
def computer_list(request: HttpRequest) -> HttpResponse:
    """Two queries: the counts and the page (with its devices' archives)."""
    params = ComputerListParameters(request.GET).cleaned()
    devices = _filtered(request, params).order_by("device_id")
    page = vendor.page_slice(params)
    with_usage = params["incBackupUsage"] or params["incAll"]
    if page is None:
        computers = []
    elif with_usage:
        on_page = devices.values("device_id")[page]
        rows = ReportRow.objects.filter(device_id__in=on_page)
        computers = computers_with_backup_usage(_archives_in_order(rows).values_list(*_COLUMNS))
    else:
        computers = [computer_record(v) for v in devices.values_list(*_DEVICE_COLUMNS)[page]]
    data = counts(devices, bool(params["incCounts"])) | {"computers": computers}
    return vendor.answer(data, params)


@resource
def computer_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One query: the device's rows, one an archive."""
    params = ComputerLookupParameters(request.GET).cleaned()
    rows = ReportRow.objects.visible_to(request.user)
    if params["idType"] == "guid":
        rows = rows.filter(device_uid=key)
    elif (pk := vendor.numeric_id(key)) is not None:
        rows = rows.filter(device_id=pk)
    else:
        return vendor.not_found("computer")
    found = computers_with_backup_usage(_archives_in_order(rows).values_list(*_COLUMNS))
    if not found:
        return vendor.not_found("computer")
    computer = found[0]
    if not (params["incBackupUsage"] or params["incAll"]):
        del computer["backupUsage"]
    return vendor.answer(computer, params)
