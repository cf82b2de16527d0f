"""Sending what is due (spec sections 10 and 15): claim in the send log, send, record.

Each message is claimed by committing its send-log row before it goes to the mail
server (see reports.notifications.models): a second sender at the same moment, or a
later run the same period, finds the row and skips the message. A failure is recorded
with its error and tried again by the next run; it never stops the other messages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from reports import clock
from reports.health import shown_date
from reports.notifications import alerts, subscriptions
from reports.notifications.compose import (
    digest_email,
    owner_alert_email,
    subscription_email,
    subscription_held_email,
)
from reports.notifications.digests import digest_of
from reports.notifications.links import device_url
from reports.notifications.models import Message, Subscription
from reports.notifications.periods import period_began, period_key
from reports.notifications.preferences import digest_recipients

log = logging.getLogger(__name__)

# An SMTP session idle this long is asked whether it is still open before it is reused.
IDLE_PROBE_SECONDS = 1.0


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # already claimed by this or another run
    errors: list[str] = field(default_factory=list)
    not_tried: int = 0  # failed untried: the mail server could not be reached this run
    held: list[str] = field(default_factory=list)  # subscriptions that cannot go, and why


def claim(
    recipient, kind: str, key: str, subject: str, now: dt.datetime, *, counts=None, also=None
) -> Message | None:
    """The send-log row of this message, committed, if this sender may send it: new, or
    failed before (then tried again). None when another sender has it or it went out."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                recipient=recipient,
                kind=kind,
                key=key,
                address=recipient.email,
                subject=subject,
                counts=counts,
                claimed_at=now,
            )
            if also is not None:
                also()
        return message
    except IntegrityError:
        pass
    retry = Message.objects.filter(
        recipient=recipient, kind=kind, key=key, state=Message.State.FAILED
    )
    # A conditional UPDATE: of two senders retrying at once, exactly one changes the row.
    claimed = retry.update(
        state=Message.State.SENDING,
        attempts=F("attempts") + 1,
        address=recipient.email,
        subject=subject,
        counts=counts,
        claimed_at=now,
    )
    if not claimed:
        return None
    if also is not None:
        also()
    return Message.objects.get(recipient=recipient, kind=kind, key=key)


class Sender:
    """One run: one connection to the mail server, reopened after a failure; none tried
    again once it could not be opened."""

    def __init__(self, now: dt.datetime, say: Callable[[str], None]):
        self.now = now
        self.say = say
        self.connection = get_connection()
        self.outcome = Outcome()
        # Why the mail server could not be reached, once it could not: every message
        # after is failed untried (retried next run, as any failure). A server that
        # times out rather than refuses cost each message EMAIL_TIMEOUT, 30 s: the
        # digests of 4,000 managers 33 hours of one run (found by an audit of section 10).
        self.unreachable: str | None = None
        self.last_exchange = 0.0  # time.monotonic() when the session last spoke

    def _drop_if_dropped(self) -> None:
        """Close the session if the server has closed it meanwhile, so open() makes a new
        one. A message composed at length (a subscription's list, the owner alerts read
        over the fleet) leaves the session idle, a server closes an idle one (Postfix after
        smtpd_timeout, aiosmtpd after its timeout), and the next message failed with
        "SMTPServerDisconnected: Connection unexpectedly closed", sent an hour late, the
        command failing (found by an audit of section 10). A NOOP only after a pause:
        the digests follow one another faster than that."""
        session = getattr(self.connection, "connection", None)
        if session is None or time.monotonic() - self.last_exchange < IDLE_PROBE_SECONDS:
            return
        try:
            alive = session.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            alive = False
        if not alive:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection.connection = None

    def deliver(self, message: Message, email, on_sent: Callable[[], None] | None = None) -> None:
        """Send `email` (or what a callable composes: its failure is the message's);
        then `on_sent`, once it has gone."""
        if self.unreachable is not None:
            self.outcome.not_tried += 1
            self._failed(message, f"not tried: {self.unreachable}", listed=False)
            return
        opening = False
        try:
            if callable(email):
                email = email()
            # Opened here, the session outlives send_messages() (which closes only what
            # it opened itself): one SMTP conversation for the whole run.
            opening = True
            self._drop_if_dropped()
            self.connection.open()
            opening = False
            sent = self.connection.send_messages([email])
            self.last_exchange = time.monotonic()
            if sent != 1:
                raise RuntimeError("the mail backend did not send the message")
        except Exception as error:  # any failure of one message must not stop the others
            reason = f"{type(error).__name__}: {error}"
            if opening:  # the server's, not the message's: no other would go either
                self.unreachable = f"the mail server could not be reached ({reason})"
                reason = self.unreachable
            self._failed(message, reason)
            self.connection.close()  # a broken session is not reused
            return
        Message.objects.filter(pk=message.pk).update(
            state=Message.State.SENT, sent_at=clock.now(), error=""
        )
        self.outcome.sent += 1
        if on_sent is not None:
            try:
                on_sent()
            except Exception:  # gone all the same: not a failure, and the others still go
                log.exception("After the notification to %s", message.address)

    def _failed(self, message: Message, reason: str, *, listed: bool = True) -> None:
        """The message failed, for this reason: retried next run."""
        Message.objects.filter(pk=message.pk).update(state=Message.State.FAILED, error=reason)
        self.outcome.failed += 1
        if listed:  # the untried are counted, not listed: one line, not one a message
            self.outcome.errors.append(f"{message.address}: {reason}")
            log.warning("Notification to %s failed: %s", message.address, reason)

    def not_composed(self, address: str, what: str, error: Exception) -> None:
        """A message that could not be composed: its failure, said as a refused one is
        (the command fails, naming it), nothing claimed, so the next run tries it again;
        the others still go. One device's link that reverse() refused stopped the whole
        run, every digest, alert and subscription after it unsent (found by an audit of
        section 10), where a subscription's fault was already its own."""
        reason = f"{type(error).__name__}: {error}"
        log.exception("The %s to %s could not be composed: %s", what, address, reason)
        self.outcome.failed += 1
        self.outcome.errors.append(f"{address}: {what} not composed: {reason}")

    def close(self) -> None:
        self.connection.close()


