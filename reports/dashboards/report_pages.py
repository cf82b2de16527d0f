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
class ColdStoragePick:
    """What the cold storage page lists by its own form's coldStorage (true, false or
    Any), in the words of its subtitle and totals: they said "in cold storage" of the
    archives not in it, and of the devices without one (found by an audit)."""

    subject: str
    archives: str  # the label of the archives' count
    space: str  # the label of their bytes


COLD_STORAGE_PICKS = {
    "true": ColdStoragePick(
        "Archives in cold storage", "Archives in cold storage", "Space held in cold storage"
    ),
    "false": ColdStoragePick(
        "Archives not in cold storage, and devices without an archive",
        "Archives not in cold storage",
        "Space held, not in cold storage",
    ),
    None: ColdStoragePick(
        "Archives in cold storage or not, and devices without an archive",
        "Archives, in cold storage or not",
        "Space held by every archive",
    ),
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

    def cold_storage_pick(self, params: dict) -> ColdStoragePick | None:
        """What the cold storage page's coldStorage picked (the query's understood
        parameters: "true", "false" or none); None on the other reports."""
        if self.report.slug != "cold-storage":
            return None
        return COLD_STORAGE_PICKS[params.get("coldStorage")]

    def question(self, sort_key: str | None, descending: bool, params: dict) -> str:
        """The report's question under its own sort and filter; else what it lists and
        how it is sorted now, so that the subtitle never contradicts the table."""
        picked = self.cold_storage_pick(params)
        subject = picked.subject if picked else self.subject
        defaults = dict(self.report.defaults)
        if (
            subject == self.subject
            and sort_key == defaults.get("srtKey")
            and descending == (defaults.get("srtDir") == "desc")
        ):
            return self.report.question
        if sort_key is None:
            return f"{subject}."
        said = f"by {field_words(sort_key)}, {order_words(sort_key, descending)}"
        phrase = SORT_PHRASES.get((sort_key, descending), said)
        return f"{subject}, {phrase}."


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
