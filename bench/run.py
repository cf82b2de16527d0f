#!/usr/bin/env python
"""The benchmark: a fleet on PostgreSQL, served by gunicorn as in production, timed over HTTP.

    make bench                                   # 1,000,000 devices, 5 runs a figure
    .venv/bin/python bench/run.py --devices 1000 --runs 2 --load-seconds 2 --history-days 30  # tiny

It builds (or reuses) the fleet with generate_demo_data, starts gunicorn (gthread
workers), measures the API, the CSV export beside PostgreSQL's own COPY, the pages, the
Django admin on the same search, a load test with wrk, and last the sync's import
(section i, beside PostgreSQL's COPY of the same file; --skip-import leaves it out); then writes
bench/results/<date>.md and prints the same table.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/backupreport_bench"
SORT_KEYS = [
    "lastConnectedDate",
    "lastCompletedBackupDate",
    "archiveBytes",
    "selectedBytes",
    "deviceName",
    "username",
    "orgName",
]
WARM_UP_SECONDS = 10
API_LOAD_PARAMS = {"pgSize": 100}
REFERENCE_PATH = "/bench/reference-page"
RATIO_ROUNDS = 5  # section g's alternating rounds of the reference and the API
NO_CACHE = {"Cache-Control": "no-cache"}  # the API computes the page afresh
UNCACHED = tuple(f"{name}: {value}" for name, value in NO_CACHE.items())  # as wrk takes it
ALL_SECTIONS = "abcdefghijklm"
REPORTS = ["backup-status", "disk-usage", "migration-plan", "cold-storage", "search"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="timed runs a figure (median)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sqlite", help="an SQLite file instead of PostgreSQL (tiny runs)")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument(
        "--history-days",
        type=int,
        help="days of health history to generate (default HISTORY_DAYS, a full retention);"
        " a tiny run needs only some for section j to run",
    )
    parser.add_argument(
        "--skip-import",
        action="store_true",
        help="leave out section i (the sync's import; it rewrites the fleet and restores it)",
    )
    parser.add_argument(
        "--sections",
        default=ALL_SECTIONS,
        help=f"the sections to measure, as letters (default {ALL_SECTIONS}); the others are"
        " reported as not measured",
    )
    parser.add_argument(
        "--out", type=Path, help="the results file (default bench/results/<date>.md)"
    )
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_postgres_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def served_environment() -> dict[str, str]:
    """The environment of the bench's own gunicorn: production settings, and static files
    collected into a folder of its own. Collected into the checkout's `staticfiles`, they
    were rewritten under the feet of every other process serving from it (the suite's
    workers: a test failed on a file gone mid-scan, 2026-12-06)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))} | {
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


WORKERS = 5


def start_gunicorn(environment: dict[str, str], port: int) -> subprocess.Popen:
    """gunicorn serving the app, returned once every worker has loaded it and it answers
    a request: returned when the port answered (the master's bind), the first section's
    figures held the workers' boot (found by an audit of the small defects)."""
    ready = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "backupreport.wsgi",
        f"--config={ROOT / 'bench' / 'gunicorn_ready.py'}",
        "--worker-class=gthread",
        # 2 x cores + 1 processes of 2 threads measured best on 2 cores: against 2 x 8,
        # 136 against 104 requests/s at 16 connections, with the same p99.
        f"--workers={WORKERS}",
        "--threads=2",
        f"--bind=127.0.0.1:{port}",
        "--timeout=900",
        "--log-level=warning",
    ]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment | {"BENCH_READY_DIR": str(ready)},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            if len(list(ready.iterdir())) >= WORKERS and _answers(port):
                return server
            time.sleep(0.1)
        server.terminate()
        raise RuntimeError("gunicorn's workers did not load the app in 300 s")
    finally:
        shutil.rmtree(ready, ignore_errors=True)


def _answers(port: int) -> bool:
    """Whether the app answers a request (any status: a redirect to sign in will do)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def worker_peak_memory_mb(master_pid: int) -> float:
    """The largest peak resident size (VmHWM) among gunicorn's workers."""
    import memory

    workers = (memory.status(path.name) for path in Path("/proc").glob("[0-9]*"))
    return max(
        (memory.peak_mb(fields) for fields in workers if fields.get("PPid") == str(master_pid)),
        default=0.0,
    )


