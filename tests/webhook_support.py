"""A real HTTP receiver on loopback for the webhook tests: answers each POST with the
next status of a script (the last one repeated), optionally after a delay, and keeps
what it received."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
    received: list[Received] = field(default_factory=list)

    def answered(self) -> list[Received]:
        return list(self.received)


@contextmanager
def receiver(statuses=(200,), delay: float = 0.0, trickle: float = 0.0, trickle_head: bool = False):
    state = Receiver(
        url="", statuses=list(statuses), delay=delay, trickle=trickle, trickle_head=trickle_head
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

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
