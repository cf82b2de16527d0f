from django.urls import path, register_converter

from reports.dashboards import device_paths
from reports.dashboards.views.device import device_page
from reports.dashboards.views.management_pdf import management_pdf_download
from reports.dashboards.views.orgs import org_suggestions
from reports.dashboards.views.overview import overview_page
from reports.dashboards.views.report import report_page
from reports.dashboards.views.spreadsheet import spreadsheet_export
from reports.dashboards.views.storage import storage_page


class DeviceUid:
    """A device's uid as the import takes it, any character: a "/" (the vendor's, or an
    import's) and a line break too. The path converter's "." stops at a line break: the
    device's page was a 404, and reverse() refused it, whose NoReverseMatch stopped the
    notifications' run, every digest, alert and subscription after it unsent (found by
    an audit of section 10). A "." or ".." between its slashes is escaped, which a
    browser would resolve (reports.dashboards.device_paths)."""

    regex = "(?s:.+)"

    def to_python(self, value: str) -> str:
        return value  # the path's text: the page reads it (device_paths.readings)

    def to_url(self, value: str) -> str:
        return device_paths.in_path(value)


register_converter(DeviceUid, "device_uid")

urlpatterns = [
    path("", overview_page, name="overview"),
    path("overview.pdf", management_pdf_download, name="management-pdf"),
    path("reports/<slug:slug>/", report_page, name="report"),
    path("reports/<slug:slug>/spreadsheet.<str:fmt>", spreadsheet_export, name="spreadsheet"),
    path("reports/disk-usage/by-<slug:per>/", storage_page, name="storage-rollup"),
    path("devices/<device_uid:device_uid>/", device_page, name="device"),
    path("orgs/suggestions/", org_suggestions, name="org-suggestions"),
]
