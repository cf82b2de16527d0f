"""Subscriptions (spec section 15): a saved view emailed on a schedule over the real
SMTP server of the suite (tests.smtp_support), each recipient with their own reach
(fifty managers, each their own rows and nobody another's), the list attached (CSV read
with the csv module, XLSX with openpyxl) or linked past a size limit, at most once per
recipient and period, one-click unsubscribe, the send log in the admin."""

import csv
import datetime as dt
import io
import re
import threading
from urllib.parse import urlsplit

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from pypdf import PdfReader

from accounts.audit.models import Event
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS
from reports.dashboards.saved.models import SavedView
from reports.notifications.models import Message, Subscription
from reports.notifications.periods import due_since
from reports.notifications.sending import Sender, claim, send_subscriptions
from reports.notifications.subscriptions import is_recipient, message_key, problem_of, sent_to
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory, refreshing_once
from tests.personas import ago, device_names_seen_by

FAILING = "view=devices&health=failing&srtKey=lastCompletedBackupDate&srtDir=asc"


def make_view(owner, query: str = FAILING, name: str = "Not backing up") -> SavedView:
    return SavedView.objects.create(owner=owner, name=name, report="backup-status", query=query)


def subscribe(view, by, *, users=(), roles=(), fmt="csv", frequency="weekly") -> Subscription:
    subscription = Subscription.objects.create(
        view=view, created_by=by, frequency=frequency, hour=0, format=fmt
    )
    # Made before this period's moment, as a subscription that has been running: one
    # made later waits for the next period (test_the_first_message_waits_for_...).
    made = timezone.now() - dt.timedelta(days=40)
    Subscription.objects.filter(pk=subscription.pk).update(created_at=made)
    subscription.created_at = made
    subscription.recipients.set(users)
    subscription.recipient_roles.set(Group.objects.filter(name__in=roles))
    return subscription


def run(now=None):
    sender = Sender(now or timezone.now(), lambda text: None)
    try:
        send_subscriptions(sender)
    finally:
        sender.close()
    return sender.outcome


def attachment(received) -> tuple[str, list[list]]:
    """(file name, rows) of a message's one attachment, read with its own library."""
    (part,) = list(received.message.iter_attachments())
    name = part.get_filename()
    if name.endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(part.get_content()), read_only=True)
        return name, [list(row) for row in book.active.iter_rows(values_only=True)]
    data = part.get_payload(decode=True)
    assert data.startswith(b"\xef\xbb\xbf")
    return name, list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def attachment_of(received, extension: str) -> tuple[str, list[list]]:
    """The attachment of a message that has others (the PDF) by its file's extension."""
    (part,) = [
        part
        for part in received.message.iter_attachments()
        if part.get_filename().endswith(extension)
    ]
    book = openpyxl.load_workbook(io.BytesIO(part.get_content()), read_only=True)
    return part.get_filename(), [list(row) for row in book.active.iter_rows(values_only=True)]


def failing_seen_by(name: str) -> set[str]:
    failing = {"DAVE-WIN", "SAM-OLD", "ERIN-NEW"} | {f"M{i:02d}-OLD" for i in range(50)}
    return device_names_seen_by(name) & failing


@pytest.fixture
@refreshing_once
def fifty_managers(fleet, orgs):
    """Fifty org managers, each of an org of their own under Acme with one stale device."""
    role = Group.objects.get(name=ORG_MANAGERS)
    managers = []
    for i in range(50):
        org = OrgFactory(org_uid=f"org-m{i:02d}", name=f"Region {i:02d}", parent=orgs["acme"])
        manager = UserFactory(username=f"manager{i:02d}", org=org)
        manager.groups.add(role)
        device = DeviceFactory(user=manager, name=f"M{i:02d}-OLD")
        ArchiveFactory(device=device, last_completed_backup_date=ago(days=40))
        managers.append(manager)
    return managers


def test_fifty_managers_each_get_their_own_rows_and_nobody_anothers(
    smtp_server, fleet, fifty_managers
):
    root = fleet["users"]["root"]
    subscribe(make_view(root), root, roles=[ORG_MANAGERS])
    outcome = run()
    assert (outcome.sent, outcome.failed) == (52, 0)  # the fifty, alice and carol
    for manager in [*fifty_managers, fleet["users"]["alice"], fleet["users"]["carol"]]:
        (received,) = smtp_server.to(manager.email)
        name, rows = attachment(received)
        assert name.startswith("backup-status_health-failing_") and name.endswith(".csv")
        assert rows[0][0] == "Device" and rows[0][-1] == "Device health"
        assert {row[0] for row in rows[1:]} == failing_seen_by(manager.username)
        assert f"{len(rows) - 1:,} row" in received.subject
    assert {r[0] for r in attachment(smtp_server.to("manager07@example.com")[0])[1][1:]} == {
        "M07-OLD"
    }


