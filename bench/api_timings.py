"""Median times of the DeviceBackupReport API over HTTP, as a system administrator.

Start a server on a demo fleet first, e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/br_api_bench \\
        .venv/bin/python manage.py generate_demo_data --devices 100000 --seed 1 --demo-logins
    DATABASE_URL=... .venv/bin/gunicorn backupreport.wsgi -b 127.0.0.1:8010 -w 2
    .venv/bin/python bench/api_timings.py --url http://127.0.0.1:8010 --runs 7

Each request runs --runs times after one warm-up; a CSV export is read to its end.
With --auth session the client logs in once through the login form, so the times are
the report's alone; with --auth basic each request checks the password (PBKDF2).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import requests

API = "/api/DeviceBackupReport"


def session_for(url: str, username: str, password: str, auth: str) -> requests.Session:
    session = requests.Session()
    if auth == "basic":
        session.auth = (username, password)
        return session
    login = f"{url}/accounts/login/"
    page = session.get(login, timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        login,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": login},
        timeout=60,
    )
    if "sessionid" not in session.cookies:
        raise SystemExit(f"log-in as {username} failed ({answer.status_code})")
    return session


def timed(session: requests.Session, url: str, params: dict) -> tuple[float, int, int]:
    start = time.perf_counter()
    with session.get(f"{url}{API}", params=params, stream=True, timeout=900) as response:
        size = sum(len(chunk) for chunk in response.iter_content(1 << 16))
        status = response.status_code
    return time.perf_counter() - start, status, size


def last_name_part(session: requests.Session, url: str) -> str:
    """Four letters from the middle of the list, so the search is not a lucky first hit."""
    page = session.get(f"{url}{API}", params={"pgSize": 1, "pgNum": 500}, timeout=300).json()
    name = (page["data"] or [{"lastName": "son"}])[0]["lastName"] or "son"
    return name[1:5].lower()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="demo-admin")
    parser.add_argument("--password", default="demo-password-1")
    parser.add_argument("--auth", choices=["session", "basic"], default="session")
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    url = options.url.rstrip("/")
    session = session_for(url, options.username, options.password, options.auth)
    part = last_name_part(session, url)
    cases = [
        ("pgSize=100", {"pgSize": 100}),
        (
            "srtKey=archiveBytes&srtDir=desc&pgSize=100",
            {"srtKey": "archiveBytes", "srtDir": "desc", "pgSize": 100},
        ),
        (f"user={part}", {"user": part}),
        ("export=csv (whole file)", {"export": "csv"}),
    ]
    total = session.get(f"{url}{API}", params={"pgSize": 1}, timeout=300).json()
    print(
        f"{total['metadata']['totalCount']} rows visible; auth={options.auth}; "
        f"{options.runs} runs after a warm-up; medians:"
    )
    for label, params in cases:
        timed(session, url, params)
        runs = [timed(session, url, params) for _ in range(options.runs)]
        seconds = [run[0] for run in runs]
        status, size = runs[-1][1], runs[-1][2]
        print(
            f"  {label:45} {statistics.median(seconds) * 1000:9.1f} ms  "
            f"(min {min(seconds) * 1000:.1f}, max {max(seconds) * 1000:.1f}; "
            f"HTTP {status}, {size:,} bytes)"
        )


if __name__ == "__main__":
    main()
