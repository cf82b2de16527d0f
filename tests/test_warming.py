"""No visitor pays for a cold cache (issue 12, point 2): after a refresh every role
scope's first figures are computed ahead and stored in the database (reports.warming),
exact at any moment, and never another scope's."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS, reach_of
from reports.catalog import REPORTS
from reports.dashboards.overview import overview_figures, overview_of
from reports.dashboards.paging import summarize
from reports.health import warning_days
from reports.history.compliance import compliance_of
from reports.history.reading import trend_of
from reports.history.snapshots import day_of
from reports.models import ReportRow
from reports.refresh.models import Run
from reports.warming.models import StoredFigure
from reports.warming.warm import warm_everything
from tests.factories import (
    NOW,
    ArchiveFactory,
    DeviceFactory,
    OrgFactory,
    UserFactory,
    refreshing_once,
)
from tests.import_support import run, write_csv
from tests.personas import PASSWORD

# An aggregate over the report table or the snapshots: what warming saves the visitor.
AGGREGATE = re.compile(r"\b(COUNT|SUM)\(", re.IGNORECASE)
WATCHED = ("reports_reportrow", "history_snapshot")
MOMENT = NOW.replace(hour=12, minute=0)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _row(n: int, org: str, backed_up: dt.datetime) -> dict[str, str]:
    return {
        "orgUid": org,
        "orgName": org.title(),
        "userUid": f"user-{n}",
        "username": f"user{n}@example.com",
        "email": f"user{n}@example.com",
        "userStatus": "Active",
        "deviceUid": f"device-{n}",
        "deviceName": f"LAPTOP-{n}",
        "status": "Active",
        "os": ("mac", "win", "linux")[n % 3],
        "archiveGuid": f"archive-{n}",
        "destinationUid": "dest-cloud",
        "destinationName": "Code42 Cloud US",
        "serverUid": "server-1",
        "serverName": "cloud-us-1",
        "selectedBytes": str(1000 * n),
        "archiveBytes": str(500 * n),
        "coldStorage": "true" if n % 4 == 0 else "false",
        "lastCompletedBackupDate": _stamp(backed_up),
        "lastConnectedDate": _stamp(backed_up),
    }


@pytest.fixture
@refreshing_once
def roles(db) -> dict[str, User]:
    """A system administrator, managers of the top org and of a sub-org (two of them),
    and a desktop user; their orgs exist before the import that fills them."""
    hq = OrgFactory(org_uid="org-hq", name="Hq")
    sub = OrgFactory(org_uid="org-sub", name="Sub", parent=hq)
    users = {
        "admin": UserFactory(username="admin", org=hq),
        "top": UserFactory(username="top", org=hq),
        "sub": UserFactory(username="sub", org=sub),
        "sub2": UserFactory(username="sub2", org=sub),
        "desk": UserFactory(username="desk", org=sub),
    }
    managers = Group.objects.get_or_create(name=ORG_MANAGERS)[0]
    users["admin"].groups.add(Group.objects.get_or_create(name=SYSTEM_ADMINISTRATORS)[0])
    for name in ("top", "sub", "sub2"):
        users[name].groups.add(managers)
    ArchiveFactory(device=DeviceFactory(user=users["desk"]))
    return users


def _import(tmp_path) -> None:
    """A vendor export whose devices straddle the warning threshold by seconds."""
    edge = MOMENT - dt.timedelta(days=warning_days())
    ages = [dt.timedelta(hours=h) for h in (1, 30, 200, 400)]
    dated = [MOMENT - age for age in ages] + [edge + dt.timedelta(seconds=s) for s in (1, 2, 3)]
    rows = [_row(n, ("org-hq", "org-sub")[n % 2], date) for n, date in enumerate(dated, 1)]
    with time_machine.travel(MOMENT, tick=False):
        run("import_backup_report", write_csv(tmp_path / "report.csv", rows))


def _client(client, user: User):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _aggregates(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if AGGREGATE.search(q["sql"]) and any(t in q["sql"] for t in WATCHED)
    ]


# Exact at any moment


def test_cached_overview_figures_equal_fresh_ones_across_a_band_boundary(roles, tmp_path):
    _import(tmp_path)
    visible = ReportRow.objects.visible_to(roles["admin"])
    with time_machine.travel(MOMENT, tick=False):
        figures = overview_figures(visible)
    edge = MOMENT + dt.timedelta(seconds=2)  # the second device turns to warning here
    moments = [MOMENT, edge - dt.timedelta(microseconds=1), edge, edge + dt.timedelta(seconds=1)]
    moments += [MOMENT + dt.timedelta(days=d) for d in (1, 2, 6, 30, 100)]
    for moment in moments:
        assert figures.at(moment) == overview_of(visible, moment), moment
    before, after = figures.at(moments[1]), figures.at(edge)
    assert after.health.by_health["warning"] == before.health.by_health["warning"] + 1


def test_the_overview_page_counts_health_at_the_moment_of_the_request(roles, client, tmp_path):
    _import(tmp_path)
    admin = _client(client, roles["admin"])
    edge = MOMENT + dt.timedelta(seconds=2)
    for moment in (edge - dt.timedelta(microseconds=1), edge):
        with time_machine.travel(moment, tick=False):
            shown = admin.get("/").context["overview"]
        assert shown == overview_of(ReportRow.objects.visible_to(roles["admin"]), moment)


# The first request after an import


def _first_requests(client, user: User) -> dict:
    """Each page's figures as the first visitor of a cold process gets them."""
    answers = {}
    browser = _client(client, user)
    for name, path in [
        ("overview", "/"),
        *((slug, REPORTS[slug].default_url) for slug in REPORTS if slug != "search"),
        ("compliance", "/history/compliance/"),
        ("storage-by-user", "/reports/disk-usage/by-user/?srtKey=archiveBytes&srtDir=desc"),
        ("storage-by-org", "/reports/disk-usage/by-org/?srtKey=archiveBytes&srtDir=desc"),
    ]:
        answers[name] = browser.get(path).context
    return answers


