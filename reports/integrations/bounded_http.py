"""An HTTP exchange bounded as a whole, for the webhook deliveries.

requests' timeout bounds the connection and each read, not the exchange: a receiver
sending its status line, its headers or its body a byte a second held the sending
thread as long as it liked, and with it the worker's pass over every endpoint (found by
an audit, 2026-12-06). Here a watchdog shuts the exchange's socket when its time is up: the
read waiting on it ends at once, whatever part of the answer it was reading, and the
exchange fails with an error that says so.

The socket is caught as urllib3 opens it (a connection class of its own in every pool
requests' adapter takes connections from: its own and each proxy's); the exchange it
belongs to is the one the opening thread is in.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connectionpool import HTTPConnectionPool

_current = threading.local()  # the Exchange the thread is in, if any


class Exchange:
    """The sockets of one exchange, shut when its seconds are up.

    Its watchdog sleeps in short steps and reads the monotonic clock, rather than wait
    on a timed lock (threading.Timer): a timed wait is given a deadline on the wall
    clock, which libfaketime shifts (the suite's run 400 days ahead) into never."""

    STEP_SECONDS = 0.05

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._expired = False
        # Whether a socket was shut at the deadline: what an error may blame on the time,
        # and not merely that it ran out (an exchange through a proxy, its socket not
        # watched, went on for 12 s and was said "not ended within 1 s": an audit).
        self.cut = False
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
            if self._expired:  # opened after the time ran out
                self.cut = True
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
            self._expired = True
            open_sockets = [sock for sock in self._sockets if sock.fileno() != -1]
            # Said before the shut: the read it ends looks at it at once.
            self.cut = bool(open_sockets)
            for sock in open_sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed meanwhile
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        exchange = getattr(_current, "exchange", None)
        if exchange is not None:
            exchange.watch(sock)
        return sock


@functools.cache
def _watched(pool: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    """The pool class, its connections watched: made from the class a manager would use
    (plain, TLS, SOCKS), so a proxy's connections are still made the proxy's way."""
    if issubclass(pool.ConnectionCls, _Watched):
        return pool  # a manager requests hands out again
    connection = type(f"Watched{pool.ConnectionCls.__name__}", (_Watched, pool.ConnectionCls), {})
    return type(f"Watched{pool.__name__}", (pool,), {"ConnectionCls": connection})


def _watch(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {
        scheme: _watched(pool) for scheme, pool in manager.pool_classes_by_scheme.items()
    }
    return manager


class _WatchedAdapter(HTTPAdapter):
    """Every pool watched: its own, and those of the proxy managers it makes apart for
    HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (requests reads them from the environment).
    Only its own were, and an answer trickled through a proxy held a delivery 12-24 s
    where the setting said 1 or 2 (found by an audit)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs) -> PoolManager:
        return _watch(super().proxy_manager_for(proxy, **proxy_kwargs))


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
