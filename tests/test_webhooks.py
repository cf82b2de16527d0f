"""Webhooks (spec section 14) against a real HTTP receiver on loopback: signed JSON
verifiable with the README's recipe, Slack and Teams shapes, retries (500 then 200:
delivered once), at most once per event and endpoint, a slow or dead endpoint holding up
neither the others nor an import, batches per run limited to the endpoint's subtree."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from array import array
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import Org
from reports.health import Health, critical_days
from reports.history.snapshots import take
from reports.integrations.bounded_http import exchange_within
from reports.integrations.delivery import Passed, claim, deliver_due, next_due, record
from reports.integrations.events import (
    devices_entering_critical,
    failed_runs,
    scheduled_events,
    stale_data,
    weekly_summary,
)
from reports.integrations.jobs import deliver_webhooks
from reports.integrations.models import CriticalDevices, Event, WebhookDelivery, WebhookEndpoint
from reports.models import Archive, Device
from reports.refresh.models import Run
from tests.factories import ArchiveFactory, DestinationFactory, DeviceFactory, ServerFactory
from tests.personas import ago
from tests.refresh_support import queued_jobs, run_worker
from tests.test_notifications_digest import devices_listed
from tests.webhook_support import proxy, receiver

README = Path(__file__).resolve().parent.parent / "README.md"
State = WebhookDelivery.State


def readme_recipe():
    """The receiver's verification recipe, as the README gives it, run as it is."""
    text = README.read_text()
    block = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", text, re.S)
    assert block, "the README's webhook recipe is missing"
    namespace: dict = {}
    exec(block.group(1), namespace)  # noqa: S102  (our own README's code)
    return namespace["verify"]


def endpoint(url: str, kind: str = "json", events=(Event.CRITICAL,), org=None, name="hook"):
    return WebhookEndpoint.objects.create(
        name=name, kind=kind, url=url, events=list(events), org=org
    )


def card_texts(card: dict) -> list[str]:
    """The words of an Adaptive Card's blocks (plain TextRuns, payloads._plain)."""
    return ["".join(run["text"] for run in block["inlines"]) for block in card["body"]]


def critical_devices_delivered():
    """A device entering critical since the last look, delivered to every endpoint:
    the pass's outcome, when it started (time.monotonic) and how long it took."""
    nothing_critical_yet()
    devices_entering_critical(timezone.now())
    started = time.monotonic()
    passed = deliver_due()
    return passed, started, time.monotonic() - started


def nothing_critical_yet():
    """As if events were looked for before any device was critical."""
    CriticalDevices.objects.update_or_create(
        pk=1, defaults={"device_ids": array("q").tobytes(), "checked_at": timezone.now()}
    )


def make_critical(devices) -> None:
    days = critical_days() + 3
    Archive.objects.filter(device__in=devices).update(last_completed_backup_date=ago(days=days))
    for device in devices:
        device.save()  # the report rows follow their device


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


