"""What runs after new data is in (reports.pipeline): one function, its steps in the order
of settings.AFTER_REFRESH, called by every successful import, upload, sync and rebuild
and by the daily snapshot. A failing step is logged and noted on the run; the import
stands, and the steps after it still run. No signal receiver does any of it."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from reports.history.models import Snapshot
from reports.models import ReportRow
from reports.pipeline import Occasion
from reports.refresh.log import recorded
from reports.refresh.models import Run
from tests.import_support import run, write_csv
from tests.test_import_backup_report import vendor_row

SNAPSHOT = "reports.history.snapshots.take_snapshot"
WARM = "reports.warming.warm.warm_figures"
WEBHOOKS = "reports.integrations.events.webhook_events"
FIRST, SECOND, BROKEN = (f"tests.test_pipeline.{name}" for name in ("first", "second", "broken"))

called: list[tuple[str, Occasion]] = []


def first(occasion: Occasion) -> str:
    called.append(("first", occasion))
    return "the first did its part"


def second(occasion: Occasion) -> str:
    called.append(("second", occasion))
    return "the second did its part"


def broken(occasion: Occasion) -> str:
    called.append(("broken", occasion))
    raise RuntimeError("the step could not finish")


@pytest.fixture(autouse=True)
def forget_calls():
    called.clear()


def _import(tmp_path) -> Run:
    run("import_backup_report", write_csv(tmp_path / "report.csv", [vendor_row(1), vendor_row(2)]))
    return Run.objects.get()


def test_the_stated_order_is_the_snapshot_then_warming_then_webhooks(settings):
    # Warming after the snapshot: the trend it computes ahead holds the new snapshot.
    # Webhooks last: their weekly summary reads the snapshot; they only queue work.
    assert settings.AFTER_REFRESH == [SNAPSHOT, WARM, WEBHOOKS]


def test_an_import_runs_the_steps_in_order_and_notes_each_on_the_run(db, tmp_path):
    entry = _import(tmp_path)
    assert [step["step"] for step in entry.after_refresh] == [
        "take snapshot",
        "warm figures",
        "webhook events",
    ]
    assert entry.failed_steps == []
    assert entry.after_refresh[0]["note"].startswith(f"Snapshot of {timezone.localdate()}")
    assert Snapshot.objects.filter(day=timezone.localdate()).exists()


def test_the_steps_run_in_the_order_of_the_setting(db, tmp_path, settings):
    settings.AFTER_REFRESH = [SECOND, FIRST]
    entry = _import(tmp_path)
    assert called == [("second", Occasion.NEW_DATA), ("first", Occasion.NEW_DATA)]
    assert entry.after_refresh == [
        {"step": "second", "note": "the second did its part", "error": ""},
        {"step": "first", "note": "the first did its part", "error": ""},
    ]


def test_a_failing_step_is_logged_noted_on_the_run_and_the_import_stands(
    db, tmp_path, settings, caplog
):
    settings.AFTER_REFRESH = [BROKEN, SNAPSHOT, FIRST]
    with caplog.at_level(logging.ERROR, logger="reports.pipeline"):
        entry = _import(tmp_path)
    assert entry.outcome == Run.Outcome.SUCCEEDED and entry.error == ""
    assert ReportRow.objects.count() == 2  # the import is kept
    assert entry.failed_steps == [
        {"step": "broken", "note": "", "error": "RuntimeError: the step could not finish"}
    ]
    # The steps after it still ran.
    assert [step["step"] for step in entry.after_refresh] == ["broken", "take snapshot", "first"]
    assert Snapshot.objects.exists()
    assert called[-1] == ("first", Occasion.NEW_DATA)
    assert f"broken after run {entry.pk} failed" in caplog.text
    assert "the step could not finish" in caplog.text


def test_the_run_log_page_shows_a_failed_step(login, tmp_path, settings):
    settings.AFTER_REFRESH = [BROKEN]
    _import(tmp_path)
    page = login("root").get("/data/").content.decode()
    assert "broken failed: RuntimeError: the step could not finish" in page


def test_a_rebuild_runs_the_steps_and_takes_no_snapshot(db, tmp_path, settings):
    settings.AFTER_REFRESH = [SNAPSHOT, FIRST]
    call_command("rebuild_report", stdout=io.StringIO())
    entry = Run.objects.get()
    assert called == [("first", Occasion.REBUILT)]
    assert entry.after_refresh[0]["note"] == "not taken: a rebuild brings no new data"
    assert not Snapshot.objects.exists()


def test_a_sync_runs_the_steps_as_new_data(db, settings):
    settings.AFTER_REFRESH = [FIRST]
    with recorded(Run.Kind.SYNC, "https://vendor.example"):
        pass
    assert called == [("first", Occasion.NEW_DATA)]


def test_a_failed_or_dry_run_runs_no_step(db, tmp_path, settings):
    settings.AFTER_REFRESH = [FIRST]
    with pytest.raises(ValueError), recorded(Run.Kind.IMPORT, "broken.csv"):
        raise ValueError("line 2: not a report")
    run("import_backup_report", write_csv(tmp_path / "report.csv", [vendor_row(1)]), "--dry-run")
    assert called == []
    assert Run.objects.get().after_refresh == []


def test_the_daily_snapshot_is_the_same_steps_on_a_new_day(db, settings):
    settings.AFTER_REFRESH = [SNAPSHOT, FIRST]
    out = io.StringIO()
    call_command("snapshot_health", stdout=out)
    assert called == [("first", Occasion.NEW_DAY)]
    assert "take snapshot: Snapshot of" in out.getvalue()
    assert "first: the first did its part" in out.getvalue()


def test_the_daily_snapshot_fails_loudly_when_a_step_fails_and_runs_the_rest(people, settings):
    settings.AFTER_REFRESH = [BROKEN, SNAPSHOT]
    with pytest.raises(CommandError, match="broken failed: RuntimeError: the step could not"):
        call_command("snapshot_health", stdout=io.StringIO())
    assert Snapshot.objects.filter(day=timezone.localdate()).exists()  # taken all the same
    assert called == [("broken", Occasion.NEW_DAY)]


def test_no_signal_receiver_runs_after_a_run():
    """The pipeline is called, not hung on Run's saves (their order would be that of
    INSTALLED_APPS)."""
    assert not post_save.has_listeners(Run)
    assert not pre_save.has_listeners(Run)
