"""A webhook endpoint as an administrator configures it: its events ticked from the
known ones, never free JSON. An endpoint saved with events that were not a list of
known names (the admin took any JSON) made every endpoint's events fail to be written
(2026-12-06, found by an audit of section 14)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from reports.integrations.events import failed_runs
from reports.integrations.models import Event, WebhookDelivery, WebhookEndpoint
from tests.test_webhooks import endpoint, failed_sync

ADD = "/admin/integrations/webhookendpoint/add/"


def form(**changes) -> dict:
    return {
        "name": "chat",
        "kind": "json",
        "url": "https://hooks.example.com/in",
        "org": "",
        "events": [Event.CRITICAL, Event.RUN_FAILED],
        "secret": "s3cret",
        "active": "on",
    } | changes


def test_the_admin_ticks_known_events(client, fleet):
    client.force_login(fleet["users"]["root"])
    assert 'type="checkbox" name="events" value="summary.weekly"' in client.get(ADD).text
    assert client.post(ADD, form()).status_code == 302
    assert WebhookEndpoint.objects.get().events == [Event.CRITICAL, Event.RUN_FAILED]
    refused = client.post(ADD, form(events=["devices.critcal"]))
    assert refused.status_code == 200
    assert "Select a valid choice. devices.critcal is not one of the available choices." in (
        refused.text
    )
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://127.0.0.1:8712/x", "Use an http:// or https:// address, not ftp://."),
        ("http://127.0.0.1:99999/x", "The port is a number from 1 to 65535."),
        ("http://127.0.0.1:0/x", "The port is a number from 1 to 65535."),
        # urlsplit raises for an unclosed IPv6 bracket: a 500 (found by an audit).
        ("http://[", "Enter a valid URL."),
        ("http://[::1/x", "Enter a valid URL."),
    ],
)
def test_an_address_no_delivery_can_reach_is_refused(client, fleet, url, problem):
    """Saved, each failed every try, and port 0 went to port 80 unsaid (found by an
    audit of the integrations)."""
    client.force_login(fleet["users"]["root"])
    refused = client.post(ADD, form(url=url))
    assert refused.status_code == 200 and problem in refused.text
    assert not WebhookEndpoint.objects.exists()
    assert client.post(ADD, form(url="http://127.0.0.1:8712/x")).status_code == 302


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (5, "A list of event names"),
        ("devices.critical", "A list of event names"),
        ({"x": 1}, "A list of event names"),
        (["devices.critcal"], "Unknown event(s): devices.critcal; use devices.critical"),
    ],
)
def test_anything_but_a_list_of_known_events_is_invalid(events, problem):
    hook = WebhookEndpoint(name="x", kind="json", url="https://x.example.com/", events=events)
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        hook.full_clean()


def test_an_endpoint_stored_with_bad_events_keeps_no_other_from_its_events(fleet):
    WebhookEndpoint.objects.create(
        name="odd", kind="json", url="https://odd.example.com/", events=5
    )
    good = endpoint("http://127.0.0.1:9/unused", events=[Event.RUN_FAILED])
    failed_sync()
    assert failed_runs(timezone.now()) == 1
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [good.pk]
    call_command("deliver_webhooks", verbosity=0)  # no TypeError


def test_a_failure_keeps_the_address_secret_out_of_the_log(fleet, settings, caplog):
    """A Teams or Slack webhook's address is its secret (sig= in the query, a token in
    the path): requests names it in its errors, which went to the log and the delivery
    log (found by an audit of the integrations). The host and port stay."""
    import socket

    from django.utils import timezone

    from reports.integrations.delivery import deliver_due
    from reports.integrations.events import devices_entering_critical
    from reports.integrations.models import Event, WebhookDelivery, WebhookEndpoint
    from tests.test_webhooks import make_critical, nothing_critical_yet

    settings.WEBHOOK_RETRY_SECONDS = 0
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = (
        f"http://127.0.0.1:{port}/workflows/T0KENPATH/triggers/manual/paths/invoke"
        "?api-version=1&sp=%2Ftriggers&sig=T0PSECRETSIGNATURE"
    )
    WebhookEndpoint.objects.create(name="teams", kind="teams", url=url, events=[Event.CRITICAL])
    nothing_critical_yet()
    make_critical([fleet["critical"]])
    devices_entering_critical(timezone.now())
    with caplog.at_level("WARNING", logger="reports.integrations.delivery"):
        assert deliver_due().failed == 1
    error = WebhookDelivery.objects.get().last_error
    assert "ConnectionError" in error and f"port={port}" in error
    assert "<the endpoint's path>" in error
    for secret in ("T0KENPATH", "T0PSECRETSIGNATURE"):
        assert secret not in error and secret not in caplog.text
    assert "webhook devices.critical" in caplog.text


def test_the_admin_lists_say_which_endpoint_is_failing_and_why(client, fleet):
    """What a system administrator sees when deliveries fail: each endpoint's latest
    delivery, its state and error, in the endpoints' list, and each delivery's error in
    the log's list. Both lists said nothing of it: the error was one click into each
    delivery, and an endpoint that gave up looked like any other (found by an audit of
    section 14)."""
    failing = endpoint("http://127.0.0.1:9/down", name="failing chat")
    working = endpoint("http://127.0.0.1:9/up", name="working chat")
    earlier = timezone.now() - timezone.timedelta(hours=1)
    for hook, key, state, error, at in (
        (failing, "run.failed 1", WebhookDelivery.State.DELIVERED, "", earlier),
        (failing, "run.failed 2", WebhookDelivery.State.GAVE_UP, "HTTP 500: down today", None),
        (working, "run.failed 2", WebhookDelivery.State.DELIVERED, "", None),
    ):
        WebhookDelivery.objects.create(
            endpoint=hook,
            event=Event.RUN_FAILED,
            key=key,
            payload={},
            state=state,
            last_error=error,
            created_at=at or timezone.now(),
            attempts=1,
        )
    # Waiting behind the failing one, not tried: says nothing of the endpoint yet.
    WebhookDelivery.objects.create(endpoint=failing, event=Event.RUN_FAILED, key="3", payload={})
    client.force_login(fleet["users"]["root"])
    endpoints = client.get("/admin/integrations/webhookendpoint/").content.decode()
    failing_row, working_row = (
        next(row for row in endpoints.split("<tr") if name in row)
        for name in ("failing chat", "working chat")
    )
    assert "Gave up" in failing_row and "HTTP 500: down today" in failing_row
    assert "Delivered" in working_row and "Gave up" not in working_row
    log = client.get("/admin/integrations/webhookdelivery/").content.decode()
    assert "HTTP 500: down today" in log


def test_an_address_urlsplit_cannot_read_is_invalid_not_an_error():
    """The model's own check (full_clean: a command, the shell, a form of another app)
    raised urlsplit's ValueError for an unclosed IPv6 bracket (found by an audit)."""
    hook = WebhookEndpoint(name="x", kind="json", url="http://[", events=[Event.CRITICAL])
    with pytest.raises(ValidationError, match="Enter a valid URL"):
        hook.full_clean()
