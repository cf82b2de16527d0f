"""Forwarding events to syslog (AUDIT_SYSLOG_HOST, _PORT, _PROTOCOL udp or tcp,
_FORMAT json or cef), never from the request's thread.

The database is the source of truth and ForwardCursor the place reached in it: after an
event commits, `wake()` starts (at most one a process) a short-lived thread that sends
every event after the cursor, moving the cursor after each, and ends. A syslog that is
down stops the thread, not the request; the events wait in the table and go out with
the next event's wake, or with `manage.py audit_forward [--loop]`. Delivery is at least
once: two forwarders may both send the event between their reads of the cursor.

TCP frames each message by octet counting (RFC 6587), which rsyslog and syslog-ng read.
UDP cannot confirm delivery; a connected socket at least hears a refusal (ICMP port
unreachable) from a receiver that is down, and the event is kept for later.
"""

from __future__ import annotations

import logging
import socket
import threading

from django.conf import settings
from django.db import connection

from accounts.audit.models import Event, ForwardCursor
from accounts.audit.syslog_lines import UDP_LARGEST, rfc5424

log = logging.getLogger(__name__)
BATCH = 500


def configured() -> bool:
    return bool(settings.AUDIT_SYSLOG_HOST)


class Sender:
    """One connection to the receiver for a batch of messages."""

    def __init__(self) -> None:
        # udp or tcp: the settings refuse to start with another.
        self.tcp = settings.AUDIT_SYSLOG_PROTOCOL == "tcp"
        self.largest = None if self.tcp else UDP_LARGEST  # a message's bytes at most
        address = (settings.AUDIT_SYSLOG_HOST, settings.AUDIT_SYSLOG_PORT)
        timeout = settings.AUDIT_SYSLOG_TIMEOUT_SECONDS
        if self.tcp:
            self.socket = socket.create_connection(address, timeout=timeout)
        else:
            family = socket.getaddrinfo(*address, type=socket.SOCK_DGRAM)[0][0]
            self.socket = socket.socket(family, socket.SOCK_DGRAM)
            self.socket.connect(address)
            self.socket.setblocking(False)  # a datagram never waits; a refusal is read back

    def send(self, message: bytes) -> None:
        if self.tcp:
            self.socket.sendall(b"%d " % len(message) + message)
            return
        self._raise_refusal()
        self.socket.send(message)
        self._raise_refusal()

    def _raise_refusal(self) -> None:
        """A refusal of an earlier datagram surfaces on the socket's next read."""
        try:
            self.socket.recv(1, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return

    def close(self) -> None:
        self.socket.close()


def deliver_backlog(limit: int = BATCH) -> int:
    """Send up to `limit` events after the cursor, oldest first; how many were sent.
    Raises OSError when the receiver cannot be reached (the cursor stays before the
    first event not sent)."""
    if not configured():
        return 0
    message_format = settings.AUDIT_SYSLOG_FORMAT
    cursor, _ = ForwardCursor.objects.get_or_create(pk=1)
    events = list(Event.objects.filter(pk__gt=cursor.last_id).order_by("id")[:limit])
    if not events:
        return 0
    sender = Sender()
    sent, reached = 0, cursor.last_id
    try:
        for event in events:
            sender.send(rfc5424(event, message_format, sender.largest))
            moved = ForwardCursor.objects.filter(pk=1, last_id=reached).update(last_id=event.pk)
            if not moved:  # another forwarder is ahead of this one
                break
            reached, sent = event.pk, sent + 1
    finally:
        sender.close()
    return sent


def deliver_all() -> int:
    total = 0
    while sent := deliver_backlog():
        total += sent
    return total


_running = threading.Lock()
_again = threading.Event()


def _forward_in_background() -> None:
    reached = False  # syslog, at the last round
    try:
        while True:
            _again.clear()
            reached = False
            try:
                deliver_all()
            except OSError as error:  # the receiver is down: the backlog waits
                log.warning("audit: syslog unreachable (%s); events wait in the database", error)
                break
            except Exception:
                log.exception("audit: forwarding to syslog failed; events wait in the database")
                break
            reached = True
            if not _again.is_set():
                break
    finally:
        connection.close()
        _running.release()
    # A wake between the last look at _again and the release found this thread still
    # running and left its event to it: the event waited for the next one, or for
    # audit_forward (found by an audit). One more look, now that the lock is free.
    if reached and _again.is_set():
        wake()


def wake() -> None:
    """Forward what is new, on a thread of its own; return at once."""
    if not configured():
        return
    _again.set()
    if not _running.acquire(blocking=False):
        return  # the running thread sees _again and goes round once more
    threading.Thread(target=_forward_in_background, name="audit-forwarder", daemon=True).start()


def wait_idle(timeout: float) -> bool:
    """Whether the background forwarder (if any) finished within `timeout` seconds."""
    if not _running.acquire(timeout=timeout):
        return False
    _running.release()
    return True
