"""Compliance's past days keep the thresholds they were judged by (spec section 9): a
change of BACKUP_WARNING_DAYS or BACKUP_CRITICAL_DAYS re-judges now, not 7 and 30 days
ago, and the page, its CSV and JSON and the management PDF say so beside the figures
rather than show a jump that is only the setting's (found by an audit of section 9)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Org
from reports.history.models import Snapshot
from reports.history.snapshots import take

PAGE = "/history/compliance/"
API = "/api/history/compliance"
JUDGED = (
    "warningDaysNow",
    "criticalDaysNow",
    "warningDays7DaysAgo",
    "criticalDays7DaysAgo",
    "warningDays30DaysAgo",
    "criticalDays30DaysAgo",
)
MONTH_NOTE = "30 days ago was judged at 3/14 days then (warning/critical), at 7/14 now"


@pytest.fixture
def rejudged(fleet, settings):
    """A month ago judged at 3/14 days; a week ago and today at 7/14."""
    now = timezone.now()
    settings.BACKUP_WARNING_DAYS, settings.BACKUP_CRITICAL_DAYS = 3, 14
    take(now - dt.timedelta(days=30))
    settings.BACKUP_WARNING_DAYS = 7
    take(now - dt.timedelta(days=7))
    take(now)
    return fleet


def test_a_snapshot_keeps_the_thresholds_it_was_judged_by(rejudged):
    today = timezone.localdate()
    kept = set(Snapshot.objects.values_list("day", "warning_days", "critical_days"))
    assert kept == {
        (today - dt.timedelta(days=30), 3, 14),
        (today - dt.timedelta(days=7), 7, 14),
        (today, 7, 14),
    }


@pytest.mark.parametrize("name", ["root", "alice"])
def test_the_page_says_30_days_ago_was_judged_by_other_thresholds(login, rejudged, name):
    page = html.unescape(login(name).get(PAGE).content.decode())
    assert "judged at 3/14 days then" in page
    assert "against 3/14 days then" in page  # beside the change
    assert MONTH_NOTE + ": the difference from it is the thresholds' as well" in page
    assert "7 days ago was judged" not in page  # judged as now


@pytest.mark.parametrize("name", ["root", "alice"])
def test_the_json_and_csv_carry_each_days_thresholds(login, rejudged, name):
    client = login(name)
    rows = client.get(API).json()["data"]["rows"]
    assert rows
    assert {tuple(row[f] for f in JUDGED) for row in rows} == {(7, 14, 7, 14, 3, 14)}
    response = client.get(PAGE, {"format": "csv"})
    text = b"".join(response.streaming_content).decode()
    lines = list(csv.DictReader(io.StringIO(text)))
    assert {tuple(line[f] for f in JUDGED) for line in lines} == {("7", "14", "7", "14", "3", "14")}


def test_the_pdf_says_so(login, rejudged):
    response = login("root").get("/overview.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    flat = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "(judged at 3/14 days then)" in flat
    assert MONTH_NOTE in flat


def test_a_snapshot_taken_before_they_were_kept_says_nothing_of_them(login, fleet, settings):
    """Rows of before the migration hold null: unknown, not said to differ."""
    now = timezone.now()
    today = take(now).day
    sales = Org.objects.get(org_uid="org-sales")
    month_ago = today - dt.timedelta(days=30)
    Snapshot.objects.create(org=sales, day=month_ago, devices=2, ok=2, taken_at=now)
    settings.BACKUP_WARNING_DAYS = 1
    client = login("root")
    assert "judged at" not in client.get(PAGE).content.decode()
    rows = client.get(API, {"org": "org-emea"}).json()["data"]["rows"]
    row = next(r for r in rows if r["orgUid"] == "org-sales")
    assert (row["okPercent30DaysAgo"], row["warningDays30DaysAgo"]) == (100.0, None)
    assert (row["warningDaysNow"], row["warningDays7DaysAgo"]) == (1, None)
