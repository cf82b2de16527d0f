"""How long a report page takes at each page size, on the database the settings name
(`make run`'s demo fleet by default: 2,000 devices, SQLite).

    .venv/bin/python bench/page_sizes.py [--repeat 7] [--sizes 50,500,1000] [--profile]

In process through Django's test client as demo-admin (who sees every row): the view,
its queries and the table's rendering, without the network. Prints one line per report
and size: the rows drawn, the median, fastest and slowest wall-clock time of the
repeats, and the median CPU time of this process (SQLite runs in it), which a machine
busy with other work inflates less than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from reports.catalog import REPORTS  # noqa: E402

# Each report's defaults, plus the parameters that fill a page (search needs a term).
PAGES = {
    "backup-status": {},
    "backup-status per archive": {"view": "archives"},
    "disk-usage": {},
    "migration-plan": {},
    "cold-storage": {},
    "search": {"user": "a"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="50,250,500,1000")
    parser.add_argument("--user", default="demo-admin")
    parser.add_argument("--profile", action="store_true", help="cProfile one 1,000-row page")
    args = parser.parse_args()
    client = Client()
    client.force_login(User.objects.get(username=args.user))
    sizes = [int(n) for n in args.sizes.split(",")]
    print(f"{'page':28} {'size':>5} {'rows':>5} {'median':>9} {'min':>9} {'max':>9} {'cpu':>9}")
    for label, extra in PAGES.items():
        report = REPORTS[label.split()[0]]
        for size in sizes:
            url = report.url(pgSize=str(size), **extra)
            client.get(url)  # warm: template loading, kept callers
            seconds, cpu = [], []
            for _ in range(args.repeat):
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                seconds.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            assert response.status_code == 200, (url, response.status_code)
            rows = response.content.count(b"<tr") - 1
            ms = [s * 1000 for s in seconds]
            print(
                f"{label:28} {size:>5} {rows:>5} {statistics.median(ms):>7.0f}ms"
                f" {min(ms):>7.0f}ms {max(ms):>7.0f}ms {statistics.median(cpu) * 1000:>7.0f}ms"
            )
    if args.profile:
        import cProfile
        import pstats

        url = REPORTS["backup-status"].url(pgSize="1000")
        profile = cProfile.Profile()
        profile.runcall(client.get, url)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
