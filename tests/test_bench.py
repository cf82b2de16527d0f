"""A tiny run of the benchmark, so that the script cannot rot.

It serves the app with gunicorn and times every section over HTTP on about 1,000
devices; the figures themselves are not judged here (speed is measured by `make bench`,
never by a timed test).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench_database_url():
    """On PostgreSQL, a database of its own named after the suite's test database (so two
    suites on one server never share it), dropped afterwards: the suite leaves nothing."""
    suite_database = os.environ.get("DATABASE_URL")
    if not suite_database:
        yield None
        return
    server, _, suite_name = suite_database.rpartition("/")
    name = f"{suite_name.partition('?')[0]}_bench_tiny"
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def checkout_static_files() -> dict[str, int]:
    """The checkout's collected static files and when each was written."""
    folder = ROOT / "staticfiles"
    return {str(path): path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()}


def test_a_tiny_benchmark_run_writes_every_section(tmp_path, bench_database_url):
    out = tmp_path / "results.md"
    command = [
        sys.executable,
        "bench/run.py",
        "--devices=1000",
        "--runs=1",
        "--load-seconds=1",
        # Section j's history needs some days, not a full retention (400 days took 19 s).
        "--history-days=30",
        f"--out={out}",
    ]
    suite_database = bench_database_url
    if suite_database:
        command.append(f"--database-url={suite_database}")
    else:
        command.append(f"--sqlite={tmp_path / 'bench.sqlite3'}")
    checkouts_static = checkout_static_files()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # Its gunicorn collects apart: rewriting the checkout's static files under the suite's
    # other workers failed a test that was scanning them (2026-12-06).
    assert checkout_static_files() == checkouts_static
    text = out.read_text()
    for heading in (
        "### a.",
        "### b.",
        "### c.",
        "### d.",
        "### e.",
        "### f.",
        "### g.",
        "### h.",
        "### i.",
        "### j.",
        "### k.",
    ):
        assert heading in text
    assert "1,000 devices" in text
    assert "`daily snapshot (snapshot_health, warming included)`" in text
    assert "`compliance after an import as bench-manager, first visit`" in text
    assert "by archiveBytes desc, cache bypassed`" in text  # the deep page read afresh
    assert "digests sent (0 failed)" in text
    assert "served from memory by the same gunicorn" in text  # section g's reference
    assert "| 1% changed, run 3 |" in text
    assert "- 1% changed, the median of 3 runs: " in text
    assert "- 1% back (restoring the fleet), the median of 3 runs: " in text
    if shutil.which("wrk"):
        assert "ratio API / reference, median of the rounds" in text
        assert "the cache bypassed" in text  # the figure for pages not in the page cache
    if suite_database:
        assert "ratio export / reference" in text
        assert "ratio import / reference" in text
        assert "the reference (median of the ratios)" in text
    else:
        assert "reference COPY: PostgreSQL only" in text


STARTED = """
import importlib.util, os, signal, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("bench_run", "bench/run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)
environment = run.served_environment() | {"SQLITE_PATH": sys.argv[1]}
port = int(os.environ.get("BENCH_PORT") or run.free_port())
server = run.start_gunicorn(environment, port)
try:
    def resident_kb(pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0
    def parent(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1]
        except OSError:
            return None
    workers = [p.name for p in Path("/proc").glob("[0-9]*") if parent(p.name) == str(server.pid)]
    print(resident_kb(server.pid), *sorted(resident_kb(w) for w in workers))
finally:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)
"""


def test_the_bench_server_is_returned_once_every_worker_has_loaded_the_app(tmp_path):
    """The port answers when gunicorn's master binds it, before any worker has imported
    the app: start_gunicorn returned then, and a section run alone counted the workers'
    boot in its figures (found by an audit of the small defects). Each worker returned
    holds the app: several times the master's memory (gunicorn alone). BENCH_PORT names
    a port of the caller's choosing."""
    database = str(tmp_path / "bench.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", STARTED, database],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    master, *workers = map(int, done.stdout.split())
    assert len(workers) == 5
    assert all(worker > 2 * master for worker in workers), (master, workers)
