"""generate_demo_data makes up 90 days of plausible history (spec section 9)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from reports.history.models import Snapshot
from reports.history.snapshots import take

NOW = timezone.now().replace(microsecond=0)


def generate(*options: str) -> str:
    out = StringIO()
    call_command(
        "generate_demo_data", "--devices", "400", "--now", NOW.isoformat(), *options, stdout=out
    )
    return out.getvalue()


def share(snapshot: Snapshot) -> float:
    return snapshot.ok / snapshot.devices


@pytest.mark.django_db
def test_the_demo_fleet_has_90_days_of_history_some_orgs_improving_some_slipping():
    out = generate()
    assert "90 days of backup health history" in out
    today = timezone.localdate(NOW)
    days = Snapshot.objects.values("day").annotate(orgs=Count("id")).order_by("day")
    assert [d["day"] for d in days] == [today - dt.timedelta(days=n) for n in range(89, -1, -1)]
    assert len({d["orgs"] for d in days}) == 1  # every org on every day
    for snapshot in Snapshot.objects.all():
        parts = snapshot.ok + snapshot.warning + snapshot.critical + snapshot.never
        assert parts == snapshot.devices, snapshot
    first = {s.org_id: s for s in Snapshot.objects.filter(day=today - dt.timedelta(days=89))}
    last = {s.org_id: s for s in Snapshot.objects.filter(day=today)}
    big = [org for org, s in last.items() if s.devices >= 4 and first[org].devices]
    changes = [share(last[org]) - share(first[org]) for org in big]
    assert any(c > 0.1 for c in changes) and any(c < -0.1 for c in changes)
    # Today's row is the real snapshot: taking it again changes nothing.
    before = list(Snapshot.objects.filter(day=today).values_list("org_id", "devices", "ok"))
    take(NOW)
    after = Snapshot.objects.filter(day=today).values_list("org_id", "devices", "ok")
    assert sorted(after) == sorted(before)


@pytest.mark.django_db
def test_no_history_days_makes_only_todays_history():
    generate("--history-days", "0")
    assert not Snapshot.objects.exists()
