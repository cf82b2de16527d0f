"""The overview: health, storage and charts, each over the rows the user may see."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from reports.dashboards.filters import dashboard_query
from reports.models import ReportRow
from tests.factories import ArchiveFactory, DeviceFactory
from tests.personas import ago


def flat(html: bytes) -> str:
    return " ".join(html.decode().split())


def stat(html: str, label: str) -> tuple[str, str]:
    """(link, value) of the stat card with this label."""
    match = re.search(
        rf'<a class="card stat[^"]*" href="([^"]+)"> <span class="stat-label">{label}</span>'
        r' <span class="stat-value"[^>]*>([^<]+)</span>',
        html,
    )
    assert match, label
    return match.group(1).replace("&amp;", "&"), match.group(2)


def test_health_counts_for_a_system_administrator(login):
    html = flat(login("root").get("/").content)
    # Seven healthy laptops... five from the people fixture, plus root's none.
    assert stat(html, "OK")[1] == "5"
    assert stat(html, "Warning")[1] == "1"
    assert stat(html, "Critical")[1] == "1"
    assert stat(html, "Never backed up")[1] == "1"


def test_org_manager_overview_counts_only_their_subtree(login):
    html = flat(login("alice").get("/").content)
    # alice's and dave's laptops, dave's Windows laptop in warning.
    assert stat(html, "OK")[1] == "2"
    assert stat(html, "Warning")[1] == "1"
    assert stat(html, "Critical")[1] == "0"
    assert stat(html, "Never backed up")[1] == "0"
    assert stat(html, "Stored in archives")[1] == "184 GiB"
    assert stat(html, "Cold storage")[1] == "0"
    for other in ("Sales", "Americas", "Engineering", "SAM-OLD", "ERIN-NEW", "linux"):
        assert other not in html
    # Her org by its name alone: the orgs above it lie outside her reach.
    assert ">Accounting</text>" in html
    assert "EMEA" not in html and "Acme" not in html


def test_desktop_user_overview_counts_only_their_devices(login):
    html = flat(login("sam").get("/").content)
    assert stat(html, "OK")[1] == "1"
    assert stat(html, "Critical")[1] == "1"
    assert stat(html, "Cold storage")[1] == "1"
    assert "Accounting" not in html


@pytest.mark.parametrize("label", ["OK", "Warning", "Critical", "Never backed up"])
@pytest.mark.parametrize("name", ["root", "alice", "carol", "sam"])
def test_each_health_number_links_to_the_report_of_those_devices(login, name, label):
    client = login(name)
    link, value = stat(flat(client.get("/").content), label)
    path, _, query = link.partition("?")
    assert path == "/reports/backup-status/"
    from django.http import QueryDict

    rows = dashboard_query(QueryDict(query), User.objects.get(username=name)).rows
    assert rows.values("device_id").distinct().count() == int(value)
    assert client.get(link).status_code == 200


def test_storage_numbers_link_to_their_reports(login):
    html = flat(login("root").get("/").content)
    assert stat(html, "Stored in archives")[0].startswith("/reports/disk-usage/?")
    assert stat(html, "Cold storage")[0].startswith("/reports/cold-storage/?")


def test_storage_totals_equal_the_visible_rows(login):
    html = flat(login("carol").get("/").content)
    carol = User.objects.get(username="carol")
    visible = ReportRow.objects.visible_to(carol)
    total = sum(r.archive_bytes or 0 for r in visible)
    assert total == 84 * 1024**3
    assert stat(html, "Stored in archives")[1] == "84.0 GiB"


def test_charts_are_inline_svg_with_a_text_alternative(login):
    html = login("root").get("/").content.decode()
    assert html.count('<svg class="chart"') == 3
    assert html.count('role="group" aria-labelledby=') == 3
    assert "<title id=" in html and "<desc id=" in html
    assert "under 1 day: 5; 1 to 3 days: 0; 3 to 7 days: 1; 7 to 30 days: 1" in html
    assert "macOS: 6; Windows: 1; Linux: 1." in html
    # No script draws a chart: the one script on the page is the menu's, a static file.
    assert html.count("<script") == html.count('<script src="/static/reports/menu.js" defer>') == 1
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_no_template_comment_shows_on_the_page(login):
    """Django's {# #} comment is one line long: one spread over two was shown to every
    reader of the overview, braces and all (found by an oracle of the overview's answers)."""
    html = login("root").get("/").content.decode()
    assert "{#" not in html and "#}" not in html


def test_chart_bars_link_to_reports(login):
    html = login("root").get("/").content.decode()
    assert "backupAge=7-30" in html
    assert "exactOrgUid=org-accounting" in html
    assert "/reports/migration-plan/?os=&amp;active=true" in html and "exactOs=win" in html


def os_bars(html: str) -> dict[str, tuple[str, int]]:
    """The OS chart's bars: label -> (link, count)."""
    chart = html.split("Active devices by OS")[-1].split("</svg>")[0]
    found = re.findall(
        r'<a href="([^"]+)" class="chart-link"><title>([^:]+): ([\d,]+)</title>', chart
    )
    return {
        label: (href.replace("&amp;", "&"), int(n.replace(",", ""))) for href, label, n in found
    }


def test_each_os_bar_lists_the_devices_it_counts(login, fleet):
    """A bar counts devices by their os exactly; its link listed `os=win`, the API's
    partial match over os and osVersion, so a Linux laptop whose version held "win"
    was listed under Windows (2026-12-06). The Other bar had no list at all."""
    odd_linux = DeviceFactory(
        user=fleet["users"]["dave"], name="LINUX-WINBIND", os="linux", os_version="5.15-winbind"
    )
    solaris = DeviceFactory(user=fleet["users"]["dave"], name="SOL-BOX", os="solaris")
    for device in (odd_linux, solaris):
        ArchiveFactory(device=device, last_completed_backup_date=ago(hours=3))
    client = login("root")
    bars = os_bars(client.get("/").content.decode())
    assert set(bars) == {"macOS", "Windows", "Linux", "Other"}
    listed_names = ReportRow.objects.values_list("device_name", flat=True).distinct()
    for label, (href, count) in bars.items():
        page = client.get(href + "&pgSize=500").content.decode()
        listed = {name for name in listed_names if f">{name}<" in page}
        assert len(listed) == count, (label, listed)
    windows = client.get(bars["Windows"][0]).content.decode()
    assert "LINUX-WINBIND" not in windows
    assert "OS: Windows (the device&#x27;s OS, not its version)" in windows  # its chip
    assert ">SOL-BOX<" in client.get(bars["Other"][0]).content.decode()


def test_storage_by_org_shows_at_most_ten_orgs(login, orgs):
    from tests.factories import OrgFactory, UserFactory

    for n in range(12):
        owner = UserFactory(org=OrgFactory(parent=orgs["sales"], name=f"Team {n:02d}"))
        ArchiveFactory(device=DeviceFactory(user=owner), archive_bytes=(n + 1) * 1024**4)
    html = login("root").get("/").content.decode()
    chart = html.split("Archive storage by org (top 10)")[1].split("</svg>")[0]
    assert chart.count('class="chart-link"') == 10
    assert "Team 11: 12.0 TiB" in chart
    assert "Team 01" not in chart


def test_storage_by_org_says_it_counts_each_orgs_own_users(login, orgs):
    """An org on the dashboards means it and the orgs below it (spec section 11), and
    compliance and /metrics count an org so; the storage chart's bar of an org is its own
    users' archives only (as the list it links to, exactOrgUid). Its caption said
    "Archive storage by org" alone: Acme 186 GiB read as Acme's storage where its
    subtree held 2.0 TiB (found by an audit of section 11). It says what it counts, on
    the page and in the management PDF, as the storage-by-org page does."""
    from tests.factories import UserFactory
    from tests.test_management_pdf import pdf_text

    for org, size in ((orgs["acme"], 1), (orgs["sales"], 9)):
        ArchiveFactory(
            device=DeviceFactory(user=UserFactory(org=org)), archive_bytes=size * 1024**4
        )
    client = login("root")
    caption = (
        flat(client.get("/").content).split("Archive storage by org")[1].split("</figcaption>")[0]
    )
    assert "each org's own users, not the orgs below it" in caption
    assert "Acme: 1.0 TiB" in client.get("/").content.decode()  # its own, not its subtree's
    pdf = " ".join(pdf_text(client.get("/overview.pdf")).split())
    assert "Archive storage by org (top 10), each org's own users, not the orgs below it" in pdf


@override_settings(BACKUP_WARNING_DAYS=1, BACKUP_CRITICAL_DAYS=4)
def test_thresholds_come_from_settings(login):
    html = flat(login("root").get("/").content)
    # dave's Windows laptop, 5 days, is critical now.
    assert stat(html, "Warning")[1] == "0"
    assert stat(html, "Critical")[1] == "2"
    assert "backed up in the last 1 day ·" in html


def test_a_device_is_as_healthy_as_its_stalest_archive(login, fleet):
    """Health per destination (spec 11): a fresh second archive does not hide the stale
    one; the device stays critical, as the vendor's CriticalBackupAlert says."""
    before = flat(login("root").get("/").content)
    ArchiveFactory(device=fleet["critical"], last_completed_backup_date=ago(hours=1))
    html = flat(login("root").get("/").content)
    assert stat(html, "Critical")[1] == stat(before, "Critical")[1] != "0"
    assert stat(html, "OK")[1] == stat(before, "OK")[1]


def test_inactive_devices_are_left_out_of_health(login, fleet):
    fleet["never"].status = "Deactivated"
    fleet["never"].save()
    html = flat(login("root").get("/").content)
    assert stat(html, "Never backed up")[1] == "0"


def test_overview_makes_few_queries_whatever_the_row_count(login, fleet):
    client = login("alice")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        return len(queries)

    before = count()
    for _ in range(10):
        ArchiveFactory(device=DeviceFactory(user=fleet["users"]["dave"]))
    # One reads the run log's last refresh, for "data as of"; two the 90-day trend (the
    # subtree's days, and the fleet's, which count none where it had no row:
    # reading.trend_of); one the active devices' backup dates, which health is counted
    # from at any moment. On PostgreSQL the overview and the trend each read the
    # generation (reports.cache) and, not in this process's cache, look for it among the
    # warmed figures first.
    assert count() == before <= 18


def test_overview_figures_follow_every_change_of_the_data(login, fleet):
    client = login("root")
    first = flat(client.get("/").content)
    dave = fleet["users"]["dave"]
    for _ in range(3):
        ArchiveFactory(device=DeviceFactory(user=dave))
    second = flat(client.get("/").content)
    assert stat(second, "OK")[1] != stat(first, "OK")[1]


def test_storage_by_org_tells_apart_orgs_whose_last_two_names_agree(login, orgs):
    """Found by an audit: each bar read its org's last two names, so Acme › EMEA ›
    Sales › Inside and Acme › Americas › Sales › Inside were both "Sales › Inside" on
    the chart and in the management PDF (which has no hover title). A bar reads as many
    names as tell it from the chart's other bars."""
    from tests.factories import OrgFactory, UserFactory

    americas_sales = OrgFactory(parent=orgs["americas"], name="Sales")
    for sales, size in ((orgs["sales"], 9), (americas_sales, 8)):
        owner = UserFactory(org=OrgFactory(parent=sales, name="Inside"))
        ArchiveFactory(device=DeviceFactory(user=owner), archive_bytes=size * 1024**4)
    client = login("root")
    chart = client.get("/").content.decode().split("Archive storage by org (top 10)")[1]
    labels = re.findall(r'<text class="chart-label"[^>]*>([^<]+)</text>', chart.split("</svg>")[0])
    inside = [label for label in labels if label.endswith("Inside")]
    assert len(inside) == 2 and inside[0] != inside[1], labels
    assert len(labels) == len(set(labels)), labels
    # The rest keep two names at most: Accounting beside its parent, as before.
    assert "EMEA › Accounting" in labels, labels


@override_settings(BACKUP_WARNING_DAYS=7, BACKUP_CRITICAL_DAYS=7)
def test_equal_thresholds_say_there_is_no_warning_band(login):
    """Found by an audit: equal thresholds (allowed: no warning band) made the warning
    card read "7 to 7 days without a backup"."""
    html = flat(login("root").get("/").content)
    assert "7 to 7 days" not in html
    assert "none: no warning band, critical from 7 days" in html
