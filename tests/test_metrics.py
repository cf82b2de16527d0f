"""/metrics (spec section 14): the Prometheus exposition of the stored figures, each
caller's reach exactly, from the snapshot and never from the report table."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Org
from accounts.roles import ORG_MANAGERS
from reports.dashboards.overview import device_counts
from reports.health import Health
from reports.history.snapshots import take
from reports.integrations.exposition import METRIC_NAMES
from reports.models import ReportRow
from reports.refresh.models import Run
from tests.factories import UserFactory
from tests.metrics_support import METRICS, bearer, orgs_in, sample_value, scrape
from tests.personas import ago


@pytest.fixture
def snapshot(fleet):
    """The stored figures /metrics reads: the day's snapshot, as after an import."""
    take()
    return fleet


def expected_orgs(user, depth: int) -> set[str]:
    """The orgs whose series the user should get, from the org tree alone: every org
    they manage or below it down to the depth, and their own org however deep; all
    orgs down to the depth for a system administrator."""
    groups = set(user.groups.values_list("name", flat=True))
    orgs = Org.objects.all()
    if user.is_superuser or "System administrators" in groups:
        return {o.org_uid for o in orgs if o.depth <= depth}
    if ORG_MANAGERS not in groups or user.org is None:
        return set()
    top = user.org
    return {
        o.org_uid
        for o in orgs
        if o.path.startswith(top.path) and (o.depth <= depth or o.pk == top.pk)
    }


NAMES = ["root", "alice", "carol", "dave", "sam"]


@pytest.mark.parametrize("name", NAMES)
def test_each_role_gets_exactly_its_orgs_series_and_its_fleet(client, snapshot, name, settings):
    settings.METRICS_ORG_DEPTH = 2
    user = snapshot["users"][name]
    families = scrape(client, user)
    assert orgs_in(families) == expected_orgs(user, 2)
    if not orgs_in(families):
        # A reach of one's own devices: no fleet series at all. The snapshots are by
        # org and hold none of them apart, and zeros said dave's laptops were none
        # (2026-12-06); the data age is anyone's.
        assert not {name for name in families if name.startswith("backupreport_fleet")}
        assert "backupreport_data_stale" in families
        return
    # The fleet totals are what the one health rule counts over the visible rows.
    counts = device_counts(ReportRow.objects.visible_to(user)).by_health
    for health in Health:
        fleet = sample_value(families["backupreport_fleet_devices"], health=health.value)
        assert fleet == counts[health], health


def test_the_matrix_is_not_trivial(snapshot):
    users = snapshot["users"]
    seen = {name: expected_orgs(users[name], 2) for name in NAMES}
    assert seen["dave"] == seen["sam"] == set()
    assert seen["alice"] == {"org-accounting"}  # depth 3, below the limit: their own org
    assert seen["carol"] == {"org-americas"}
    assert seen["root"] == {"org-acme", "org-emea", "org-americas"}


def test_a_subtree_adds_up_the_orgs_below_it(client, snapshot):
    families = scrape(client, snapshot["users"]["root"])
    devices = families["backupreport_devices"]
    # Sam's critical laptop in Sales, below EMEA; dave's warning laptop in Accounting.
    assert sample_value(devices, org="org-emea", health="critical") == 1
    assert sample_value(devices, org="org-emea", health="warning") == 1
    assert sample_value(devices, org="org-americas", health="never") == 1
    acme = {h.value: sample_value(devices, org="org-acme", health=h.value) for h in Health}
    fleet = {
        h.value: sample_value(families["backupreport_fleet_devices"], health=h.value)
        for h in Health
    }
    assert acme == fleet
    cold = families["backupreport_cold_storage_bytes"]
    assert sample_value(cold, org="org-emea") == 7 * 1024**3
    assert sample_value(cold, org="org-americas") == 0
    assert sample_value(devices, org="org-emea", health="ok") >= 0
    assert {s.labels["depth"] for s in devices} == {"1", "2"}


def test_the_depth_is_a_setting(client, snapshot, settings):
    settings.METRICS_ORG_DEPTH = 1
    assert orgs_in(scrape(client, snapshot["users"]["root"])) == {"org-acme"}
    settings.METRICS_ORG_DEPTH = 3
    assert len(orgs_in(scrape(client, snapshot["users"]["root"]))) == 6


