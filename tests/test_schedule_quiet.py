"""The README's crontab runs each periodic command with `--verbosity 0` so that cron mails
only errors: such a run writes nothing unless it fails. snapshot_health wrote every
step's line, send_notifications its summary, audit_prune and audit_forward theirs, a mail
a day or an hour for nothing (found by an audit of the README's schedule); deliver_webhooks,
every 5 minutes, its summary (found by an audit of section 14). The sync's own case is in
tests/test_sync.py."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.factories import DeviceFactory

PERIODIC = [
    "snapshot_health",
    "send_notifications",
    "audit_prune",
    "audit_forward",
    "deliver_webhooks",
]


def run(command: str, verbosity: int) -> str:
    out = io.StringIO()
    call_command(command, verbosity=verbosity, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("command", PERIODIC)
def test_a_periodic_command_at_verbosity_0_writes_nothing(command):
    DeviceFactory()
    assert run(command, 0) == ""
    assert run(command, 1) != ""  # and says what it did when asked


@pytest.mark.django_db
def test_deliver_webhooks_at_verbosity_0_says_a_delivery_given_up(settings):
    """A retry to come is no failure yet; a delivery given up is, and cron mails it."""
    from reports.integrations.models import Event, WebhookDelivery, WebhookEndpoint

    settings.WEBHOOK_ATTEMPTS = 1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    hook = WebhookEndpoint.objects.create(
        name="hook", kind="json", url="http://127.0.0.1:9/nobody", events=[Event.RUN_FAILED]
    )
    WebhookDelivery.objects.create(endpoint=hook, event=Event.RUN_FAILED, key="k", payload={})
    out, err = io.StringIO(), io.StringIO()
    call_command("deliver_webhooks", verbosity=0, stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "1 given up" in err.getvalue()
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.GAVE_UP
