"""The 90-day health trend on the overview (spec section 9): drawn from the snapshots
of the viewer's reach, with a text alternative, for every role with more than their own
devices; no links, no inline style."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Org
from reports.history.models import Snapshot


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


def test_an_org_manager_sees_only_their_subtree(login, days):
    page = login("alice").get(reverse("overview")).content.decode()
    svg, rows = trend_of_page(page)
    assert {row[1] for row in rows} == {"10"}
    assert "7,777" not in page and "7777" not in svg
    assert rows[0][6] == "100.0%" and rows[-1][6] == "20.0%"  # improving


def test_carol_sees_an_empty_trend_of_her_subtree(login, days):
    page = login("carol").get(reverse("overview")).content.decode()
    assert "No history yet" in page  # Americas has no snapshot


@pytest.mark.parametrize("name", ["dave", "sam"])
def test_a_user_of_their_own_devices_gets_no_trend(login, days, name):
    page = login(name).get(reverse("overview")).content.decode()
    assert 'class="chart trend' not in page
    assert "trend-heading" not in page


def test_the_page_has_no_inline_style_or_script(login, days):
    page = login("root").get(reverse("overview")).content.decode()
    assert " style=" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/reports/menu.js" defer>']
