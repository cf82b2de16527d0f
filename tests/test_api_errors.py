"""The API answers JSON for every error it can produce (issue 23, defect 9): 404 for a
path it does not have, 405, 400 from Django itself, 500 for a bug and 503 with
Retry-After when the database cannot be reached, proven on gunicorn with production
settings against a PostgreSQL that stops answering (a TCP relay the test cuts), and
against an SQLite file that cannot be opened."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api_support import API, PASSWORD, basic
from tests.port_support import free_port
from tests.test_two_app_servers import servers_can_check_passwords

ROOT = Path(__file__).resolve().parent.parent


def assert_json_error(response, status: int, error: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    body = response.json()
    assert body["error"] == error
    return body


@pytest.mark.parametrize(
    "path",
    ["/api/nothing", "/api/v2/User", "/api/v1/Nope/1", "/api/User/", "/api/v3/orgs/", "/api/"],
)
def test_an_unknown_api_path_is_a_json_404(client, fleet, path):
    for headers in ({}, basic("root")):
        body = assert_json_error(client.get(path, **headers), 404, "not found")
        assert "/api/schema.json" in body["detail"]


def test_an_unknown_page_is_still_a_page(client, fleet):
    response = client.get("/nothing/here/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def api_paths() -> list[str]:
    """Every URL pattern under /api/, from the resolver: a new resource is covered."""
    found = []

    def walk(patterns, prefix: str):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/"):
                found.append("/" + re.sub(r"<[^>]+>", "1", route))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_api_path_answers_a_method_it_refuses_with_json(client, fleet, method):
    paths = api_paths()
    assert len(paths) > 20 and "/api/v1/User/1" in paths
    for path in paths:
        response = getattr(client, method)(path, **basic("root"))
        assert_json_error(response, 405, "method not allowed")
        assert response["Allow"], path


def test_too_many_parameters_is_a_json_400(client, fleet, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"p{n}=1" for n in range(11))
    body = assert_json_error(client.get(f"{API}?{query}", **basic("root")), 400, "bad request")
    assert body["detail"] == "The request has too many parameters or form fields."


def test_too_many_parameters_is_a_400_with_debug_on_too(fleet, settings):
    """With DEBUG on (make run's), Django's debugging page read the parameters again,
    raised again, and the server answered a bare 500 (found by an audit of section 3)."""
    settings.DEBUG, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = True, 10
    browser = Client(raise_request_exception=False)
    query = "&".join(f"p{n}=1" for n in range(11))
    body = assert_json_error(browser.get(f"{API}?{query}", **basic("root")), 400, "bad request")
    assert body["detail"] == "The request has too many parameters or form fields."
    fields = {f"p{n}": "1" for n in range(11)}
    assert browser.post(API, fields, **basic("root")).status_code == 400
    assert browser.get(f"/?{query}").status_code == 400


def test_a_host_not_served_is_a_json_400(client, fleet):
    response = client.get(API, HTTP_HOST="evil.example.com", **basic("root"))
    body = assert_json_error(response, 400, "bad request")
    assert "Host" in body["detail"]


@pytest.mark.urls("tests.raising_urls")
def test_a_bug_is_a_json_500_under_the_api_and_a_page_elsewhere(fleet):
    assert not settings.DEBUG
    browser = Client(raise_request_exception=False)
    body = assert_json_error(browser.get("/api/test/raises"), 500, "server error")
    assert "log" in body["detail"] and "RuntimeError" not in str(body)
    page = browser.get("/test/raises/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


# -- the database out of reach, on a real server ---------------------------------------


class Relay:
    """A TCP relay to PostgreSQL that the test can cut: as a network or a database
    going away, existing connections and new ones alike."""

    def __init__(self, port: int, upstream: tuple[str, int]):
        self.upstream = upstream
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", port))  # SO_REUSEADDR: again
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket):
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def cut(self):
        with suppress(OSError):  # wakes the accept() above: closing alone would not
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for each in self.sockets:
            with suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()


@contextmanager
def production_server(environment: dict[str, str], log: Path | None = None):
    """gunicorn with DJANGO_DEBUG=0, as in production (but plain HTTP); its log written
    to `log` if given."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "backupreport.wsgi",
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_"))}
        | {
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "CRITICAL",  # the outage's tracebacks are expected here
        }
        | environment,
        start_new_session=True,
        stderr=None if log is None else log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/api/schema.json", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up, or slow to start
                assert process.poll() is None, "gunicorn did not start"
                time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def assert_database_unavailable(response: requests.Response):
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {
        "error": "database unavailable",
        "detail": "The database cannot be reached just now. Try again in 30 seconds.",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL going away")
@pytest.mark.django_db(transaction=True)
def test_postgresql_out_of_reach_is_a_json_503_and_then_served_again(fleet):
    servers_can_check_passwords([fleet["users"]["root"]])
    session = SessionStore()
    session["_auth_user_id"] = str(fleet["users"]["root"].pk)
    session["_auth_user_backend"] = "accounts.backends.MirroredUserBackend"
    session["_auth_user_hash"] = fleet["users"]["root"].get_session_auth_hash()
    session.create()
    cookie = {"sessionid": session.session_key}
    db = connection.settings_dict
    relay_port = free_port()
    relay = Relay(relay_port, (db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{relay_port}/{db['NAME']}"
    root = ("root", PASSWORD)
    calls = [API, "/api/v1/User", "/api/v1/Computer/x?idType=guid", "/api/history/compliance"]
    try:
        with production_server({"DATABASE_URL": url}) as base:
            for path in calls:
                assert requests.get(base + path, auth=root, timeout=30).status_code in (200, 404)
            relay.cut()  # the open connection breaks, and no new one can be made
            for path in calls:
                assert_database_unavailable(requests.get(base + path, auth=root, timeout=30))
            page = requests.get(base + "/", cookies=cookie, timeout=30)
            assert page.status_code == 503 and page.headers["Retry-After"] == "30"
            assert "The database is unavailable" in page.text
            relay = Relay(relay_port, relay.upstream)  # back
            assert requests.get(base + API, auth=root, timeout=30).status_code == 200
    finally:
        relay.cut()


def test_an_sqlite_file_that_cannot_be_opened_is_a_json_503(tmp_path):
    missing = tmp_path / "no such folder" / "db.sqlite3"
    with production_server({"SQLITE_PATH": str(missing)}) as base:
        assert_database_unavailable(requests.get(base + API, auth=("root", PASSWORD), timeout=30))
        assert_database_unavailable(
            requests.get(base + "/api/v1/Org/my", auth=("dave", PASSWORD), timeout=30)
        )


@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_503_is_logged_as_one_warning_line_naming_the_error(tmp_path, debug):
    """Logged as an error with its traceback ("Internal Server Error" with DEBUG on): a
    long import on SQLite filled `make run`'s log with tracebacks of "database is
    locked" for requests that were fine (found by an audit)."""
    missing = tmp_path / "no such folder" / "db.sqlite3"
    log = tmp_path / "gunicorn.log"
    settings_ = {"SQLITE_PATH": str(missing), "DJANGO_DEBUG": debug, "LOG_LEVEL": "WARNING"}
    with production_server(settings_, log=log) as base:
        response = requests.get(base + API, auth=("root", PASSWORD), timeout=30)
        assert response.status_code == 503
    lines = [line for line in log.read_text().splitlines() if API.split("?")[0] in line]
    assert lines == [
        "Service Unavailable (the database is busy or out of reach: unable to open "
        f"database file): {API.split('?')[0]}"
    ]
    assert "Traceback" not in log.read_text()
    assert "Internal Server Error" not in log.read_text()


def test_a_database_out_of_reach_is_a_503_with_debug_on_too(tmp_path):
    """DJANGO_DEBUG=1, `make run`'s: Django's debugging page (a 500 and a traceback of
    "unable to open database file", or "database is locked" during a long import)
    answered in place of the 503."""
    missing = tmp_path / "no such folder" / "db.sqlite3"
    with production_server({"SQLITE_PATH": str(missing), "DJANGO_DEBUG": "1"}) as base:
        assert_database_unavailable(requests.get(base + API, auth=("root", PASSWORD), timeout=30))
        session = {"sessionid": "a" * 32}  # read from the database to know who this is
        page = requests.get(base + "/", cookies=session, allow_redirects=False, timeout=30)
        assert page.status_code == 503 and page.headers["Retry-After"] == "30"
        assert "The database is unavailable" in page.text
