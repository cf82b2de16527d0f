"""The page frame (backupreport.frame): every page, as every role, has the whole menu of
that role, the current page marked, and the role label; a new page cannot forget them,
and a new page the walk does not know fails the first test here."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from reports.catalog import REPORTS
from reports.dashboards.saved.models import SavedView
from reports.models import ReportRow
from reports.notifications.links import unsubscribe_token
from reports.notifications.models import Message
from reports.refresh import jobs
from reports.refresh.models import Upload

# Every URL name outside the API and the admin that draws no page of its own.
NOT_PAGES = {
    "login",  # signed out: no menu to draw
    "logout",
    "password_reset",  # signed out too (accounts.signin_views)
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "invitation_accept",
    "second_factor_verify",  # signing in, at the second factor: no menu yet
    "second_factor_enrol",
    "upload-files",  # POSTs, answered by a redirect or the data page
    "confirm-upload",
    "discard-upload",
    "sync-now",
    "upload-status",  # JSON
    "org-suggestions",
    "sync-status",
    # Single sign-on: redirects to and from the identity provider, XML metadata.
    "sso-oidc-login",
    "sso-oidc-callback",
    "sso-saml-login",
    "sso-saml-acs",
    "sso-saml-metadata",
    "metrics",  # Prometheus text, for a scraper
    # SCIM provisioning: JSON for the identity provider (accounts.sso.scim).
    "scim-config",
    "scim-resource-types",
    "scim-resource-type",
    "scim-schemas",
    "scim-schema",
    "scim-users",
    "scim-user",
    "scim-not-here",
    "favicon",  # a redirect to the static icon
    "spreadsheet",  # a file (reports.dashboards.spreadsheet)
    "saved-view",  # a redirect to the report page
    "delete-saved-view",  # POST, then back to the list
    "end-subscription",  # POST, then back to the list
    "unsubscribe-here",  # POST, then back to the list
    "subscription-download",  # a file
    "management-pdf",  # a file (reports.dashboards.summary_pdf)
    "trend-csv",  # a file (reports.history.views.trend_csv)
}
PAGES = {
    "overview",
    "report",
    "storage-rollup",
    "device",
    "compliance",
    "notifications",
    "unsubscribe",
    "saved-views",
    "save-view",
    "subscriptions",
    "subscribe",
    "data",
    "upload",
    "sync",
    "audit",
}
ROLES = {
    "root": "System administrator",
    "alice": "Org manager",
    "carol": "Org manager",
    "dave": "Desktop user",
    "sam": "Desktop user",  # in no group: their own devices
}
FLEET = {"root", "alice", "carol"}
REPORT_TITLES = [report.title for report in REPORTS.values()]
MENU = re.compile(r'<nav class="nav" aria-label="Reports"[^>]*>(.*?)</nav>', re.S)
ITEM = re.compile(r'<a href="[^"]*"( aria-current="page")?>([^<]+)</a>')
ROLE = re.compile(r'<span class="role"[^>]*>([^<]*)</span>')


def url_names(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(("admin/", "api/")):
                yield from url_names(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and not route.startswith("api/"):
            yield pattern.name


def test_the_walk_knows_every_page():
    assert set(url_names(get_resolver().url_patterns)) == PAGES | NOT_PAGES


def expected_menu(name: str) -> list[str]:
    menu = ["Overview", *REPORT_TITLES]
    if name in FLEET:
        menu.append("Compliance")
    menu += ["Saved views", "Notifications"]
    if name == "root":
        menu += ["Data", "Audit log", "Admin"]
    return menu


def pages(user: User, root: User) -> list[tuple[str, int, str | None]]:
    """(address, status, the menu item marked current) of every page, for this user."""
    admin = user == root
    fleet = user.username in FLEET
    device = ReportRow.objects.visible_to(user).first().device_uid
    upload = Upload.objects.create(user=root, report_name="report.csv", state="invalid")
    sync = jobs.sync_from_vendor.enqueue(root.pk).id
    token = unsubscribe_token(user.pk, Message.Kind.DIGEST)
    view = SavedView.objects.create(owner=user, name=f"{user}'s", report="search", query="user=x")
    reports = [(report.default_url, 200, report.title) for report in REPORTS.values()]
    return [
        ("/", 200, "Overview"),
        *reports,
        ("/reports/disk-usage/by-user/?srtKey=devices", 200, "Disk usage"),
        ("/reports/disk-usage/by-org/?srtKey=devices", 200, "Disk usage"),
        (f"/devices/{device}/", 200, None),
        ("/history/compliance/", 200 if fleet else 403, "Compliance" if fleet else None),
        ("/notifications/", 200, "Notifications"),
        (f"/notifications/unsubscribe/{token}/", 200, "Notifications"),
        ("/views/", 200, "Saved views"),
        ("/views/save/?from=/reports/search/%3Fuser%3Dx", 200, "Saved views"),
        ("/notifications/subscriptions/", 200, "Notifications"),
        (f"/notifications/subscriptions/new/{view.pk}/", 200, "Notifications"),
        ("/data/", 200 if admin else 404, "Data" if admin else None),
        (f"/data/uploads/{upload.pk}/", 200 if admin else 404, "Data" if admin else None),
        (f"/data/sync/{sync}/", 200 if admin else 404, "Data" if admin else None),
        ("/audit/", 200 if admin else 404, "Audit log" if admin else None),
    ]


@pytest.mark.parametrize("name", ROLES)
def test_every_page_has_the_whole_menu_and_the_role_label(login, fleet, name):
    client = login(name)
    user = fleet["users"][name]
    for address, status, current in pages(user, fleet["users"]["root"]):
        response = client.get(address)
        assert response.status_code == status, address
        html = response.content.decode()
        menu = MENU.search(html)
        assert menu, f"{address}: no menu"
        items = ITEM.findall(menu.group(1))
        assert [label for _, label in items] == expected_menu(name), address
        assert [label for marked, label in items if marked] == ([current] if current else [])
        assert ROLE.findall(html) == [ROLES[name]], address


def test_a_signed_out_visitor_gets_no_menu(client, fleet):
    html = client.get("/accounts/login/").content.decode()
    assert not MENU.search(html) and not ROLE.search(html)
