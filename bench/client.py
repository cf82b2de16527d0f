"""A small HTTP client for the benchmark: keep-alive, Basic auth or a session cookie."""

from __future__ import annotations

import base64
import http.client
import re
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class Timing:
    label: str
    path: str
    seconds: list[float]
    status: int
    size: int
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.seconds) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000


class Client:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.headers: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(host, port, timeout=900)

    def use_basic(self, username: str, password: str) -> Client:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers["Authorization"] = f"Basic {token}"
        return self

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        all_headers = self.headers | (headers or {})
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                return self.connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=900)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def log_in(self, username: str, password: str) -> Client:
        """Sign in through the login form, keeping the cookies by hand.

        In production mode the cookies are marked Secure; a benchmark on plain HTTP
        on loopback sends them all the same.
        """
        response = self.request("GET", "/accounts/login/")
        page = response.read().decode()
        cookies = _cookies(response)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token}
        ).encode()
        response = self.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            },
        )
        response.read()
        cookies |= _cookies(response)
        if response.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"login as {username} failed: HTTP {response.status}")
        self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return self

    def fetch(self, path: str, headers=None) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        response = self.request("GET", path, headers=headers)
        body = response.read()
        self.location = response.headers.get("Location")
        return response.status, body, time.perf_counter() - started

    def time(self, label: str, path: str, runs: int, headers=None) -> Timing:
        # Warm the caches once, as a daily user would find them; a page that redirects
        # to its default parameters is timed where it lands.
        status, _, _ = self.fetch(path, headers)
        if status in (301, 302) and self.location and self.location.startswith("/"):
            path = self.location
            self.fetch(path, headers)
        seconds, status, size = [], 0, 0
        for _ in range(runs):
            status, body, elapsed = self.fetch(path, headers)
            if status != 200:
                raise RuntimeError(f"{label}: {path} answered {status}: {body[:300]!r}")
            seconds.append(elapsed)
            size = len(body)
        return Timing(label, path, seconds, status, size)

    def stream(self, path: str, chunk: int = 1 << 20) -> tuple[int, int, int, float]:
        """GET a large body in chunks: (status, bytes, lines, seconds)."""
        started = time.perf_counter()
        response = self.request("GET", path)
        total = lines = 0
        while data := response.read(chunk):
            total += len(data)
            lines += data.count(b"\n")
        return response.status, total, lines, time.perf_counter() - started


def _cookies(response) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found
