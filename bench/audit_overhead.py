"""The audit log's CPU cost on the API's first page, in one process: the same request
through Django's full stack (every middleware, the kept caller, the kept page) with
AUDIT_LOG on and off in alternating rounds, timed by this process's CPU clock, which
other work on a shared machine disturbs far less than requests a second.

    DATABASE_URL=postgres://.../br_audit_bench .venv/bin/python bench/audit_overhead.py
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "audit-overhead")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

PATH = "/api/DeviceBackupReport?pgSize=100"
AUTHORIZATION = "Basic " + base64.b64encode(b"bench-admin:bench-password-1").decode()


def cpu_ms_a_request(client: Client, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        response = client.get(PATH)
    assert response.status_code == 200, response.status_code
    return (time.process_time() - started) * 1000 / requests


def main() -> int:
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(HTTP_AUTHORIZATION=AUTHORIZATION)
    for state in (True, False):
        settings.AUDIT_LOG = state
        cpu_ms_a_request(client, 200)  # warm-up: the password, the kept caller and page
    figures: dict[bool, list[float]] = {True: [], False: []}
    for number in range(10):
        for state in (True, False) if number % 2 == 0 else (False, True):
            settings.AUDIT_LOG = state
            figures[state].append(cpu_ms_a_request(client, 500))
    for state, label in ((True, "on"), (False, "off")):
        listed = " ".join(f"{x:.3f}" for x in figures[state])
        median = statistics.median(figures[state])
        print(f"log {label}: {listed} CPU ms a request, median {median:.3f}")
    ratios = [a / b for a, b in zip(figures[True], figures[False], strict=True)]
    listed = " ".join(f"{r:.3f}" for r in ratios)
    print(f"on / off per round: {listed}; median {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
