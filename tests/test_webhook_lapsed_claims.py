"""A delivery whose sender was killed mid-attempt (SIGKILL, out of memory, a deploy) is
not "sending" for good: once its claim lapses it is a failed attempt saying why, retried
with backoff or given up as any other (reports.integrations.delivery). Its claim is
back-dated here, as a killed process leaves it."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from reports.integrations.delivery import (
    STOPPED,
    Passed,
    claim,
    deliver_due,
    post_in_order,
    record,
)
from reports.integrations.events import stale_data
from reports.integrations.models import Event, WebhookDelivery
from tests.test_webhooks import endpoint
from tests.webhook_support import receiver

State = WebhookDelivery.State


def killed_mid_attempt(now: dt.datetime) -> WebhookDelivery:
    """The one due delivery claimed, then left "sending" past its claim's lapse."""
    (delivery,) = WebhookDelivery.objects.all()
    taken = claim(delivery.pk, now)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now)
    return taken


def test_a_claim_its_sender_left_is_a_failed_attempt_then_retried(db, settings):
    settings.WEBHOOK_RETRY_SECONDS = 60
    with receiver() as hook:
        endpoint(hook.url, events=[Event.STALE])
        assert stale_data(timezone.now()) == 1
        now = timezone.now()
        killed_mid_attempt(now)
        assert deliver_due(now) == Passed()  # returned, not sent again at once
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.attempts, delivery.last_error) == (
            State.PENDING,
            1,
            STOPPED,
        )
        assert delivery.next_attempt_at == now + dt.timedelta(seconds=60)
        assert deliver_due(now + dt.timedelta(seconds=61)).delivered == 1
    assert len(hook.received) == 1
    assert WebhookDelivery.objects.get().attempts == 2


def test_a_claim_left_on_the_last_attempt_is_given_up(db, settings):
    settings.WEBHOOK_ATTEMPTS = 1
    with receiver() as hook:
        endpoint(hook.url, events=[Event.STALE])
        stale_data(timezone.now())
        now = timezone.now()
        killed_mid_attempt(now)
        deliver_due(now)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_error) == (State.GAVE_UP, STOPPED)
    assert hook.received == []


def test_a_sender_past_its_claim_records_nothing_over_the_next_claim(db):
    """The stopped sender came back (a paused VM) after its claim lapsed and another
    took it: what it would record belongs to an attempt no longer its own."""
    endpoint("http://127.0.0.1:9/", events=[Event.STALE])
    stale_data(timezone.now())
    now = timezone.now()
    first = killed_mid_attempt(now)
    deliver_due(now)  # the lapsed claim recorded; not due again for a minute
    second = claim(first.pk, now + dt.timedelta(hours=1))
    assert second.attempts == 2
    assert record(first, 200, "", now) == Passed()
    assert WebhookDelivery.objects.get().state == State.SENDING


def test_a_batch_that_waited_past_the_bound_for_a_thread_posts_nothing(db, settings):
    """Past MAX_THREADS endpoints, a batch waits in the pool; its first delivery was
    posted however late, past its claim's lapse, when another pass could have claimed
    and sent it again (found by a review)."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver() as hook:
        endpoint(hook.url, events=[Event.STALE])
        stale_data(timezone.now())
        (delivery,) = WebhookDelivery.objects.all()
        taken = claim(delivery.pk, timezone.now())
        assert post_in_order([taken], began=time.monotonic() - 2) == []
        assert len(post_in_order([taken], began=time.monotonic())) == 1
    assert len(hook.received) == 1
