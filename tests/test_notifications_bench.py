"""The digest benchmark (bench/digest_timings.py) on the test fleet, so that it cannot
rot: a manager for every org, each one's digest through a real SMTP sink subprocess.
Its speed is measured by the lead's `make bench`, never by a timed test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from accounts.models import Org
from reports.notifications.models import Message

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "digest_timings.py"


def load_script():
    spec = importlib.util.spec_from_file_location("digest_timings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_sends_a_digest_to_a_manager_of_every_org(fleet):
    lines = []
    result = load_script().measure(lines.append, managers_per_org=2)
    orgs = Org.objects.count()
    # alice and carol manage two orgs; the script adds the others up to two per org.
    assert result["managers"] == 2 * orgs
    assert result["digests_sent"] == 2 * orgs and result["digests_failed"] == 0
    assert result["peak_rss_mb"] > 0 and result["elapsed_seconds"] >= 0
    assert Message.objects.filter(kind="digest", state="sent").count() == 2 * orgs
    again = load_script().measure(lines.append, managers_per_org=2)
    assert again["digests_sent"] == 2 * orgs  # this period's digests are sent again
    assert any("sent" in line for line in lines)


def test_the_senders_peak_memory_is_its_own_not_its_parents():
    # Linux carries getrusage's ru_maxrss over fork and exec: section k, run as a
    # subprocess of the benchmark, once reported the benchmark's 8 GB as its own.
    held = bytearray(256 * 1024 * 1024)
    held[::4096] = b"\1" * len(held[::4096])  # resident, page by page
    child = subprocess.run(
        [sys.executable, "-c", "import memory; print(memory.own_peak_mb())"],
        cwd=SCRIPT.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert 0 < float(child.stdout) < 128
