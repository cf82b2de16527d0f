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
import secrets
import signal
import statistics
import subprocess
import sys

from run import API_LOAD_PARAMS, ROOT, api, free_port, log, run_wrk, start_gunicorn

PASSWORD = "bench-password-1"  # bench/fleet.py's, for bench-admin
AUTHORIZATION = "Basic " + base64.b64encode(f"bench-admin:{PASSWORD}".encode()).decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--control", action="store_true", help="both servers with the log off (A/A: the noise)"
    )
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))} | {
        "DATABASE_URL": args.database_url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
    }
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
            run_wrk(ports[state], path, AUTHORIZATION, 10)  # warm-up: passwords, caches
        on, off = [], []
        for number in range(args.rounds):
            order = ("1", "0") if number % 2 == 0 else ("0", "1")
            for state in order:
                found = run_wrk(ports[state], path, AUTHORIZATION, args.seconds)
                (on if state == "1" else off).append(float(found["rps"]))
                log(
                    f"round {number + 1}, log {'on' if state == '1' else 'off'}: "
                    f"{found['rps']} requests/s, p99 {found.get('99%')}, errors {found['errors']}"
                )
        ratios = [a / b for a, b in zip(on, off, strict=True)]
        for label, figures in (("on", on), ("off", off)):
            listed = " ".join(f"{x:.0f}" for x in figures)
            print(f"{label}: {listed} requests/s, median {statistics.median(figures):.1f}")
        listed = " ".join(f"{r:.3f}" for r in ratios)
        print(f"on / off per round: {listed}; median {statistics.median(ratios):.3f}")
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