def measure_digests(environment: dict[str, str], script: str = "digest_timings.py") -> dict:
    """Section k (or m: script subscription_timings.py) in a process of its own, so that
    its peak memory is the sender's alone; the managers it makes for the orgs that had
    none are removed after, so that every other section keeps measuring the same fleet."""
    from digest_timings import PREFIX

    from accounts.models import User

    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        User.objects.filter(username__startswith=PREFIX).delete()
    for line in done.stdout.splitlines():
        log(line)
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def api(**params) -> str:
    return "/api/DeviceBackupReport?" + urlencode(params, quote_via=quote)


def run_wrk(
    port: int, path: str, authorization: str, seconds: int, headers: tuple[str, ...] = ()
) -> dict[str, str]:
    if not shutil.which("wrk"):
        return {"note": "wrk is not installed (apt-get install wrk)"}
    command = [
        "wrk",
        "-t2",
        "-c16",
        f"-d{seconds}s",
        "--latency",
        "--timeout=10s",
        "-H",
        f"Authorization: {authorization}",
        *(argument for header in headers for argument in ("-H", header)),
        f"http://127.0.0.1:{port}{path}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    found: dict[str, str] = {"raw": output}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            found["rps"] = words[1]
        elif len(words) == 2 and words[0] in {"50%", "99%"}:
            found[words[0]] = words[1]
        elif "requests in" in line:
            found["requests"] = words[0]
        elif line.strip().startswith(("Non-2xx", "Socket errors")):
            found["errors"] = found.get("errors", "") + line.strip() + " "
    found.setdefault("errors", "0")
    return found


def main() -> int:
    args = parse_args()
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(Path(args.sqlite).resolve())
    else:
        ensure_postgres_database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
    import django

    django.setup()
    import fleet
    import history_timings
    import summary
    import vendor_resources
    from client import Client
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    fleet.ensure_fleet(args.devices, args.seed, log, args.history_days)
    fleet.settle()
    manager_org = fleet.personas()
    sample = fleet.samples(manager_org)
    log(f"{sample.devices:,} devices, {sample.rows:,} report rows; manager of {manager_org}")

    environment = served_environment()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    # Section g's reference: the API's first page, as it answers now, served from
    # memory by the same gunicorn (backupreport.bench_reference).
    reference_page = Path(tempfile.mkdtemp(prefix="bench-reference-")) / "page.json"
    reference_page.write_bytes(fleet.first_page_bytes(API_LOAD_PARAMS))
    environment["BENCH_REFERENCE_PAGE"] = str(reference_page)
    port = free_port()
    server = start_gunicorn(environment, port)
    runs = args.runs
    wanted = set(args.sections) - ({"i"} if args.skip_import else set())
    table = summary.Results(args, sample, on_postgres)
    searches = {
        f"user={sample.last_name_part} (part of a last name)": api(
            user=sample.last_name_part, pgSize=100
        ),
        f"user={sample.employee_id} (an employee ID)": api(user=sample.employee_id, pgSize=100),
        f"org={sample.org_name}": api(org=sample.org_name, pgSize=100),
        f"device={sample.device_part}": api(device=sample.device_part, pgSize=100),
        f"os=mac&org={sample.org_name}&active=true": api(
            os="mac", org=sample.org_name, active="true", pgSize=100
        ),
    }
    try:
        admin = Client("127.0.0.1", port).use_basic("bench-admin", fleet.PASSWORD)
        if "a" in wanted:
            log("a. first pages")
            table.add("a", admin.time("unfiltered", api(pgSize=100), runs))
            table.add(
                "a", admin.time("unfiltered, cache bypassed", api(pgSize=100), runs, NO_CACHE)
            )
            for key in SORT_KEYS:
                for direction in ("asc", "desc"):
                    path = api(srtKey=key, srtDir=direction, pgSize=100)
                    table.add("a", admin.time(f"{key} {direction}", path, runs))
        if "b" in wanted:
            log("b. searches")
            for label, path in searches.items():
                table.add("b", admin.time(label, path, runs))
        if "c" in wanted:
            log("c. a deep page")
            deep = max(1, min(500, sample.rows // 100))
            path = api(srtKey="archiveBytes", srtDir="desc", pgSize=100, pgNum=deep)
            table.add("c", admin.time(f"page {deep} by archiveBytes desc", path, runs))
            # Repeated, the page above is the page cache's: the same page read afresh.
            table.add(
                "c",
                admin.time(
                    f"page {deep} by archiveBytes desc, cache bypassed", path, runs, NO_CACHE
                ),
            )
        if "d" in wanted:
            log("d. CSV export of every row")
            table.export_runs = [admin.stream(api(export="csv")) for _ in range(runs)]
            extended = api(export="csv", extraColumns="true")
            table.extended_export_runs = [admin.stream(extended) for _ in range(runs)]
            table.export_peak_mb = worker_peak_memory_mb(server.pid)
            if on_postgres:
                fleet.make_reference_tables()
                table.reference_runs = [
                    fleet.time_reference_copy("bench_reference") for _ in range(runs)
                ]
                table.extended_reference_runs = [
                    fleet.time_reference_copy("bench_reference_extended") for _ in range(runs)
                ]
                table.raw_reference_runs = [
                    fleet.time_reference_copy("bench_reference_raw") for _ in range(runs)
                ]
        if "e" in wanted:
            log("e. pages")
            for persona in ("bench-admin", "bench-manager"):
                browser = Client("127.0.0.1", port).log_in(persona, fleet.PASSWORD)
                table.add("e", browser.time(f"overview as {persona}", "/", runs))
                for slug in REPORTS:
                    path = f"/reports/{slug}/"
                    if slug == "search":
                        path += "?" + urlencode({"user": sample.employee_id})
                    table.add("e", browser.time(f"{slug} as {persona}", path, runs))
                    # The same report sorted by another column and filtered.
                    sorted_filtered = f"/reports/{slug}/?" + urlencode(
                        {"srtKey": "selectedBytes", "srtDir": "desc", "os": "mac", "active": "true"}
                    )
                    label = f"{slug} sorted, filtered as {persona}"
                    table.add("e", browser.time(label, sorted_filtered, runs))
                # Storage by user and by org (reports.dashboards.rollups), largest first
                # and by device count; and the org picker's suggestions and its subtree.
                for per in ("user", "org"):
                    path = f"/reports/disk-usage/by-{per}/?srtKey=archiveBytes&srtDir=desc"
                    table.add("e", browser.time(f"storage by {per} as {persona}", path, runs))
                    path = f"/reports/disk-usage/by-{per}/?srtKey=devices&srtDir=desc&os=mac"
                    label = f"storage by {per}, by devices, os=mac as {persona}"
                    table.add("e", browser.time(label, path, runs))
                typed = sample.org_name[:4]
                path = "/orgs/suggestions/?" + urlencode({"q": typed})
                table.add("e", browser.time(f"org picker q={typed} as {persona}", path, runs))
                path = "/reports/backup-status/?" + urlencode(
                    {"active": "true", "srtKey": "lastConnectedDate", "orgTree": sample.org_name}
                )
                label = f"backup-status orgTree={sample.org_name} as {persona}"
                table.add("e", browser.time(label, path, runs))
        if "f" in wanted:
            log("f. the Django admin on the same search")
            browser = Client("127.0.0.1", port).log_in("bench-admin", fleet.PASSWORD)
            admin_path = "/admin/reports/archive/?" + urlencode({"q": sample.last_name_part})
            table.add(
                "f", browser.time(f"admin archives q={sample.last_name_part}", admin_path, runs)
            )
            table.add(
                "f",
                admin.time(
                    f"API user={sample.last_name_part}", searches[next(iter(searches))], runs
                ),
            )
            search_page = "/reports/search/?" + urlencode({"user": sample.last_name_part})
            table.add(
                "f", browser.time(f"search page user={sample.last_name_part}", search_page, runs)
            )
        if "h" in wanted:
            log("h. the vendor's read resources")
            manager = Client("127.0.0.1", port).use_basic("bench-manager", fleet.PASSWORD)
            clients = {"bench-admin": admin, "bench-manager": manager}
            for timing in vendor_resources.measure(clients, runs):
                table.add("h", timing)
        if "j" in wanted:
            log("j. history, and the first visit after new data")
            browsers = {
                persona: Client("127.0.0.1", port).log_in(persona, fleet.PASSWORD)
                for persona in ("bench-admin", "bench-manager")
            }
            for timing in history_timings.measure(browsers, sample.employee_id, runs, log):
                table.add("j", timing)
        if "l" in wanted:
            log("l. the Prometheus scrape")
            manager = Client("127.0.0.1", port).use_basic("bench-manager", fleet.PASSWORD)
            for persona, scraper in (("bench-admin", admin), ("bench-manager", manager)):
                table.add("l", scraper.time(f"/metrics as {persona}", "/metrics", runs))
        if "g" in wanted:
            log(f"g. load: wrk, {args.load_seconds} s at 16 connections, after a warm-up")
            status, body, _ = admin.fetch(REFERENCE_PATH)
            if status != 200 or body != reference_page.read_bytes():
                raise RuntimeError(f"the reference page is not served ({status})")
            table.reference_bytes = len(body)
            authorization = admin.headers["Authorization"]
            # Each worker checks the password once (the slow hash, then remembered, see
            # reports.api.authentication); the measured run is the steady state after it.
            # The warm-up's own figures are written down beside it.
            # No longer than the load itself: a tiny run's 1 s load needs no 10 s warm-up.
            warm_up_seconds = min(WARM_UP_SECONDS, args.load_seconds)
            table.load_warm_up = run_wrk(
                port, api(**API_LOAD_PARAMS), authorization, warm_up_seconds
            )
            table.load = run_wrk(port, api(**API_LOAD_PARAMS), authorization, args.load_seconds)
            # The same load with the page cache bypassed (reports.api.page_cache): every
            # request validated, counted (the count is still kept) and its page read, as a
            # page nobody asked since the last write is.
            table.load_uncached = run_wrk(
                port, api(**API_LOAD_PARAMS), authorization, args.load_seconds, UNCACHED
            )
            table.load_reference = run_wrk(port, REFERENCE_PATH, authorization, args.load_seconds)
            # The ratio's target on rounds that alternate the two: this VM's speed moves
            # with its neighbours' load, from one minute to the next, by up to 2 times.
            table.ratio_round_seconds = seconds = max(args.load_seconds // 3, 1)
            table.ratio_rounds = [
                (
                    run_wrk(port, REFERENCE_PATH, authorization, seconds),
                    run_wrk(port, api(**API_LOAD_PARAMS), authorization, seconds),
                )
                for _ in range(RATIO_ROUNDS)
            ]
        if "i" in wanted:
            # Last: it rewrites the fleet (and restores it). Each import in a process of
            # its own; the API's load is measured alone and during a typical day's sync.
            import import_timings

            log("i. import and sync")
            authorization = admin.headers["Authorization"]
            with import_timings.files() as made:
                table.first_import, table.imports = import_timings.measure(made, log)
                # The load as long as the sync lasts (as the every-dates-moved
                # one did): it starts with it.
                seconds = max(5, int(table.imports[-1].seconds * 0.9))
                table.load_during_sync = import_timings.load_during_sync(
                    made,
                    lambda s: run_wrk(port, api(**API_LOAD_PARAMS), authorization, s),
                    seconds,
                    log,
                )
                table.imports.append(table.load_during_sync["timing"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    if "k" in wanted:
        log("k. every org manager's digest, to a local SMTP sink")
        table.digests = measure_digests(environment)

    if "m" in wanted:
        log("m. every org manager's weekly stale-device subscription, to a local SMTP sink")
        table.subscriptions = measure_digests(environment, "subscription_timings.py")

    shutil.rmtree(environment["STATIC_ROOT"], ignore_errors=True)
    text = table.markdown()
    out = args.out or ROOT / "bench" / "results" / f"{dt.date.today():%Y-%m-%d}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
