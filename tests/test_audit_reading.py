"""Reading the audit log (spec section 13): only system administrators (and superusers)
read it, on every surface: the page with its filters (who, what, when, from where), its
CSV, the JSON resource with a cursor for a SIEM, and the admin. Everyone else finds
nothing: 404 (signed out: sent to sign in; the JSON answers 401)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts import audit
from accounts.api_clients import ApiClient
from accounts.audit.models import Event
from tests.api_support import basic

PAGE = "/audit/"
RESOURCE = "/api/audit/events"
READERS = ("sysadmin", "super")
OTHERS = ("alice", "carol", "dave", "sam", "erin")  # managers, desktop users, no role


@pytest.fixture
def log(personas):
    """Three events apart in time, actor and address; the personas' own role events too."""
    now = timezone.now()
    return [
        audit.record(
            "export.csv",
            actor=personas["carol"],
            target="DeviceBackupReport",
            rows=3,
            at=now - dt.timedelta(days=3),
        ),
        audit.record(
            "signin.failed", actor="mallory", target="mallory", at=now - dt.timedelta(days=1)
        ),
        audit.record("upload.confirmed", actor=personas["sysadmin"], target="report.csv", at=now),
    ]


@pytest.fixture(autouse=True)
def nothing_recently_verified():
    from accounts.callers import recently_verified

    recently_verified.forget()


# The role matrix


@pytest.mark.parametrize("name", READERS)
def test_system_administrators_read_every_surface(client, personas, log, name):
    client.force_login(personas[name])
    assert client.get(PAGE).status_code == 200
    assert client.get(PAGE, {"format": "csv"}).status_code == 200
    assert client.get(RESOURCE).status_code == 200
    assert client.get("/admin/audit/event/").status_code == 200
    client.logout()
    assert client.get(RESOURCE, **basic(name)).status_code == 200


@pytest.mark.parametrize("name", OTHERS)
def test_no_one_else_reads_any_surface(client, personas, log, name):
    client.force_login(personas[name])
    for address in (PAGE, f"{PAGE}?format=csv", RESOURCE):
        response = client.get(address)
        assert response.status_code == 404, address
        assert b"mallory" not in response.content and b"report.csv" not in response.content
    assert client.get("/admin/audit/event/").status_code == 302  # the admin's login
    client.logout()
    response = client.get(RESOURCE, **basic(name))
    assert response.status_code == 404 and b"mallory" not in response.content
    # The API's 404, as for a path it does not have: it lacked the "detail" they carry.
    assert response.json() == client.get("/api/nowhere", **basic(name)).json()
    assert not Event.objects.filter(kind="export.csv", target="audit log").exists()


def test_an_api_client_reads_with_its_users_role(client, personas, log):
    for name, status in (("sysadmin", 200), ("carol", 404)):
        api_client, secret = ApiClient.objects.create_for(personas[name], "siem")
        assert client.get(RESOURCE, **basic(api_client.client_id, secret)).status_code == status


def test_signed_out(client, log):
    assert client.get(PAGE).status_code == 302
    assert client.get(f"{PAGE}?format=csv").status_code == 302
    response = client.get(RESOURCE)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert client.get(RESOURCE, **basic("sysadmin", "wrong")).status_code == 401


def test_the_resource_is_read_only(client, personas, log):
    client.force_login(personas["sysadmin"])
    for method in (client.post, client.put, client.delete):
        response = method(RESOURCE)
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
        assert response.json() == {"error": "method not allowed", "allowed": ["GET", "HEAD"]}
    assert Event.objects.filter(pk=log[0].pk).exists()


# The page, its filters and CSV


def test_the_page_reads_as_words(client, personas, log):
    """What an event is, in the filter's words with its kind beside; its details as
    name: value, where the page showed the kind's code and Python's repr of a dict
    (found by an audit of the pages)."""
    client.force_login(personas["sysadmin"])
    audit.record("export.csv", actor="viewer", target="x", rows=3, parameters={"a": "b"})
    html = client.get(PAGE, {"who": "viewer"}).content.decode()
    assert 'CSV export<br><small class="hint"><code>export.csv</code>' in html
    assert "rows: <code>3</code>" in html
    assert "parameters: <code>{&quot;a&quot;: &quot;b&quot;}</code>" in html
    assert "{&#x27;" not in html


def test_the_page_filters_by_who_what_when_and_where(client, personas, log):
    client.force_login(personas["sysadmin"])
    from_there = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    audit.record("export.csv", actor="viewer", target="x", rows=1, request=from_there)
    day = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    cases = {
        "who=mallo": ["mallory"],
        "what=upload.confirmed": ["report.csv"],
        f"since={day}&until={day}&what=signin.failed": ["mallory"],
        "where=203.0.113": ["viewer"],
    }
    for query, shown in cases.items():
        html = client.get(f"{PAGE}?{query}").content.decode()
        assert all(text in html for text in shown), query
        assert "1 event," in html, query


