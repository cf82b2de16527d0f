"""/metrics' logs (spec section 14): a _total counter only goes up, so it counts the
rows in a state they end in; the rows on their way are gauges. They counted every
state, and a delivery that went from pending to delivered took a series away
(2026-12-06, found by an audit of section 14). Two endpoints of one name are told
apart."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from reports.integrations.models import Event, WebhookDelivery
from reports.notifications.models import Message
from reports.refresh.models import Run
from tests.metrics_support import sample_value, scrape
from tests.test_webhooks import endpoint

State = WebhookDelivery.State
User = get_user_model()


def samples(families, name: str, **labels) -> list[float]:
    return [
        s.value
        for s in families.get(name, [])
        if all(s.labels.get(k) == v for k, v in labels.items())
    ]


def test_a_delivery_on_its_way_is_a_gauge_and_done_a_counter_that_only_goes_up(client, fleet):
    root = fleet["users"]["root"]
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint("http://127.0.0.1:9/unused", name="chat"),
        event=Event.RUN_FAILED,
        key="run.failed 1",
        payload={},
    )
    before = scrape(client, root)
    # Each done state from zero; the pending one counts in neither.
    assert samples(before, "backupreport_webhook_deliveries", endpoint="chat") == [0, 0]
    waiting = before["backupreport_webhook_deliveries_waiting"]
    assert sample_value(waiting, endpoint="chat", state="pending") == 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=State.DELIVERED)
    after = scrape(client, root)
    done = after["backupreport_webhook_deliveries"]
    assert sample_value(done, endpoint="chat", state="delivered") == 1
    assert samples(after, "backupreport_webhook_deliveries_waiting", endpoint="chat") == []


def test_messages_and_runs_count_what_ended(client, fleet):
    root = fleet["users"]["root"]
    now = timezone.now()
    for n, state in enumerate((Message.State.SENT, Message.State.FAILED)):
        Message.objects.create(
            recipient=root,
            kind=Message.Kind.DIGEST,
            key=f"k{n}",
            state=state,
            address=root.email,
            claimed_at=now,
        )
    Run.objects.create(kind=Run.Kind.SYNC, trigger=Run.Trigger.SCHEDULE)  # running
    families = scrape(client, root)
    sent = families["backupreport_notifications"]
    assert sample_value(sent, kind="digest", state="sent") == 1
    assert samples(families, "backupreport_notifications", state="failed") == []
    unsent = families["backupreport_notifications_unsent"]
    assert sample_value(unsent, kind="digest", state="failed") == 1
    assert samples(families, "backupreport_runs", outcome="running") == []
    assert sample_value(families["backupreport_runs_running"], kind="sync") == 1


def test_two_endpoints_of_one_name_are_told_apart(client, fleet):
    first = endpoint("http://127.0.0.1:9/a", name="chat")
    second = endpoint("http://127.0.0.1:9/b", name="chat")
    for hook, state in ((first, State.DELIVERED), (second, State.GAVE_UP)):
        WebhookDelivery.objects.create(
            endpoint=hook, event=Event.RUN_FAILED, key="run.failed 1", payload={}, state=state
        )
    done = scrape(client, fleet["users"]["root"])["backupreport_webhook_deliveries"]
    assert sample_value(done, endpoint=f"chat #{first.pk}", state="delivered") == 1
    assert sample_value(done, endpoint=f"chat #{second.pk}", state="gave-up") == 1


def test_the_messages_sent_to_a_user_since_deleted_still_count(client, fleet):
    """A counter only goes up: a deleted user's sent messages go with them (the send
    log's rows cascade), and backupreport_notifications_total went down by them, which
    Prometheus reads as a reset, rate() and the dashboard's increase() as every message
    ever sent sent again at once (found by an audit of section 14)."""
    root = fleet["users"]["root"]
    leaver = User.objects.create_user("leaver", "leaver@example.com", "pw-leaver-1")
    now = timezone.now()
    for n, (user, state) in enumerate(
        ((leaver, Message.State.SENT), (leaver, Message.State.SENT), (root, Message.State.SENT))
        + ((leaver, Message.State.FAILED),)
    ):
        Message.objects.create(
            recipient=user,
            kind=Message.Kind.OWNER_ALERT,
            key=f"k{n}",
            state=state,
            address=user.email,
            claimed_at=now,
        )
    sent = scrape(client, root)["backupreport_notifications"]
    assert sample_value(sent, kind="owner-alert", state="sent") == 3
    leaver.delete()
    families = scrape(client, root)
    sent = families["backupreport_notifications"]
    assert sample_value(sent, kind="owner-alert", state="sent") == 3
    # What was not sent went with them: no longer waiting.
    assert samples(families, "backupreport_notifications_unsent", kind="owner-alert") == []


def test_an_endpoints_counters_are_there_at_zero_before_its_first_delivery(client, fleet):
    """A counter's series that appears at its first count hides that count from
    increase() and rate(), which need a sample before it: an endpoint's first delivery
    given up raised no alert over increase(...{state="gave-up"}) (found by an audit of
    section 14). Each endpoint's done states are written from zero."""
    endpoint("http://127.0.0.1:9/unused", name="quiet chat")
    done = scrape(client, fleet["users"]["root"])["backupreport_webhook_deliveries"]
    assert sample_value(done, endpoint="quiet chat", state="delivered") == 0
    assert sample_value(done, endpoint="quiet chat", state="gave-up") == 0


def test_the_runs_and_messages_counters_are_there_at_zero_before_their_first(client, fleet):
    """As an endpoint's: the first failed sync or the first digest sent appeared as a
    new series at 1, which the dashboard's increase() cannot see (found by an audit of
    section 14)."""
    families = scrape(client, fleet["users"]["root"])
    for kind in Run.Kind.values:
        for outcome in (Run.Outcome.SUCCEEDED, Run.Outcome.FAILED):
            labels = {"kind": kind, "outcome": outcome}
            assert sample_value(families["backupreport_runs"], **labels) == 0
            assert sample_value(families["backupreport_run_duration_seconds"], **labels) == 0
    for kind in Message.Kind.values:
        assert sample_value(families["backupreport_notifications"], kind=kind, state="sent") == 0
