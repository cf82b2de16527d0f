"""An HTTP exchange bounded as a whole, for the webhook deliveries.

requests' timeout bounds the connection and each read, not the exchange: a receiver
sending its status line, its headers or its body a byte a second held the sending
thread as long as it liked, and with it the worker's pass over every endpoint (found by
an audit, 2026-12-06). Here a watchdog shuts the exchange's socket when its time is up: the
read waiting on it ends at once, whatever part of the answer it was reading, and the
exchange fails with an error that says so.

The socket is caught as urllib3 opens it (a connection class of its own, through
requests' adapter hook); the exchange it belongs to is the one the opening thread is in.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()  # the Exchange the thread is in, if any


class Exchange:
    """The sockets of one exchange, shut when its seconds are up.

    Its watchdog sleeps in short steps and reads the monotonic clock, rather than wait
    on a timed lock (threading.Timer): a timed wait is given a deadline on the wall
    clock, which libfaketime shifts (the suite's run 400 days ahead) into never."""

    STEP_SECONDS = 0.05

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.cut = False  # whether the time ran out
        self._stopped = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._watchdog = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._watchdog.start()

    def stop(self) -> None:
        self._stopped = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.cut:  # opened after the time ran out
                _shut(sock)

    def _watch(self) -> None:
        while not self._stopped:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self._cut()
                return
            time.sleep(min(self.STEP_SECONDS, left))

    def _cut(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.cut = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        exchange = getattr(_current, "exchange", None)
        if exchange is not None:
            exchange.watch(sock)
        return sock


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


@contextlib.contextmanager
def exchange_within(seconds: float) -> Iterator[tuple[requests.Session, Exchange]]:
    """A session whose exchanges inside the block end within `seconds` in all; the
    Exchange says afterwards whether the time ran out."""
    exchange = Exchange(seconds)
    session = requests.Session()
    adapter = _WatchedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    _current.exchange = exchange
    exchange.start()
    try:
        yield session, exchange
    finally:
        exchange.stop()
        _current.exchange = None
        session.close()