@pytest.mark.parametrize("name", ["root", "alice", "carol", "dave", "sam"])
def test_every_role_receives_its_reach_as_xlsx(smtp_server, fleet, name):
    user = fleet["users"][name]
    subscribe(make_view(user), user, users=[user], fmt="xlsx")
    assert run().sent == 1
    (received,) = smtp_server.received
    file_name, rows = attachment(received)
    assert file_name.endswith(".xlsx")
    assert {row[0] for row in rows[1:]} == failing_seen_by(name)
    # The counts and first rows in the body, a link to the view.
    assert "https://backup.example.com/reports/backup-status/?view=devices" in received.text
    for device in failing_seen_by(name):
        assert device in received.text and device in received.html
    # The counts by health, as the attachment's Health column has them.
    health = [row[-1] for row in rows[1:]]
    for label in set(health):
        assert f"{label}: {health.count(label)}" in received.text
    # Why it came, and how often, in words (the text's said "weekly (mondays)").
    why = 'because you are subscribed to the saved view "Not backing up", Weekly (Mondays).'
    assert why in " ".join(received.text.split()) and why in received.html


def test_the_counts_by_health_count_devices_on_a_list_of_archives(smtp_server, fleet):
    """A list of one row per archive counted a device once for each of its archives:
    "Rows: 3, Critical: 3" of one critical device backing up to three destinations,
    where the overview and the list it links to say 1 device (found by an audit of
    section 11, "every count says what it counts"). The rows are rows; the healths are
    devices', counted once each."""
    root = fleet["users"]["root"]
    for _ in range(2):
        ArchiveFactory(device=fleet["critical"], last_completed_backup_date=ago(hours=2))
    query = "srtKey=archiveBytes&srtDir=desc&device=SAM-OLD"
    view = SavedView.objects.create(owner=root, name="Sam", report="disk-usage", query=query)
    subscribe(view, root, users=[root])
    run()
    (received,) = smtp_server.received
    text = " ".join(received.text.split())
    assert "Rows: 3 (1 device) Critical: 1 device" in text
    html = " ".join(re.sub(r"<[^>]+>", "", received.html).split())
    assert "3 rows of 1 device (Critical: 1)" in html


@pytest.mark.parametrize("slug", ["backup-status", "cold-storage"])
def test_a_view_of_a_bare_report_address_sends_what_its_page_lists(smtp_server, login, fleet, slug):
    """Saved from /reports/<slug>/ (no query), the view mailed every row in reach where
    its page (redirected to the report's defaults) listed the report's (found by an
    audit of the subscriptions). Saved now with the defaults; one saved bare before
    sends them too."""
    root = fleet["users"]["root"]
    client = login("root")
    response = client.post("/views/save/", {"page": f"/reports/{slug}/", "name": "Bare"})
    assert response.status_code == 302, response.content.decode()[:500]
    saved = SavedView.objects.get(name="Bare")
    assert saved.query != ""
    old = SavedView.objects.create(owner=root, name="Old", report=slug, query="")
    page = client.get(f"/reports/{slug}/", follow=True)
    summary = page.context["summary"]
    listed = summary.devices if page.context["per_device"] else summary.rows
    subscribe(saved, root, users=[root])
    subscribe(old, root, users=[root])
    assert run().sent == 2
    for received in smtp_server.received:
        _, rows = attachment(received)
        assert len(rows) - 1 == listed, received.message["Subject"]
    assert len({r.message["Subject"].split(":")[-1] for r in smtp_server.received}) == 1


def test_exactly_once_per_period_even_after_a_crash(smtp_server, fleet):
    users = fleet["users"]
    root = users["root"]
    subscription = subscribe(make_view(root), root, users=[root, users["alice"], users["carol"]])
    now = timezone.now()
    # A sender that died after claiming alice's message: never sent again this period.
    claim(users["alice"], Message.Kind.SUBSCRIPTION, message_key(subscription, now), "x", now)
    first = run(now)
    assert (first.sent, first.skipped) == (2, 1)
    second = run(now)
    assert (second.sent, second.skipped) == (0, 3)
    assert smtp_server.addresses() == sorted([root.email, users["carol"].email])
    # The next period, everyone again.
    later = run(now + dt.timedelta(days=7))
    assert later.sent == 3 and len(smtp_server.received) == 5


