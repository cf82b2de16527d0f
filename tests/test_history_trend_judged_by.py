"""The trend's days keep the thresholds they were judged by (spec section 9), as
compliance's do (tests/test_history_judged_by.py): where BACKUP_WARNING_DAYS or
BACKUP_CRITICAL_DAYS changed between two days of the trend, the overview's chart and
table, its CSV and JSON, the management PDF and the weekly summary webhook say so,
rather than show the settings' step as the backups getting better or worse (an open
item of section 9: the trend compared them silently)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Org
from reports.history.models import Snapshot
from reports.history.snapshots import take
from reports.integrations.events import weekly_summary
from reports.integrations.models import Event, WebhookDelivery
from reports.integrations.payloads import summary
from tests.test_webhooks import endpoint

CHANGE_NOTE = "judged at 3/14 days (warning/critical) before it, at 7/14 from it"


@pytest.fixture
def rejudged(fleet, settings):
    """Eight and seven days ago judged at 3/14 days, since six days ago at 7/14 (dave's
    device, 5 days without a backup, is warning at 3 and OK at 7: a step up that is
    only the setting's)."""
    now = timezone.now()
    settings.BACKUP_WARNING_DAYS, settings.BACKUP_CRITICAL_DAYS = 3, 14
    take(now - dt.timedelta(days=8))
    take(now - dt.timedelta(days=7))
    settings.BACKUP_WARNING_DAYS = 7
    changed = take(now - dt.timedelta(days=6)).day
    take(now)
    return changed


def days_of(client) -> list[dict]:
    return client.get("/api/history/trend").json()["data"]["days"]


@pytest.mark.parametrize("name", ["root", "alice"])
def test_the_json_and_csv_carry_each_days_thresholds_and_say_where_they_changed(
    login, rejudged, name
):
    client = login(name)
    said = [
        (d["day"], d["warningDays"], d["criticalDays"], d["thresholdsChanged"])
        for d in days_of(client)
    ]
    today = timezone.localdate()
    assert said == [
        ((today - dt.timedelta(days=8)).isoformat(), 3, 14, False),
        ((today - dt.timedelta(days=7)).isoformat(), 3, 14, False),
        (rejudged.isoformat(), 7, 14, True),
        (today.isoformat(), 7, 14, False),
    ]
    response = client.get("/history/trend.csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [
        (line["warningDays"], line["criticalDays"], line["thresholdsChanged"]) for line in lines
    ] == [("3", "14", "false"), ("3", "14", "false"), ("7", "14", "true"), ("7", "14", "false")]


@pytest.mark.parametrize("name", ["root", "alice"])
def test_the_overview_marks_the_day_the_thresholds_changed(login, rejudged, name):
    page = html.unescape(login(name).get(reverse("overview")).content.decode())
    note = f"On {rejudged:%Y-%m-%d} the thresholds changed: {CHANGE_NOTE}"
    assert note + ": the step there is the thresholds' as well as the backups'." in page
    assert page.count('class="trend-rejudged"') == 2  # the wide chart's and the phone's
    assert "thresholds changed to 7/14 days" in page  # the day's row in the table


def test_the_pdf_says_so(login, rejudged):
    response = login("root").get("/overview.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    flat = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"On {rejudged:%Y-%m-%d} the thresholds changed: {CHANGE_NOTE}" in flat


def test_a_trend_judged_by_one_pair_throughout_says_nothing(login, fleet):
    now = timezone.now()
    take(now - dt.timedelta(days=1))
    take(now)
    client = login("root")
    assert {d["thresholdsChanged"] for d in days_of(client)} == {False}
    page = client.get(reverse("overview")).content.decode()
    assert "thresholds changed" not in page and "trend-rejudged" not in page


def test_a_day_taken_before_snapshots_kept_them_is_unknown_not_a_change(login, fleet, settings):
    """Rows of before migration 0003 hold null: no change is said into or out of them."""
    now = timezone.now()
    sales = Org.objects.get(org_uid="org-sales")
    Snapshot.objects.create(
        org=sales, day=timezone.localdate(now) - dt.timedelta(days=3), devices=1, taken_at=now
    )
    settings.BACKUP_WARNING_DAYS = 1
    take(now)
    days = days_of(login("root"))
    assert [(d["warningDays"], d["thresholdsChanged"]) for d in days] == [(None, False), (1, False)]


def test_the_weekly_summary_says_a_week_ago_was_judged_otherwise(fleet, settings):
    """Critical a week ago at 3/14 days, none now at 7/30: told as the settings' too."""
    now = timezone.now()
    settings.BACKUP_WARNING_DAYS, settings.BACKUP_CRITICAL_DAYS = 3, 14
    take(now - dt.timedelta(days=7))
    settings.BACKUP_WARNING_DAYS, settings.BACKUP_CRITICAL_DAYS = 7, 30
    take(now)
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY])
    assert weekly_summary(now) == 1
    payload = WebhookDelivery.objects.get().payload
    assert (payload["now"]["warning_days"], payload["now"]["critical_days"]) == (7, 30)
    assert (payload["week_ago"]["warning_days"], payload["week_ago"]["critical_days"]) == (3, 14)
    assert summary(Event.WEEKLY, payload).lines[-1] == (
        f"A week ago: {payload['week_ago']['devices']:,} active, "
        f"{payload['week_ago']['critical']:,} critical, judged at 3/14 days "
        "(warning/critical), at 7/30 now: the difference is the thresholds' as well as "
        "the backups'"
    )


def test_the_weekly_summary_judged_alike_says_nothing_of_thresholds(fleet):
    now = timezone.now()
    take(now - dt.timedelta(days=7))
    take(now)
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY])
    assert weekly_summary(now) == 1
    line = summary(Event.WEEKLY, WebhookDelivery.objects.get().payload).lines[-1]
    assert line.startswith("A week ago: ") and "judged" not in line


def test_a_weekly_summary_written_before_payloads_kept_thresholds_is_still_worded():
    """A delivery written by the previous release, retried after the upgrade."""
    figures = {"devices": 3, "ok": 2, "warning": 1, "critical": 0, "never": 0}
    payload = {"week": "2026-W49", "now": figures, "week_ago": figures, "day": "2026-12-06"}
    assert summary(Event.WEEKLY, payload).lines[-1] == "A week ago: 3 active, 0 critical"
