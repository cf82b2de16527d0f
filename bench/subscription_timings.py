"""Every org manager's weekly subscription of a stale-device view, sent to a local SMTP
sink (section m; issue 31's target at 1,000,000 devices: within 15 minutes, the
sender's peak memory under 300 MB).

`measure(log)` makes sure every org has an org manager with an email address (as
bench/digest_timings.py does, its helpers reused), saves the view "Stale devices"
(backup status, one row per device, failing ones, stalest first) and a weekly XLSX
subscription of it to the role Org managers, then times
reports.notifications.sending.send_subscriptions as `send_notifications` runs it: per
manager the view within their reach, the counts, the first rows, the XLSX attached or
(past the row or size limit) the signed link, the send log, the SMTP conversation.
The view and its send log are removed after.

    DATABASE_URL=postgres://... .venv/bin/python bench/subscription_timings.py
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

STALE = "active=true&view=devices&health=failing&srtKey=lastCompletedBackupDate&srtDir=asc"
VIEW_NAME = "bench: stale devices"


def measure(log, managers_per_org: int = 1) -> dict:
    from digest_timings import _free_port, _start_sink, ensure_managers
    from django.contrib.auth.models import Group
    from django.test import override_settings

    from accounts.models import User
    from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
    from reports import clock
    from reports.dashboards.saved.models import SavedView
    from reports.notifications.models import Message, Subscription
    from reports.notifications.sending import Sender, send_subscriptions

    managers = ensure_managers(managers_per_org)
    # A system administrator's, who alone sends to others (a manager's is held).
    admins = Group.objects.get(name=SYSTEM_ADMINISTRATORS)
    owner = admins.user_set.filter(is_active=True).order_by("pk").first()
    if owner is None:
        owner, _ = User.objects.get_or_create(username="bench-admin", defaults={"org": None})
        owner.groups.add(admins)
    SavedView.objects.filter(name=VIEW_NAME).delete()
    view = SavedView.objects.create(
        owner=owner, name=VIEW_NAME, report="backup-status", query=STALE
    )
    subscription = Subscription.objects.create(
        view=view, created_by=owner, frequency="weekly", hour=0, format="xlsx"
    )
    subscription.recipient_roles.set([Group.objects.get(name=ORG_MANAGERS)])
    # One that has been running: made after this week's Monday it would wait for the next.
    made = clock.now() - dt.timedelta(days=40)
    Subscription.objects.filter(pk=subscription.pk).update(created_at=made)
    log(f"subscriptions: {len(managers):,} org managers subscribed to {VIEW_NAME!r}")
    port = _free_port()
    sink = _start_sink(port)
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
        ):
            sender = Sender(clock.now(), log)
            started = time.perf_counter()
            try:
                send_subscriptions(sender)
            finally:
                sender.close()
            elapsed = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(10)
        sent = Message.objects.filter(
            kind=Message.Kind.SUBSCRIPTION, key__startswith=f"subscription {subscription.pk} "
        )
        attached = sent.count()
        sent.delete()
        view.delete()
    outcome = sender.outcome
    from memory import own_peak_mb

    peak = own_peak_mb()
    log(
        f"subscriptions: {outcome.sent:,} sent, {outcome.failed:,} failed in {elapsed:.1f} s "
        f"({elapsed / max(outcome.sent, 1) * 1000:.0f} ms each), peak RSS {peak:.0f} MB"
    )
    if outcome.failed:
        log("subscriptions: first failures: " + "; ".join(outcome.errors[:3]))
    return {
        "elapsed_seconds": round(elapsed, 2),
        "sent": outcome.sent,
        "failed": outcome.failed,
        "logged": attached,
        "managers": len(managers),
        "peak_rss_mb": round(peak, 1),
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
    import django

    django.setup()
    print(measure(lambda line: print(line, flush=True)))


if __name__ == "__main__":
    main()
