"""The overview per role (issue 27): a desktop user's own devices first, with what to do
about a stale one and no fleet charts; an org manager's subtree by name; the fleet for
an administrator. Also what the pages show beside colour, the chart labels, the trend's
fitted axis and the favicon."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import Org
from reports.catalog import REPORTS
from reports.dashboards.charts import _short
from reports.history.charts import NARROW, WIDE, Axis, trend_chart
from reports.history.models import Snapshot
from reports.history.reading import Figures
from reports.models import Device, ReportRow
from tests.factories import DeviceFactory
from tests.personas import all_device_names, device_names_seen_by

pytestmark = pytest.mark.django_db

OWN = re.compile(r'<h3 id="own-\d+"><a class="device-link" href="[^"]*">([^<]+)</a>')


def own_devices_on(page: str) -> list[str]:
    return OWN.findall(page)


def test_a_desktop_user_sees_their_own_devices_first_the_least_safe_first(login):
    page = login("dave").get("/").content.decode()
    assert "<h1>Your devices</h1>" in page
    assert own_devices_on(page)[0] == "DAVE-WIN"  # in warning, before the healthy one
    assert set(own_devices_on(page)) == device_names_seen_by("dave")
    assert page.index("own-heading") < page.index("health-heading")


def test_a_desktop_user_is_told_what_to_do_about_a_stale_device(login):
    page = login("dave").get("/").content.decode()
    warning = page[page.index("own-device-warning") :]
    warning = warning[: warning.index("</article>")]
    assert "What to do:" in warning and "connect it to the network" in warning
    assert "Code42" in warning or "last backup" in warning  # to where, since when
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", warning)  # the exact time too
    ok = page[page.index("own-device-ok") :]
    assert "What to do:" not in ok[: ok.index("</article>")]


def test_a_desktop_user_gets_no_fleet_widgets(login):
    page = login("dave").get("/").content.decode()
    assert "Archive storage by org" not in page
    assert "Devices by OS" not in page  # the migration plan's split
    assert "migration-plan" not in page.split('<main id="main"')[1]
    assert '<svg class="chart"' not in page


@pytest.mark.parametrize("name", ["dave", "sam"])
def test_a_user_of_their_own_devices_sees_no_one_elses(login, name):
    page = login(name).get("/").content.decode()
    seen = set(own_devices_on(page))
    assert seen == device_names_seen_by(name)
    for other in all_device_names() - seen:
        assert f">{other}<" not in page


def test_a_user_without_devices_is_told_why_the_list_is_empty(login, fleet):
    Device.objects.filter(user=fleet["users"]["sam"]).delete()
    assert not ReportRow.objects.filter(username="sam").exists()
    page = login("sam").get("/").content.decode()
    assert "No device of yours is in the backup environment" in page


def test_a_device_that_never_backed_up_says_what_to_do(login, fleet):
    DeviceFactory(user=fleet["users"]["dave"], name="DAVE-NEW")
    page = login("dave").get("/").content.decode()
    assert own_devices_on(page)[0] == "DAVE-NEW"
    never = page[page.index("own-device-never") :]
    assert "Sign in to the backup app" in never[: never.index("</article>")]


def test_an_org_manager_sees_their_subtree_by_name(login):
    page = login("alice").get("/").content.decode()
    assert "<h1>Your orgs</h1>" in page
    assert "Accounting and every org below" in page
    assert "own-heading" not in page
    assert "Archive storage by org" in page


def test_an_administrator_sees_the_fleet(login):
    page = login("root").get("/").content.decode()
    assert "<h1>Fleet overview</h1>" in page and "Every org:" in page
    assert "own-heading" not in page


@pytest.mark.parametrize("view", ["archives", "devices"])
@pytest.mark.parametrize("slug", REPORTS)
def test_every_table_opens_with_the_device_and_its_health(login, slug, view):
    search = "&user=a" if REPORTS[slug].needs_search else ""
    page = login("root").get(f"{REPORTS[slug].path}?view={view}{search}").content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', page)
    assert [h.strip() for h in headers[:2]] == ["Device", "Health"]


def test_health_is_written_beside_its_colour(login):
    page = login("root").get("/reports/backup-status/?view=archives").content.decode()
    assert re.search(
        r'<span class="badge badge-critical"><span aria-hidden="true">✕</span> Critical', page
    )
    # An age past the warning threshold reads "(critical)" to a screen reader.
    assert '<span class="visually-hidden"> (critical)</span>' in page


def test_chart_labels_keep_the_orgs_own_name():
    assert _short("San Francisco › Engineering") == "San F… › Engineering"
    assert _short("Accounting") == "Accounting"
    assert _short("EMEA › A team whose name is very long").startswith("A team whose")


def _figures(ok: int, devices: int = 100) -> Figures:
    return Figures(devices=devices, ok=ok, warning=devices - ok, critical=0, never=0)


def test_the_trend_axis_is_fitted_to_the_data():
    today = dt.date(2026, 12, 4)
    points = [(today - dt.timedelta(days=1), _figures(77)), (today, _figures(84))]
    assert Axis.fitted(points, 170).floor == 70
    svg = str(trend_chart(points, today))
    assert ">70%</text>" in svg and ">0%</text>" not in svg
    assert "The axis runs from 70% to 100%." in svg
    axis = Axis.fitted(points, 170)
    # 77% and 84% OK lie 30% of the plot apart, not 7% as on a 0-100% axis.
    assert axis.y(77) - axis.y(84) == pytest.approx(170 * 7 / 30)


def test_the_trend_axis_starts_at_zero_for_a_fleet_mostly_in_trouble():
    today = dt.date(2026, 12, 4)
    assert Axis.fitted([(today, _figures(3))], 170).floor == 0


def test_the_trend_is_drawn_for_a_desktop_and_a_phone(login, fleet):
    now = timezone.now()
    Snapshot.objects.create(
        org=Org.objects.get(org_uid="org-accounting"),
        day=timezone.localdate(now),
        devices=10,
        ok=8,
        warning=2,
        taken_at=now,
    )
    page = login("root").get("/").content.decode()
    assert page.count('<svg class="chart trend trend-wide"') == 1
    assert page.count('<svg class="chart trend trend-narrow"') == 1
    assert f'viewBox="0 0 {NARROW.width} {NARROW.height}"' in page
    assert f'viewBox="0 0 {WIDE.width} {WIDE.height}"' in page


def test_the_trend_formats_no_html_a_day(monkeypatch):
    """The overview draws the trend twice (a desktop's and a phone's): 728 rectangles and
    182 titles at 90 days, each through format_html, whose checks of every argument took
    15 ms of the overview's 40 (found by the 100,000-device benchmark beside 2026-12-04's).
    A day's column is safe_format's, the same escaping; format_html frames the chart."""
    from django.utils.html import format_html

    from reports.history import charts

    calls = []

    def counted(*args):
        calls.append(args)
        return format_html(*args)

    monkeypatch.setattr(charts, "format_html", counted)
    today = dt.date(2026, 12, 4)

    def format_html_calls(days: int) -> int:
        calls.clear()
        points = [(today - dt.timedelta(days=n), _figures(90 - n % 7)) for n in range(days)]
        assert str(trend_chart(points, today)).count('<g class="trend-day">') == days
        return len(calls)

    assert format_html_calls(90) == format_html_calls(1)


def test_the_favicon_is_linked_and_served(client, login):
    page = login("dave").get("/").content.decode()
    assert '<link rel="icon" href="/static/reports/favicon.svg" type="image/svg+xml">' in page
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"] == "/static/reports/favicon.svg"
