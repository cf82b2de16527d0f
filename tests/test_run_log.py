"""The run log (spec section 8): every import and rebuild is recorded, failures too."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reports.refresh.data_age import data_age
from reports.refresh.log import recorded
from reports.refresh.models import Run
from tests.import_support import database_snapshot, run, write_csv
from tests.test_import_backup_report import vendor_row


def only_run() -> Run:
    (entry,) = Run.objects.all()
    return entry


def test_an_import_is_recorded_with_its_counts(db, tmp_path):
    path = write_csv(tmp_path / "report.csv", [vendor_row(1), vendor_row(2)])
    run("import_backup_report", path)
    entry = only_run()
    assert (entry.kind, entry.trigger, entry.outcome) == ("import", "command", "succeeded")
    assert entry.source == str(path.resolve())
    assert entry.user is None and entry.error == ""
    # One org, destination and server, two users, devices and archives.
    assert (entry.created, entry.updated, entry.removed, entry.unchanged) == (9, 0, 0, 0)
    assert "devices: 2 created, 0 updated, 0 unchanged" in entry.summary
    assert entry.started_at <= entry.finished_at <= timezone.now()


def test_importing_the_same_file_again_is_recorded_as_unchanged(db, tmp_path):
    path = write_csv(tmp_path / "report.csv", [vendor_row(1)])
    run("import_backup_report", path)
    run("import_backup_report", path)
    latest = Run.objects.first()
    assert (latest.created, latest.updated, latest.unchanged) == (0, 0, 6)


@pytest.mark.django_db(transaction=True)
def test_a_failed_import_is_recorded_with_its_error_after_the_rollback(tmp_path):
    good = write_csv(tmp_path / "good.csv", [vendor_row(1)])
    run("import_backup_report", good)
    before = database_snapshot()
    bad = write_csv(
        tmp_path / "bad.csv",
        [vendor_row(1, deviceName="renamed"), vendor_row(2, creationDate="soon")],
    )
    with pytest.raises(CommandError, match="line 3, column creationDate"):
        run("import_backup_report", bad)
    failed = Run.objects.first()
    assert failed.outcome == "failed" and failed.finished_at is not None
    assert "line 3, column creationDate" in failed.error
    assert 'cannot read "soon" as a date' in failed.error
    assert (failed.created, failed.updated, failed.removed) == (0, 0, 0)
    assert database_snapshot() == before


def test_an_org_import_is_recorded(db, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-a,A,,\norg-b,B,,org-a\n")
    run("import_orgs", path)
    entry = only_run()
    assert (entry.kind, entry.outcome, entry.created) == ("import", "succeeded", 2)


def test_a_dry_run_is_not_recorded(db, tmp_path):
    path = write_csv(tmp_path / "report.csv", [vendor_row(1)])
    run("import_backup_report", path, "--dry-run")
    assert not Run.objects.exists()


def test_a_rebuild_is_recorded(db, tmp_path):
    run("import_backup_report", write_csv(tmp_path / "report.csv", [vendor_row(1), vendor_row(2)]))
    call_command("rebuild_report", stdout=open("/dev/null", "w"))  # noqa: SIM115
    rebuild = Run.objects.first()
    assert (rebuild.kind, rebuild.outcome, rebuild.created) == ("rebuild", "succeeded", 2)


def test_an_interrupted_run_is_recorded_as_failed(db):
    with pytest.raises(KeyboardInterrupt), recorded(Run.Kind.SYNC, "https://vendor.example"):
        raise KeyboardInterrupt
    assert only_run().outcome == "failed"
    assert "Interrupted" in only_run().error


def test_an_unforeseen_error_is_recorded_with_its_type(db):
    with pytest.raises(ZeroDivisionError), recorded(Run.Kind.IMPORT, "x.csv"):
        1 / 0  # noqa: B018
    assert only_run().error == "ZeroDivisionError: division by zero"


def test_the_last_refresh_is_the_latest_successful_import_or_sync(db):
    now = timezone.now()

    def entry(kind, outcome, hours_ago):
        return Run.objects.create(
            kind=kind,
            trigger="command",
            outcome=outcome,
            started_at=now - dt.timedelta(hours=hours_ago),
        )

    assert Run.objects.last_refresh() is None
    entry("import", "succeeded", 30)
    sync = entry("sync", "succeeded", 10)
    entry("sync", "failed", 5)
    entry("rebuild", "succeeded", 4)
    entry("sync", "running", 1)
    assert Run.objects.last_refresh() == sync


@pytest.fixture
def admin_client_of(client, personas):
    def login(name):
        client.force_login(personas[name])
        return client

    return login


def test_the_admin_lists_runs_newest_first(admin_client_of, tmp_path):
    for n in (1, 2):
        run("import_backup_report", write_csv(tmp_path / f"r{n}.csv", [vendor_row(n)]))
    page = admin_client_of("sysadmin").get("/admin/refresh/run/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("r2.csv") < html.index("r1.csv")


def test_the_run_log_is_read_only_in_the_admin(admin_client_of, tmp_path):
    run("import_backup_report", write_csv(tmp_path / "r.csv", [vendor_row(1)]))
    client = admin_client_of("sysadmin")
    entry = only_run()
    assert client.get("/admin/refresh/run/add/").status_code == 403
    assert client.get(f"/admin/refresh/run/{entry.pk}/delete/").status_code == 403
    detail = client.get(f"/admin/refresh/run/{entry.pk}/change/")
    assert detail.status_code == 200 and b'type="submit"' not in detail.content.split(b"<form")[-1]
    client.post(f"/admin/refresh/run/{entry.pk}/change/", {"outcome": "failed"})
    entry.refresh_from_db()
    assert entry.outcome == "succeeded"


def test_the_data_page_says_why_a_run_failed_and_links_to_it(admin_client_of):
    # A scheduled sync has no page of its own: the run log is where an admin sees why
    # it failed (it said only "failed", found by an audit of the sync).
    with pytest.raises(ValueError), recorded(Run.Kind.SYNC, "https://vendor.example"):
        raise ValueError("the vendor refused the API client's credentials")
    client = admin_client_of("sysadmin")
    page = client.get("/data/").content.decode()
    assert "the vendor refused the API client&#x27;s credentials" in page
    assert f'href="/admin/refresh/run/{only_run().pk}/change/"' in page
    listed = client.get("/admin/refresh/run/").content.decode()
    assert "the vendor refused the API client&#x27;s credentials" in listed


@pytest.mark.parametrize("name", ["alice", "dave"])
def test_only_system_administrators_see_the_run_log(admin_client_of, name):
    page = admin_client_of(name).get("/admin/refresh/run/")
    assert page.status_code == 302 and "/login/" in page["Location"]


def test_a_clock_stepped_back_never_ends_a_run_before_it_started(db):
    """NTP or a restored VM steps the clock back mid-run: the run ends when it started,
    not before; a negative duration took /metrics' run duration counter down."""
    started = timezone.now()
    with (
        time_machine.travel(started, tick=False) as clock,
        recorded(Run.Kind.REBUILD, "rebuild_report"),
    ):
        clock.move_to(started - dt.timedelta(minutes=5))
    entry = only_run()
    assert entry.finished_at == entry.started_at
    assert entry.duration == dt.timedelta(0)


