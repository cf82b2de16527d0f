"""The vendor's read resources in the benchmark (spec section 7, reports/api/users.py,
computers.py, orgs.py): what pycpg and crashplancli ask first, as a system administrator
and as the org manager.

- the first page of /api/v1/Computer as `crashplan devices list --include-backup-usage`
  asks it (every archive of each device, and the counts pycpg asks by default), and
  without the archives;
- the first pages of /api/v1/User and /api/v1/Org;
- one computer by guid with everything (what the vendor's Go sample asks per device),
  and one user by uid.

Runs inside the benchmark process, with Django set up on the benchmark's database.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from accounts.models import User
from reports.models import ReportRow


def _path(resource: str, **params) -> str:
    query = urlencode(params, quote_via=quote)
    return f"/api/v1/{resource}" + (f"?{query}" if query else "")


def _looked_up(manager: User) -> tuple[str, str]:
    """A device with archives and its owner, inside the manager's reach, so that both
    personas find them: (device guid, userUid)."""
    rows = ReportRow.objects.visible_to(manager).filter(device_first=True)
    found = (
        rows.exclude(archive_guid=None).exclude(user_uid=None).order_by("device_id").first()
        or rows.order_by("device_id").first()
    )
    return found.device_uid, found.user_uid or ""


def cases() -> list[tuple[str, str]]:
    guid, user_uid = _looked_up(User.objects.get(username="bench-manager"))
    listed = [
        (
            "Computer, backupUsage and counts",
            _path("Computer", pgNum=1, pgSize=100, incBackupUsage="true", incCounts="true"),
        ),
        ("Computer", _path("Computer", pgNum=1, pgSize=100)),
        ("User", _path("User", pgNum=1, pgSize=100)),
        ("Org", _path("Org", pgNum=1, pgSize=100)),
        ("Computer by guid, incAll", _path(f"Computer/{guid}", idType="guid", incAll="true")),
    ]
    if user_uid:
        listed.append(("User by uid", _path(f"User/{quote(user_uid)}", idType="uid")))
    return listed


def measure(clients: dict, runs: int) -> list:
    """Timings of every case for each persona's client ({persona: bench.client.Client})."""
    timings, listed = [], cases()
    for persona, client in clients.items():
        for label, path in listed:
            timings.append(client.time(f"{label} as {persona}", path, runs))
    return timings
