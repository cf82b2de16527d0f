"""The real Nagios check check_crashplan_backup.py (jonschipp/nagios-plugins), never
changed by us, against gunicorn serving TLS with its own certificate options, as the
README says: with the legacy date format it reports the devices whose last backup is
older than its 2 days; without it, it fails as it did on a modern server.

The check is not part of this repository (its licence is its own): the test finds it at
$CHECK_CRASHPLAN_BACKUP, and skips without it. It is Python 2 (print statements);
Python 3's own 2to3 (lib2to3) converts its syntax, nothing else, before it runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from accounts.api_clients import ApiClient
from tests.database_support import database_url
from tests.port_support import free_port

ROOT = Path(__file__).resolve().parent.parent
CHECK = os.environ.get("CHECK_CRASHPLAN_BACKUP", "")

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="gunicorn reads the test database"
    ),
    pytest.mark.skipif(not Path(CHECK).is_file(), reason="set CHECK_CRASHPLAN_BACKUP to the check"),
    pytest.mark.django_db(transaction=True),
]


def python3_check(tmp_path: Path) -> Path:
    """The check with its Python 2 syntax converted by lib2to3, and only that."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from lib2to3.main import main as two_to_three
    converted = tmp_path / "check_crashplan_backup.py"
    converted.write_text(Path(CHECK).read_text())
    assert (
        two_to_three("lib2to3.fixes", ["-w", "-n", "--no-diffs", "--fix=print", str(converted)])
        == 0
    )
    return converted


def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@contextmanager
def tls_server(cert: Path, key: Path):
    """gunicorn with --certfile/--keyfile, on the test database, as in production."""
    port = free_port()
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "backupreport.wsgi", "--workers=1",
         f"--bind=127.0.0.1:{port}", f"--certfile={cert}", f"--keyfile={key}",
         "--log-level=warning"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        | {"DATABASE_URL": database_url(), "SECRET_KEY": settings.SECRET_KEY,
           "DJANGO_DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0"},
        start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                requests.get(
                    f"https://127.0.0.1:{port}/api/schema.json", verify=str(cert), timeout=10
                )
                break
            except (requests.ConnectionError, requests.Timeout):  # not up, or slow to start
                assert process.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def run_check(check: Path, host: str, cert: Path, client_id: str, secret: str, tmp_path: Path):
    credentials = tmp_path / f"{client_id}.json"
    credentials.write_text(json.dumps({"user": client_id, "password": secret}))
    return subprocess.run(
        [sys.executable, str(check), "-H", host, "-f", str(credentials)],
        env=os.environ | {"REQUESTS_CA_BUNDLE": str(cert)},  # trusts our certificate
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_nagios_check_reads_legacy_dates_over_tls(fleet, tmp_path):
    root = fleet["users"]["root"]
    nagios, nagios_secret = ApiClient.objects.create_for(root, "nagios", legacy_dates=True)
    modern, modern_secret = ApiClient.objects.create_for(root, "modern")
    check = python3_check(tmp_path)
    cert, key = certificate(tmp_path)
    with tls_server(cert, key) as host:
        legacy = run_check(check, host, cert, nagios.client_id, nagios_secret, tmp_path)
        plain = run_check(check, host, cert, modern.client_id, modern_secret, tmp_path)
    print("legacy dates:", legacy.returncode, legacy.stdout, legacy.stderr, sep="\n")
    print("ISO dates:", plain.returncode, plain.stdout, plain.stderr[-500:], sep="\n")
    # Exit 2, CRITICAL: the active devices last backed up more than 2 days ago (dave's
    # 5 days, sam's 12), and none of the ones backed up 2 hours ago.
    assert legacy.returncode == 2, legacy.stderr
    critical = {line.split(":")[1].strip() for line in legacy.stdout.splitlines()}
    assert critical == {"DAVE-WIN", "SAM-OLD"}, legacy.stdout
    # The ISO dates, as the issue found them: the check cannot parse a date.
    assert plain.returncode == 1
    assert "does not match format '%b %d, %Y %I:%M:%S %p'" in plain.stderr