def test_the_first_and_last_days_of_the_calendar_are_days_like_any(client, personas, log):
    """To 9999-12-31 was a 500 on the page, its CSV and the JSON resource: the day
    after it is past Python's last date (found by an audit of section 13)."""
    client.force_login(personas["sysadmin"])
    every = Event.objects.count()
    bounds = {"since": "0001-01-01", "until": "9999-12-31"}
    assert f"{every} events," in client.get(PAGE, bounds).content.decode()
    assert len(client.get(RESOURCE, bounds).json()["data"]["events"]) == every
    assert client.get(PAGE, bounds | {"format": "csv"}).status_code == 200


def test_filters_no_event_matches_says_so(client, personas, log):
    """The page showed nothing under its filters, not even "0 events" (an empty page
    is false in a template; found by an audit of the pages)."""
    client.force_login(personas["sysadmin"])
    html = client.get(PAGE, {"since": "9999-12-31"}).content.decode()
    assert "0 events, newest first" in html and "No event matches these filters." in html
    assert "CSV of these events" not in html


def test_a_bad_filter_is_a_400_naming_it(client, personas, log):
    client.force_login(personas["sysadmin"])
    response = client.get(PAGE, {"since": "yesterday", "what": "nonsense"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "From (UTC day): “yesterday” is not a day; give it as YYYY-MM-DD." in html
    assert "What: Select a valid choice" in html
    reversed_days = client.get(PAGE, {"since": "2026-02-02", "until": "2026-02-01"})
    assert reversed_days.status_code == 400 and "is after" in reversed_days.content.decode()


def test_the_csv_has_the_filtered_events_and_is_itself_recorded(client, personas, log):
    client.force_login(personas["sysadmin"])
    response = client.get(PAGE, {"who": "carol", "what": "export.csv", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["id"], r["actor"], r["kind"]) for r in rows] == [
        (str(log[0].pk), "carol", "export.csv")
    ]
    assert json.loads(rows[0]["details"]) == {"rows": 3}
    export = Event.objects.get(kind="export.csv", target="audit log")
    assert export.actor == "sysadmin" and export.details["rows"] == 1


def test_the_csv_counts_the_rows_it_holds_not_its_own_event(client, personas, log):
    """Unfiltered, the file's own export event was written before its rows were read:
    the file held it, one row more than the event said (2026-12-06)."""
    client.force_login(personas["sysadmin"])
    response = client.get(PAGE, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    export = Event.objects.get(kind="export.csv", target="audit log")
    assert export.details["rows"] == len(rows)
    assert str(export.pk) not in {row["id"] for row in rows}


# The JSON resource and its cursor


def test_the_cursor_pages_through_every_event_once(client, personas, log):
    client.force_login(personas["sysadmin"])
    seen, cursor = [], "0"
    for _ in range(20):
        body = client.get(RESOURCE, {"cursor": cursor, "limit": 2}).json()["data"]
        seen += [event["id"] for event in body["events"]]
        cursor = body["cursor"]
        if not body["more"]:
            break
    everything = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert seen == everything
    later = audit.record("export.csv", actor="late", rows=1)
    body = client.get(RESOURCE, {"cursor": cursor}).json()["data"]
    assert [event["id"] for event in body["events"]] == [later.pk]
    assert body["events"][0]["hash"] == later.hash and body["cursor"] == str(later.pk)


def test_the_resource_takes_the_filters(client, personas, log):
    client.force_login(personas["sysadmin"])
    body = client.get(RESOURCE, {"what": "signin.failed"}).json()["data"]
    assert [(e["actor"], e["kind"]) for e in body["events"]] == [("mallory", "signin.failed")]


@pytest.mark.parametrize(
    "query, named",
    [
        ({"cursor": "x"}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"cursor": str(2**64)}, "cursor"),
        ({"since": "nope"}, "since"),
        ({"since": "2026-02-02", "until": "2026-02-01"}, "until"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, personas, query, named):
    """In the API's shape, each bad parameter under "parameters" with what is wrong: a
    list under "detail" here found a script reading "parameters" nothing (found by an
    audit of the small defects)."""
    client.force_login(personas["sysadmin"])
    response = client.get(RESOURCE, query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid parameters" and set(body) == {"error", "parameters"}
    assert list(body["parameters"]) == [named]
    assert query[named][:4] in body["parameters"][named] or "after" in body["parameters"][named]
