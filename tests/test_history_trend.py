"""The 90-day health trend on the overview (spec section 9): drawn from the snapshots
of the viewer's reach, with a text alternative, for every role with more than their own
devices; no links in the chart, no inline style; its CSV and JSON twins."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import requests
import schemathesis
from django.urls import reverse
from django.utils import timezone

from accounts.audit.models import Event
from accounts.models import Org
from accounts.roles import reach_of
from reports.history.models import Snapshot
from reports.history.reading import trend_of
from tests.personas import PASSWORD


@pytest.fixture
def days(fleet):
    """Accounting on 91 days (today and 90 before), improving; Sales, outside alice's
    reach, on the same days with numbers no one else has."""
    now = timezone.now()
    today = timezone.localdate(now)
    accounting = Org.objects.get(org_uid="org-accounting")
    sales = Org.objects.get(org_uid="org-sales")
    rows = []
    for age in range(91):
        day = today - dt.timedelta(days=age)
        ok = 10 - age // 10
        rows.append(
            Snapshot(org=accounting, day=day, devices=10, ok=ok, warning=10 - ok, taken_at=now)
        )
        rows.append(Snapshot(org=sales, day=day, devices=7777, critical=7777, taken_at=now))
    Snapshot.objects.bulk_create(rows)
    return today


def trend_of_page(page: str) -> tuple[str, list[list[str]]]:
    svg = re.search(r'<svg class="chart trend trend-wide".*?</svg>', page, re.S)
    assert svg, "no trend chart"
    table = page[page.index('class="trend-figures"') :]
    table = table[: table.index("</details>")]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)
    cells = [re.findall(r">([^<>]+)</(?:td|th|time)>", ">" + row) for row in rows]
    return svg.group(0), cells


def test_a_system_administrator_sees_every_org_over_90_days(login, days):
    page = login("root").get(reverse("overview")).content.decode()
    svg, rows = trend_of_page(page)
    assert len(rows) == 90  # today and the 89 days before; the 91st is older
    assert rows[0][0] == f"{days:%Y-%m-%d}"
    assert rows[0][1] == "7,787"  # 10 + 7,777
    assert svg.count('class="trend-day"') == 90
    assert "<a " not in svg  # a past day backs no report
    assert "<desc" in svg and "Latest:" in svg
    first = days - dt.timedelta(days=89)
    days_on_axis = r'<text class="chart-value" [^>]*text-anchor="(?:start|middle|end)"'
    days_on_axis += r"[^>]*>(\d[^<%]*)<"
    ticks = re.findall(days_on_axis, svg)
    assert ticks == [
        f"{first:%Y-%m-%d}",
        f"{first + dt.timedelta(days=44):%Y-%m-%d}",
        f"{days:%Y-%m-%d}",
    ]


def test_an_org_manager_sees_only_their_subtree(login, days):
    page = login("alice").get(reverse("overview")).content.decode()
    svg, rows = trend_of_page(page)
    assert {row[1] for row in rows} == {"10"}
    assert "7,777" not in page and "7777" not in svg
    assert rows[0][6] == "100.0%" and rows[-1][6] == "20.0%"  # improving


def test_a_subtree_without_a_row_on_a_day_of_the_snapshot_counts_none_then(login, days):
    """Americas has no row in any of the fleet's snapshots: no device then. Each day of
    the snapshot counts none there, as compliance's today does; it read "No history yet"
    (the fixture's days, made without Americas; a snapshot takes no row of an org
    without a device)."""
    page = login("carol").get(reverse("overview")).content.decode()
    assert "No history yet" not in page
    svg, rows = trend_of_page(page)
    assert len(rows) == 90 and {row[1] for row in rows} == {"0"}  # the trend's 90 days
    assert "no active devices" in svg


def test_a_subtree_whose_devices_are_gone_counts_none_today(login, fleet):
    """Accounting's devices are all gone since two days ago: its rows stop there, and the
    trend's latest day was that one, "Latest: ... of 3", a gap after it, beside
    compliance's 0 active devices today (found by an audit of section 9). The days of the
    snapshot count none, in the page, the CSV and the JSON alike."""
    from reports.history.snapshots import take
    from reports.models import Device

    now = timezone.now()
    before = take(now - dt.timedelta(days=2)).day
    Device.objects.filter(user__org__org_uid="org-accounting").delete()
    today = take(now).day
    client = login("alice")
    days = client.get("/api/history/trend").json()["data"]["days"]
    said = [(day["day"], day["activeDevices"], day["okPercent"]) for day in days]
    assert said == [(before.isoformat(), 3, 66.7), (today.isoformat(), 0, None)]
    assert days[-1]["takenAt"] is not None
    response = client.get("/history/trend.csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["day"], row["activeDevices"]) for row in rows] == [
        (before.isoformat(), "3"),
        (today.isoformat(), "0"),
    ]
    page = client.get(reverse("overview")).content.decode()
    assert f"Latest: {today:%Y-%m-%d} (today, as of" in page
    compliance = client.get("/api/history/compliance").json()["data"]
    assert compliance["day"] == today.isoformat()
    assert [row["activeDevices"] for row in compliance["rows"]] == [0]


@pytest.mark.parametrize("name", ["dave", "sam"])
def test_a_user_of_their_own_devices_gets_no_trend(login, days, name):
    page = login(name).get(reverse("overview")).content.decode()
    assert 'class="chart trend' not in page
    assert "trend-heading" not in page


def test_the_page_has_no_inline_style_or_script(login, days):
    page = login("root").get(reverse("overview")).content.decode()
    assert " style=" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/reports/menu.js" defer>']


# The trend as CSV and JSON (spec section 9: "with CSV and a JSON resource"; it had
# neither, found by an audit of section 9).

CSV, API = "/history/trend.csv", "/api/history/trend"


def csv_of(client, **params) -> list[dict]:
    response = client.get(CSV, params)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_and_the_json_are_the_page_s_figures_within_the_reach(login, days):
    for name, devices in (("root", "7787"), ("alice", "10")):
        client = login(name)
        page = client.get(reverse("overview")).content.decode()
        assert f'href="{CSV}"' in page and f'href="{API}"' in page
        _, table = trend_of_page(page)
        rows, data = csv_of(client), client.get(API).json()["data"]["days"]
        assert [r["day"] for r in rows] == [d["day"] for d in data] == [t[0] for t in table][::-1]
        assert [r["activeDevices"] for r in rows] == [str(d["activeDevices"]) for d in data]
        assert rows[-1]["activeDevices"] == devices
        assert [r["okPercent"] for r in rows][-1] == (
            f"{data[-1]['okPercent']:.1f}" if data[-1]["okPercent"] is not None else "null"
        )
    assert not any("7777" in str(d) for d in login("alice").get(API).json()["data"]["days"])


def test_days_reach_back_as_far_as_history_is_kept(login, days, settings):
    client = login("root")
    assert len(csv_of(client, days="91")) == 91
    assert len(client.get(API, {"days": "7"}).json()["data"]["days"]) == 7
    # 4,301 digits: int() refused them with a ValueError, a 500 (found by an audit).
    for bad in ("0", "abc", "-3", str(settings.HISTORY_DAYS + 1), "٣", "²", "9" * 4301):
        response = client.get(API, {"days": bad})
        assert response.status_code == 400, bad
        assert "days" in response.json()["parameters"]
        assert client.get(CSV, {"days": bad}).status_code == 400, bad


def test_where_fewer_days_are_kept_the_trend_and_its_links_show_them_all(login, days, settings):
    """With HISTORY_DAYS=60, the overview's own CSV and API links (no days) answered 400:
    "'90' is not a number of days from 1 to 60" (found by an audit of section 9)."""
    client = login("root")
    assert len(trend_of_page(client.get(reverse("overview")).content.decode())[1]) == 90
    settings.HISTORY_DAYS = 60  # and a restart: the 90 days cached before are not the 60
    page = client.get(reverse("overview")).content.decode()
    assert "last 60 days" in page
    svg, rows = trend_of_page(page)
    assert len(rows) == 60 and svg.count('class="trend-day"') == 60
    assert len(csv_of(client)) == 60
    response = client.get(API)
    assert response.status_code == 200
    assert len(response.json()["data"]["days"]) == 60
    assert client.get(API, {"days": "61"}).status_code == 400


@pytest.mark.parametrize("name", ["dave", "sam"])
def test_no_trend_for_a_user_of_their_own_devices(login, days, name):
    client = login(name)
    assert client.get(CSV).status_code == 403
    assert client.get(API).status_code == 403


def test_the_csv_is_an_export_on_the_record(login, days):
    csv_of(login("alice"))
    event = Event.objects.get(kind="export.csv", target="health trend")
    assert event.actor == "alice" and event.details["rows"] == 90


@pytest.mark.django_db(transaction=True)
def test_real_answers_fit_the_openapi_document(live_server, days):
    operation = schemathesis.openapi.from_url(f"{live_server.url}/api/schema.json")[API]["GET"]
    calls = [({}, "root", 200), ({"days": "3"}, "alice", 200), ({"days": "x"}, "root", 400)]
    calls += [({}, None, 401), ({}, "dave", 403)]
    for params, name, status in calls:
        auth = (name, PASSWORD) if name else None
        response = requests.get(f"{live_server.url}{API}", params=params, auth=auth, timeout=30)
        assert response.status_code == status, (params, name, response.content)
        operation.validate_response(response)


def test_a_share_is_said_100_or_0_percent_only_when_it_is_so(login, fleet):
    """996 of 1,000 OK was said "100% OK" in the chart's text beside 4 in warning; with
    one decimal 9,996 of 10,000 would be "100.0%" (found by an audit): each surface
    says one rounding, Figures.ok_percent's."""
    now = timezone.now()
    today = timezone.localdate(now)
    accounting = Org.objects.get(org_uid="org-accounting")
    for age, devices, ok in ((2, 1000, 996), (1, 10000, 9996), (0, 10000, 1)):
        Snapshot.objects.create(
            org=accounting,
            day=today - dt.timedelta(days=age),
            devices=devices,
            ok=ok,
            warning=devices - ok,
            taken_at=now,
        )
    expected = ["99.6%", "99.9%", "0.1%"]  # oldest first
    for name in ("root", "alice"):
        client = login(name)
        svg, table = trend_of_page(client.get(reverse("overview")).content.decode())
        said = re.findall(r"<title>[^<]*?: ([\d.]+%) OK of", svg)
        assert said == expected, name
        assert [row[6] for row in table][::-1] == expected, name
        assert [row["okPercent"] + "%" for row in csv_of(client)] == expected, name
        data = client.get(API).json()["data"]["days"]
        assert [f"{d['okPercent']}%" for d in data] == expected, name
    # Americas had no device on the snapshot's days: none then, not a gap.
    carol = login("carol").get(API).json()["data"]["days"]
    assert [(d["activeDevices"], d["okPercent"]) for d in carol] == [(0, None)] * 3
    assert login("dave").get(API).status_code == 403


