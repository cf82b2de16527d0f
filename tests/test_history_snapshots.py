"""Snapshots (spec section 9): the day's figures per org equal the live counts, subtree
sums equal the subtree's devices, a second snapshot replaces the first, and retention
removes exactly the days older than HISTORY_DAYS."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Org
from accounts.roles import Reach
from reports.history.models import Snapshot
from reports.history.reading import Figures, daily_totals, snapshots_of
from reports.history.snapshots import FIGURES, SNAPSHOT_LOCK, STORAGE, take
from reports.models import Archive, Device

WARNING, CRITICAL = dt.timedelta(days=3), dt.timedelta(days=7)


def live_figures(orgs, now: dt.datetime) -> Figures:
    """From the environment tables, not the report table: device by device. Health per
    destination (spec 11): the worst archive's; one never completed beside one that has
    is critical. Selected bytes once per device (its largest); archived summed."""
    counts = dict.fromkeys(["devices", "ok", "warning", "critical", "never"], 0)
    storage = dict.fromkeys(["selected_bytes", "archive_bytes", "cold_archives", "cold_bytes"], 0)
    for device in Device.objects.filter(user__org__in=orgs):
        archives = list(device.archives.all())
        storage["selected_bytes"] += max((a.selected_bytes or 0 for a in archives), default=0)
        for archive in archives:
            storage["archive_bytes"] += archive.archive_bytes or 0
            if archive.cold_storage:
                storage["cold_archives"] += 1
                storage["cold_bytes"] += archive.archive_bytes or 0
        if device.status != Device.Status.ACTIVE:
            continue
        dates = [a.last_completed_backup_date for a in archives]
        counts["devices"] += 1
        if not any(dates):
            counts["never"] += 1
        elif None in dates or now - min(dates) >= CRITICAL:
            counts["critical"] += 1
        elif now - min(dates) >= WARNING:
            counts["warning"] += 1
        else:
            counts["ok"] += 1
    return Figures(**counts, **storage)


def own_figures(snapshot: Snapshot) -> Figures:
    # Its figures: not when it was taken or by which thresholds (compared apart).
    return Figures(**{f: getattr(snapshot, f) for f in FIGURES + STORAGE})


@pytest.fixture
def varied(fleet):
    """The personas' fleet plus a deactivated device with storage and a second archive."""
    from tests.factories import ArchiveFactory, DeviceFactory

    users = fleet["users"]
    gone = DeviceFactory(user=users["carol"], name="CAROL-OLD", status=Device.Status.DEACTIVATED)
    ArchiveFactory(device=gone, archive_bytes=5 * 1024**3, selected_bytes=6 * 1024**3)
    # A fresh second destination: the device stays in warning, by its stalest one.
    fresh = timezone.now() - dt.timedelta(hours=1)
    ArchiveFactory(device=fleet["warning"], last_completed_backup_date=fresh, archive_bytes=10)
    return fleet


def test_each_orgs_snapshot_equals_its_live_counts(varied, settings):
    now = timezone.now()
    taken = take(now)
    assert taken.day == timezone.localdate(now)
    snapshots = {s.org_id: s for s in Snapshot.objects.filter(day=taken.day)}
    for org in Org.objects.all():
        expected = live_figures([org], now)
        if org.pk not in snapshots:
            assert expected == Figures(), org
            continue
        assert own_figures(snapshots[org.pk]) == expected, org
    # Not a trivial fleet: every health and some storage show up somewhere.
    total = sum((own_figures(s) for s in snapshots.values()), Figures())
    assert min(total.ok, total.warning, total.critical, total.never, total.cold_archives) >= 1
    assert total.devices < Device.objects.count()  # the deactivated device is not counted


def test_subtree_figures_are_the_sums_of_the_orgs_below(varied, orgs):
    now = timezone.now()
    day = take(now).day
    for org in Org.objects.all():
        reach = Reach(everything=False, owner_id=None, org_paths=(org.path,))
        totals = daily_totals(snapshots_of(reach), since=day)
        expected = live_figures(Org.objects.subtree_of(org), now)
        assert totals.get(day, Figures()) == expected, org
    everything = daily_totals(snapshots_of(Reach(everything=True, owner_id=None)), since=day)
    assert everything[day] == live_figures(Org.objects.all(), now)
    assert everything[day].devices == 8