def _fresh(user: User) -> dict:
    from django.http import QueryDict

    from reports.dashboards import rollups
    from reports.dashboards.filters import dashboard_query

    reach = reach_of(user)
    fresh = {"overview": overview_of(ReportRow.objects.visible_to(user), MOMENT)}
    for slug, report in REPORTS.items():
        if slug != "search":
            rows = dashboard_query(QueryDict(report.default_url.split("?")[1]), user).rows
            fresh[slug] = summarize(rows, exact=report.totals)
    fresh["trend"] = trend_of(reach, day_of(MOMENT))[::-1]
    fresh["compliance"] = compliance_of(reach)
    rows = dashboard_query(QueryDict(""), user).rows
    for per in rollups.PER.values():
        fresh[f"storage-by-{per.slug}"] = rollups.page(rows, per, "archiveBytes", True, 0, 50)
    return fresh


def _check(answers: dict, fresh: dict) -> None:
    assert answers["overview"]["overview"] == fresh["overview"]
    assert answers["overview"]["trend_points"] == fresh["trend"]
    for slug in REPORTS:
        if slug != "search":
            assert answers[slug]["summary"] == fresh[slug], slug
    assert answers["compliance"]["compliance"] == fresh["compliance"]
    for name in ("storage-by-user", "storage-by-org"):
        shown = [row["rollup"] for row in answers[name]["rows"]]
        assert shown == fresh[name], name


@pytest.mark.parametrize("name", ["admin", "top", "sub"])
def test_the_first_requests_after_an_import_aggregate_nothing(roles, client, tmp_path, name):
    _import(tmp_path)
    assert Run.objects.get().outcome == Run.Outcome.SUCCEEDED
    cache.clear()  # another process, or another server: only the database is shared
    with time_machine.travel(MOMENT, tick=False), CaptureQueriesContext(connection) as queries:
        answers = _first_requests(client, roles[name])
    assert _aggregates(queries.captured_queries) == []
    with time_machine.travel(MOMENT, tick=False):
        _check(answers, _fresh(roles[name]))


def test_the_first_requests_after_an_import_equal_fresh_figures_on_any_database(
    roles, client, tmp_path
):
    _import(tmp_path)
    for name in ("admin", "top", "sub", "sub2"):
        with time_machine.travel(MOMENT, tick=False):
            answers = _first_requests(client, roles[name])
            _check(answers, _fresh(roles[name]))
        client.logout()


# Scopes: one set of figures per scope, never another's


def test_each_scope_is_warmed_once_and_two_managers_of_one_org_share_it(roles, tmp_path):
    _import(tmp_path)
    with time_machine.travel(MOMENT, tick=False):
        warmed = warm_everything()
    # Everything, Hq's subtree, Sub's subtree: the second manager of Sub adds nothing,
    # the desktop user needs nothing.
    assert warmed.scopes == 3
    assert StoredFigure.objects.count() == warmed.figures


@pytest.mark.parametrize("name", ["top", "sub", "desk"])
def test_a_cached_figure_is_never_another_scopes(roles, client, tmp_path, name):
    _import(tmp_path)
    # Everyone else's figures first, so that a key shared by mistake would be found.
    for other in ("admin", "top", "sub", "desk"):
        if other != name:
            with time_machine.travel(MOMENT, tick=False):
                _client(client, roles[other]).get("/")
            client.logout()
    with time_machine.travel(MOMENT, tick=False):
        shown = _client(client, roles[name]).get("/").context["overview"]
    assert shown == overview_of(ReportRow.objects.visible_to(roles[name]), MOMENT)
    devices = {"top": 8, "sub": 5, "desk": 1}[name]  # 7 imported (4 in Sub), desk's own
    assert shown.health.also["all"] == devices


# Failure


def test_a_failure_to_warm_is_logged_and_the_import_stands(roles, tmp_path, monkeypatch, caplog):
    from reports.warming import warm

    def broken(user, now):
        raise RuntimeError("the figures could not be computed")

    monkeypatch.setattr(warm, "warm_scope", broken)
    with caplog.at_level(logging.ERROR, logger="reports.pipeline"):
        _import(tmp_path)
    run = Run.objects.get()
    assert run.outcome == Run.Outcome.SUCCEEDED
    assert ReportRow.objects.filter(device_uid__startswith="device-").count() == 7
    if connection.vendor == "postgresql":  # SQLite has nothing to warm
        assert f"warm figures after run {run.pk} failed" in caplog.text
        assert "the figures could not be computed" in caplog.text
        assert run.failed_steps == [
            {
                "step": "warm figures",
                "note": "",
                "error": "RuntimeError: the figures could not be computed",
            }
        ]
        assert not StoredFigure.objects.exists()


def test_the_daily_snapshot_warms_what_it_changed(roles, client, tmp_path):
    _import(tmp_path)
    with time_machine.travel(MOMENT + dt.timedelta(days=1), tick=False):
        call_command("snapshot_health", stdout=io.StringIO())
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            answers = _first_requests(client, roles["top"])
        assert _aggregates(queries.captured_queries) == []
        reach = reach_of(roles["top"])
        assert answers["compliance"]["compliance"] == compliance_of(reach)
        tomorrow = day_of(MOMENT + dt.timedelta(days=1))
        assert answers["overview"]["trend_points"] == trend_of(reach, tomorrow)[::-1]