def test_the_trends_today_says_when_its_snapshot_was_taken(login, fleet):
    """Today's column is the snapshot of 00:20 while the health cards above it are live:
    the two disagreed on one page with nothing saying why (found by an audit)."""
    today = timezone.localdate()
    utc = dt.UTC
    accounting = Org.objects.get(org_uid="org-accounting")
    for age in (1, 0):
        day = today - dt.timedelta(days=age)
        taken = dt.datetime.combine(day, dt.time(0, 20), tzinfo=utc)
        Snapshot.objects.create(org=accounting, day=day, devices=3, ok=3, taken_at=taken)
    yesterday = today - dt.timedelta(days=1)
    for name in ("root", "alice"):
        client = login(name)
        page = client.get(reverse("overview")).content.decode()
        assert "today's as of its snapshot at 00:20 UTC (the cards above are as of now)" in page
        svg, _ = trend_of_page(page)
        assert f"Latest: {today:%Y-%m-%d} (today, as of 00:20 UTC): 100.0% OK of 3" in svg
        table = page[page.index('class="trend-figures"') :]
        rows = re.findall(r'<tr><th scope="row">(.*?)</th>', table, re.S)
        assert "today, as of 00:20 UTC" in rows[0] and "today" not in rows[1], name
        taken = [f"{d:%Y-%m-%d}T00:20:00.000Z" for d in (yesterday, today)]
        assert [row["takenAt"] for row in csv_of(client)] == taken, name
        assert [d["takenAt"] for d in client.get(API).json()["data"]["days"]] == taken, name
    # Americas had no device then: the snapshot's days count none there, taken as theirs.
    carol = login("carol").get(API).json()["data"]["days"]
    assert [(d["activeDevices"], d["takenAt"]) for d in carol] == [(0, t) for t in taken]
    assert login("dave").get(API).status_code == 403


def test_a_subtree_held_every_day_does_not_ask_the_fleets_days(
    days, fleet, django_assert_num_queries
):
    """The fleet's days are read (a GROUP BY over every org's rows, for each manager's
    scope a warm after each refresh; found by a review) only where the subtree lacks a
    day of them: alice's Accounting has a row on each, Americas on none."""
    alice, carol = fleet["users"]["alice"], fleet["users"]["carol"]
    with django_assert_num_queries(3):  # her roles and org, her rows, the latest day
        held = trend_of(reach_of(alice).scope, days)
    assert len(held) == 90 and {figures.devices for _, figures in held} == {10}
    with django_assert_num_queries(4):  # and the fleet's days
        none = trend_of(reach_of(carol).scope, days)
    assert [day for day, _ in none] == [day for day, _ in held]
    assert {figures.devices for _, figures in none} == {0}