def test_a_second_snapshot_the_same_day_replaces_the_first(varied):
    morning = timezone.now()
    take(morning)
    first = {s.org_id: s.pk for s in Snapshot.objects.all()}
    Archive.objects.filter(device=varied["critical"]).update(last_completed_backup_date=morning)
    from reports.read_model import rebuild

    rebuild()
    take(morning + dt.timedelta(seconds=1))
    after = Snapshot.objects.filter(day=timezone.localdate(morning))
    assert after.count() == len(first)
    sales = Org.objects.get(org_uid="org-sales")
    assert after.get(org=sales).critical == 0
    assert after.get(org=sales).ok == 2
    assert sum(s.devices for s in after) == 8  # replaced, not added


def test_the_command_takes_the_snapshot_and_applies_the_retention(varied, settings, capsys):
    settings.HISTORY_DAYS = 5
    start = timezone.now()
    for days in range(7):
        with time_machine.travel(start + dt.timedelta(days=days)):
            call_command("snapshot_health")
    days_kept = sorted(set(Snapshot.objects.values_list("day", flat=True)))
    last = timezone.localdate(start + dt.timedelta(days=6))
    assert days_kept == [last - dt.timedelta(days=n) for n in range(4, -1, -1)]
    assert "older than the retention, or dated after today, removed" in capsys.readouterr().out


def test_retention_keeps_the_oldest_kept_day_and_removes_the_day_before(varied, settings):
    settings.HISTORY_DAYS = 400
    now = timezone.now()
    today = timezone.localdate(now)
    sales = Org.objects.get(org_uid="org-sales")
    for age in (398, 399, 400, 401):
        Snapshot.objects.create(org=sales, day=today - dt.timedelta(days=age), taken_at=now)
    take(now)
    ages = {(today - d).days for d in Snapshot.objects.values_list("day", flat=True)}
    assert ages == {0, 398, 399}


def test_a_snapshot_dated_ahead_by_a_clock_set_back_since_is_forgotten(login, varied):
    """The server's clock ran two days ahead and a snapshot was taken (a VM restored, a
    wrong clock corrected by NTP): set right, its day was still "the latest" until the
    calendar caught up. The trend showed a day after today, beyond its chart, and
    compliance's 7 and 30 days ago were a week and a month before that day; /metrics
    served it as the current snapshot, older than today's (found by an audit of section
    9). Today's snapshot is the latest: the days after it go."""
    now = timezone.now()
    with time_machine.travel(now + dt.timedelta(days=2), tick=False):
        take()
    today = take(now).day
    assert not Snapshot.objects.filter(day__gt=today).exists()
    client = login("root")
    days = [day["day"] for day in client.get("/api/history/trend").json()["data"]["days"]]
    assert days == [today.isoformat()]
    assert client.get("/api/history/compliance").json()["data"]["day"] == today.isoformat()


def test_a_successful_import_takes_a_snapshot_and_a_failed_one_does_not(varied):
    from reports.refresh.log import recorded
    from reports.refresh.models import Run

    with pytest.raises(ValueError), recorded(Run.Kind.IMPORT, "broken.csv"):
        raise ValueError("line 2: not a report")
    assert not Snapshot.objects.exists()
    with recorded(Run.Kind.REBUILD, "the environment tables"):
        pass
    assert not Snapshot.objects.exists()
    with recorded(Run.Kind.SYNC, "https://vendor.example"):
        pass
    assert Snapshot.objects.filter(day=timezone.localdate()).count() == 4


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has one writer anyway"
)
@pytest.mark.django_db(transaction=True)
def test_two_snapshots_at_once_one_waits_and_the_day_has_one_set(varied):
    """The daily job and an import's snapshot (or two nodes' timers) at the same moment."""
    holder = connections.create_connection("default")  # another snapshot, under way
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SNAPSHOT_LOCK])
    errors: list[BaseException] = []

    def snapshot() -> None:
        try:
            take()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=snapshot) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    assert all(thread.is_alive() for thread in threads), "a snapshot did not wait"
    holder.rollback()
    holder.close()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    day = timezone.localdate(timezone.now())
    orgs = set(Snapshot.objects.filter(day=day).values_list("org_id", flat=True))
    assert Snapshot.objects.filter(day=day).count() == len(orgs) > 0  # one row an org


