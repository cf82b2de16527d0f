"""The management PDF's render time (reports.dashboards.summary_pdf.management_pdf), as a
system administrator asks for it, over a fleet with 90 days of snapshots: `runs` renders,
their median; and the trend chart alone, drawn as the PDF draws it, in a page of its own.

    DATABASE_URL=postgres://... .venv/bin/python bench/management_pdf_timings.py [runs]

The database holds a fleet (generate_demo_data --devices N --history-days 90).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")


def median_seconds(render, runs: int) -> float:
    render()  # the first: caches warmed, fonts loaded
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        render()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(runs: int) -> None:
    import django

    django.setup()
    from weasyprint import HTML

    from accounts.models import User
    from accounts.roles import reach_of
    from reports import clock
    from reports.dashboards.summary_pdf import management_context, management_pdf
    from reports.history.models import Snapshot
    from reports.models import ReportRow

    user = User.objects.filter(is_superuser=True).first() or User.objects.get(username="demo-admin")
    reach = reach_of(user)
    now = clock.now()
    days = Snapshot.objects.values("day").distinct().count()
    devices = ReportRow.objects.filter(device_first=True).count()
    trend = management_context(user, reach, now)["trend_chart"]
    print(f"{devices:,} devices, {days} days of snapshots, trend chart {len(trend):,} chars")
    pdf = median_seconds(lambda: management_pdf(user, reach, now), runs)
    alone = median_seconds(
        lambda: HTML(string=f"<html><body>{trend}</body></html>").write_pdf(), runs
    )
    print(f"management PDF: median {pdf:.3f} s of {runs} renders")
    print(f"trend chart alone in a PDF: median {alone:.3f} s of {runs} renders")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
