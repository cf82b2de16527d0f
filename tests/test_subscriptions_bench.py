"""Section m's script (bench/subscription_timings.py) on the test fleet, so that it
cannot rot: every org manager's stale-device subscription through a real SMTP sink
subprocess, and nothing of it left behind. Its speed is the lead's `make bench`'s."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from accounts.models import Org
from reports.dashboards.saved.models import SavedView
from reports.notifications.models import Message, Subscription

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "subscription_timings.py"


def load_script():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("subscription_timings", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_sends_every_managers_subscription_and_cleans_up(fleet):
    lines = []
    result = load_script().measure(lines.append)
    orgs = Org.objects.count()
    assert result["managers"] == orgs  # alice and carol, and one made for every other org
    assert result["sent"] == orgs and result["failed"] == 0 and result["logged"] == orgs
    assert result["peak_rss_mb"] > 0 and result["elapsed_seconds"] >= 0
    assert not SavedView.objects.exists() and not Subscription.objects.exists()
    assert not Message.objects.filter(kind="subscription").exists()
    assert any("sent" in line for line in lines)
