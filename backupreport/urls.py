from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("sso/", include("accounts.sso.urls")),  # single sign-on, all under one prefix
    # Signing in (tokens) before the report API: the vendor keeps both under /api/.
    path("api/v3/", include("accounts.api_urls")),
    path("api/audit/", include("accounts.audit.api_urls")),  # for a SIEM: JSON, a cursor
    path("audit/", include("accounts.audit.urls")),
    path("api/", include("reports.api.urls")),
    path("", include("reports.integrations.urls")),  # /metrics
    path("data/", include("reports.refresh.urls")),
    path("history/", include("reports.history.urls")),
    path("notifications/", include("reports.notifications.urls")),
    path("", include("reports.dashboards.urls")),
]
if settings.BENCH_REFERENCE_PAGE:  # the benchmark's in-memory reference, never in production
    urlpatterns.insert(0, path("", include("backupreport.bench_reference")))

# JSON under /api/, pages elsewhere; 503 when the database is out of reach.
handler400 = "backupreport.errors.bad_request"
handler403 = "backupreport.errors.permission_denied"
handler404 = "backupreport.errors.page_not_found"
handler500 = "backupreport.errors.server_error"
