"""Vendors for the sync tests: a second instance of this product in its own process with
its own SQLite file (the real thing, over real HTTP), and a canned one in a thread that
answers whatever a test tells it to (the hostile cases)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings

from tests.migrated_sqlite_support import migrated_sqlite, sqlite_environment
from tests.port_support import free_port


class SourceInstance:
    """This product, migrated, seeded with generate_demo_data and served by runserver in a
    process of its own, playing the vendor. A system administrator and an API client of
    theirs are made for the sync to sign in with."""

    ADMIN, PASSWORD = "source-admin", "source admin password 1"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Its own SQLite file, whatever the suite runs on.
        self.env = sqlite_environment(folder / "source.sqlite3") | {
            "DJANGO_DEBUG": "1",
            "LOG_LEVEL": "ERROR",
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "--verbosity", "0", "--command", code)

    def start(self, devices: int = 300, seed: int = 1) -> SourceInstance:
        migrated_sqlite(Path(self.env["SQLITE_PATH"]))  # a copy: migrating takes seconds
        self.manage("generate_demo_data", "--devices", str(devices), "--seed", str(seed))
        made = self.shell(
            "import json\n"
            "from django.contrib.auth.models import Group\n"
            "from accounts.models import ApiClient, User\n"
            "from accounts.roles import SYSTEM_ADMINISTRATORS\n"
            f"admin = User.objects.create_user({self.ADMIN!r}, password={self.PASSWORD!r})\n"
            "admin.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))\n"
            "client, secret = ApiClient.objects.create_for(admin, 'the mirror')\n"
            "print(json.dumps([client.client_id, secret]))\n"
        )
        self.client_id, self.client_secret = json.loads(made.strip().splitlines()[-1])
        self.log = (self.folder / "server.log").open("w")
        self.server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/api/DeviceBackupReport", timeout=1)
                return self
            except (requests.ConnectionError, requests.Timeout):  # not up, or slow to start
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "the source did not start:\n" + (self.folder / "server.log").read_text()
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)
            self.log.close()

    def get(self, path: str, **params) -> requests.Response:
        response = requests.get(
            self.url + path, params=params, auth=(self.ADMIN, self.PASSWORD), timeout=60
        )
        response.raise_for_status()
        return response

    def export(self) -> bytes:
        """The vendor's 34-column CSV export, as a system administrator downloads it."""
        return self.get("/api/DeviceBackupReport", export="csv").content

    def org_tree(self) -> dict[str, str | None]:
        """org uid -> its parent's uid."""
        orgs = self.get("/api/v1/Org", pgSize=1000).json()["data"]["orgs"]
        return {org["orgUid"]: org["parentOrgUid"] for org in orgs}


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | dict = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Stop after this many bytes of the body without saying so: a connection cut short.
    cut_after: int | None = None
    # Send the body a byte at a time, this many seconds apart: a vendor that trickles.
    trickle: float | None = None

    def payload(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode(), self.content_type or "application/json"
        data = self.body.encode() if isinstance(self.body, str) else self.body
        return data, self.content_type or "text/plain"


class CannedVendor:
    """A vendor in a thread: path -> the answers to give, in turn (the last one again
    and again); an answer may be a function of the query. The export is the path with
    "?export" after it. Every request is recorded as (method, path, query)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer | Callable[[dict], Answer]]] = {}
        self.requests: list[tuple[str, str, dict]] = []
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends with the connection, as runserver's

            def do_GET(self) -> None:
                vendor._answer(self)

            do_POST = do_GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def on(self, path: str, *answers: Answer | Callable[[dict], Answer]) -> None:
        self.answers[path] = list(answers)

    def hits(self, path: str) -> int:
        return sum(1 for _, hit, _ in self.requests if hit == path)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        key = url.path + ("?export" if "export" in query else "")
        self.requests.append((handler.command, key, query))
        queue = self.answers.get(key) or [Answer(404, "<html>Not Found</html>", "text/html")]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(answer):
            answer = answer(query)
        data, content_type = answer.payload()
        handler.send_response(answer.status)
        handler.send_header("Content-Type", content_type)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        data = data if answer.cut_after is None else data[: answer.cut_after]
        if answer.trickle is None:
            handler.wfile.write(data)
            return
        try:
            for byte in data:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(answer.trickle)
        except OSError:
            pass  # the client gave up, as it should

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
