"""Forwarding the audit log to syslog (spec section 13): each event as one RFC 5424
message holding one line of JSON or CEF, to a real receiver on loopback (a socket
server run by the test, over UDP and TCP); the request that causes an event never waits
for syslog, and with the receiver down nothing is lost: the backlog goes out, in order
and once, when it returns."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts import audit
from accounts.audit import forwarding
from accounts.audit.models import Event, ForwardCursor
from tests.api_support import PASSWORD

RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z) (?P<host>\S{1,255})"
    r" (?P<app>\S{1,48}) (?P<procid>\S{1,128}) (?P<msgid>\S{1,32}) (?P<sd>-|\[.*?\]) (?P<msg>.*)$"
)
CEF_FIELD = re.compile(r"(?<!\\)\|")
CEF_EXTENSION = re.compile(r"(\w+)=((?:[^=\\]|\\.)*?)(?=\s\w+=|$)")


class Receiver:
    """A syslog receiver on loopback: UDP datagrams, or TCP with octet counting."""

    def __init__(self, protocol: str, port: int = 0) -> None:
        self.protocol, self.messages = protocol, []
        kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
        self.socket = socket.socket(socket.AF_INET, kind)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.port = self.socket.getsockname()[1]
        if protocol == "tcp":
            self.socket.listen()
        self.socket.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                if self.protocol == "udp":
                    self.messages.append(self.socket.recv(65535).decode())
                else:
                    connection, _ = self.socket.accept()
                    self._read_frames(connection)
            except TimeoutError:
                continue
            except OSError:
                return

    def _read_frames(self, connection: socket.socket) -> None:
        buffer = b""
        with connection:
            connection.settimeout(2)
            while chunk := connection.recv(65535):
                buffer += chunk
                while b" " in buffer:
                    length, _, rest = buffer.partition(b" ")
                    if len(rest) < int(length):
                        break
                    self.messages.append(rest[: int(length)].decode())
                    buffer = rest[int(length) :]

    def wait_for(self, count: int, seconds: float = 5) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def stop(self) -> None:
        self.running = False
        self.socket.close()
        self.thread.join(2)


@pytest.fixture
def receiver(request, settings):
    protocol, message_format = request.param
    running = Receiver(protocol)
    settings.AUDIT_SYSLOG_HOST = "127.0.0.1"
    settings.AUDIT_SYSLOG_PORT = running.port
    settings.AUDIT_SYSLOG_PROTOCOL = protocol
    settings.AUDIT_SYSLOG_FORMAT = message_format
    yield running
    running.stop()


def parsed(message: str) -> dict:
    matched = RFC5424.match(message)
    assert matched, message
    return matched.groupdict()


def cef(text: str) -> tuple[list[str], dict[str, str]]:
    assert text.startswith("CEF:0|"), text
    fields = CEF_FIELD.split(text, maxsplit=7)
    assert len(fields) == 8, text
    extensions = {
        key: value.replace("\\=", "=").replace("\\\\", "\\")
        for key, value in CEF_EXTENSION.findall(fields[7])
    }
    return fields[:7], extensions


# The forwarder's own thread beside the requests: the tests' SQLite is one in-memory
# database that threads share a table lock at a time, so a request writing while the
# forwarder reads fails there ("database table is locked"); a database of its own (a
# file with its busy timeout, PostgreSQL) lets both wait their turn.
beside_requests = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the tests' in-memory SQLite refuses a second writer thread",
)


@pytest.mark.django_db
@pytest.mark.parametrize("receiver", [("udp", "json")], indirect=True)
def test_json_over_udp(receiver):
    event = audit.record("export.csv", actor="carol", target="DeviceBackupReport", rows=7)
    assert forwarding.deliver_all() == 1
    (message,) = receiver.wait_for(1)
    line = parsed(message)
    assert line["pri"] == str(13 * 8 + 5) and line["app"] == "backupreport"
    assert line["msgid"] == "export.csv"
    body = json.loads(line["msg"])
    assert body["id"] == event.pk and body["hash"] == event.hash
    assert (body["actor"], body["details"]) == ("carol", {"rows": 7})
    assert ForwardCursor.objects.get().last_id == event.pk
    assert forwarding.deliver_all() == 0  # sent once


@pytest.mark.django_db
@pytest.mark.parametrize("receiver", [("tcp", "cef")], indirect=True)
def test_cef_over_tcp(receiver):
    event = audit.record("signin.failed", actor="a=b|c\\d", target="mallory", method="password")
    forwarding.deliver_all()
    (message,) = receiver.wait_for(1)
    line = parsed(message)
    assert line["pri"] == str(13 * 8 + 4)  # a warning
    header, extensions = cef(line["msg"])
    assert header[1:7] == [
        "Backup Report",
        "Backup Report",
        "1",
        "signin.failed",
        "failed to sign in",
        "7",
    ]
    assert extensions["suser"] == "a=b|c\\d"
    assert extensions["act"] == "signin.failed" and extensions["cs2"] == event.hash
    assert extensions["externalId"] == str(event.pk)
    assert json.loads(extensions["msg"]) == {"method": "password"}


def test_an_event_committed_as_the_forwarder_ends_is_not_left_behind(settings, monkeypatch):
    """A wake between the forwarder's last look for more and its end found it still
    running and left the event to it, which had finished: the event waited for the next
    one, or for audit_forward (found by an audit). Here a request's wake comes just
    then, as the running thread lets go."""
    settings.AUDIT_SYSLOG_HOST = "127.0.0.1"
    rounds = []
    monkeypatch.setattr(forwarding, "deliver_all", lambda: rounds.append(1) or 1)
    running = forwarding._running

    class WokenAsItEnds:
        woken = False

        def acquire(self, *args, **kwargs):
            return running.acquire(*args, **kwargs)

        def release(self):
            if not self.woken:
                self.woken = True
                forwarding.wake()  # the lock still held: left to this thread
            running.release()

    monkeypatch.setattr(forwarding, "_running", WokenAsItEnds())
    forwarding.wake()
    deadline = time.monotonic() + 5
    while len(rounds) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert forwarding.wait_idle(5)
    assert len(rounds) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("receiver", [("udp", "json"), ("udp", "cef")], indirect=True)
def test_an_event_too_large_for_a_datagram_goes_without_its_details(receiver):
    """Over 65,507 bytes, the most a UDP datagram holds, sending failed as if syslog
    were down, and the cursor never passed the event: nothing was forwarded again
    (found by an audit). Its details are left out, saying so, and the rest follows."""
    names = ["\u00e9" * 150] * 100  # a list as upload.applied keeps, escaped 6 to 1
    large = audit.record("role.given", target="1000 users", usernames=names * 2)
    after = audit.record("export.csv", actor="carol", target="DeviceBackupReport", rows=7)
    assert forwarding.deliver_all() == 2
    first, second = receiver.wait_for(2)
    assert len(first.encode()) <= 65507
    assert f"#{large.pk}" in first and "details" in first and large.hash in first
    assert after.hash in second and ForwardCursor.objects.get().last_id == after.pk


@beside_requests
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("receiver", [("tcp", "json")], indirect=True)
def test_a_request_forwards_its_event_in_the_background(client, receiver, personas):
    response = client.post(reverse("login"), {"username": "dave", "password": PASSWORD})
    assert response.status_code == 302
    messages = receiver.wait_for(1)
    assert forwarding.wait_idle(5)
    kinds = [json.loads(parsed(m)["msg"])["kind"] for m in messages]
    assert kinds[-1] == "signin.succeeded"


@beside_requests
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_with_syslog_down_requests_succeed_and_the_backlog_follows(
    client, personas, settings, protocol
):
    closed = Receiver(protocol)
    port = closed.port
    closed.stop()  # nothing listens on this port now
    settings.AUDIT_SYSLOG_HOST = "127.0.0.1"
    settings.AUDIT_SYSLOG_PORT = port
    settings.AUDIT_SYSLOG_PROTOCOL = protocol
    settings.AUDIT_SYSLOG_FORMAT = "json"
    started = time.monotonic()
    for _ in range(3):
        assert (
            client.post(reverse("login"), {"username": "dave", "password": PASSWORD}).status_code
            == 302
        )
        assert client.post(reverse("logout")).status_code == 302
    assert time.monotonic() - started < 30  # (a shared machine; nothing waits on syslog)
    assert forwarding.wait_idle(5)
    waiting = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert len(waiting) >= 6
    cursor = ForwardCursor.objects.filter(pk=1).first()
    assert cursor is None or cursor.last_id < waiting[-1]
    with pytest.raises(CommandError, match="syslog unreachable"):
        call_command("audit_forward", stdout=StringIO())
    back = Receiver(protocol, port)
    try:
        call_command("audit_forward", stdout=StringIO())
        messages = back.wait_for(len(waiting))
        delivered = [json.loads(parsed(m)["msg"])["id"] for m in messages]
        already = cursor.last_id if cursor else 0
        assert delivered == [pk for pk in waiting if pk > already]
        assert ForwardCursor.objects.get().last_id == waiting[-1]
    finally:
        back.stop()


@beside_requests
@pytest.mark.django_db(transaction=True)
def test_a_syslog_that_hangs_never_holds_the_request(client, personas, settings):
    """A receiver whose connection queue is full: connecting waits for the whole timeout,
    on the forwarder's thread; the sign-in is answered long before."""
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(0)
    port = hanging.getsockname()[1]
    queued = []
    for _ in range(5):  # fill its queue: the next connection waits, unanswered
        waiting = socket.socket()
        waiting.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            waiting.connect(("127.0.0.1", port))
        queued.append(waiting)
    settings.AUDIT_SYSLOG_HOST, settings.AUDIT_SYSLOG_PORT = "127.0.0.1", port
    settings.AUDIT_SYSLOG_PROTOCOL, settings.AUDIT_SYSLOG_TIMEOUT_SECONDS = "tcp", 15
    try:
        started = time.monotonic()
        response = client.post(reverse("login"), {"username": "dave", "password": PASSWORD})
        answered = time.monotonic() - started
        assert response.status_code == 302
        assert answered < 10, answered  # the forwarder is still waiting to connect
        assert not forwarding.wait_idle(0)
        assert forwarding.wait_idle(30)  # it gave up; the event waits in the database
        assert Event.objects.filter(kind="signin.succeeded", actor="dave").exists()
    finally:
        for waiting in queued:
            waiting.close()
        hanging.close()
