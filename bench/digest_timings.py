"""The digests of every org manager of the current database, sent to a local SMTP sink.

`measure(log)` makes sure every org has `managers_per_org` org managers with an email
address (bench-digest-<org>-<n>, created in bulk when missing), then times
reports.notifications.sending.send_digests for all of them, as `send_notifications`
sends them: the content queries, the send log's claim and state, the SMTP conversation.
The sink is aiosmtpd in a subprocess (its Sink handler accepts and drops every
message), so that it does not share this process's interpreter. This period's digests
of those managers are removed from the send log first, or a second measurement would
send nothing.

    DATABASE_URL=postgres://... .venv/bin/python bench/digest_timings.py [--managers-per-org N]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench-digest-"
if str(ROOT / "bench") not in sys.path:  # its sibling memory.py, however it is loaded
    sys.path.insert(0, str(ROOT / "bench"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_sink(port: int) -> subprocess.Popen:
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise RuntimeError(f"the SMTP sink did not start on port {port}")


def ensure_managers(per_org: int) -> list[int]:
    """The ids of the org managers with an email address: `per_org` in every org."""
    from django.contrib.auth.models import Group

    from accounts.models import Org, User
    from accounts.roles import ORG_MANAGERS

    group = Group.objects.get_or_create(name=ORG_MANAGERS)[0]
    managers = User.objects.filter(groups=group, org__isnull=False).exclude(email="")
    have: dict[int, int] = {}
    for org_id in managers.values_list("org_id", flat=True):
        have[org_id] = have.get(org_id, 0) + 1
    new = []
    for org_id in Org.objects.values_list("pk", flat=True):
        for n in range(have.get(org_id, 0), per_org):
            username = f"{PREFIX}{org_id}-{n}"
            new.append(
                User(
                    username=username,
                    user_uid=username,
                    email=f"{username}@bench.invalid",
                    org_id=org_id,
                    password="!",  # unusable: nobody signs in as them
                )
            )
    created = User.objects.bulk_create(new, batch_size=2000)
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [Membership(user_id=user.pk, group_id=group.pk) for user in created], batch_size=2000
    )
    return list(managers.values_list("pk", flat=True).distinct())


def measure(log, managers_per_org: int = 1) -> dict:
    """Send every org manager's digest to a local sink: elapsed seconds, digests sent,
    peak RSS in MB (of this process, the sender)."""
    from django.test import override_settings

    from reports import clock
    from reports.notifications.models import Message
    from reports.notifications.periods import period_key
    from reports.notifications.sending import Sender, send_digests

    started = time.perf_counter()
    managers = set(ensure_managers(managers_per_org))
    log(
        f"digests: {len(managers):,} org managers ({time.perf_counter() - started:.1f} s to ensure)"
    )
    now = clock.now()
    Message.objects.filter(
        kind=Message.Kind.DIGEST,
        recipient_id__in=managers,
        key__in=[period_key(f, now) for f in ("weekly", "daily")],
    ).delete()
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
            sender = Sender(now, log)
            started = time.perf_counter()
            try:
                send_digests(sender, only=managers)
            finally:
                sender.close()
            elapsed = time.perf_counter() - started
    finally:
        sink.terminate()
        sink.wait(10)
    outcome = sender.outcome
    from memory import own_peak_mb

    peak = own_peak_mb()
    log(
        f"digests: {outcome.sent:,} sent, {outcome.failed:,} failed in {elapsed:.1f} s "
        f"({elapsed / max(outcome.sent, 1) * 1000:.0f} ms each), peak RSS {peak:.0f} MB"
    )
    if outcome.failed:
        log("digests: first failures: " + "; ".join(outcome.errors[:3]))
    return {
        "elapsed_seconds": round(elapsed, 2),
        "digests_sent": outcome.sent,
        "digests_failed": outcome.failed,
        "managers": len(managers),
        "peak_rss_mb": round(peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--managers-per-org", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupreport.settings")
    import django

    django.setup()
    print(measure(lambda line: print(line, flush=True), args.managers_per_org))


if __name__ == "__main__":
    main()
