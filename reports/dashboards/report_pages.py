"""How the dashboards draw each report of the catalog (reports.catalog): its table, the
filter form's visible controls, its template."""

from __future__ import annotations

from dataclasses import dataclass

from reports.catalog import REPORTS, Report
from reports.dashboards import tables


@dataclass(frozen=True)
class ReportPage:
    report: Report
    table: type[tables.ReportTable]
    fields: tuple[str, ...]  # the filter form's visible controls

    @property
    def template(self) -> str:
        return f"reports/{self.report.slug.replace('-', '_')}.html"


def _page(slug: str, table: type[tables.ReportTable], fields: tuple[str, ...]) -> ReportPage:
    return ReportPage(REPORTS[slug], table, fields)


REPORT_PAGES: dict[str, ReportPage] = {
    page.report.slug: page
    for page in (
        _page(
            "backup-status",
            tables.BackupStatusTable,
            ("user", "device", "orgTree", "os", "destination", "active", "alerted", "health"),
        ),
        _page(
            "disk-usage",
            tables.DiskUsageTable,
            ("user", "device", "orgTree", "os", "destination", "active", "coldStorage"),
        ),
        _page(
            "migration-plan",
            tables.MigrationPlanTable,
            ("os", "orgTree", "user", "device", "active"),
        ),
        _page(
            "cold-storage",
            tables.ColdStorageTable,
            ("user", "device", "orgTree", "destination", "active", "coldStorage"),
        ),
        _page("search", tables.SearchTable, ("user", "device", "org")),
    )
}
