from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        # Asked per request: the hashed static name exists once collectstatic ran.
        return static("reports/favicon.svg")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("sso/", include("accounts.sso.urls")),  # single sign-on, all under one prefix
    path("scim/v2/", include("accounts.sso.scim.urls")),  # provisioning from the identity provider
    # Signing in (tokens) before the report API: the vendor keeps both under /api/.
    path("api/v3/", include("accounts.api_urls")),
    path("api/audit/", include("accounts.audit.api_urls")),  # for a SIEM: JSON, a cursor
    path("audit/", include("accounts.audit.urls")),
    path("api/", include("reports.api.urls")),
    path("", include("reports.integrations.urls")),  # /metrics
    path("data/", include("reports.refresh.urls")),
    path("history/", include("reports.history.urls")),
    path("notifications/", include("reports.notifications.urls")),
    path("views/", include("reports.dashboards.saved.urls")),
    path("", include("reports.dashboards.urls")),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's): the
    # same static icon the page frame links, not a 404 in every log.
    path(
        "favicon.ico",
        FaviconView.as_view(),
        name="favicon",
    ),
]
if settings.BENCH_REFERENCE_PAGE:  # the benchmark's in-memory reference, never in production
    urlpatterns.insert(0, path("", include("backupreport.bench_reference")))

# JSON under /api/, pages elsewhere; 503 when the database is out of reach.
handler400 = "backupreport.errors.bad_request"
handler403 = "backupreport.errors.permission_denied"
handler404 = "backupreport.errors.page_not_found"
handler500 = "backupreport.errors.server_error"