TREE_HEADER = "orgUid,orgName,orgExtRef,parentOrgUid\n"


def test_an_org_a_mirror_removes_keeps_its_past_in_the_fleets_history(db, tmp_path):
    """Lab had a device ten days ago; today the vendor lists neither Lab nor anyone in
    it: the sync removes Lab, and its rows went with it (on_delete CASCADE), the fleet's
    past rewritten (found by an audit)."""
    from tests.import_support import run, write_csv
    from tests.test_import_backup_report import vendor_row

    everything = Reach(everything=True, owner_id=None)
    tree = tmp_path / "orgs.csv"
    tree.write_text(TREE_HEADER + "org-root,Root,,\norg-hq,HQ,,org-root\norg-lab,Lab,,org-root\n")
    rows = [vendor_row(1), vendor_row(2, orgUid="org-lab", orgName="Lab")]
    earlier = timezone.now() - dt.timedelta(days=10)
    with time_machine.travel(earlier, tick=False):
        run(
            "import_backup_report",
            write_csv(tmp_path / "r1.csv", rows),
            "--mirror",
            "--allow-mass-removal",
            "--orgs",
            str(tree),
        )
    past = timezone.localdate(earlier)
    lab = Org.objects.get(org_uid="org-lab")
    lab_path = lab.path
    assert daily_totals(snapshots_of(everything), past)[past].devices == 2

    tree.write_text(TREE_HEADER + "org-root,Root,,\norg-hq,HQ,,org-root\n")
    rows = [vendor_row(1), vendor_row(2)]  # its person is in HQ now
    run(
        "import_backup_report",
        write_csv(tmp_path / "r2.csv", rows),
        "--mirror",
        "--allow-mass-removal",
        "--orgs",
        str(tree),
    )

    assert not Org.objects.filter(org_uid="org-lab").exists()
    assert daily_totals(snapshots_of(everything), past)[past].devices == 2
    kept = Snapshot.objects.get(day=past, org_uid="org-lab")
    assert (kept.org, kept.org_name, kept.path, kept.devices) == (None, "Lab", lab_path, 1)
    root = Org.objects.get(org_uid="org-root")
    assert daily_totals(snapshots_of(Reach(False, None, (root.path,))), past)[past].devices == 2
    today = timezone.localdate()
    assert not Snapshot.objects.filter(day=today, org__isnull=True).exists()


def test_the_retention_forgets_a_removed_orgs_rows_as_any_others(varied, settings):
    settings.HISTORY_DAYS = 31
    now = timezone.now()
    today = timezone.localdate(now)
    for age in (30, 31):
        Snapshot.objects.create(
            org=None,
            org_uid="org-gone",
            path="/999/",
            day=today - dt.timedelta(days=age),
            taken_at=now,
        )
    take(now)
    assert [
        (today - day).days
        for day in Snapshot.objects.filter(org=None).values_list("day", flat=True)
    ] == [30]