def _already_done(kind: str) -> set[tuple[int, str]]:
    """(recipient, key) of messages that went out or may have: not to compose again."""
    done = Message.objects.filter(kind=kind).went_out_or_may_have()
    return set(done.values_list("recipient_id", "key"))


def send_digests(sender: Sender, *, dry_run: bool = False, only=None) -> None:
    now = sender.now
    keys = {frequency: period_key(frequency, now) for frequency in ("weekly", "daily")}
    # Read by a dry run too: it says what the run would send, and the run skips these
    # (a dry run said it would send every digest again; found by an audit).
    done = _already_done(Message.Kind.DIGEST)
    # A digest since the period began, at another frequency, counts too: one switched
    # from weekly to daily on a Monday got Monday's digest twice (found by an audit).
    had = {
        frequency: _had_since(Message.Kind.DIGEST, period_began(frequency, now))
        for frequency in keys
    }
    for user, frequency in digest_recipients():
        if only is not None and user.pk not in only:
            continue
        key = keys[frequency]
        if (user.pk, key) in done or user.pk in had[frequency]:
            sender.outcome.skipped += 1
            continue
        try:
            digest = _digest_for(user, frequency, key, now)
            email = digest_email(user, digest)
        except Exception as error:  # one recipient's fault must not stop the others
            sender.not_composed(user.email, "digest", error)
            continue
        if dry_run:
            sender.say(f"Would send to {user.email}: {email.subject}")
            continue
        message = claim(
            user, Message.Kind.DIGEST, key, email.subject, now, counts=digest.kept_counts
        )
        if message is None:
            sender.outcome.skipped += 1
            continue
        sender.deliver(message, email)
    if not dry_run:
        _forget_failures_of_past_periods(set(keys.values()))


def _digest_for(user, frequency: str, key: str, now: dt.datetime):
    """The user's digest, with the change since their previous one sent."""
    previous = (
        Message.objects.filter(recipient=user, kind=Message.Kind.DIGEST, state=Message.State.SENT)
        .exclude(key=key)
        .order_by("-claimed_at", "-pk")
        .values_list("counts", "claimed_at")
        .first()
    )
    return digest_of(user, frequency, now, *(previous or (None, None)))


def _forget_failures_of_past_periods(keys: set[str]) -> None:
    """A digest is retried within its period only (send_digests reads this period's
    keys): one that failed in a period now over is never sent, and its row said "Failed
    (retried next run)" for good, and /metrics' unsent gauge with it (found by an
    audit), as a subscription's failures did until they were removed once through."""
    Message.objects.filter(kind=Message.Kind.DIGEST, state=Message.State.FAILED).exclude(
        key__in=keys
    ).delete()


