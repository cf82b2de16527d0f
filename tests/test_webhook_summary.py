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
