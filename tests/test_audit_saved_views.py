"""The audit events of saved views, subscriptions and the dashboards' spreadsheet and PDF
exports (spec sections 13 and 15): each once, with the actor, the target and, for an
export, the number of rows of the actor's own reach."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError

from accounts.audit.models import Event
from accounts.roles import ORG_MANAGERS
from reports.dashboards.saved.models import SavedView
from reports.models import ReportRow
from reports.notifications.models import Subscription
from tests.personas import device_names_seen_by
from tests.test_subscriptions import make_view, run, subscribe

ARCHIVES = "view=archives&srtDir=asc"


def only(kind: str, **fields) -> Event:
    matched = list(Event.objects.filter(kind=kind, **fields))
    assert len(matched) == 1, [(e.kind, e.actor, e.target, e.details) for e in matched]
    return matched[0]


def rows_seen_by(user) -> int:
    return ReportRow.objects.visible_to(user).count()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_managers_spreadsheet_export_records_the_manager_and_their_rows(login, fleet, fmt):
    carol = fleet["users"]["carol"]
    response = login("carol").get(f"/reports/backup-status/spreadsheet.{fmt}?{ARCHIVES}")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    event = only(f"export.{fmt}")
    assert (event.actor, event.actor_id) == ("carol", carol.pk)
    assert event.target == "report backup-status"
    assert event.details["rows"] == rows_seen_by(carol) < ReportRow.objects.count()
    assert event.details["parameters"] == {"view": "archives", "srtDir": "asc"}


def test_a_refused_export_records_nothing(login, fleet):
    assert login("carol").get("/reports/backup-status/spreadsheet.xlsx?pgSize=x").status_code == 400
    assert not Event.objects.filter(kind__startswith="export.").exists()


def test_the_management_pdf(login, fleet):
    assert login("alice").get("/overview.pdf").status_code == 200
    event = only("export.pdf")
    assert (event.actor, event.target) == ("alice", "overview and compliance")
    # With what it counts (spec section 13): it said nothing (found by an audit).
    assert event.details["devices"] == len(device_names_seen_by("alice"))
    # Compliance by org's rows: her org's, live, whatever the snapshots hold (none yet).
    assert event.details["rows"] == 1
    assert event.details["method"] == "password"  # as every export says it


def test_a_view_saved_shared_and_deleted(login, fleet):
    alice = login("alice")
    page = "/reports/backup-status/?health=failing"
    data = {"page": page, "name": "Stale", "shared_usernames": "dave"}
    assert alice.post("/views/save/", data).status_code == 302
    view = SavedView.objects.get()
    saved = only("saved_view.saved", actor="alice")
    assert saved.target == f'view {view.pk}: "Stale"'
    assert saved.details["shared_with"] == ["dave"] and "health=failing" in saved.details["query"]
    assert alice.post(f"/views/{view.pk}/delete/").status_code == 302
    assert only("saved_view.deleted", actor="alice").target == f'view {view.pk}: "Stale"'


def test_a_subscription_created_and_ended_by_an_administrator(login, fleet):
    root = fleet["users"]["root"]
    view = make_view(root)
    form = {
        "frequency": "weekly",
        "hour": "7",
        "format": "xlsx",
        "recipient_usernames": "",
        "recipient_roles": [Group.objects.get(name=ORG_MANAGERS).pk],
    }
    client = login("root")
    assert client.post(f"/notifications/subscriptions/new/{view.pk}/", form).status_code == 302
    subscription = Subscription.objects.get()
    created = only("subscription.created", actor="root")
    assert created.details["frequency"] == "weekly" and created.details["format"] == "xlsx"
    managers = Group.objects.get(name=ORG_MANAGERS).user_set.count()
    assert created.details["recipients"] == managers > 1
    # To whom, as a view's saving says whom it is shared with: the count alone did not
    # tell a list sent to the org managers from one sent to two people (found by an
    # audit of section 13).
    assert created.details["sent_to"] == [ORG_MANAGERS]
    assert client.post(f"/notifications/subscriptions/{subscription.pk}/end/").status_code == 302
    assert only("subscription.ended", actor="root").target == created.target


def test_the_download_link_of_a_large_list_records_the_recipients_rows(
    smtp_server, fleet, settings, login
):
    settings.SUBSCRIPTION_ATTACHMENT_BYTES = 10  # past the limit: a link, not an attachment
    alice = fleet["users"]["alice"]
    subscription = subscribe(make_view(alice), alice, users=[alice], fmt="xlsx")
    run()
    (received,) = smtp_server.received
    link = next(w for w in received.text.split() if "/subscriptions/download/" in w)
    assert login("carol").get(urlsplit(link).path).status_code == 403
    assert not Event.objects.filter(kind="export.xlsx").exists()  # refused: nothing read
    response = login("alice").get(urlsplit(link).path)
    assert response.status_code == 200
    event = only("export.xlsx", actor="alice")
    assert event.target == f"subscription {subscription.pk}: report backup-status"
    failing = ReportRow.objects.visible_to(alice).count()
    assert 0 < event.details["rows"] <= failing
    # What was exported: the view's parameters, as its attached copy says them; the
    # link's own query string is empty, and the event said "parameters: {}", every row
    # of her reach (found by an audit of section 13).
    assert event.details["parameters"] == {
        "view": "devices",
        "health": "failing",
        "srtKey": "lastCompletedBackupDate",
        "srtDir": "asc",
    }


def test_a_subscription_to_people_names_them(login, fleet):
    view = make_view(fleet["users"]["root"])
    form = {
        "frequency": "daily",
        "hour": "6",
        "format": "csv",
        "recipient_usernames": "dave, alice",
    }
    response = login("root").post(f"/notifications/subscriptions/new/{view.pk}/", form)
    assert response.status_code == 302
    created = only("subscription.created", actor="root")
    assert (created.details["recipients"], created.details["sent_to"]) == (2, ["alice", "dave"])


@pytest.mark.parametrize("what", ["view", "subscription"])
def test_a_delete_that_fails_records_no_event(login, fleet, monkeypatch, what):
    """The event and the delete are one transaction: the event was recorded first and
    alone, so a delete that then failed left "deleted" or "ended" on the audit log for
    a view or subscription still there (found by an audit of the small defects)."""
    root = fleet["users"]["root"]
    view = make_view(root)
    subscription = subscribe(view, root, users=[root])
    model, address = {
        "view": (SavedView, f"/views/{view.pk}/delete/"),
        "subscription": (Subscription, f"/notifications/subscriptions/{subscription.pk}/end/"),
    }[what]

    def failing_delete(self, *args, **kwargs):
        raise DatabaseError("the delete failed")

    monkeypatch.setattr(model, "delete", failing_delete)
    with pytest.raises(DatabaseError):
        login("root").post(address, {"confirm": "yes"})
    assert model.objects.count() == 1
    assert not Event.objects.filter(kind__in=["saved_view.deleted", "subscription.ended"]).exists()