def test_signed_json_is_verifiable_with_the_documented_recipe(fleet, fast_retries):
    with receiver() as hook:
        target = endpoint(hook.url)
        nothing_critical_yet()
        assert devices_entering_critical(timezone.now()) == 1  # sam's laptop
        assert deliver_due().delivered == 1
    [got] = hook.received
    verify = readme_recipe()
    assert verify(target.secret, got.headers, got.body)
    assert not verify("another secret", got.headers, got.body)
    assert not verify(target.secret, got.headers, got.body + b" ")
    replayed = got.headers | {"X-BackupReport-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(target.secret, replayed, got.body)
    body = got.json()
    assert body["event"] == "devices.critical"
    assert body["data"]["count"] == 1
    device = body["data"]["devices"][0]
    assert device["deviceName"] == "SAM-OLD" and device["orgName"] == "Sales"
    # The org by its uid, not its path: the ids of the orgs above an org-scoped
    # endpoint's own, which it may not read (found by an audit of section 4).
    assert device["orgUid"] == "org-sales" and "orgPath" not in device
    assert got.headers["X-BackupReport-Event"] == "devices.critical"


def test_500_then_200_is_delivered_once(fleet, fast_retries):
    with receiver(statuses=[500, 200]) as hook:
        endpoint(hook.url)
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        first = deliver_due()
        delivery = WebhookDelivery.objects.get()
        assert (first.failed, delivery.state, delivery.last_status) == (1, State.PENDING, 500)
        second = deliver_due()
        third = deliver_due()
        # The same devices found again later: the same event, nothing new.
        devices_entering_critical(timezone.now())
    delivery.refresh_from_db()
    assert second.delivered == 1 and third.delivered == 0
    assert (delivery.state, delivery.attempts, delivery.last_error) == (State.DELIVERED, 2, "")
    assert len(hook.received) == 2  # the 500 and the 200
    assert hook.received[0].body == hook.received[1].body
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("status", [301, 308])
def test_a_redirect_is_not_followed_and_the_log_says_where_it_points(fleet, fast_retries, status):
    """The body is posted, signed, only where the admin set; the delivery log said
    "HTTP 301: " and no more, and an address that moved (http to https, a new host)
    failed every try unexplained (found by an audit of section 14). Where it points is
    said by its scheme, host and port: its path, as the endpoint's, may be a secret."""
    moved = "https://user:pw@hooks.example.com:8443/services/T0/B0/SECRET?sig=abc"
    with receiver(statuses=[status], location=moved) as hook:
        endpoint(hook.url)
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        assert deliver_due().failed == 1
    assert len(hook.received) == 1  # not followed, and not posted twice
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == (State.PENDING, status)
    assert delivery.last_error.startswith(
        f"HTTP {status}: a redirect to https://hooks.example.com:8443/, not followed:"
        " set the endpoint's URL to where it moved"
    )
    assert not [word for word in ("SECRET", "sig=", "user:pw") if word in delivery.last_error]


def test_the_retries_back_off_and_give_up(fleet, settings):
    settings.WEBHOOK_RETRY_SECONDS = 60
    settings.WEBHOOK_ATTEMPTS = 3
    with receiver(statuses=[503]) as hook:
        endpoint(hook.url)
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        now = timezone.now()
        waits = []
        for _ in range(3):
            deliver_due(now)
            delivery = WebhookDelivery.objects.get()
            if delivery.state == State.PENDING:
                waits.append((delivery.next_attempt_at - now).total_seconds())
                assert deliver_due(now).failed == 0  # not due yet
                now = delivery.next_attempt_at
    assert waits == [60, 120]
    assert delivery.state == State.GAVE_UP and delivery.attempts == 3
    assert len(hook.received) == 3


def test_a_dead_endpoint_delays_no_other(fleet, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 3
    with receiver(delay=10) as dead, receiver() as alive:
        endpoint(dead.url, name="dead")
        endpoint(alive.url, name="alive")
        passed, started, took = critical_devices_delivered()
    assert (passed.delivered, passed.failed) == (1, 1)
    assert alive.received[0].at - started < 2  # not after the dead one's timeout
    assert took < 3 + 2  # one timeout in all
    states = dict(WebhookDelivery.objects.values_list("endpoint__name", "state"))
    assert states == {"dead": State.PENDING, "alive": State.DELIVERED}


def test_an_attempt_that_raises_is_a_failed_attempt_saying_why(fleet, settings, monkeypatch):
    """A timeout urllib3 refused (0, which the setting took then; the start refuses it
    now) raised a ValueError, no requests error, out of the posting thread: deliver_due()
    crashed, and every claimed delivery stayed "sending", never retried, its error empty
    (found by an audit). Now each is a failed attempt, retried. The HTTP stack raises it
    here as urllib3 did."""
    import requests

    settings.WEBHOOK_RETRY_SECONDS = 0

    def refused(*args, **kwargs):
        raise ValueError(
            "Attempted to set connect timeout to 0, but the timeout cannot be set to a "
            "value less than or equal to 0."
        )

    with receiver() as a, receiver() as b:
        endpoint(a.url, name="a")
        endpoint(b.url, kind="slack", name="b")
        nothing_critical_yet()
        assert devices_entering_critical(timezone.now()) == 2
        with monkeypatch.context() as patched:
            patched.setattr(requests.Session, "post", refused)
            assert deliver_due().failed == 2
        tried = list(WebhookDelivery.objects.values_list("state", "attempts", "last_error"))
        assert [(state, attempts) for state, attempts, _ in tried] == [(State.PENDING, 1)] * 2
        assert all(error.startswith("ValueError: ") for _, _, error in tried)
        assert deliver_due().delivered == 2
    assert len(a.received) == len(b.received) == 1


def test_one_endpoints_error_strands_no_other_endpoints_batch(fleet, settings):
    """A delivery its endpoint's kind cannot shape (a payload without its count) raised
    in request_for(); the other endpoint's delivery, claimed in the same pass, stayed
    "sending" for good (found by an audit)."""
    settings.WEBHOOK_RETRY_SECONDS = 60
    with receiver() as broken, receiver() as fine:
        chat = endpoint(broken.url, kind="slack", name="broken")
        endpoint(fine.url, name="fine")
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        WebhookDelivery.objects.filter(endpoint=chat).update(payload={})
        now = timezone.now()
        assert deliver_due(now) == Passed(delivered=1, failed=1)
    assert broken.received == [] and len(fine.received) == 1
    failed = WebhookDelivery.objects.get(endpoint=chat)
    assert (failed.state, failed.attempts) == (State.PENDING, 1)
    assert failed.last_error == "KeyError: 'count'"
    assert failed.next_attempt_at == now + dt.timedelta(seconds=60)  # the usual backoff


@pytest.mark.parametrize("status", [500, 200])
def test_an_answer_trickled_byte_by_byte_is_bounded_as_a_whole(fleet, settings, status):
    """requests' timeout bounds each read: an answer of 100 bytes a fifth of a second
    apart held a delivery 20 s where the setting says 1 (2026-12-06)."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver(statuses=(status,), trickle=0.2) as slow:
        endpoint(slow.url, name="slow")
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        passed = deliver_due()
    delivery = WebhookDelivery.objects.get()
    if status == 200:  # a success is its status: the body is not waited for
        assert passed.delivered == 1 and delivery.state == State.DELIVERED
    else:
        assert passed.failed == 1 and delivery.last_status == 500
        assert delivery.last_error.startswith("HTTP 500, its answer not ended within 1 s: x")


@pytest.mark.parametrize("status", [500, 200])
def test_a_status_line_trickled_byte_by_byte_is_bounded_as_a_whole(fleet, settings, status):
    """Its status line and headers a fifth of a second a byte: requests' timeout bounds
    each read, and the exchange held the worker's pass about 20 s where the setting says
    1 (found by an audit, 2026-12-06)."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver(statuses=(status,), trickle=0.2, trickle_head=True) as slow:
        endpoint(slow.url, name="slow")
        passed, _, took = critical_devices_delivered()
    delivery = WebhookDelivery.objects.get()
    assert took < 1 + 1.5
    assert passed.failed == 1 and delivery.state == State.PENDING
    assert delivery.last_status is None
    assert delivery.last_error == "no answer within 1 s (its status line and headers)"


@pytest.mark.parametrize("trickle_head", [True, False])
def test_an_exchange_through_a_proxy_is_bounded_as_a_whole(
    fleet, settings, monkeypatch, trickle_head
):
    """With HTTP_PROXY set, requests takes its connections from a proxy manager's pools,
    which were not watched: an answer trickled through the proxy held the delivery
    12-24 s where the setting says 1 or 2 (found by an audit)."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver((500,), trickle=0.2, trickle_head=trickle_head) as slow, proxy() as relay:
        for name in ("HTTP_PROXY", "http_proxy"):  # requests reads them, lower case first
            monkeypatch.setenv(name, relay.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        endpoint(slow.url, name="slow")
        passed, _, took = critical_devices_delivered()
    assert relay.forwarded == [f"POST {slow.url} HTTP/1.1"] and len(slow.received) == 1
    assert took < 1 + 1.5
    delivery = WebhookDelivery.objects.get()
    assert passed.failed == 1 and delivery.state == State.PENDING
    if trickle_head:
        assert delivery.last_error == "no answer within 1 s (its status line and headers)"
    else:
        assert delivery.last_error.startswith("HTTP 500, its answer not ended within 1 s: x")


def test_an_exchange_is_said_cut_only_where_its_time_cut_a_socket(fleet):
    """Its time running out is not a cut: an exchange whose socket was not watched (one
    through a proxy) went on 12 s and was recorded "not ended within 1 s" (an audit)."""
    with exchange_within(0.1) as (_, exchange):
        time.sleep(0.3)  # nothing open to cut
    assert not exchange.cut


def test_each_endpoints_results_are_recorded_as_it_ends(fleet, settings):
    """One endpoint's slow answer kept every other's delivery "sending" until it came
    (found by an audit, 2026-12-06): the fast one is recorded delivered at once."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 10
    with receiver(delay=3) as slow, receiver() as fast:
        endpoint(slow.url, name="slow")
        endpoint(fast.url, name="fast")
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        started = timezone.now()
        passed = deliver_due()
        ended = timezone.now()
    assert passed.delivered == 2
    delivered = dict(WebhookDelivery.objects.values_list("endpoint__name", "delivered_at"))
    assert (delivered["fast"] - started).total_seconds() < 1.5
    assert (ended - started).total_seconds() >= 3


def test_a_slow_receiver_does_not_delay_an_import(db, settings, tmp_path):
    settings.WEBHOOK_TIMEOUT_SECONDS = 30
    from tests.import_support import run, write_csv
    from tests.test_import_backup_report import vendor_row

    with receiver(delay=6) as slow:
        endpoint(slow.url, kind="slack")
        nothing_critical_yet()
        old = (timezone.now() - dt.timedelta(days=critical_days() + 5)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        recent = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
        rows = [
            vendor_row(n, lastCompletedBackupDate=old, lastConnectedDate=recent)
            for n in range(1, 4)
        ]
        started = time.monotonic()
        run("import_backup_report", write_csv(tmp_path / "report.csv", rows))
        took = time.monotonic() - started
        assert slow.received == []  # nothing was sent inside the import
        entry = Run.objects.get()
        steps = {step["step"]: step for step in entry.after_refresh}
        assert "queued for the worker" in steps["webhook events"]["note"]
        assert queued_jobs()
        run_worker()  # the worker sends it, and waits for the slow receiver
    assert took < 6
    [got] = slow.received
    assert got.json()["text"] == "3 devices entered critical"
    assert WebhookDelivery.objects.get().state == State.DELIVERED


def test_a_batch_per_run_names_twenty_and_counts_the_rest(orgs, people, fast_retries):
    with receiver() as hook:
        endpoint(hook.url)
        nothing_critical_yet()
        devices = [DeviceFactory(user=people["erin"], name=f"ERIN-{n:02}") for n in range(30)]
        for device in devices:
            ArchiveFactory(device=device)
        make_critical(devices)
        assert devices_entering_critical(timezone.now()) == 1
        deliver_due()
    [got] = hook.received
    data = got.json()["data"]
    assert (data["count"], len(data["devices"]), data["more"]) == (30, 20, 10)


def test_a_device_critical_for_a_destination_never_completed_is_not_dated_1970(
    orgs, people, fast_retries
):
    """A device with a fresh cloud backup and a local destination that never completed
    is critical (reports.health, MISSING_COPY), and its batch said it last completed a
    backup on 1970-01-01, the date the rule stands for "never" with, in the JSON and in
    the chat's words; the pages, the digest and the device page say "a destination never
    completed" (found by an audit of section 11)."""
    device = DeviceFactory(user=people["erin"], name="ERIN-TWO-COPIES")
    ArchiveFactory(device=device, last_completed_backup_date=ago(hours=2))
    local = DestinationFactory(destination_uid="dest-local", name="Local NAS")
    server = ServerFactory(server_uid="server-local", name="nas-1", destination=local)
    with receiver() as plain, receiver() as chat:
        endpoint(plain.url)
        endpoint(chat.url, kind="slack", name="chat")
        nothing_critical_yet()
        ArchiveFactory(
            device=device, destination=local, server=server, last_completed_backup_date=None
        )
        assert devices_entering_critical(timezone.now()) == 2  # one batch per endpoint
        deliver_due()
    [named] = plain.received[0].json()["data"]["devices"]
    assert named["deviceName"] == "ERIN-TWO-COPIES"
    assert named["lastCompletedBackupDate"] is None
    words = chat.received[0].json()["blocks"][1]["text"]["text"]
    assert "ERIN-TWO-COPIES" in words
    assert "1970" not in words
    assert "a destination never completed" in words


def test_an_endpoints_org_subtree_limits_its_devices(fleet, orgs, fast_retries):
    with receiver() as emea, receiver() as americas, receiver() as everything:
        endpoint(emea.url, org=orgs["emea"], name="emea")
        endpoint(americas.url, org=orgs["americas"], name="americas")
        endpoint(everything.url, name="all")
        nothing_critical_yet()
        erin_device = Device.objects.filter(user__username="erin").exclude(name="ERIN-NEW")
        make_critical(list(erin_device))
        devices_entering_critical(timezone.now())
        deliver_due()
    names = {
        hook: {d["deviceName"] for d in got.json()["data"]["devices"]}
        for hook, rec in (("emea", emea), ("americas", americas), ("all", everything))
        for got in rec.received
    }
    erin = erin_device.get().name
    assert names == {"emea": {"SAM-OLD"}, "americas": {erin}, "all": {"SAM-OLD", erin}}


def test_an_endpoint_moved_to_another_org_drops_what_it_had_not_sent(fleet, orgs, settings):
    """A retry went to the endpoint's new org's receiver with the old org's devices
    (found by an audit of the integrations). Moved: dropped, saying why. A new URL
    alone keeps them for the mended address."""
    settings.WEBHOOK_RETRY_SECONDS = 0
    with receiver(statuses=[500]) as broken, receiver() as mended, receiver() as other_org:
        moved = endpoint(broken.url, org=orgs["emea"], name="moved")
        fixed = endpoint(broken.url, org=orgs["emea"], name="fixed")
        nothing_critical_yet()
        make_critical([Device.objects.get(name="SAM-OLD")])
        devices_entering_critical(timezone.now())
        assert deliver_due().failed == 2
        moved.url, moved.org = other_org.url, orgs["americas"]
        moved.save()
        fixed.url = mended.url
        fixed.save()
        assert deliver_due().delivered == 1
    assert WebhookDelivery.objects.get(endpoint=fixed).state == State.DELIVERED
    assert [r.json()["data"]["devices"][0]["deviceName"] for r in mended.received] == ["SAM-OLD"]
    dropped = WebhookDelivery.objects.get(endpoint=moved)
    assert dropped.state == State.GAVE_UP and "org changed" in dropped.last_error
    assert other_org.received == []


def test_an_endpoint_moved_while_it_is_being_sent_drops_what_it_had_not_sent(fleet, orgs, settings):
    """Moved while an attempt was in flight: the attempt failed, put the delivery back
    to pending, and the next pass posted the old org's devices to the new org's receiver
    (found by an audit of section 4). The attempt in flight goes where it was claimed
    for; what it leaves is dropped, saying why."""
    settings.WEBHOOK_RETRY_SECONDS = 0
    with receiver(statuses=[500]) as broken, receiver() as other_org:
        moved = endpoint(broken.url, org=orgs["emea"], name="moved")
        nothing_critical_yet()
        make_critical([Device.objects.get(name="SAM-OLD")])
        devices_entering_critical(timezone.now())
        (written,) = WebhookDelivery.objects.filter(endpoint=moved)
        in_flight = claim(written.pk, timezone.now())
        moved.url, moved.org = other_org.url, orgs["americas"]
        moved.save()
        assert record(in_flight, 500, "HTTP 500", timezone.now()) == Passed()
        deliver_due()
    dropped = WebhookDelivery.objects.get(endpoint=moved)
    assert dropped.state == State.GAVE_UP and "org changed" in dropped.last_error
    assert other_org.received == []


def test_the_critical_link_opens_the_list_it_counts(fleet, client, settings):
    """The link was "?health=critical" alone, which drops the report's defaults: the list
    it opened had deactivated devices too, and another count (found by an audit)."""
    settings.SITE_URL = "https://backup.example.com"
    gone = DeviceFactory(
        user=fleet["users"]["sam"], name="SAM-GONE", status=Device.Status.DEACTIVATED
    )
    ArchiveFactory(device=gone, last_completed_backup_date=ago(days=critical_days() + 3))
    gone.save()  # the report rows follow their device
    endpoint("http://127.0.0.1:9/unused")
    nothing_critical_yet()
    devices_entering_critical(timezone.now())
    payload = WebhookDelivery.objects.get().payload
    link = urlsplit(payload["link"])
    assert f"{link.scheme}://{link.netloc}" == settings.SITE_URL
    client.force_login(fleet["users"]["root"])
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "SAM-OLD" in html and "SAM-GONE" not in html
    assert devices_listed(html) == payload["count"] == 1


def test_an_org_endpoints_critical_link_opens_its_orgs_list(fleet, orgs, client):
    """The link of an endpoint of EMEA opened the whole fleet's critical devices to an
    administrator, another count than the payload's."""
    far = DeviceFactory(user=fleet["users"]["carol"], name="CAROL-OLD")
    ArchiveFactory(device=far, last_completed_backup_date=ago(days=critical_days() + 3))
    far.save()  # the report rows follow their device
    endpoint("http://127.0.0.1:9/unused", org=orgs["emea"])
    nothing_critical_yet()
    devices_entering_critical(timezone.now())
    payload = WebhookDelivery.objects.get().payload
    link = urlsplit(payload["link"])
    client.force_login(fleet["users"]["root"])
    html = client.get(f"{link.path}?{link.query}").content.decode()
    assert "SAM-OLD" in html and "CAROL-OLD" not in html
    assert devices_listed(html) == payload["count"] == 1


def test_the_first_look_only_notes_what_is_critical(fleet):
    endpoint("http://127.0.0.1:9/unused")
    assert devices_entering_critical(timezone.now()) == 0
    assert CriticalDevices.objects.exists()
    assert devices_entering_critical(timezone.now()) == 0  # nothing new since


def failed_sync() -> Run:
    return Run.objects.create(
        kind=Run.Kind.SYNC,
        trigger=Run.Trigger.SCHEDULE,
        outcome=Run.Outcome.FAILED,
        error="The vendor answered 401: check VENDOR_CLIENT_SECRET.",
        finished_at=timezone.now(),
    )


def test_a_failed_run_is_announced_once(fleet, fast_retries):
    with receiver() as hook:
        endpoint(hook.url, kind="teams", events=[Event.RUN_FAILED])
        failed_sync()
        assert failed_runs(timezone.now()) == 1
        assert failed_runs(timezone.now()) == 0
        deliver_due()
    [got] = hook.received
    card = got.json()["attachments"][0]["content"]
    texts = card_texts(card)
    assert texts[0] == "The sync from the vendor failed"
    assert "check VENDOR_CLIENT_SECRET" in texts[-1]


def test_an_orgs_endpoint_reads_no_fleet_figure_of_a_failed_run(fleet, fast_retries):
    """A refused mass removal's message counts the whole fleet; an endpoint of one org
    received it (found by an audit, 2026-12-06). The fleet's endpoint still does."""
    accounting = Org.objects.get(org_uid="org-accounting")
    with receiver() as fleets, receiver() as orgs:
        endpoint(fleets.url, events=[Event.RUN_FAILED], name="fleet")
        endpoint(orgs.url, events=[Event.RUN_FAILED], org=accounting, name="accounting")
        Run.objects.create(
            kind=Run.Kind.IMPORT,
            trigger=Run.Trigger.UPLOAD,
            outcome=Run.Outcome.FAILED,
            error="refused: it would remove 395 of 400 devices (98.8%).",
            finished_at=timezone.now(),
        )
        assert failed_runs(timezone.now()) == 2
        deliver_due()
    assert "395 of 400" in fleets.received[0].json()["data"]["error"]
    data = orgs.received[0].json()["data"]
    assert "400" not in orgs.received[0].body.decode()
    assert data["error"].startswith("A system administrator reads why on the data page")


def test_the_command_sends_what_it_finds_in_the_same_run(fleet, fast_retries):
    """manage.py deliver_webhooks on the real clock: a failed run found is sent at once,
    not at the next run (it said "1 new deliver(ies); 0 delivered", 2026-12-06)."""
    with receiver() as hook:
        endpoint(hook.url, events=[Event.RUN_FAILED])
        failed_sync()
        out = io.StringIO()
        call_command("deliver_webhooks", stdout=out)
    assert out.getvalue().startswith("1 new deliver(ies); 1 delivered")
    assert len(hook.received) == 1


def test_stale_data_is_announced_once_per_last_refresh(fleet, settings):
    endpoint("http://127.0.0.1:9/unused", events=[Event.STALE])
    assert stale_data(timezone.now()) == 1  # nothing was ever imported
    assert stale_data(timezone.now()) == 0
    Run.objects.create(
        kind=Run.Kind.IMPORT,
        trigger=Run.Trigger.COMMAND,
        outcome=Run.Outcome.SUCCEEDED,
        started_at=ago(hours=settings.DATA_STALE_HOURS + 2),
        finished_at=ago(hours=settings.DATA_STALE_HOURS + 1),
    )
    assert stale_data(timezone.now()) == 1  # a new episode
    assert WebhookDelivery.objects.filter(event=Event.STALE).count() == 2


def test_an_endpoint_s_events_arrive_in_order_and_a_stale_one_refreshed_is_dropped(fleet, settings):
    """A later event overtook one waiting out its backoff, and "the data is stale" came
    after the data was fresh again (found by an audit of the integrations). Each
    endpoint's queue waits on its head; a stale event the data outlived is dropped."""
    settings.WEBHOOK_RETRY_SECONDS = 60
    with receiver(statuses=[503, 200]) as hook:
        endpoint(hook.url, events=[Event.STALE, Event.RUN_FAILED])
        assert stale_data(timezone.now()) == 1  # nothing ever imported: stale
        now = timezone.now()
        assert deliver_due(now).failed == 1  # the 503; its retry in 60 s
        failed_sync()
        assert failed_runs(timezone.now()) == 1
        assert deliver_due(now + dt.timedelta(seconds=30)) == deliver_due().__class__()
        assert len(hook.received) == 1  # the run's failure waits behind the stale event
        later = now + dt.timedelta(seconds=61)
        assert deliver_due(later).delivered == 2
    events = [r.json()["event"] for r in hook.received]
    assert events == [Event.STALE, Event.STALE, Event.RUN_FAILED]

    with receiver(statuses=[503, 200]) as hook:
        WebhookEndpoint.objects.update(url=hook.url)
        WebhookDelivery.objects.all().delete()
        Run.objects.all().delete()
        assert stale_data(timezone.now()) == 1
        now = timezone.now()
        assert deliver_due(now).failed == 1
        Run.objects.create(  # a refresh meanwhile: fresh again
            kind=Run.Kind.IMPORT,
            trigger=Run.Trigger.COMMAND,
            outcome=Run.Outcome.SUCCEEDED,
            started_at=ago(minutes=2),
            finished_at=ago(minutes=1),
        )
        assert deliver_due(now + dt.timedelta(seconds=61)).delivered == 0
    dropped = WebhookDelivery.objects.get()
    assert dropped.state == State.GAVE_UP and "no longer stale" in dropped.last_error
    assert len(hook.received) == 1


def test_the_weekly_summary_once_a_week(fleet, orgs):
    take()
    endpoint("http://127.0.0.1:9/unused", events=[Event.WEEKLY], org=orgs["emea"])
    assert weekly_summary(timezone.now()) == 1
    assert weekly_summary(timezone.now()) == 0
    payload = WebhookDelivery.objects.get().payload
    assert payload["org_name"] == "EMEA"
    assert payload["now"]["critical"] == 1 and payload["now"]["warning"] == 1
    assert weekly_summary(timezone.now() + dt.timedelta(days=7)) == 1


def test_the_slack_message_has_its_documented_shape(fleet, fast_retries):
    sam_device = Device.objects.get(name="SAM-OLD")
    sam_device.name = "SAM <OLD> & co"
    sam_device.save()
    with receiver() as hook:
        endpoint(hook.url, kind="slack")
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        deliver_due()
    message = hook.received[0].json()
    assert set(message) == {"text", "blocks"}
    assert message["text"] == "1 device entered critical"
    header, section, link = message["blocks"]
    plain = {"type": "plain_text", "text": message["text"], "emoji": False}
    assert header == {"type": "header", "text": plain}
    assert section["type"] == "section" and section["text"]["type"] == "plain_text"
    assert "SAM <OLD> & co" in section["text"]["text"]  # plain text: shown as it is
    assert link["text"]["type"] == "mrkdwn" and link["text"]["verbatim"] is True
    assert link["text"]["text"].endswith("|Open in Backup Report>")


def test_the_teams_message_is_an_adaptive_card(fleet, fast_retries):
    with receiver() as hook:
        endpoint(hook.url, kind="teams")
        nothing_critical_yet()
        devices_entering_critical(timezone.now())
        deliver_due()
    message = hook.received[0].json()
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert all(block["type"] == "RichTextBlock" for block in card["body"])
    assert card_texts(card)[0] == "1 device entered critical"
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def test_scheduled_events_find_nothing_without_endpoints(fleet):
    assert scheduled_events(timezone.now()) == 0
    assert devices_entering_critical(timezone.now()) == 0
    assert not CriticalDevices.objects.exists()


def test_the_health_rule_is_the_health_modules(fleet):
    """The devices counted critical are the ones reports.health calls critical."""
    from reports.health import with_health
    from reports.models import ReportRow

    endpoint("http://127.0.0.1:9/unused")
    devices_entering_critical(timezone.now())
    ids = array("q")
    ids.frombytes(bytes(CriticalDevices.objects.get().device_ids))
    rows = ReportRow.objects.filter(device_first=True, status="Active")
    assert set(ids) == set(with_health(rows, Health.CRITICAL).values_list("device_id", flat=True))


def test_the_delivery_log_is_in_the_admin_for_system_administrators(client, fleet):
    WebhookDelivery.objects.create(
        endpoint=endpoint("http://127.0.0.1:9/unused", name="chat"),
        event=Event.RUN_FAILED,
        key="run.failed 1",
        payload={},
        last_error="HTTP 500: down for maintenance",
    )
    from django.contrib.auth.models import Group

    sysadmin = fleet["users"]["root"]
    client.force_login(sysadmin)
    log = client.get("/admin/integrations/webhookdelivery/")
    assert log.status_code == 200 and b"run.failed" in log.content
    assert client.get("/admin/integrations/webhookendpoint/add/").status_code == 200
    manager = fleet["users"]["alice"]
    manager.is_staff = True  # staff or not, an org manager is no system administrator
    manager.save()
    assert Group.objects.get(name="Org managers") in manager.groups.all()
    client.force_login(manager)
    assert client.get("/admin/integrations/webhookdelivery/").status_code == 302  # to sign-in


def test_metrics_count_the_deliveries_for_system_administrators(client, fleet):
    from tests.metrics_support import sample_value, scrape

    chat = endpoint("http://127.0.0.1:9/unused", name="chat")
    for n, state in enumerate([State.DELIVERED, State.DELIVERED, State.GAVE_UP]):
        WebhookDelivery.objects.create(
            endpoint=chat, event=Event.RUN_FAILED, key=f"run.failed {n}", payload={}, state=state
        )
    families = scrape(client, fleet["users"]["root"])
    deliveries = families["backupreport_webhook_deliveries"]
    assert sample_value(deliveries, endpoint="chat", state="delivered") == 2
    assert sample_value(deliveries, endpoint="chat", state="gave-up") == 1
    assert "backupreport_webhook_deliveries" not in scrape(client, fleet["users"]["carol"])


def test_a_retry_waits_in_one_job_however_many_asked_for_it(fleet, settings):
    """Each refresh queues the worker's job, and each job queued the next for the next
    retry: with a dead endpoint two refreshes left two chains of jobs, each re-queued at
    every retry for as long as anything waited, one more a refresh (found by an audit)."""
    settings.WEBHOOK_RETRY_SECONDS = 60
    with receiver(statuses=[500]) as dead:
        endpoint(dead.url, events=[Event.RUN_FAILED])
        now = timezone.now()
        Run.objects.create(
            kind=Run.Kind.SYNC, outcome=Run.Outcome.FAILED, started_at=now, error="no"
        )
        failed_runs(now)
        deliver_webhooks.enqueue()  # the after-refresh step of one refresh
        deliver_webhooks.enqueue()  # and of the next, before the retry
        run_worker()
    assert WebhookDelivery.objects.get().state == State.PENDING  # retried in a minute
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert list(waiting.values_list("task_path", flat=True)) == [deliver_webhooks.module_path]


def test_an_event_waits_while_another_pass_is_sending_the_one_before(fleet, fast_retries):
    """The worker's job and `manage.py deliver_webhooks` at once: the second posted the
    next event while the first was still posting the one before it, and after that one
    failed, the receiver read them out of order (found by an audit of section 14)."""
    with receiver() as hook:
        endpoint(hook.url, events=[Event.RUN_FAILED])
        failed_sync(), failed_sync()
        assert failed_runs(timezone.now()) == 2
        now = timezone.now()
        ahead, behind = WebhookDelivery.objects.order_by("created_at", "pk")
        sending = claim(ahead.pk, now)  # another pass's, still waiting for the answer
        assert sending is not None
        assert deliver_due(now) == Passed()
        assert hook.received == []
        assert WebhookDelivery.objects.get(pk=behind.pk).state == State.PENDING
        # The worker comes back when the other pass's claim lapses, not at the next cron.
        assert next_due() == WebhookDelivery.objects.get(pk=ahead.pk).next_attempt_at
        record(sending, None, "ConnectTimeout: the other pass's attempt failed", now)
        assert deliver_due(now + dt.timedelta(seconds=5)).delivered == 2
    in_order = [ahead.payload["run"], behind.payload["run"]]
    assert [r.json()["data"]["run"] for r in hook.received] == in_order