def test_an_org_tree_alone_leaves_the_data_as_old_as_it_was(db, tmp_path):
    """The org CSV says nothing of when devices last backed up: an `import_orgs` of a
    file written just now made "data as of" read now, and cleared the overview's stale
    warning (and /metrics' age) over device data days old, a broken sync hidden (found
    by an audit of section 8). The run keeps the age the last refresh said."""
    report = write_csv(tmp_path / "report.csv", [vendor_row(1)])
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    run("import_backup_report", report, "--exported-at", three_days_ago.isoformat())
    before = data_age(timezone.now())
    assert before.stale
    tree = tmp_path / "orgs.csv"
    tree.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-a,A,,\n")
    run("import_orgs", tree)
    after = data_age(timezone.now())
    assert after.last_refresh.source == str(tree.resolve())
    assert after.last_refresh.data_as_of == before.last_refresh.data_as_of
    assert after.stale


def test_an_org_tree_before_any_report_is_as_of_its_file(db, tmp_path):
    tree = tmp_path / "orgs.csv"
    tree.write_text("orgUid,orgName,orgExtRef,parentOrgUid\norg-a,A,,\n")
    written = timezone.now() - dt.timedelta(hours=2)
    os.utime(tree, (written.timestamp(), written.timestamp()))
    run("import_orgs", tree)
    assert abs(only_run().data_as_of - written) < dt.timedelta(seconds=1)
