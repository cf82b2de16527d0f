from django.urls import path

from reports.dashboards.views.device import device_page
from reports.dashboards.views.management_pdf import management_pdf_download
from reports.dashboards.views.orgs import org_suggestions
from reports.dashboards.views.overview import overview_page
from reports.dashboards.views.report import report_page
from reports.dashboards.views.spreadsheet import spreadsheet_export
from reports.dashboards.views.storage import storage_page

urlpatterns = [
    path("", overview_page, name="overview"),
    path("overview.pdf", management_pdf_download, name="management-pdf"),
    path("reports/<slug:slug>/", report_page, name="report"),
    path("reports/<slug:slug>/spreadsheet.<str:fmt>", spreadsheet_export, name="spreadsheet"),
    path("reports/disk-usage/by-<slug:per>/", storage_page, name="storage-rollup"),
    # path: a uid the vendor (or an import) gave a "/" still names one device.
    path("devices/<path:device_uid>/", device_page, name="device"),
    path("orgs/suggestions/", org_suggestions, name="org-suggestions"),
]
