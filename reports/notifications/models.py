"""Who gets what (spec section 10), the site-wide switch, and the send log.

The send log is how a message goes out at most once: its row, unique by recipient,
kind and key (the period of a digest, the device and state of an owner alert), is
committed BEFORE the message is handed to the mail server. A second sender, at the
same time or later, cannot insert it again and skips that message. Its state then
says what happened: sent, failed (with the error; the next run tries again), or still
sending - the sender died between the claim and the answer of the mail server, so
nobody knows whether the message left. Such a message is not sent again: at most one
message per recipient per period (issue 14), and the admin shows it as unconfirmed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    DAILY = "daily", "Daily"
    OFF = "off", "Off"


class Preference(models.Model):
    """A user's choices; a user without a row has the defaults below (the digest goes
    only to org managers and system administrators, whatever the row says)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    owner_alerts = models.BooleanField(
        "owner alerts",
        default=True,
        help_text="Email me when one of my devices stops backing up (if the site sends them).",
    )

    def __str__(self) -> str:
        return f"notifications of {self.user}"


class SiteSwitch(models.Model):
    """One row: whether owner alerts go out at all. Off until a system administrator
    turns it on, so that a fleet of employees is never emailed by surprise."""

    owner_alerts = models.BooleanField("send owner alerts", default=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site-wide notification switch"
        verbose_name_plural = "site-wide notification switches"

    def __str__(self) -> str:
        return "owner alerts on" if self.owner_alerts else "owner alerts off"

    @classmethod
    def current(cls) -> SiteSwitch:
        return cls.objects.get_or_create(pk=1)[0]


class MessageQuerySet(models.QuerySet):
    def went_out_or_may_have(self) -> MessageQuerySet:
        """Sent, or claimed by a sender that may have sent it: not to compose again (a
        failed one is retried)."""
        return self.exclude(state=Message.State.FAILED)


class Message(models.Model):
    """The send log: one row per message that is due, claimed before it is sent."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Digest"
        OWNER_ALERT = "owner-alert", "Owner alert"
        SUBSCRIPTION = "subscription", "Subscription"

    class State(models.TextChoices):
        SENDING = "sending", "Sending (not confirmed)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (retried next run)"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A digest: its period ("weekly 2026-W49", "daily 2026-12-01"); an owner alert: the
    # device, the episode (reports.notifications.alerts) and the state; a subscription:
    # its id and period ("subscription 7 monthly 2026-12").
    key = models.CharField(max_length=200)
    state = models.CharField(max_length=8, choices=State.choices, default=State.SENDING)
    address = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True, default="")
    attempts = models.PositiveIntegerField(default=1)
    error = models.TextField(blank=True, default="")
    # A digest's health counts, so that the next one says what changed since.
    counts = models.JSONField(null=True, blank=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "key"], name="notification_once_per_key"
            )
        ]
        indexes = [models.Index(fields=["kind", "state"], name="notification_kind_state_idx")]
        ordering = ["-claimed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.address} ({self.key})"


class AlertedDevice(models.Model):
    """Per device, the health state its owner was alerted of in the current episode. A
    device back to OK starts a new episode, so its next warning is alerted again."""

    device_id = models.BigIntegerField(primary_key=True)
    health = models.CharField(max_length=8, blank=True, default="")  # "" : re-armed
    episode = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"device {self.device_id}: {self.health or 'armed'} (episode {self.episode})"


class Subscription(models.Model):
    """A saved view emailed on a schedule (spec section 15) to its recipients, each
    computed with their own reach (reports.notifications.subscriptions).

    Recipients: the people and roles named, minus those who unsubscribed. Anyone may
    subscribe themselves; only a system administrator may name others (the form)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Mondays)"
        MONTHLY = "monthly", "Monthly (the 1st)"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    view = models.ForeignKey(
        "saved_views.SavedView", on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    hour = models.PositiveSmallIntegerField(
        default=7, help_text="Hour of the day (UTC) from which it is sent, 0-23."
    )
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.XLSX)
    with_pdf = models.BooleanField(
        "attach the management PDF",
        default=False,
        help_text="The overview and compliance by org as PDF, within the recipient's reach.",
    )
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    recipient_roles = models.ManyToManyField("auth.Group", blank=True, related_name="+")
    unsubscribed = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hour__gte=0, hour__lte=23),
                name="subscription_hour_of_day",
                # Said in the form's words: the admin showed the constraint's name.
                violation_error_message="The hour is a whole number from 0 to 23 (UTC).",
            ),
            # The form's rule (SubscriptionForm.clash), held by the database too: two
            # saves at once both passed the form, and the same mail went twice a period
            # (found by an audit of the small defects). Migration 0006 stopped the
            # younger of any pair an install already held.
            models.UniqueConstraint(
                fields=["view", "created_by", "frequency"],
                condition=models.Q(active=True),
                name="one_running_subscription_per_view_and_frequency",
                violation_error_message=(
                    "Its maker already has a running subscription to this view at this "
                    "frequency: change or end that one rather than send it twice."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.view} ({self.get_frequency_display().lower()}, {self.hour:02d}:00 UTC)"


class SentToRemovedUsers(models.Model):
    """By kind, the messages sent to users deleted since: their send log's rows went
    with them (the recipient's CASCADE), and /metrics' backupreport_notifications_total,
    a counter, which must only go up, went down by them (found by an audit of section
    14). Added by a user's deletion (reports.notifications.signals); /metrics adds it."""

    kind = models.CharField(max_length=16, choices=Message.Kind.choices, unique=True)
    sent = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "messages sent to removed users"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.sent} {self.get_kind_display()} message(s) sent to users since removed"
