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
import statistics
import time

import requests

API = "/api/DeviceBackupReport"


def session_for(url: str, username: str, password: str, auth: str) -> requests.Session:
    session = requests.Session()
    if auth == "basic":
        session.auth = (username, password)
        return session
    # Cookies are sent by hand: with DJANGO_DEBUG=0 they are Secure, and this is HTTP.
    login = f"{url}/accounts/login/"
    page = requests.get(login, timeout=60)
    csrf = page.cookies["csrftoken"]
    answer = requests.post(
        login,
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": login, "Cookie": f"csrftoken={csrf}"},
        allow_redirects=False,
        timeout=60,
    )
    if "sessionid" not in answer.cookies:
        raise SystemExit(f"log-in as {username} failed ({answer.status_code})")
    session.headers["Cookie"] = f"sessionid={answer.cookies['sessionid']}"
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
    parser.add_argument("--csv-runs", type=int, default=3, help="the export takes longest")
    options = parser.parse_args()
    url = options.url.rstrip("/")
    session = session_for(url, options.username, options.password, options.auth)
    part = last_name_part(session, url)
    runs, csv_runs = options.runs, options.csv_runs
    cases = [
        ("pgSize=100", {"pgSize": 100}, runs),
        (
            "srtKey=archiveBytes&srtDir=desc&pgSize=100",
            {"srtKey": "archiveBytes", "srtDir": "desc", "pgSize": 100},
            runs,
        ),
        (f"user={part}", {"user": part}, runs),
        ("export=csv (whole file)", {"export": "csv"}, csv_runs),
    ]
    total = session.get(f"{url}{API}", params={"pgSize": 1}, timeout=300).json()
    print(
        f"{total['metadata']['totalCount']:,} rows visible; auth={options.auth}; "
        f"{runs} runs ({csv_runs} for the export) after a warm-up; medians:"
    )
    for label, params, count in cases:
        timed(session, url, params)
        results = [timed(session, url, params) for _ in range(count)]
        seconds = [result[0] for result in results]
        status, size = results[-1][1], results[-1][2]
        print(
            f"  {label:45} {statistics.median(seconds) * 1000:9.1f} ms  "
            f"(min {min(seconds) * 1000:.1f}, max {max(seconds) * 1000:.1f}; "
            f"HTTP {status}, {size:,} bytes)"
        )


if __name__ == "__main__":
    main()
