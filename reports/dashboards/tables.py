"""One django-tables2 table per report. Headers sort through the API's srtKey/srtDir.

The tables get one page of ReportRows, already filtered, sorted and sliced by the
report query; they only draw. Sorting links are the table template's, drawn from
`headers`, because django-tables2's own ordering parameter is not the API's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import escape

import django_tables2 as tables
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe

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
from reports.dashboards.sort_words import field_words
from reports.row import FIELD_NAMES


@dataclass(frozen=True)
class Header:
    column: tables.columns.BoundColumn
    url: str | None  # None: not sortable
    sort: str  # aria-sort: none, ascending, descending

    @property
    def tip(self) -> str:
        return f"Sort by {field_words(self.column.name)}"


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

    def body_html(self) -> SafeString:
        """The page's rows, drawn in one pass over the records.

        django-tables2's own path (BoundRow.items and a template node per cell) took
        1.8 s of a 1,000-row page's 2 s on the demo (bench/page_sizes.py): it resolves
        each cell's accessor, attributes and render arguments again for every row. Here
        they are worked out once per column and each cell is one call of the column's
        render(), with django-tables2's rules kept: an empty value shows the column's
        default, text is escaped, rows alternate even/odd."""
        cells = [_CellDrawer(bound, self) for bound in self.columns]
        rows = []
        for counter, record in enumerate(self.data):
            drawn = "".join(cell.draw(record) for cell in cells)
            rows.append(f'<tr class="{"odd" if counter % 2 else "even"}">{drawn}</tr>')
        return mark_safe("".join(rows))


class _CellDrawer:
    """One column's cells: its accessor, <td> attributes and render() arguments, once."""

    def __init__(self, bound: tables.columns.BoundColumn, table: ReportTable):
        if bound.link:
            # Not drawn here: the columns make their own links (DeviceColumn).
            raise TypeError(f"{bound.name}: linkify is not supported by body_html")
        self.column = bound.column
        self.accessor = bound.accessor
        self.empty_values = self.column.empty_values
        self.default = bound.default
        self.opening = mark_safe(f"<td {bound.attrs['td'].as_html()}>")
        accepted = inspect.signature(self.column.render).parameters
        self.render: Callable = self.column.render
        self.wants_value = "value" in accepted
        self.wants_record = "record" in accepted
        self.table = table if "table" in accepted else None

    def draw(self, record) -> str:
        value = self.accessor.resolve(record)
        if value in self.empty_values:
            content = self.default
        else:
            kwargs = {}
            if self.wants_value:
                kwargs["value"] = value
            if self.wants_record:
                kwargs["record"] = record
            if self.table is not None:
                kwargs["table"] = self.table
            content = self.render(**kwargs)
        if hasattr(content, "__html__"):
            return f"{self.opening}{content.__html__()}</td>"
        return f"{self.opening}{escape(str(localize(content)))}</td>"


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
    orgName = OrgColumn()
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
    orgName = OrgColumn()
    os = OsColumn()
    version = TextColumn("version", "Agent")
    selectedBytes = BytesColumn("device_selected_bytes", "Selected (once)")
    archiveBytes = StoredColumn()  # sorts by srtKey=archiveBytes: the device's sum
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
