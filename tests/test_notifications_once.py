"""Exactly-once (spec section 10): at most one message per recipient per period, even
with two senders at once or one killed midway; a refused recipient does not stop the
others and is retried next run.

A sender killed between committing the send-log row and the mail server's answer
leaves the row "sending": nobody knows whether the message left, and it is never sent
again (at most once, as the issue asks); the admin lists it as not confirmed."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from accounts.locks import held_alone
from reports.notifications.management.commands.send_notifications import NOTIFICATIONS_LOCK
from reports.notifications.models import Frequency, Message, Preference
from reports.notifications.periods import period_key
from reports.notifications.sending import Sender, claim, send_due
from tests.port_support import free_port
from tests.smtp_support import Inbox

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the tests' in-memory SQLite refuses a second writer thread",
)


def test_a_run_killed_after_the_send_log_row_is_not_sent_again(smtp_server, fleet):
    alice = fleet["users"]["alice"]
    # What a killed run leaves: its claim committed, the message's fate unknown.
    claimed = claim(alice, "digest", period_key("weekly", timezone.now()), "x", timezone.now())
    assert claimed.state == Message.State.SENDING
    outcome = send_due()
    assert (outcome.sent, outcome.skipped) == (2, 1)
    assert smtp_server.to(alice.email) == []
    assert Message.objects.get(pk=claimed.pk).state == Message.State.SENDING
    send_due()
    assert smtp_server.to(alice.email) == [] and len(smtp_server.received) == 2


def test_a_claim_is_taken_once(fleet):
    alice, now = fleet["users"]["alice"], timezone.now()
    assert claim(alice, "digest", "weekly 2000-W01", "x", now) is not None
    assert claim(alice, "digest", "weekly 2000-W01", "x", now) is None
    assert Message.objects.count() == 1


def test_a_refused_recipient_is_retried_and_the_others_get_theirs(smtp_server, fleet):
    users = fleet["users"]
    smtp_server.refuse = {users["alice"].email}
    first = send_due()
    assert (first.sent, first.failed) == (2, 1)
    assert smtp_server.addresses() == sorted([users["carol"].email, users["root"].email])
    failed = Message.objects.get(recipient=users["alice"])
    assert failed.state == Message.State.FAILED
    assert "550" in failed.error and "Mailbox unavailable" in failed.error
    smtp_server.refuse = set()
    second = send_due()
    assert (second.sent, second.failed, second.skipped) == (1, 0, 2)
    assert len(smtp_server.to(users["alice"].email)) == 1
    assert len(smtp_server.received) == 3
    retried = Message.objects.get(recipient=users["alice"])
    assert (retried.state, retried.attempts, retried.error) == (Message.State.SENT, 2, "")


def test_the_command_reports_a_failure_and_exits_non_zero(smtp_server, fleet):
    smtp_server.refuse = {fleet["users"]["carol"].email}
    with pytest.raises(Exception, match="carol@example.com: SMTPRecipientsRefused"):
        call_command("send_notifications")
    assert len(smtp_server.received) == 2


def test_a_mail_server_that_is_down_fails_every_message_and_the_next_run_sends(
    smtp_server, fleet, settings
):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    outcome = send_due()
    assert (outcome.sent, outcome.failed) == (0, 3)
    settings.EMAIL_PORT = port
    assert send_due().sent == 3
    assert len(smtp_server.received) == 3


def test_a_mail_server_that_never_answers_is_waited_for_once_a_run(smtp_server, fleet, settings):
    """A server that takes connections and never greets (a firewall's black hole, a hung
    relay) cost every message EMAIL_TIMEOUT, 30 s: 4,000 managers' digests were 33 hours
    of one run (found by an audit of section 10). Once it could not be reached, the rest
    of the run fails untried, each retried next run, and the command says why once."""
    port = settings.EMAIL_PORT
    silent = socket.create_server(("127.0.0.1", 0))
    connections_taken: list[socket.socket] = []

    def take() -> None:  # accepts, and says nothing
        with contextlib.suppress(OSError):
            while True:
                connections_taken.append(silent.accept()[0])

    threading.Thread(target=take, daemon=True).start()
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = silent.getsockname()[1], 1
    try:
        with pytest.raises(CommandError) as failed:
            call_command("send_notifications", verbosity=0)
    finally:
        silent.close()
        for taken in connections_taken:
            taken.close()
    assert len(connections_taken) == 1
    said = str(failed.value).splitlines()
    assert len(said) == 3, said  # the heading, the first failure, the count of the rest
    assert "the mail server could not be reached (SMTPServerDisconnected" in said[1]
    assert said[2] == "2 more not tried, for the same reason."
    errors = sorted(Message.objects.values_list("state", "error"))
    assert [state for state, _ in errors] == [Message.State.FAILED] * 3
    assert sum(error.startswith("not tried: the mail server") for _, error in errors) == 2
    settings.EMAIL_PORT = port
    assert send_due().sent == 3
    assert len(smtp_server.received) == 3


def test_a_session_the_server_closed_while_idle_is_opened_again(fleet, settings):
    """A message composed at length (a subscription's list) leaves the session idle, and
    a server closes an idle session (aiosmtpd after its timeout, Postfix after
    smtpd_timeout): the next message failed, "Connection unexpectedly closed"."""
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port(), timeout=1)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    now = timezone.now()
    sender = Sender(now, say=lambda _line: None)
    recipients = [fleet["users"]["alice"], fleet["users"]["carol"]]
    try:
        for n, user in enumerate(recipients):
            if n:
                time.sleep(1.5)  # the next one composed: the server closes the idle session
            message = claim(user, Message.Kind.DIGEST, period_key("weekly", now), "x", now)
            sender.deliver(message, EmailMessage("x", "body", to=[user.email]))
    finally:
        sender.close()
        server.stop()
    assert (sender.outcome.sent, sender.outcome.failed, sender.outcome.errors) == (2, 0, [])
    assert inbox.addresses() == sorted(user.email for user in recipients)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_digest_once(smtp_server, fleet):
    barrier = threading.Barrier(2)
    outcomes = []

    def sender():
        try:
            barrier.wait()
            outcomes.append(send_due())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(o.sent for o in outcomes) == 3
    assert sum(o.skipped for o in outcomes) == 3
    users = fleet["users"]
    assert smtp_server.addresses() == sorted(users[n].email for n in ("alice", "carol", "root"))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_second_command_while_one_runs_stops(smtp_server, fleet, capsys):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [NOTIFICATIONS_LOCK])
        call_command("send_notifications")
        assert "Another send_notifications is running" in capsys.readouterr().out
        assert smtp_server.received == []
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [NOTIFICATIONS_LOCK])
        with held_alone(NOTIFICATIONS_LOCK) as alone:
            assert alone
        call_command("send_notifications")
        assert len(smtp_server.received) == 3
    finally:
        other.close()


def test_a_digest_failed_in_a_period_that_is_over_is_not_left_to_be_retried(smtp_server, fleet):
    """A digest is retried within its period only: the next period's digest replaces it.
    The failed row of the week before stayed "Failed (retried next run)" for good, and
    /metrics' backupreport_notifications_unsent with it, never to drop (found by an audit);
    a subscription's failures already went once it was through."""
    alice = fleet["users"]["alice"]
    smtp_server.refuse = {alice.email}
    assert send_due().failed == 1
    smtp_server.refuse = set()
    next_week = timezone.now() + dt.timedelta(days=7)
    assert send_due(next_week).sent == 3
    assert len(smtp_server.to(alice.email)) == 1
    digests = Message.objects.filter(recipient=alice, kind=Message.Kind.DIGEST)
    assert list(digests.values_list("key", "state")) == [
        (period_key("weekly", next_week), Message.State.SENT)
    ]


def test_a_digest_switched_to_another_frequency_is_not_sent_twice_in_a_period(smtp_server, fleet):
    """Switched from weekly to daily after Monday's digest, she had a second one that
    day (its key was another period's); back to weekly midweek, a third. A digest since
    the period began counts, whatever its frequency (found by an audit)."""
    alice = fleet["users"]["alice"]
    today = timezone.now().astimezone(dt.UTC).date()
    monday = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time(7), dt.UTC)
    send_due(monday)
    assert len(smtp_server.to(alice.email)) == 1
    Preference.objects.create(user=alice, digest=Frequency.DAILY)
    send_due(monday + dt.timedelta(hours=3))
    assert len(smtp_server.to(alice.email)) == 1
    send_due(monday + dt.timedelta(days=1))  # Tuesday: her first daily one
    assert len(smtp_server.to(alice.email)) == 2
    Preference.objects.filter(user=alice).update(digest=Frequency.WEEKLY)
    send_due(monday + dt.timedelta(days=2))  # this week's she has had
    assert len(smtp_server.to(alice.email)) == 2
    send_due(monday + dt.timedelta(days=7))
    assert len(smtp_server.to(alice.email)) == 3


