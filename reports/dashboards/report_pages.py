"""How the dashboards draw each report of the catalog (reports.catalog): its table, the
filter form's visible controls, its template."""

from __future__ import annotations

from dataclasses import dataclass

from reports.catalog import REPORTS, Report
from reports.dashboards import tables
from reports.dashboards.sort_words import field_words, order_words

# How a sort reads under a report's title, when it is not the report's own.
SORT_PHRASES = {
    ("lastConnectedDate", False): "longest since their last connection first",
    ("lastConnectedDate", True): "most recently connected first",
    ("lastCompletedBackupDate", False): "longest since their last completed backup first",
    ("lastCompletedBackupDate", True): "most recent backup first",
    ("archiveBytes", True): "largest archives first",
    ("archiveBytes", False): "smallest archives first",
    ("selectedBytes", True): "largest selection first",
    ("selectedBytes", False): "smallest selection first",
    ("coldStorageExpireDate", False): "soonest to expire first",
    ("coldStorageExpireDate", True): "latest to expire first",
    ("creationDate", False): "oldest first",
    ("creationDate", True): "newest first",
}


@dataclass(frozen=True)
class ReportPage:
    report: Report
    table: type[tables.ReportTable]
    fields: tuple[str, ...]  # the filter form's visible controls
    subject: str  # what the report lists, for a subtitle that follows the sort
    device_table: type[tables.ReportTable] | None = None  # view=devices; None: no such view

    @property
    def template(self) -> str:
        return f"reports/{self.report.slug.replace('-', '_')}.html"

    def question(self, sort_key: str | None, descending: bool) -> str:
        """The report's question under its own sort; under another, what it lists and
        how it is sorted now, so that the subtitle never contradicts the table."""
        defaults = dict(self.report.defaults)
        if sort_key == defaults.get("srtKey") and descending == (defaults.get("srtDir") == "desc"):
            return self.report.question
        if sort_key is None:
            return f"{self.subject}."
        said = f"by {field_words(sort_key)}, {order_words(sort_key, descending)}"
        phrase = SORT_PHRASES.get((sort_key, descending), said)
        return f"{self.subject}, {phrase}."


def _page(
    slug: str,
    table: type[tables.ReportTable],
    fields: tuple[str, ...],
    subject: str,
    device_table: type[tables.ReportTable] | None = None,
) -> ReportPage:
    return ReportPage(REPORTS[slug], table, fields, subject, device_table)


REPORT_PAGES: dict[str, ReportPage] = {
    page.report.slug: page
    for page in (
        _page(
            "backup-status",
            tables.BackupStatusTable,
            ("user", "device", "orgTree", "os", "destination", "active", "alerted", "health"),
            "Devices",
            tables.BackupStatusDeviceTable,
        ),
        _page(
            "disk-usage",
            tables.DiskUsageTable,
            ("user", "device", "orgTree", "os", "destination", "active", "coldStorage"),
            "Archives",
        ),
        _page(
            "migration-plan",
            tables.MigrationPlanTable,
            ("os", "orgTree", "user", "device", "active"),
            "Devices to migrate",
            tables.MigrationPlanDeviceTable,
        ),
        _page(
            "cold-storage",
            tables.ColdStorageTable,
            ("user", "device", "orgTree", "destination", "active", "coldStorage"),
            "Archives in cold storage",
        ),
        _page("search", tables.SearchTable, ("user", "device", "org"), "Matches"),
    )
}
