"""Webhooks (spec section 14): endpoints a system administrator configures, and the
delivery log, one row per event and endpoint (unique: at most once per event and
endpoint, as the digests are), which the worker delivers with retries."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models import Org


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Event(models.TextChoices):
    CRITICAL = "devices.critical", "Devices entering critical (one message a run)"
    RUN_FAILED = "run.failed", "A sync or upload (import) failed"
    STALE = "data.stale", "The data is older than the stale age"
    WEEKLY = "summary.weekly", "The weekly summary"


def validate_events(value) -> None:
    """A list of known event names: anything else (a number, a string, a misspelt name)
    was saved, and made every endpoint's events fail to be written (2026-12-06)."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError('A list of event names, such as ["devices.critical"].')
    unknown = sorted(set(value) - set(Event.values))
    if unknown:
        raise ValidationError(
            f"Unknown event(s): {', '.join(unknown)}; use {', '.join(Event.values)}."
        )


ORG_CHANGED = "Not sent: the endpoint's org changed after this was written for the org it had."


def validate_webhook_url(value: str) -> None:
    """Only what a delivery can reach: http or https, a port from 1 to 65535. ftp:// and
    port 99999 were saved and failed every try; port 0 went to port 80 unsaid (found by
    an audit of the integrations). An address urlsplit cannot read (an unclosed IPv6
    bracket) is URLField's own "Enter a valid URL.", said once: it raised ValueError
    through full_clean."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return  # URLValidator, the field's own, names it
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(f"Use an http:// or https:// address, not {parts.scheme}://.")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValidationError("The port is a number from 1 to 65535.")


class WebhookEndpoint(models.Model):
    class Kind(models.TextChoices):
        SLACK = "slack", "Slack (incoming webhook)"
        TEAMS = "teams", "Microsoft Teams (workflow webhook, Adaptive Card)"
        JSON = "json", "Plain JSON, signed (HMAC-SHA256)"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    url = models.URLField(
        max_length=1000,
        validators=[validate_webhook_url],
        help_text="Where to POST; https in production.",
    )
    org = models.ForeignKey(
        Org,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Devices and figures of this org and the orgs below it; empty: the whole fleet.",
    )
    events = models.JSONField(
        default=list,
        validators=[validate_events],
        help_text="Which events: devices.critical, run.failed, data.stale, summary.weekly.",
    )
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        help_text="Plain JSON: the shared secret the body is signed with (README, Webhooks).",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def save(self, *args, **kwargs) -> None:
        """An endpoint moved to another org (or to the whole fleet, or from it) drops
        what it has not yet delivered: those were written for its old org, and went to
        the new org's receiver on their next retry (found by an audit, 2026-12-06). A
        new URL alone keeps them: a mended address is what retries wait for. One in
        flight too: its attempt goes where it was claimed for, and failing it was put
        back to pending for the new org's receiver (found by an audit of section 4);
        given up, no attempt's record changes it (delivery.claimed holds "sending")."""
        before = None
        if self.pk is not None:
            before = WebhookEndpoint.objects.filter(pk=self.pk).values("org_id").first()
        super().save(*args, **kwargs)
        if before is not None and before["org_id"] != self.org_id:
            unsent = (WebhookDelivery.State.PENDING, WebhookDelivery.State.SENDING)
            WebhookDelivery.objects.filter(endpoint=self, state__in=unsent).update(
                state=WebhookDelivery.State.GAVE_UP, last_error=ORG_CHANGED
            )

    def wants(self, event: str) -> bool:
        # A list, as the form checks; one written around it (the shell, an old row) wants
        # nothing, and keeps no other endpoint from its events.
        return self.active and isinstance(self.events, list) and event in self.events


class WebhookDelivery(models.Model):
    """One event to one endpoint: claimed before each attempt, retried with backoff."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending (due at next attempt)"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        GAVE_UP = "gave-up", "Gave up (every attempt failed)"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=32, choices=Event.choices)
    # The event's identity: "devices.critical run 42", "run.failed 43", "summary.weekly
    # 2026-W49"; unique per endpoint, so an event is delivered at most once to it.
    key = models.CharField(max_length=200)
    payload = models.JSONField(help_text="What the event says; each kind's body is made from it.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "key"], name="webhook_once_per_event")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx")]
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.key} to {self.endpoint_id} ({self.state})"


class CriticalDevices(models.Model):
    """The devices that were critical when events were last looked for (one row): the
    next run's critical devices not in it are the ones entering critical."""

    device_ids = models.BinaryField()  # array("q") of device ids, ascending
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = "critical devices record"

    def __str__(self) -> str:
        return f"critical devices as of {self.checked_at}"
