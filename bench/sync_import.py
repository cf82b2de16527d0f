"""One sync's import in a process of its own, for section i: prints what it did as JSON.

    DATABASE_URL=... python bench/sync_import.py export.csv orgs.csv

A process of its own so that its peak resident memory (VmHWM, bench/memory.py) is the
import's alone, not the benchmark's, which holds the fleet's samples and writes the
export first.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    report, tree = sys.argv[1:3]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
    import django

    django.setup()
    from memory import own_peak_mb

    from reports.importing.environment import apply_files, read_files

    started = time.perf_counter()
    outcome = apply_files(read_files(report, tree), mirror_mode=True)
    seconds = time.perf_counter() - started
    done = {
        "report": report,
        "seconds": seconds,
        "totals": outcome.totals(),
        "phases": outcome.timings.line().removeprefix("Seconds: "),
        "peak_mb": own_peak_mb(),
        "notes": outcome.notes,
    }
    # Kept as it goes too (BENCH_IMPORT_LOG): a long run cut short keeps these.
    with open(os.environ.get("BENCH_IMPORT_LOG", "/tmp/bench-sync-imports.jsonl"), "a") as log:
        log.write(json.dumps(done) + "\n")
    print(json.dumps(done))


if __name__ == "__main__":
    main()