def test_a_message_that_cannot_be_composed_stops_no_other(smtp_server, fleet, monkeypatch):
    """One recipient's fault in composing (a device's link reverse() refused, found by
    an audit of section 10) raised out of the run: every digest, alert and subscription
    after it went unsent, each run. It is that message's failure now, tried again by the
    next run; the faults are injected here, the rest is real."""
    from reports.notifications import sending
    from reports.notifications.models import SiteSwitch

    SiteSwitch.objects.update_or_create(pk=1, defaults={"owner_alerts": True})
    users = fleet["users"]
    digest_of, owner_alert_email = sending.digest_of, sending.owner_alert_email

    def digest_failing_for_alice(user, *args):
        if user == users["alice"]:
            raise RuntimeError("alice's digest")
        return digest_of(user, *args)

    def alert_failing_for_sam(owner, *args):
        if owner == users["sam"]:
            raise RuntimeError("sam's alert")
        return owner_alert_email(owner, *args)

    monkeypatch.setattr(sending, "digest_of", digest_failing_for_alice)
    monkeypatch.setattr(sending, "owner_alert_email", alert_failing_for_sam)
    first = send_due()
    assert (first.sent, first.failed) == (3, 2)  # carol's and root's digests, dave's alert
    assert any("alice" in e and "digest not composed" in e for e in first.errors)
    assert any("sam" in e and "owner alert not composed" in e for e in first.errors)
    assert smtp_server.addresses() == sorted(users[n].email for n in ("carol", "dave", "root"))
    assert not Message.objects.filter(recipient__in=[users["alice"], users["sam"]]).exists()
    monkeypatch.undo()
    second = send_due()
    assert (second.sent, second.failed) == (2, 0)
    assert len(smtp_server.to(users["alice"].email)) == len(smtp_server.to(users["sam"].email)) == 1
