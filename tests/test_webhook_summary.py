"""The weekly summary's figures and link (spec section 14): "now" is the latest
snapshot and "a week ago" the one seven days before it, whenever in the new week the
summary is written (found by an audit of section 14, 2026-12-06: before Monday's
snapshot, the week ago was summed as zeros; the link led to a 404)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.utils import timezone

from reports.history.models import Snapshot
from reports.integrations.events import weekly_summary
from reports.integrations.models import Event, WebhookDelivery
from reports.integrations.payloads import summary
from tests.test_webhooks import endpoint


def test_before_mondays_snapshot_a_week_ago_is_a_week_before_the_latest(
    fleet, orgs, client, settings
):
    settings.SITE_URL = "https://backup.example.com"
    monday = timezone.now() - dt.timedelta(days=timezone.now().weekday())
    just_after_midnight = monday.replace(hour=0, minute=5, second=0, microsecond=0)
    sunday = (just_after_midnight - dt.timedelta(days=1)).date()
    for day, devices, ok in ((sunday, 9, 7), (sunday - dt.timedelta(days=7), 8, 8)):
        Snapshot.objects.create(
            org=orgs["emea"],
            day=day,
            devices=devices,
            ok=ok,
            warning=devices - ok,
            taken_at=just_after_midnight,
        )
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY], org=orgs["emea"])
    assert weekly_summary(just_after_midnight) == 1
    payload = WebhookDelivery.objects.get().payload
    assert payload["day"] == sunday.isoformat()
    assert (payload["now"]["devices"], payload["now"]["ok"]) == (9, 7)
    assert (payload["week_ago"]["devices"], payload["week_ago"]["ok"]) == (8, 8)
    link = urlsplit(payload["link"])
    assert link.netloc == "backup.example.com"
    client.force_login(fleet["users"]["root"])
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and "EMEA" in page.text


def test_an_org_whose_devices_are_all_gone_sums_up_none_now(fleet, orgs):
    """Its summary said last week's figures were now's (found by an audit of the
    integrations): now is the fleet's latest snapshot, where it has no row."""
    from reports.history.snapshots import take
    from reports.models import Device

    yesterday = timezone.now() - dt.timedelta(days=1)
    accounting = orgs["accounting"]
    Snapshot.objects.create(
        org=accounting, day=yesterday.date(), devices=3, ok=2, critical=1, taken_at=yesterday
    )
    Device.objects.filter(user__org=accounting).delete()
    today = take().day
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY], org=accounting)
    assert weekly_summary(timezone.now()) == 1
    payload = WebhookDelivery.objects.get().payload
    assert payload["day"] == today.isoformat()
    assert payload["now"]["devices"] == 0


def test_a_week_ago_without_a_snapshot_is_said_so_not_summed_as_zeros(fleet, orgs):
    """A fleet imported this week: "A week ago: 0 active, 0 critical" (an audit)."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    Snapshot.objects.create(
        org=orgs["emea"], day=yesterday.date(), devices=4, ok=4, taken_at=yesterday
    )
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY])
    assert weekly_summary(timezone.now()) == 1
    payload = WebhookDelivery.objects.get().payload
    assert payload["now"]["devices"] == 4 and payload["week_ago"] is None
    assert summary(Event.WEEKLY, payload).lines[-1] == "A week ago: no snapshot"


def test_a_week_ago_with_a_snapshot_outside_the_endpoints_orgs_is_zeros(fleet, orgs):
    """The fleet's snapshot that day stands: the endpoint's orgs had no device then."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    week_before = yesterday - dt.timedelta(days=7)
    for org, day in ((orgs["emea"], yesterday), (orgs["americas"], week_before)):
        Snapshot.objects.create(org=org, day=day.date(), devices=2, ok=2, taken_at=day)
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY], org=orgs["emea"])
    assert weekly_summary(timezone.now()) == 1
    payload = WebhookDelivery.objects.get().payload
    assert payload["week_ago"]["devices"] == 0
    assert summary(Event.WEEKLY, payload).lines[-1] == "A week ago: 0 active, 0 critical"