def test_a_removed_orgs_past_counts_where_it_was_for_each_role(login, varied):
    """Lab, below Accounting, is removed: its past stays in the fleet's figures and in
    Accounting's and its ancestors' (alice's, root's), by the path it had; carol, whose
    subtree it never was in, never counts it; a desktop user has no history at all."""
    from reports.models import Device
    from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory

    accounting = Org.objects.get(org_uid="org-accounting")
    lab = OrgFactory(org_uid="org-lab", name="Lab", parent=accounting)
    lena = UserFactory(username="lena", org=lab)
    ArchiveFactory(device=DeviceFactory(user=lena, name="LENA-1"), last_completed_backup_date=None)
    now = timezone.now()
    week_ago = take(now - dt.timedelta(days=7)).day
    take(now)

    def seen(name: str) -> tuple:
        client = login(name)
        trend = client.get("/api/history/trend").json()["data"]["days"]
        past = next(d for d in trend if d["day"] == week_ago.isoformat())
        top = client.get("/api/history/compliance").json()["data"]["rows"]
        below = {}
        if name == "root":
            rows = client.get("/api/history/compliance", {"org": "org-emea"}).json()["data"]["rows"]
            below = {r["orgUid"]: r["okPercent7DaysAgo"] for r in rows}
        return past, {r["orgUid"]: r["okPercent7DaysAgo"] for r in top}, below

    before = {name: seen(name) for name in ("root", "alice", "carol")}
    assert before["root"][0]["activeDevices"] == 9  # the fleet's 8 and Lena's
    assert before["alice"][0]["activeDevices"] == 4  # Accounting's 3 and Lena's
    assert before["carol"][0]["activeDevices"] == 3

    lena.org = accounting
    lena.save()
    Org.objects.filter(pk=lab.pk).delete()  # as the mirror removes an org (mirror.remove)
    take(now)

    assert Device.objects.filter(name="LENA-1").exists()
    for name in ("root", "alice", "carol"):
        assert seen(name) == before[name], name
    for name in ("dave", "sam"):
        assert login(name).get("/api/history/trend").status_code == 403


def test_an_org_moved_then_removed_keeps_its_past_where_it_last_was(login, varied):
    """Lab, below Accounting (alice's), moves to Americas (carol's): its past follows it,
    carol's trend counts it and alice's no longer does. Then it is removed: its rows
    were found by the path each had when taken, and the days it spent below Accounting
    went back to alice, out of carol's past: both trends rewritten the day it went, and
    alice seeing the past of an org last in another's subtree (found by an audit of
    section 9). Removed, it stays where it last was."""
    from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory

    accounting = Org.objects.get(org_uid="org-accounting")
    americas = Org.objects.get(org_uid="org-americas")
    lab = OrgFactory(org_uid="org-lab", name="Lab", parent=accounting)
    lena = UserFactory(username="lena", org=lab)
    ArchiveFactory(device=DeviceFactory(user=lena, name="LENA-1"), last_completed_backup_date=None)
    now = timezone.now()
    take(now - dt.timedelta(days=9))  # Lab below Accounting
    lab.parent = americas
    lab.save()
    take(now - dt.timedelta(days=5))  # Lab below Americas

    def trend(name: str) -> dict[str, int]:
        days = login(name).get("/api/history/trend").json()["data"]["days"]
        return {day["day"]: day["activeDevices"] for day in days}

    before = {name: trend(name) for name in ("root", "alice", "carol")}
    assert list(before["alice"].values()) == [3, 3]  # Accounting's own, not Lab's
    assert list(before["carol"].values()) == [4, 4]  # Americas' 3 and Lena's

    lena.org = americas
    lena.save()
    Org.objects.filter(pk=lab.pk).delete()  # as the mirror removes an org (mirror.remove)
    take(now)

    for name in ("root", "alice", "carol"):
        after = trend(name)
        assert {day: after[day] for day in before[name]} == before[name], name
    kept = set(Snapshot.objects.filter(org_uid="org-lab").values_list("org", "path"))
    assert kept == {(None, lab.path)}


def _lab_removed_below_team(now: dt.datetime) -> tuple[Org, Org, Org, dt.date]:
    """Team below Accounting (alice's), Lab below Team with Lena's device, measured nine
    days ago; then Lena moves to Team and Lab is removed. (team, lab, americas, that day)."""
    from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory

    accounting = Org.objects.get(org_uid="org-accounting")
    americas = Org.objects.get(org_uid="org-americas")
    team = OrgFactory(org_uid="org-team", name="Team", parent=accounting)
    lab = OrgFactory(org_uid="org-lab", name="Lab", parent=team)
    lena = UserFactory(username="lena", org=lab)
    ArchiveFactory(device=DeviceFactory(user=lena, name="LENA-1"), last_completed_backup_date=None)
    past = take(now - dt.timedelta(days=9)).day
    lena.org = team
    lena.save()
    Org.objects.filter(pk=lab.pk).delete()  # as the mirror removes an org (mirror.remove)
    return team, lab, americas, past


