"""A real HTTP receiver on loopback for the webhook tests: answers each POST with the
next status of a script (the last one repeated), optionally after a delay, and keeps
what it received; and a real forwarding HTTP proxy to put in front of it."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the bytes of a long answer's body
    trickle_head: bool = False  # its status line and headers trickled too
    location: str = ""  # a Location header to answer with (a redirect)
    received: list[Received] = field(default_factory=list)

    def answered(self) -> list[Received]:
        return list(self.received)


@contextmanager
def receiver(
    statuses=(200,),
    delay: float = 0.0,
    trickle: float = 0.0,
    trickle_head: bool = False,
    location: str = "",
):
    state = Receiver(
        url="",
        statuses=list(statuses),
        delay=delay,
        trickle=trickle,
        trickle_head=trickle_head,
        location=location,
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                state.received.append(Received(dict(self.headers), body, time.monotonic()))
                status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            if state.delay:
                time.sleep(state.delay)
            answer = b"x" * 100 if state.trickle else b"ok"
            try:
                if state.trickle_head:
                    head = f"HTTP/1.1 {status} Whatever\r\nContent-Length: 100\r\n\r\n"
                    for byte in head.encode() + answer:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(state.trickle)
                    return
                self.send_response(status)
                if state.location:
                    self.send_header("Location", state.location)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                for byte in answer if state.trickle else [answer]:
                    self.wfile.write(bytes([byte]) if state.trickle else byte)
                    self.wfile.flush()
                    time.sleep(state.trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (its timeout)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as port:
        state.url = f"http://127.0.0.1:{port}/hook"
        yield state


@dataclass
class Proxy:
    url: str
    forwarded: list[str] = field(default_factory=list)  # the request lines it sent on


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Bytes from one side to the other as they come, until either side ends."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(4096):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextmanager
def proxy():
    """A forwarding HTTP proxy on loopback, as HTTP_PROXY names one: it reads a
    request's head, connects to the host its absolute URL names, sends the request on
    and relays both ways, each byte as it comes (a trickled answer stays trickled)."""
    state = Proxy(url="")

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            client = self.request
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line, rest = head.split(b"\r\n", 1)
            method, target, version = line.split(b" ")
            url = urlsplit(target.decode())
            state.forwarded.append(line.decode())
            path = url.path + (f"?{url.query}" if url.query else "")
            with socket.create_connection((url.hostname, url.port or 80)) as upstream:
                upstream.sendall(b" ".join([method, path.encode(), version]) + b"\r\n" + rest)
                threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
                _pump(upstream, client)

    with serving(socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)) as port:
        state.url = f"http://127.0.0.1:{port}"
        yield state


@contextmanager
def serving(server: socketserver.BaseServer):
    """The server in a thread of its own, each request in one too; yields its port."""
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
