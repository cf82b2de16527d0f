"""One django-tables2 table per report. Headers sort through the API's srtKey/srtDir.

The tables get one page of ReportRows, already filtered, sorted and sliced by the
report query; they only draw. Sorting links are the table template's, drawn from
`headers`, because django-tables2's own ordering parameter is not the API's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import django_tables2 as tables

from accounts.org_names import OrgNames
from reports.dashboards.columns import (
    AgeColumn,
    AlertsColumn,
    BytesColumn,
    DestinationsColumn,
    DeviceBackupColumn,
    DeviceColumn,
    ExpiryColumn,
    HealthColumn,
    OrgColumn,
    OsColumn,
    PercentColumn,
    StatusColumn,
    StoredColumn,
    TextColumn,
    UserColumn,
)
from reports.dashboards.links import QueryLinks
from reports.row import FIELD_NAMES


@dataclass(frozen=True)
class Header:
    column: tables.columns.BoundColumn
    url: str | None  # None: not sortable
    sort: str  # aria-sort: none, ascending, descending


class ReportTable(tables.Table):
    def __init__(
        self,
        data,
        *,
        links: QueryLinks,
        sort_key: str | None,
        descending: bool,
        org_names: OrgNames | None = None,
    ):
        # Passed here, not in Meta: the report tables subclass this one without a Meta.
        super().__init__(
            data,
            template_name="reports/table.html",
            orderable=False,
            attrs={"class": "report-table"},
        )
        self.links = links
        self.sort_key = sort_key
        self.descending = descending
        self.org_names = org_names  # for OrgColumn: paths where names are ambiguous

    def headers(self) -> Iterator[Header]:
        for column in self.columns:
            if column.name not in FIELD_NAMES:
                yield Header(column, None, "none")
                continue
            sort = "none"
            if column.name == self.sort_key:
                sort = "descending" if self.descending else "ascending"
            url = self.links.sort(column.name, self.sort_key, self.descending)
            yield Header(column, url, sort)


class BackupStatusTable(ReportTable):
    deviceName = DeviceColumn()
    health = HealthColumn()
    username = UserColumn()
    orgName = OrgColumn()
    os = OsColumn()
    lastConnectedDate = AgeColumn("last_connected_date", "Last connected")
    lastCompletedBackupDate = AgeColumn("last_completed_backup_date", "Last backup")
    backupCompletePercentage = PercentColumn()
    alertStates = AlertsColumn()
    destinationName = TextColumn("destination_name", "Destination")


class BackupStatusDeviceTable(ReportTable):
    """One row per device (view=devices): its destinations inside the row."""

    deviceName = DeviceColumn()
    health = HealthColumn()
    username = UserColumn()
    orgName = TextColumn("org_name", "Org")
    os = OsColumn()
    lastConnectedDate = AgeColumn("last_connected_date", "Last connected")
    lastCompletedBackupDate = DeviceBackupColumn()
    destinations = DestinationsColumn()
    alertStates = AlertsColumn()


class DiskUsageTable(ReportTable):
    deviceName = DeviceColumn()
    health = HealthColumn()
    username = UserColumn()
    orgName = OrgColumn()
    destinationName = TextColumn("destination_name", "Destination")
    archiveBytes = BytesColumn("archive_bytes", "Archive")
    selectedBytes = BytesColumn("selected_bytes", "Selected")
    backupCompletePercentage = PercentColumn()
    lastCompletedBackupDate = AgeColumn("last_completed_backup_date", "Last backup")


class MigrationPlanTable(ReportTable):
    deviceName = DeviceColumn()
    health = HealthColumn()
    username = UserColumn()
    orgName = OrgColumn()
    os = OsColumn()
    version = TextColumn("version", "Agent")
    selectedBytes = BytesColumn("selected_bytes", "Selected")
    archiveBytes = BytesColumn("archive_bytes", "Archive")
    lastConnectedDate = AgeColumn("last_connected_date", "Last connected")


class MigrationPlanDeviceTable(ReportTable):
    """One row per device (view=devices): its selection once, its copies summed."""

    deviceName = DeviceColumn()
    health = HealthColumn()
    username = UserColumn()
    orgName = TextColumn("org_name", "Org")
    os = OsColumn()
    version = TextColumn("version", "Agent")
    selectedBytes = BytesColumn("device_selected_bytes", "Selected (once)")
    stored = StoredColumn()
    destinations = DestinationsColumn()
    lastConnectedDate = AgeColumn("last_connected_date", "Last connected")


class ColdStorageTable(ReportTable):
    deviceName = DeviceColumn()
    health = HealthColumn()
    username = UserColumn()
    orgName = OrgColumn()
    destinationName = TextColumn("destination_name", "Destination")
    archiveBytes = BytesColumn("archive_bytes", "Archive")
    lastConnectedDate = AgeColumn("last_connected_date", "Last connected")
    coldStorageExpireDate = ExpiryColumn()
    status = StatusColumn()


class SearchTable(ReportTable):
    deviceName = DeviceColumn()
    health = HealthColumn()
    userExtRef = TextColumn("user_ext_ref", "User ref")
    username = UserColumn()
    deviceExtRef = TextColumn("device_ext_ref", "Device ref")
    orgExtRef = TextColumn("org_ext_ref", "Org ref")
    orgName = OrgColumn()
    lastConnectedDate = AgeColumn("last_connected_date", "Last connected")
    status = StatusColumn()