def test_a_scrape_reads_no_report_row(client, snapshot):
    user = snapshot["users"]["root"]
    headers = bearer(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(METRICS, **headers).status_code == 200
    assert not [q for q in queries if ReportRow._meta.db_table in q["sql"]]


def test_logs_are_for_system_administrators_only(client, snapshot):
    Run.objects.create(
        kind=Run.Kind.SYNC,
        trigger=Run.Trigger.SCHEDULE,
        started_at=ago(minutes=10),
        finished_at=ago(minutes=9),
        outcome=Run.Outcome.FAILED,
    )
    root = scrape(client, snapshot["users"]["root"])
    assert sample_value(root["backupreport_run_last_failed"], kind="sync") == 1
    assert sample_value(root["backupreport_runs"], kind="sync", outcome="failed") == 1
    took = sample_value(root["backupreport_run_duration_seconds"], kind="sync", outcome="failed")
    assert took == pytest.approx(60, abs=1)
    alice = scrape(client, snapshot["users"]["alice"])
    assert "backupreport_runs" not in alice and "backupreport_run_last_failed" not in alice
    assert "backupreport_data_stale" in alice  # every page's frame shows the data age


def test_every_metric_written_is_named(client, snapshot):
    Run.objects.create(
        kind=Run.Kind.IMPORT,
        trigger=Run.Trigger.COMMAND,
        finished_at=ago(minutes=1),
        outcome="succeeded",
    )
    families = scrape(client, snapshot["users"]["root"])
    assert set(families) <= set(METRIC_NAMES)
    assert set(METRIC_NAMES) - set(families) <= {
        "backupreport_notifications",
        "backupreport_webhook_deliveries",
    }


def test_an_org_name_with_quotes_and_a_newline_is_escaped(client, snapshot):
    Org.objects.filter(org_uid="org-emea").update(name='EMEA "West"\nand \\ more')
    families = scrape(client, snapshot["users"]["root"])
    names = {s.labels["org_name"] for s in families["backupreport_devices"]}
    assert 'EMEA "West"\nand \\ more' in names


def test_refused_without_credentials_and_for_writes(client, snapshot):
    response = client.get(METRICS)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response
    assert client.post(METRICS, **bearer(snapshot["users"]["root"])).status_code == 405
    assert client.get(METRICS, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401


def test_an_org_whose_devices_are_all_gone_counts_none_now(client, fleet):
    """Its last day's figures were served as current, with that day's timestamp (the
    critical-share alert kept firing on them; found by an audit of the integrations)."""
    import datetime as dt

    from django.utils import timezone

    from reports.history.models import Snapshot
    from reports.models import Device

    yesterday = timezone.now() - dt.timedelta(days=1)
    accounting = Org.objects.get(org_uid="org-accounting")
    Snapshot.objects.create(
        org=accounting, day=yesterday.date(), devices=3, ok=2, critical=1, taken_at=yesterday
    )
    Device.objects.filter(user__org=accounting).delete()
    today = take().day
    taken_at = Snapshot.objects.filter(day=today).values_list("taken_at", flat=True).first()
    families = scrape(client, fleet["users"]["alice"])
    fleet_devices = families["backupreport_fleet_devices"]
    assert {s.labels["health"]: s.value for s in fleet_devices} == {h.value: 0 for h in Health}
    stamp = sample_value(families["backupreport_figures_timestamp_seconds"])
    assert stamp == taken_at.timestamp()


def test_before_any_snapshot_the_series_are_empty_not_an_error(client, fleet):
    families = scrape(client, fleet["users"]["root"])
    assert orgs_in(families) == set()
    assert sample_value(families["backupreport_data_stale"]) == 1


@pytest.mark.django_db(transaction=True)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_manager_of_any_org_sees_only_its_subtree(client, orgs, people, data):
    """Any org, any depth: a manager's token gets the series of their subtree down to
    the depth and their own org, nothing of a parent or a sibling."""
    from django.conf import settings as django_settings

    with transaction.atomic():
        take()
        org = data.draw(st.sampled_from(sorted(Org.objects.all(), key=lambda o: o.pk)))
        depth = data.draw(st.integers(min_value=1, max_value=4))
        manager = UserFactory(org=org)
        manager.groups.add(Group.objects.get_or_create(name=ORG_MANAGERS)[0])
        old, django_settings.METRICS_ORG_DEPTH = django_settings.METRICS_ORG_DEPTH, depth
        try:
            seen = orgs_in(scrape(client, manager))
        finally:
            django_settings.METRICS_ORG_DEPTH = old
        assert seen == expected_orgs(manager, depth)
        assert all(Org.objects.get(org_uid=uid).path.startswith(org.path) for uid in seen)
        transaction.set_rollback(True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no figure")
def test_after_warming_a_scrape_reads_one_snapshot_row(client, snapshot):
    """The org sums are computed ahead (reports.warming) and kept under the snapshot's
    moment: a scrape reads the latest snapshot's moment, then the stored figure."""
    from django.core.cache import cache

    from reports.warming.warm import warm_everything

    assert warm_everything().figures > 0
    cache.clear()  # another process: what warming stored in the database, not memory
    headers = bearer(snapshot["users"]["alice"])
    with CaptureQueriesContext(connection) as queries:
        families = scrape_with(client, headers)
    reads = [q["sql"] for q in queries if "history_snapshot" in q["sql"]]
    assert len(reads) == 1 and "LIMIT 1" in reads[0]
    assert orgs_in(families) == {"org-accounting"}
    take()  # a new snapshot: a new key, computed afresh, never the old sums
    assert orgs_in(scrape_with(client, headers)) == {"org-accounting"}


def scrape_with(client, headers):
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get(METRICS, **headers)
    assert response.status_code == 200
    return {f.name: f.samples for f in text_string_to_metric_families(response.content.decode())}


def test_a_removed_org_s_figures_of_the_day_still_add_up_to_its_parents(client, fleet):
    """An org removed after the day's snapshot (by hand in the admin, say) keeps its row
    of that day, without its org (reports.history: its past is kept); /metrics read the
    row's org's path, None, and answered 500."""
    from reports.health import critical_days
    from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory

    emea = Org.objects.get(org_uid="org-emea")
    lab = OrgFactory(org_uid="org-lab", name="Lab", parent=emea)
    person = UserFactory(org=lab)
    device = DeviceFactory(user=person, name="LAB-01")
    ArchiveFactory(device=device, last_completed_backup_date=ago(days=critical_days() + 3))
    take()
    before = scrape(client, fleet["users"]["root"])["backupreport_devices"]
    person.org = Org.objects.get(org_uid="org-accounting")
    person.save()
    lab.delete()

    for name in ("root", "alice", "carol"):
        families = scrape(client, fleet["users"][name])  # 200, not a 500
        assert "org-lab" not in orgs_in(families)
    devices = scrape(client, fleet["users"]["root"])["backupreport_devices"]
    for health in Health:
        said = sample_value(devices, org="org-emea", health=health.value)
        assert said == sample_value(before, org="org-emea", health=health.value)
    assert sample_value(devices, org="org-emea", health="critical") == 2  # sam's and the lab's
