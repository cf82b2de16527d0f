"""The overview says how old the data is (spec section 8): "data as of" the last
successful import or sync, in colour once that is older than DATA_STALE_HOURS."""

from __future__ import annotations

import re

import pytest

from reports.refresh.models import Run
from tests.personas import ago


def data_age(client) -> tuple[str, str]:
    """(class, text) of the overview's data-age line."""
    html = client.get("/").content.decode()
    match = re.search(r'<p class="([^"]*)" id="data-age">(.*?)</p>', html, re.S)
    assert match, "no data-age line"
    return match.group(1), " ".join(re.sub(r"<[^>]+>", "", match.group(2)).split())


def record(kind="sync", outcome="succeeded", **age) -> Run:
    return Run.objects.create(kind=kind, trigger="schedule", outcome=outcome, started_at=ago(**age))


def test_it_shows_the_last_successful_refresh(login):
    run = record(hours=2)
    css, text = data_age(login("root"))
    assert css == "data-age"
    assert f"Data as of {run.started_at:%Y-%m-%d %H:%M} UTC" in text
    assert "2 hours ago (the last successful sync from the vendor)" in text


def test_it_warns_when_the_data_is_older_than_the_setting(login):
    record(kind="import", hours=30)
    css, text = data_age(login("root"))
    assert "data-stale" in css
    assert "older than 26 hours. Is the sync running?" in text


def test_the_age_limit_is_a_setting(login, settings):
    settings.DATA_STALE_HOURS = 1
    record(hours=2)
    css, text = data_age(login("root"))
    assert "data-stale" in css and "older than 1 hour." in text


def test_failures_running_runs_and_rebuilds_do_not_make_data_fresh(login):
    record(hours=40)
    record(outcome="failed", hours=1)
    record(outcome="running", minutes=5)
    record(kind="rebuild", minutes=30)
    css, text = data_age(login("root"))
    assert "data-stale" in css and "1 day, 16 hours ago" in text


def test_with_no_refresh_recorded_the_age_is_unknown(login):
    css, text = data_age(login("root"))
    assert "data-stale" in css
    assert "No import or sync is recorded yet" in text


@pytest.mark.parametrize("name", ["alice", "dave", "sam"])
def test_everyone_sees_it_but_only_system_administrators_get_the_run_log_link(login, name):
    record(hours=1)
    client = login(name)
    assert data_age(client)[1].startswith("Data as of")
    assert b"/admin/refresh/run/" not in client.get("/").content


def test_system_administrators_get_a_link_to_the_run_log(login):
    record(hours=1)
    assert b'href="/admin/refresh/run/"' in login("root").get("/").content
