"""Section g's load with the audit log on and off, side by side (issue 30: within 5%).

Two gunicorns on the same fleet, alike but for AUDIT_LOG (1 and 0), and wrk against
the API's first page on each in turn, for several short rounds: a change in this
machine's speed (other work on a shared machine) falls on both alike, and the ratio of
each pair is the log's cost. Run after `bench/run.py` has made the fleet:

    .venv/bin/python bench/audit_ab.py --database-url postgres://.../br_audit_bench
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

from run import (
    API_LOAD_PARAMS,
    ROOT,
    api,
    free_port,
    log,
    run_wrk,
    served_environment,
    start_gunicorn,
)

PASSWORD = "bench-password-1"  # bench/fleet.py's, for bench-admin
AUTHORIZATION = "Basic " + base64.b64encode(f"bench-admin:{PASSWORD}".encode()).decode()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(master_pid: int) -> float:
    """User and system CPU time of a gunicorn's workers so far: less sensitive than
    requests a second to what else the machine runs."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--control", action="store_true", help="both servers with the log off (A/A: the noise)"
    )
    args = parser.parse_args()
    base = served_environment() | {"DATABASE_URL": args.database_url}
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "--verbosity=0"], cwd=ROOT, env=base, check=True
        )
    path = api(**API_LOAD_PARAMS)
    servers, ports = {}, {}
    try:
        for state in ("1", "0"):
            ports[state] = free_port()
            audit_log = "0" if args.control else state
            servers[state] = start_gunicorn(base | {"AUDIT_LOG": audit_log}, ports[state])
            run_wrk(ports[state], path, AUTHORIZATION, 20)  # warm-up: passwords, caches
        rates: dict[str, list[float]] = {"1": [], "0": []}
        costs: dict[str, list[float]] = {"1": [], "0": []}  # worker CPU ms a request
        for number in range(args.rounds):
            order = ("1", "0") if number % 2 == 0 else ("0", "1")
            for state in order:
                before = cpu_seconds(servers[state].pid)
                found = run_wrk(ports[state], path, AUTHORIZATION, args.seconds)
                spent = cpu_seconds(servers[state].pid) - before
                rates[state].append(float(found["rps"]))
                costs[state].append(spent * 1000 / int(found["requests"]))
                log(
                    f"round {number + 1}, log {'on' if state == '1' else 'off'}: "
                    f"{found['rps']} requests/s, {costs[state][-1]:.3f} CPU ms a request, "
                    f"p99 {found.get('99%')}, errors {found['errors']}"
                )
        for name, figures, unit in (("rate", rates, "requests/s"), ("cost", costs, "CPU ms")):
            for state, label in (("1", "on"), ("0", "off")):
                listed = " ".join(f"{x:.3g}" for x in figures[state])
                median = statistics.median(figures[state])
                print(f"{name} {label}: {listed} {unit}, median {median:.4g}")
            ratios = [a / b for a, b in zip(figures["1"], figures["0"], strict=True)]
            listed = " ".join(f"{r:.3f}" for r in ratios)
            print(f"{name} on / off per round: {listed}; median {statistics.median(ratios):.3f}")
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        shutil.rmtree(base["STATIC_ROOT"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