def send_owner_alerts(sender: Sender, *, dry_run: bool = False) -> None:
    now = sender.now
    due = alerts.due_alerts(now, rearm=not dry_run)
    owners = get_user_model().objects.in_bulk({alert.owner_id for alert in due})
    for alert in due:
        owner = owners.get(alert.owner_id)
        # Not to a person whose access ended, here or at the vendor (spec section 12).
        if owner is None or not owner.may_sign_in or not owner.email:
            continue
        try:
            email = _owner_alert_for(alert, owner)
        except Exception as error:  # one device's fault must not stop the others
            sender.not_composed(owner.email, "owner alert", error)
            continue
        if email is None:  # no longer the owner's
            continue
        if dry_run:
            sender.say(f"Would send to {owner.email}: {email.subject}")
            continue
        message = claim(
            owner,
            Message.Kind.OWNER_ALERT,
            alert.key,
            email.subject,
            now,
            also=lambda alert=alert: alerts.mark_alerted(alert),
        )
        if message is None:
            sender.outcome.skipped += 1
            continue
        sender.deliver(message, email)


def _owner_alert_for(alert: alerts.DueAlert, owner):
    """The owner's alert of the device; None when the device is no longer theirs."""
    row = (
        alerts.device_rows(alert, owner)
        .order_by("-device_first")
        .values("device_uid", "device_name", "device_os_hostname", "device_backup_date")
        .first()
    )
    if row is None:
        return None
    device = {
        "name": row["device_name"] or row["device_uid"],
        "hostname": row["device_os_hostname"] or "",
        # Its stalest destination's (reports.health); None for a missing copy.
        "last_completed": shown_date(row["device_backup_date"]),
        "url": device_url(row["device_uid"]),
    }
    return owner_alert_email(owner, device, alert.health, alerts.WHAT_TO_CHECK)


def _had_since(kind: str, began: dt.datetime) -> set[int]:
    """The recipients of messages of `kind` claimed since `began` that went out or may
    have."""
    since = Message.objects.filter(kind=kind, claimed_at__gte=began)
    return set(since.went_out_or_may_have().values_list("recipient_id", flat=True))


def send_subscriptions(sender: Sender, *, dry_run: bool = False) -> None:
    """Each subscription due this period, to each recipient who has not had it: claimed
    first (the list is the costly part, and a crash after the claim must not send it
    twice), then composed with the recipient's reach, then sent. Whatever one
    subscription raises is its own failure: a KeyError of one view stopped the run, and
    every subscription after it went unsent (found by an audit)."""
    due = Subscription.objects.filter(active=True).select_related("view").order_by("pk")
    for subscription in due.iterator():
        try:
            _send_subscription(sender, subscription, dry_run=dry_run)
        except Exception as error:  # one subscription's fault must not stop the others
            _failed(sender, subscription, error, dry_run=dry_run)
        else:
            if not dry_run:  # through: its failures are over (the unsent gauge stayed up)
                Message.objects.filter(
                    kind=Message.Kind.SUBSCRIPTION,
                    key__startswith=f"{failure_key_prefix(subscription)} ",
                    state=Message.State.FAILED,
                ).delete()
    if not dry_run:
        _forget_failed_copies_of_past_periods(sender.now)


# A recipient's copy of a subscription: "subscription 7 weekly 2026-W49"; its maker's
# notices of a failure or a hold say "failed" or "held" there, and are not copies.
COPY_KEY = r"^subscription [0-9]+ (daily|weekly|monthly) "


def _forget_failed_copies_of_past_periods(now: dt.datetime) -> None:
    """A copy is retried within its period only (claim reads this period's key): one the
    server refused in a period now over is never sent, and its row said "Failed (retried
    next run)" for good, and /metrics' unsent gauge with it (found by an audit of
    section 15), as the digests' did (_forget_failures_of_past_periods)."""
    current = [f" {period_key(frequency, now)}" for frequency in Subscription.Frequency.values]
    Message.objects.filter(
        kind=Message.Kind.SUBSCRIPTION, state=Message.State.FAILED, key__regex=COPY_KEY
    ).exclude(reduce(or_, (Q(key__endswith=period) for period in current))).delete()