@pytest.mark.parametrize("moved_by", ["the admin", "the org tree's import"])
def test_a_removed_orgs_past_moves_with_the_parent_it_had(login, varied, moved_by, tmp_path):
    """Lab, below Team below Accounting (alice's), is removed; then Team moves to
    Americas (carol's). Team's past follows it, and Lab's stayed at the path it had:
    alice still counted the past of an org below Team, now in carol's subtree, and
    carol did not (found by an audit of section 9). A removed org's rows follow the
    nearest of its ancestors still there, as the next snapshot finds them."""
    now = timezone.now()
    team, lab, americas, past = _lab_removed_below_team(now)
    take(now - dt.timedelta(days=5))
    if moved_by == "the admin":
        team.parent = americas
        team.save()
    else:  # the vendor's org tree, applied in bulk, then the import's snapshot
        from tests.import_support import run

        tree = tmp_path / "orgs.csv"
        tree.write_text(TREE_HEADER + "org-team,Team,,org-americas\n")
        run("import_orgs", str(tree))
    take(now)

    def on_the_day(name: str) -> int:
        days = login(name).get("/api/history/trend").json()["data"]["days"]
        return next(day["activeDevices"] for day in days if day["day"] == past.isoformat())

    assert on_the_day("alice") == 3  # Accounting's own: Team and Lab are carol's now
    assert on_the_day("carol") == 4  # Americas' 3 and Lena's, in Lab below Team then
    assert on_the_day("root") == 9
    team.refresh_from_db()
    assert Snapshot.objects.get(org_uid="org-lab").path == f"{team.path}{lab.pk}/"


def test_a_removed_orgs_past_moves_at_once_with_a_parent_moved_in_the_admin(login, varied):
    """Lab, below Team below Accounting (alice's), is removed; then an administrator moves
    Team to Americas (carol's) in the admin. Lab's past follows Team at once, as Team's
    own does, not at the next snapshot (up to a day later: the daily one at 00:20): the
    admin's save is the only step that moves it (signals.follow_a_moved_ancestor), which
    no test read apart from a snapshot taken after it (found by a review)."""
    team, _, americas, past = _lab_removed_below_team(timezone.now())
    take()

    def on_the_day(name: str) -> int:
        days = login(name).get("/api/history/trend").json()["data"]["days"]
        return next(day["activeDevices"] for day in days if day["day"] == past.isoformat())

    assert (on_the_day("alice"), on_the_day("carol")) == (4, 3)  # read: cached
    moved = login("root").post(
        f"/admin/accounts/org/{team.pk}/change/",
        {
            "org_uid": "org-team",
            "name": "Team",
            "ext_ref": "",
            "parent": americas.pk,
            "status": Org.Status.ACTIVE,
        },
    )
    assert moved.status_code == 302, moved.content.decode()[:2000]
    assert on_the_day("alice") == 3  # Accounting's own: Team and Lab are carol's now
    assert on_the_day("carol") == 4  # Americas' 3 and Lena's, in Lab below Team then


@pytest.mark.django_db(transaction=True)
def test_0002_keeps_each_rows_org_and_the_table_stays_watched(orgs):
    """The rows there are get their org's uid, name and path, and the table (rebuilt on
    SQLite) still moves the report generation on."""
    from accounts.watched_tables import is_watched
    from reports.cache import REPORT

    sales = orgs["sales"]
    try:
        call_command("migrate", "history", "0001", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO history_snapshot (org_id, day, devices, ok, warning, critical,"
                " never, selected_bytes, archive_bytes, cold_archives, cold_bytes, taken_at)"
                " VALUES (%s, %s, 2, 1, 1, 0, 0, 0, 0, 0, 0, %s)",
                [sales.pk, (timezone.now() - dt.timedelta(days=1)).date(), timezone.now()],
            )
        call_command("migrate", "history", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    kept = Snapshot.objects.get()
    assert (kept.org, kept.org_uid, kept.org_name, kept.path) == (
        sales,
        "org-sales",
        "Sales",
        sales.path,
    )
    assert is_watched(connection, REPORT, "history_snapshot")
    sales.users.all().delete()
    Org.objects.filter(pk=sales.pk).delete()
    assert Snapshot.objects.get().org is None
