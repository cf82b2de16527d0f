"""Content-Security-Policy (django-csp): every page allows only the product's own files,
and the product's pages need nothing more: no inline script, style or event handler.
(tests/browser checks that Chromium reports no violation on the pages it visits.)"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.api_clients import ApiClient
from reports.catalog import REPORTS

POLICY = {
    "default-src": "'self'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "object-src": "'none'",
}

INLINE = [
    re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),  # a script without src
    re.compile(r"<style[\s>]", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),  # onclick= and the like
    re.compile(r"javascript:", re.IGNORECASE),
]


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_nothing_inline(html: str) -> None:
    for pattern in INLINE:
        found = pattern.search(html)
        context = html[max(0, found.start() - 80) : found.end() + 80] if found else ""
        assert found is None, f"{pattern.pattern}: {context}"


def product_pages(fleet) -> list[str]:
    device = fleet["warning"]
    return [
        reverse("overview"),
        *(reverse("report", args=[slug]) for slug in REPORTS),
        reverse("device", args=[device.device_uid]),
    ]


def test_the_login_page_sends_the_policy_and_needs_nothing_inline(client, db):
    response = client.get(reverse("login"))
    assert policy_of(response) == POLICY
    assert_nothing_inline(response.content.decode())


def test_every_dashboard_page_sends_the_policy_and_needs_nothing_inline(login, fleet):
    client = login("root")
    pages = []
    for url in product_pages(fleet):
        response = client.get(url, follow=True)  # a report first redirects to its defaults
        assert response.status_code == 200, url
        assert policy_of(response) == POLICY, url
        pages.append(response.content.decode())
        assert_nothing_inline(pages[-1])
    # What once needed a style="": progress bars, and the charts.
    assert any('role="progressbar"' in html for html in pages)
    assert any('class="chart"' in html for html in pages)


def test_the_lockout_page_needs_nothing_inline(client, fleet, settings):
    settings.AXES_FAILURE_LIMIT = 1
    response = client.post(reverse("login"), {"username": "dave", "password": "wrong"})
    assert response.status_code == 429
    assert policy_of(response) == POLICY
    assert_nothing_inline(response.content.decode())


def test_the_api_client_created_page_needs_nothing_inline(client, personas):
    client.force_login(personas["sysadmin"])
    response = client.post(
        "/admin/accounts/apiclient/add/", {"user": personas["dave"].pk, "name": "x"}
    )
    assert ApiClient.objects.exists()
    assert policy_of(response) == POLICY
    content = response.content.decode()
    main = content[content.index('<div id="content-main">') :]
    assert_nothing_inline(main[: main.index("</div>")])


@pytest.mark.parametrize("path", ["/admin/", "/api/DeviceBackupReport", "/api/schema.json"])
def test_the_admin_and_the_api_send_it_too(client, personas, path):
    client.force_login(personas["sysadmin"])
    assert policy_of(client.get(path)) == POLICY