def _send_subscription(sender: Sender, subscription, *, dry_run: bool) -> None:
    now = sender.now
    if not subscriptions.is_due(subscription, now):
        return
    problem = subscriptions.problem_of(subscription)
    if problem is not None:
        _hold(sender, subscription, problem, dry_run=dry_run)
        return
    key = subscriptions.message_key(subscription, now)
    done = subscriptions.had_this_period(subscription, now)
    for user in subscriptions.recipients_of(subscription).iterator():
        if user.pk in done:
            sender.outcome.skipped += 1
            continue
        if dry_run:
            sender.say(f"Would send to {user.email}: {subscription.view.name}")
            continue
        subject = subscription.view.name
        message = claim(user, Message.Kind.SUBSCRIPTION, key, subject, now)
        if message is None:
            sender.outcome.skipped += 1
            continue
        copy = _SubscriptionCopy(subscription, user, now)
        sender.deliver(message, copy.email, on_sent=copy.audit_as_sent)


def _failed(sender: Sender, subscription, error: Exception, *, dry_run: bool) -> None:
    """A subscription that raised: counted and said as a failed message is (the command
    fails, naming it), and written to the send log as a failed row of its maker's, where
    the admin shows failed sends with their error; the next run tries it again."""
    reason = f"{type(error).__name__}: {error}"
    log.exception("Subscription %s failed: %s", subscription.pk, reason)
    sender.outcome.failed += 1
    sender.outcome.errors.append(f"subscription {subscription.pk}: {reason}")
    if dry_run:
        return
    creator = subscription.created_by
    key = f"{failure_key_prefix(subscription)} {sender.now:%Y-%m-%d}"
    subject = f"Subscription failed: {subscription.view.name}"
    try:
        message = claim(creator, Message.Kind.SUBSCRIPTION, key, subject, sender.now)
        if message is not None:
            Message.objects.filter(pk=message.pk).update(state=Message.State.FAILED, error=reason)
    except Exception:  # the log above has it; the other subscriptions still go
        log.exception("Subscription %s: its failure is not in the send log", subscription.pk)


def failure_key_prefix(subscription) -> str:
    """The send-log key of a subscription's failure of a day, without the day."""
    return f"subscription {subscription.pk} failed"


def _hold(sender: Sender, subscription, problem: str, *, dry_run: bool) -> None:
    """Nothing goes to the recipients; whoever subscribed is told why, once a problem
    (the send log's key), and the run says it (the subscriptions page shows it too)."""
    sender.outcome.held.append(f"subscription {subscription.pk}: held, as {problem}")
    creator = subscription.created_by
    if dry_run or not creator.may_sign_in or not creator.email:
        return
    # The notice offers the subscription's one-click unsubscribe (compose._message): a
    # maker who used it was mailed each new reason all the same (found by an audit).
    if subscription.unsubscribed.filter(pk=creator.pk).exists():
        return
    key = subscriptions.held_key(subscription, problem)
    email = subscription_held_email(creator, subscription, problem)
    message = claim(creator, Message.Kind.SUBSCRIPTION, key, email.subject, sender.now)
    if message is None:
        sender.outcome.skipped += 1
        return
    sender.deliver(message, email)


class _SubscriptionCopy:
    """One recipient's copy: composed when the send log has it claimed, and its
    attachments recorded as exports once it has gone."""

    def __init__(self, subscription, user, now) -> None:
        self.subscription, self.user, self.now = subscription, user, now
        self.delivery: subscriptions.Delivery | None = None

    def email(self):
        self.delivery = subscriptions.delivery_for(self.subscription, self.user, self.now)
        kind = subscriptions.unsubscribe_kind(self.subscription.pk)
        return subscription_email(self.user, self.delivery, kind)

    def audit_as_sent(self) -> None:
        self.delivery.audit_as_sent(self.user)


def send_due(
    now: dt.datetime | None = None,
    *,
    dry_run: bool = False,
    say: Callable[[str], None] = lambda text: None,
) -> Outcome:
    """Everything due now: the digests, the owner alerts, then the subscriptions."""
    sender = Sender(now or clock.now(), say)
    try:
        send_digests(sender, dry_run=dry_run)
        send_owner_alerts(sender, dry_run=dry_run)
        send_subscriptions(sender, dry_run=dry_run)
    finally:
        sender.close()
    return sender.outcome