def test_the_command_sends_subscriptions_with_the_digests(smtp_server, fleet):
    dave = fleet["users"]["dave"]
    subscribe(make_view(dave), dave, users=[dave])
    call_command("send_notifications")
    call_command("send_notifications")
    assert len(smtp_server.to(dave.email)) == 1


def test_one_click_unsubscribe_stops_only_that_subscription(smtp_server, fleet, client):
    users = fleet["users"]
    root = users["root"]
    subscription = subscribe(make_view(root), root, roles=[ORG_MANAGERS])
    other = subscribe(make_view(root, name="Other"), root, roles=[ORG_MANAGERS])
    now = timezone.now()
    run(now)
    received = [r for r in smtp_server.to(users["alice"].email) if "Not backing up" in r.subject]
    header = str(received[0].message["List-Unsubscribe"]).strip().strip("<>")
    assert received[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.get(urlsplit(header).path).status_code == 200  # asks, changes nothing
    assert client.post(urlsplit(header).path).status_code == 200  # RFC 8058's one click
    assert list(subscription.unsubscribed.all()) == [users["alice"]]
    smtp_server.received.clear()
    run(now + dt.timedelta(days=7))
    assert [r.subject.split(":")[0] for r in smtp_server.to(users["alice"].email)] == ["Other"]
    assert len(smtp_server.to(users["carol"].email)) == 2
    assert not other.unsubscribed.exists()


def test_unsubscribing_from_an_ended_subscription_says_it_ended(smtp_server, fleet, client):
    """It said the link was cut short or changed (found by an audit of the
    subscriptions): the link is right, the subscription gone."""
    users = fleet["users"]
    subscription = subscribe(make_view(users["root"]), users["root"], roles=[ORG_MANAGERS])
    run()
    (received,) = [r for r in smtp_server.to(users["alice"].email)]
    link = urlsplit(str(received.message["List-Unsubscribe"]).strip().strip("<>")).path
    subscription.delete()
    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 200
        assert "This subscription has ended" in answer.content.decode()
        assert "not valid" not in answer.content.decode()
    assert client.post(link[:-4] + "xyz/").status_code == 400  # a changed link still is


def test_past_the_size_limit_a_signed_link_for_the_recipient_only(
    smtp_server, fleet, settings, login
):
    settings.SUBSCRIPTION_ATTACHMENT_BYTES = 10
    alice = fleet["users"]["alice"]
    subscribe(make_view(alice), alice, users=[alice], fmt="xlsx")
    run()
    (received,) = smtp_server.received
    assert list(received.message.iter_attachments()) == []
    link = next(w for w in received.text.split() if "/subscriptions/download/" in w)
    path = urlsplit(link).path
    assert login("carol").get(path).status_code == 403
    response = login("alice").get(path)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    names = {row[0] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert names == failing_seen_by("alice")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert login("alice").get(path).status_code == 410
    assert login("alice").get(path[:-5] + "x/").status_code == 400


def test_not_before_its_hour_and_on_the_periods_first_day():
    monday = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    thursday = monday + dt.timedelta(days=3, hours=2)
    assert due_since("weekly", 7, thursday) == monday + dt.timedelta(hours=7)
    assert due_since("daily", 7, thursday) == thursday.replace(hour=7)
    assert due_since("monthly", 7, thursday) == dt.datetime(2026, 12, 1, 7, tzinfo=dt.UTC)
    assert due_since("monthly", 7, monday) == dt.datetime(2026, 11, 1, 7, tzinfo=dt.UTC)


def test_the_first_message_waits_for_the_next_period_s_moment(smtp_server, fleet):
    """A weekly made on a Sunday went out at once, and again on the Monday (found by an
    audit of the subscriptions): made after this period's moment, it waits for the next."""
    dave = fleet["users"]["dave"]
    monday = timezone.now() - dt.timedelta(days=timezone.now().weekday() + 7)
    monday = monday.replace(hour=0, minute=0, second=0, microsecond=0)
    sunday = monday + dt.timedelta(days=6, hours=17)
    with time_machine.travel(sunday, tick=False):
        subscription = Subscription.objects.create(
            view=make_view(dave), created_by=dave, frequency="weekly", hour=7, format="csv"
        )
        subscription.recipients.set([dave])
        assert run(sunday).sent == 0
    assert run(sunday + dt.timedelta(hours=13)).sent == 0  # Monday 06:00: not yet
    assert run(sunday + dt.timedelta(hours=14)).sent == 1  # Monday 07:00
    assert run(sunday + dt.timedelta(hours=20)).sent == 0  # once a week


def test_a_subscription_not_yet_due_today_waits(smtp_server, fleet):
    dave = fleet["users"]["dave"]
    subscription = subscribe(make_view(dave), dave, users=[dave], frequency="daily")
    now = timezone.now()
    subscription.hour = 23
    subscription.save()
    run(now.replace(hour=22))
    assert smtp_server.received == []
    run(now.replace(hour=23))
    assert len(smtp_server.received) == 1


def test_subscribing_yourself_and_an_admin_naming_a_role(login, fleet):
    users = fleet["users"]
    view = make_view(users["root"], name="Shared")
    view.shared_roles.set(Group.objects.all())
    alice = login("alice")
    form = {"frequency": "weekly", "hour": "7", "format": "csv", "recipient_usernames": "carol"}
    made = alice.post(f"/notifications/subscriptions/new/{view.pk}/", form, follow=True)
    assert "Subscribed: &quot;Shared&quot; to 1 recipient." in made.content.decode()
    mine = Subscription.objects.get()
    assert list(mine.recipients.all()) == [users["alice"]]  # a manager names nobody else
    root = login("root")
    form["recipient_roles"] = [Group.objects.get(name=ORG_MANAGERS).pk]
    assert root.post(f"/notifications/subscriptions/new/{view.pk}/", form).status_code == 302
    theirs = Subscription.objects.latest("pk")
    assert list(theirs.recipients.all()) == [users["carol"]]
    assert "Shared" in root.get("/notifications/subscriptions/").content.decode()
    # Another's subscription: not listed, not ended by a manager.
    assert login("carol").post(f"/notifications/subscriptions/{mine.pk}/end/").status_code == 404


def test_a_second_subscription_to_a_view_at_one_frequency_is_refused(login, fleet):
    """Accepted, it sent the same mail twice each period (found by an audit of the
    subscriptions). Another frequency is another subscription; an ended one is no bar."""
    users = fleet["users"]
    view = make_view(users["alice"], name="Mine")
    alice = login("alice")
    url = f"/notifications/subscriptions/new/{view.pk}/"
    form = {"frequency": "weekly", "hour": "7", "format": "csv"}
    assert alice.post(url, form).status_code == 302
    again = alice.post(url, form | {"hour": "9", "format": "xlsx"})
    assert again.status_code == 400
    assert (
        "You already have a weekly subscription to this view (from 07:00 UTC): change or end "
        "it on the Subscriptions page rather than send it twice."
    ) in again.content.decode().replace("&#x27;", "'")
    assert Subscription.objects.count() == 1
    assert alice.post(url, form | {"frequency": "daily"}).status_code == 302
    Subscription.objects.filter(frequency="weekly").update(active=False)
    assert alice.post(url, form).status_code == 302
    assert Subscription.objects.filter(active=True).count() == 2


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"hour": "24"}, "0 to 23"),
        ({"hour": "seven"}, "whole number"),
        ({"frequency": "hourly"}, "Select a valid choice"),
        ({"format": "pdf"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(login, fleet, form, error):
    view = make_view(fleet["users"]["dave"])
    data = {"frequency": "weekly", "hour": "7", "format": "csv"} | form
    response = login("dave").post(f"/notifications/subscriptions/new/{view.pk}/", data)
    assert response.status_code == 400 and error in response.content.decode()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("role", ["99999999999999999999", "9" * 5000, "-1", "x"])
def test_a_role_id_past_what_the_column_holds_is_named(login, fleet, role):
    """SQLite raised OverflowError in the query of the roles named: a 500 (found by an
    audit)."""
    view = make_view(fleet["users"]["root"])
    data = {"frequency": "weekly", "hour": "7", "format": "csv", "recipient_roles": role}
    response = login("root").post(f"/notifications/subscriptions/new/{view.pk}/", data)
    assert response.status_code == 400 and "is not a valid value" in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_unknown_name_is_its_own_error_not_a_missing_recipient(login, fleet):
    """With one name right and one unknown, the form said "Name at least one recipient"
    above the real error (found by an audit of the pages)."""
    view = make_view(fleet["users"]["root"])
    data = {"frequency": "weekly", "hour": "7", "format": "csv"}
    response = login("root").post(
        f"/notifications/subscriptions/new/{view.pk}/",
        data | {"recipient_usernames": "carol, ghost"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "ghost" in page
    assert "Name at least one recipient" not in page
    assert not Subscription.objects.exists()
    assert '<p class="field-error" role="alert">' in page
    assert "notifications/notifications.css" in page  # its checkbox's label beside it


def test_someone_without_an_address_is_named_not_subscribed(login, fleet):
    """Named, or subscribing themselves, someone without an email address was taken,
    the page saying "Subscribed: ... to 0 recipients", and nothing was ever sent (found
    by an audit of the subscriptions): the form names them, nothing is saved."""
    users = fleet["users"]
    UserFactory(username="nomail", email="")
    view = make_view(users["root"])
    data = {"frequency": "weekly", "hour": "7", "format": "csv"}
    response = login("root").post(
        f"/notifications/subscriptions/new/{view.pk}/",
        data | {"recipient_usernames": "carol, nomail"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "No email address to send it to: nomail." in page
    assert "Name at least one recipient" not in page
    dave = users["dave"]
    dave.email = ""
    dave.save()
    own = make_view(dave, name="Mine")
    response = login("dave").post(f"/notifications/subscriptions/new/{own.pk}/", data)
    assert response.status_code == 400
    assert "Your account has no email address to send it to." in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_maker_reads_the_names_of_recipients_within_their_reach_only(login, fleet):
    """carol, an org manager, sends to erin (her org) and names herself; made a desktop
    user, her own subscription no longer names erin, whom she no longer sees."""
    users = fleet["users"]
    subscribe(
        make_view(users["carol"], name="Americas failing"),
        users["carol"],
        users=[users["erin"], users["carol"]],
    )

    def to_column() -> str:
        page = login("carol").get("/notifications/subscriptions/").content.decode()
        table = page[page.index('id="subscriptions"') : page.index("</table>")]
        return re.findall(r"<td>([^<]*)</td>", table)[2]

    assert to_column() == "carol, erin"
    users["carol"].groups.set([Group.objects.get(name=DESKTOP_USERS)])
    assert to_column() == "carol, 1 person outside your reach"
    root = login("root").get("/notifications/subscriptions/").content.decode()
    assert "<td>carol, erin</td>" in root


def test_a_recipient_sees_what_others_send_them_and_unsubscribes(login, fleet):
    """A subscription an administrator made for them was on no page of theirs: only the
    message's link stopped it (found by an audit of the pages)."""
    users = fleet["users"]
    view = make_view(users["root"], name="Fleet failing")
    subscription = subscribe(view, users["root"], users=[users["carol"]])
    carol = login("carol")
    page = carol.get("/notifications/subscriptions/").content.decode()
    assert "Sent to you by others" in page and "Fleet failing" in page
    assert "No subscriptions yet" not in page
    # Its maker, root, is out of carol's reach: not named (found by an audit).
    received = page[page.index('id="received"') :]
    assert "<td>someone outside your reach</td>" in received and "root" not in received
    for other in ("dave", "alice"):  # not theirs: neither listed nor stopped by them
        assert (
            "Fleet failing"
            not in login(other).get("/notifications/subscriptions/").content.decode()
        )
        assert (
            login(other)
            .post(f"/notifications/subscriptions/{subscription.pk}/unsubscribe/")
            .status_code
            == 404
        )
    carol = login("carol")
    done = carol.post(f"/notifications/subscriptions/{subscription.pk}/unsubscribe/", follow=True)
    assert "You no longer get &quot;Fleet failing&quot;." in done.content.decode()
    assert list(subscription.unsubscribed.all()) == [users["carol"]]
    assert "Fleet failing" not in carol.get("/notifications/subscriptions/").content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()  # others' copies go on


def test_what_others_send_one_is_found_in_queries_that_do_not_grow(login, fleet):
    """The page asked, for each active subscription of the whole site, whether it went
    to the reader: 200 subscriptions, 400 queries for an org manager (found by an audit
    of section 15). Sent by name, by role, unsubscribed, stopped: each as before."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    users = fleet["users"]
    root, carol = users["root"], users["carol"]

    def queries() -> tuple[int, str]:
        client = login("carol")
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/notifications/subscriptions/").content.decode()
        return len(captured), page[page.find('id="received"') :]

    subscribe(make_view(root, name="By name"), root, users=[carol])
    subscribe(make_view(root, name="By role"), root, roles=[ORG_MANAGERS])
    subscribe(make_view(root, name="Unsubscribed"), root, users=[carol]).unsubscribed.add(carol)
    Subscription.objects.filter(
        pk=subscribe(make_view(root, name="Stopped"), root, users=[carol]).pk
    ).update(active=False)
    few, received = queries()
    assert "By name" in received and "By role" in received
    assert "Unsubscribed" not in received and "Stopped" not in received
    for n in range(10):
        subscribe(make_view(root, name=f"To dave {n}"), root, users=[users["dave"]])
    many, received = queries()
    assert many == few and "To dave" not in received
    # The one query says what is_recipient() says, to whom and of which.
    users["sam"].groups.add(Group.objects.get(name=ORG_MANAGERS))
    users["erin"].email = ""
    users["erin"].save()
    for user in users.values():
        sent = set(sent_to(user).values_list("pk", flat=True))
        assert sent == {s.pk for s in Subscription.objects.all() if is_recipient(s, user)}


def test_nobody_subscribes_to_a_view_they_cannot_see(login, fleet):
    view = make_view(fleet["users"]["alice"])
    for name in ("carol", "dave", "sam"):
        assert login(name).get(f"/notifications/subscriptions/new/{view.pk}/").status_code == 404


def test_a_shared_org_path_its_owner_may_no_longer_read_is_held_not_sent_empty(smtp_server, fleet):
    """Read with its owner's reach, "Acme › EMEA" named no org once the owner was no
    longer an administrator: alice's copy said "EMEA: 0 rows" (found by an audit of
    section 15). Reading it against the whole tree instead told whoever it was shared
    with which orgs stand above them (a review): it is held, saying why."""
    root, alice = fleet["users"]["root"], fleet["users"]["alice"]
    view = make_view(root, query="view=devices&active=true&orgTree=Acme › EMEA", name="EMEA")
    view.shared_roles.add(Group.objects.get(name=ORG_MANAGERS))
    subscription = subscribe(view, alice, users=[alice])
    root.groups.clear()
    run()
    assert [r.subject for r in smtp_server.received] == ["Subscription held: EMEA"]
    assert problem_of(subscription) == (
        'the org filter of the saved view "EMEA" names no org: orgTree=Acme › EMEA'
    )


def test_the_send_log_is_in_the_admin(smtp_server, login, fleet):
    dave = fleet["users"]["dave"]
    subscribe(make_view(dave), dave, users=[dave])
    run()
    page = login("root").get("/admin/notifications/message/?kind=subscription")
    assert page.status_code == 200 and dave.email in page.content.decode()


def test_the_management_pdf_attached_within_the_recipients_reach(smtp_server, fleet):
    alice = fleet["users"]["alice"]
    subscription = subscribe(make_view(alice), alice, users=[alice])
    subscription.with_pdf = True
    subscription.save()
    run()
    (received,) = smtp_server.received
    parts = {part.get_content_type(): part for part in received.message.iter_attachments()}
    assert set(parts) == {"text/csv", "application/pdf"}
    reader = PdfReader(io.BytesIO(parts["application/pdf"].get_content()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Backup overview and compliance" in text and "Americas" not in text


def test_what_went_out_attached_is_recorded_as_an_export(smtp_server, fleet):
    """Spec section 13, exports with row counts: a list sent as an attachment left no
    trace where its download left one (found by an audit of section 13). Recorded once
    it has gone, by recipient: not for one the server refused."""
    dave, alice, root = fleet["users"]["dave"], fleet["users"]["alice"], fleet["users"]["root"]
    subscription = subscribe(make_view(root), root, users=[alice, dave], fmt="xlsx")
    subscription.with_pdf = True
    subscription.save()
    smtp_server.refuse.add(dave.email)
    run()
    (received,) = smtp_server.received
    events = Event.objects.filter(kind__startswith="export.").order_by("kind")
    pdf, sheet = [(e.kind, e.actor, e.target, e.details) for e in events]
    _, rows = attachment_of(received, "xlsx")
    target = f"subscription {subscription.pk}: report backup-status"
    assert sheet[:3] == ("export.xlsx", "alice", target)
    assert sheet[3]["rows"] == len(rows) - 1 and sheet[3]["via"] == "subscription email"
    assert sheet[3]["parameters"]["health"] == "failing"
    assert pdf[:3] == ("export.pdf", "alice", "overview and compliance")
    assert pdf[3]["devices"] == len(device_names_seen_by("alice"))


def test_a_list_linked_not_attached_is_recorded_when_downloaded(smtp_server, fleet, settings):
    settings.SUBSCRIPTION_ATTACHMENT_ROWS = 1
    root = fleet["users"]["root"]
    subscribe(make_view(root), root, users=[root])
    run()
    assert not Event.objects.filter(kind__startswith="export.").exists()


def test_past_the_row_limit_the_list_is_cut_short_and_linked(smtp_server, fleet, settings):
    settings.SUBSCRIPTION_ATTACHMENT_ROWS = 1
    root = fleet["users"]["root"]
    subscribe(make_view(root), root, users=[root])
    run()
    (received,) = smtp_server.received
    assert list(received.message.iter_attachments()) == []
    assert "/notifications/subscriptions/download/" in received.text
    assert "Rows: more than 1" in received.text and "1+ row" in received.subject
    # The one row counted is in the body (never backed up sorts first: no date).
    assert "ERIN-NEW" in received.text
    assert "Never backed up: 1 device (of the first 1 rows)" in received.text


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the tests' in-memory SQLite refuses a second writer thread",
)
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_copy_once(smtp_server, fleet):
    users = fleet["users"]
    root = users["root"]
    subscribe(make_view(root), root, roles=[ORG_MANAGERS], users=[root])
    barrier = threading.Barrier(2)
    outcomes = []

    def sender():
        try:
            barrier.wait()
            outcomes.append(run())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(o.sent for o in outcomes) == 3 and sum(o.skipped for o in outcomes) == 3
    assert smtp_server.addresses() == sorted(users[n].email for n in ("alice", "carol", "root"))


def test_a_view_is_sent_once_a_period_to_someone_two_subscriptions_name(smtp_server, fleet):
    """A manager's own weekly copy and an administrator's to the managers' role mailed
    her the same list twice each Monday (found by an audit): one copy a period, whoever
    sends it. A copy with other files (another format, or the PDF) still goes."""
    users = fleet["users"]
    root, alice, carol = users["root"], users["alice"], users["carol"]
    view = make_view(root, name="Shared")
    view.shared_roles.set(Group.objects.all())
    subscribe(view, alice, users=[alice])
    subscribe(view, root, roles=[ORG_MANAGERS])
    assert run().sent == 2  # alice once, carol once
    assert len(smtp_server.to(alice.email)) == 1 and len(smtp_server.to(carol.email)) == 1
    assert run().sent == 0
    # By other administrators: one running subscription a view, maker and frequency.
    others = [UserFactory(username=f"root{n}", org=root.org) for n in (2, 3)]
    for other in others:
        other.groups.add(*root.groups.all())
    with_pdf = subscribe(view, others[0], users=[alice])
    Subscription.objects.filter(pk=with_pdf.pk).update(with_pdf=True)
    as_xlsx = subscribe(view, others[1], users=[carol], fmt="xlsx")
    assert run().sent == 2
    assert attachment(smtp_server.to(carol.email)[-1])[0].endswith(".xlsx")
    assert len(smtp_server.to(alice.email)[-1].message.get_payload()) == 3  # text, CSV, PDF
    Subscription.objects.filter(pk__in=[as_xlsx.pk, with_pdf.pk]).delete()
    assert run(timezone.now() + dt.timedelta(days=7)).sent == 2  # the next week, once each


def test_a_frequency_changed_midperiod_does_not_send_again_that_period(smtp_server, fleet):
    """An administrator's change of weekly to daily in the admin mailed it again the
    same day (its key was the new period's; found by an audit); daily back to weekly,
    again midweek. What went out since the period began counts, at any frequency."""
    alice = fleet["users"]["alice"]
    subscription = subscribe(make_view(alice), alice, users=[alice])
    today = timezone.now().astimezone(dt.UTC).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(7), dt.UTC)
    assert run(monday).sent == 1
    Subscription.objects.filter(pk=subscription.pk).update(frequency="daily")
    assert run(monday + dt.timedelta(hours=2)).sent == 0
    assert run(monday + dt.timedelta(days=1)).sent == 1  # Tuesday's
    Subscription.objects.filter(pk=subscription.pk).update(frequency="weekly")
    assert run(monday + dt.timedelta(days=2)).sent == 0
    assert run(monday + dt.timedelta(days=7)).sent == 1
    assert len(smtp_server.to(alice.email)) == 3


def test_a_copy_refused_in_a_period_now_over_leaves_the_send_log(smtp_server, fleet):
    """A copy is retried within its period only; one the server refused on a day now
    over stayed "Failed (retried next run)" for good, and /metrics' unsent gauge with
    it, as digests' did until they were removed (found by an audit of section 15)."""
    root, alice = fleet["users"]["root"], fleet["users"]["alice"]
    subscription = subscribe(make_view(root), root, users=[root, alice], frequency="daily")
    today = timezone.now().astimezone(dt.UTC).date()  # from now, as the subscription is made
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(9), dt.UTC)
    smtp_server.refuse.add(alice.email)
    assert (run(monday).sent, run(monday + dt.timedelta(hours=1)).failed) == (1, 1)
    failed = Message.objects.filter(state=Message.State.FAILED).values_list("key", flat=True)
    assert list(failed) == [message_key(subscription, monday)]
    smtp_server.refuse.clear()
    assert run(monday + dt.timedelta(days=1)).sent == 2  # Tuesday's, to both
    assert list(failed.all()) == []
    assert Message.objects.filter(recipient=alice, state=Message.State.SENT).count() == 1


def test_a_second_running_subscription_to_a_view_and_frequency_is_refused_by_the_database(
    fleet,
):
    """Two saves at once both passed the form's check, and the same mail went twice a
    period (found by an audit of the small defects): the database holds the rule too.
    A stopped one does not count."""
    from django.db import IntegrityError, transaction

    alice = fleet["users"]["alice"]
    first = subscribe(make_view(alice), alice, users=[alice])
    subscribe(first.view, alice, users=[alice], frequency="daily")
    with pytest.raises(IntegrityError), transaction.atomic():
        subscribe(first.view, alice, users=[alice])
    Subscription.objects.filter(pk=first.pk).update(active=False)
    subscribe(first.view, alice, users=[alice])
    assert Subscription.objects.filter(view=first.view, active=True).count() == 2


def test_a_subscription_saved_at_the_same_time_as_another_is_refused_in_words(
    login, fleet, monkeypatch
):
    """The form's check passed (the other save had not committed), the database refused
    the second: a named error on the form, not a 500 (found by an audit of the small
    defects)."""
    from reports.notifications.forms import SubscriptionForm

    alice = fleet["users"]["alice"]
    view = make_view(alice)
    checked = SubscriptionForm.clash

    def not_yet_committed(form, frequency):
        if not getattr(form, "checked_once", False):
            form.checked_once = True
            subscribe(view, alice, users=[alice])  # the other save, committing now
            return None
        return checked(form, frequency)

    monkeypatch.setattr(SubscriptionForm, "clash", not_yet_committed)
    form = {"frequency": "weekly", "hour": "7", "format": "csv"}
    response = login("alice").post(f"/notifications/subscriptions/new/{view.pk}/", form)
    assert response.status_code == 400
    assert "You already have a weekly subscription to this view" in response.content.decode()
    assert Subscription.objects.filter(view=view).count() == 1
    assert not Event.objects.filter(kind="subscription.created").exists()


@pytest.mark.django_db(transaction=True)
def test_the_constraints_migration_stops_the_younger_duplicates_and_keeps_the_oldest(capsys):
    """An install holding duplicates (two saves at once) must still migrate: the oldest
    of each view, maker and frequency keeps running, the younger are stopped, said."""
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([("notifications", target)])
        return executor.loader.project_state([("notifications", target)]).apps

    try:
        apps = migrate("0005_sent_to_removed_users")
        User = apps.get_model("accounts", "User")
        View = apps.get_model("saved_views", "SavedView")
        Old = apps.get_model("notifications", "Subscription")
        owner = User.objects.create(username="owner", email="owner@example.com")
        view = View.objects.create(owner=owner, name="Stale", report="backup-status", query="")
        made = [
            Old.objects.create(view=view, created_by=owner, frequency=f, hour=7, format="csv")
            for f in ("weekly", "weekly", "daily", "weekly")
        ]
        Old.objects.filter(pk=made[0].pk).update(created_at=timezone.now() - dt.timedelta(1))
        migrate("0007_one_running_subscription")
        running = Subscription.objects.filter(active=True).values_list("pk", flat=True)
        assert sorted(running) == [made[0].pk, made[2].pk]
        assert Subscription.objects.count() == 4
        said = capsys.readouterr().out
        assert "Stopped 2 duplicate subscription(s)" in said
        assert f"{made[1].pk}, {made[3].pk}" in said
    finally:
        call_command("migrate", verbosity=0)
