"""generate_demo_data makes up 90 days of plausible history (spec section 9)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
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


@pytest.mark.django_db
def test_more_history_days_than_are_kept_is_refused_naming_the_setting(settings):
    settings.HISTORY_DAYS = 31
    with pytest.raises(CommandError, match=r"--history-days 32 is more than the 31 days kept"):
        generate("--history-days", "32")
    assert not Snapshot.objects.exists()
    generate("--history-days", "31")
    assert Snapshot.objects.values("day").distinct().count() == 31


@pytest.mark.django_db
def test_by_default_as_many_days_as_are_kept_up_to_90(settings):
    settings.HISTORY_DAYS = 60  # `make run` names no --history-days: it must not fail
    assert "60 days of backup health history" in generate()


@pytest.mark.django_db
def test_a_big_fleet_gets_thousands_of_orgs_several_levels_deep():
    from accounts.models import Org
    from reports.demo.environment import FleetGenerator

    big = FleetGenerator(1_000_000, seed=1, now=NOW)
    departments = 118  # of the demo company's sites (reports.demo.names)
    assert 2_000 <= 40 + departments * (1 + big._teams_per_department()) <= 10_000
    assert FleetGenerator(2_000, seed=1, now=NOW)._teams_per_department() == 0

    places = FleetGenerator(100_000, seed=1, now=NOW)._make_orgs()
    assert Org.objects.count() == 512
    assert max(org.depth for org in Org.objects.all()) == 6  # six levels, the root at 1
    assert {Org.objects.get(pk=p.org_id).depth for p, _ in places if not p.legacy} == {6}
    # A department's people are spread evenly over its teams.
    by_department: dict[int, set[float]] = {}
    for place, weight in places:
        if not place.legacy:
            parent = Org.objects.get(pk=place.org_id).parent_id
            by_department.setdefault(parent, set()).add(round(weight, 9))
    assert len(by_department) == 118
    assert all(len(weights) == 1 for weights in by_department.values())
