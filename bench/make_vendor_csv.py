"""Write a deterministic, realistic vendor DeviceBackupReport CSV of N rows.

    .venv/bin/python bench/make_vendor_csv.py 100000 /tmp/report.csv [--orgs-csv /tmp/orgs.csv]

About 1.6 archives a device, 8% of devices with none yet (one row, archive cells
empty), 1.3 devices a user, an org for every 500 rows, in a tree three deep (written
with --orgs-csv for import_orgs). The 34 vendor columns plus firstName, lastName and
coldStorageExpireDate; vendor quirks included: `null` cells, the legacy date form,
non-ASCII names, a quoted cell with a comma and a line break now and then.

Measured (`manage.py import_backup_report FILE -v 2` prints the phases) on PostgreSQL
15, 2 cores shared with other jobs (load average about 3), migrations up to 0004,
100,000 rows = 200 orgs, 47,366 users, 59,298 devices, 95,255 archives:

    first import, empty database        49 s: read 8, compare 2, write 10, report rows 29
    the same file again                 17 s: 0 created, 0 updated, nothing written
    every date a day later (--days-later 1; 154,553 updates)
                                        71 s: read 5, compare 8, write 12, report rows 46
    import_orgs, 10,000 orgs (9,800 new, 199 moved)
                                        40 s: the tree 2 s, report rows rebuilt 37 s

The report rows are the read model's rebuild (reports.read_model), most of it building
the trigram and sort indexes of 0002 row by row; a first import builds them after.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.row import FIELD_NAMES  # noqa: E402

# Dates are relative to the start of today (UTC): two runs on one day write the same
# fleet, and its health is what the dashboards will show today, whatever the year.
NOW = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
FIRST_NAMES = ["Alex", "Maria", "Jürgen", "Søren", "Zoë", "Chen", "Ana", "Émile", "Priya", "Ole"]
LAST_NAMES = ["Åkesson", "Smith", "Müller", "García", "O'Brien", "Nguyen", "Kowalski", "李", "Ito"]
DESTINATIONS = [
    ("dest-cloud-us", "Code42 Cloud US"),
    ("dest-cloud-eu", "Code42 Cloud EU"),
    ("dest-local-hq", "HQ Storage Server"),
]
SERVERS = [
    (f"server-{d}-{n}", f"{d.removeprefix('dest-')}-{n}", d)
    for d, _ in DESTINATIONS
    for n in range(4)
]
OS = [
    ("win", "10.0.19045"),
    ("win", "11.0.22631"),
    ("mac", "14.6"),
    ("mac", "13.5"),
    ("linux", "6.5"),
]
ALERTS = ["OK"] * 12 + [
    "WarningBackupAlert",
    "CriticalBackupAlert",
    "WarningConnectionAlert",
    "CriticalConnectionAlert WarningBackupAlert",
]


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def legacy(moment: dt.datetime) -> str:
    return moment.strftime("%b %d, %Y %I:%M:%S %p")


def org_tree(count: int) -> list[tuple[str, str, str, str]]:
    """(orgUid, orgName, orgExtRef, parentOrgUid): a root, regions, then departments."""
    rows = [("org-0", "Acme", "ACME", "")]
    regions = max(1, count // 20)
    for n in range(1, count):
        parent = "org-0" if n <= regions else f"org-{1 + (n % regions)}"
        rows.append(
            (
                f"org-{n}",
                f"Org {n} Département" if n % 7 == 0 else f"Org {n}",
                f"OU-{n:05d}",
                parent,
            )
        )
    return rows


def report_rows(count: int, orgs: list[tuple], rng: random.Random):
    device_n = user_n = 0
    written = 0
    while written < count:
        user_n += 1
        org_uid, org_name, org_ext_ref, _ = orgs[rng.randrange(len(orgs))]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user = {
            "orgUid": org_uid,
            "orgName": org_name,
            "orgExtRef": org_ext_ref,
            "userUid": f"{700000000000000000 + user_n}",
            "username": f"user{user_n}@example.com",
            "email": f"user{user_n}@example.com",
            "userExtRef": f"E{user_n:06d}" if user_n % 10 else "null",
            "userStatus": "Active" if user_n % 25 else "Deactivated",
            "firstName": first,
            "lastName": last,
        }
        for _ in range(1 if rng.random() < 0.75 else 2):
            device_n += 1
            os_name, os_version = rng.choice(OS)
            created = NOW - dt.timedelta(days=rng.randrange(30, 1500), seconds=rng.randrange(86400))
            connected = NOW - dt.timedelta(minutes=rng.randrange(5, 60 * 24 * 120))
            device = user | {
                "deviceUid": f"{900000000000000000 + device_n}",
                "deviceName": f"LAPTOP-{device_n:06d}"
                if device_n % 50
                else f'Room 4, "Lab"\nPC {device_n}',
                "deviceOsHostname": f"laptop-{device_n:06d}.corp.example.com",
                "deviceExtRef": f"ASSET-{device_n:06d}",
                "version": "11.4.1.12",
                "status": "Active" if device_n % 20 else "Deactivated",
                "alertStates": rng.choice(ALERTS),
                "os": os_name,
                "osVersion": os_version,
                "address": f"10.{device_n % 250}.{device_n % 7}.{device_n % 200}:4242",
                "remoteAddress": f"203.0.113.{device_n % 250}",
                "creationDate": legacy(created) if device_n % 97 == 0 else iso(created),
                "lastConnectedDate": iso(connected),
            }
            draw = rng.random()
            archives = 0 if draw < 0.08 else 1 if draw < 0.43 else 2 if draw < 0.88 else 3
            if archives == 0:
                yield device | {name: "" for name in FIELD_NAMES if name not in device}
                written += 1
            for n in range(archives):
                destination_uid, destination_name = DESTINATIONS[n % len(DESTINATIONS)]
                server_uid, server_name, _ = rng.choice(
                    [s for s in SERVERS if s[2] == destination_uid]
                )
                selected = rng.randrange(1, 500) * 1024**3 + rng.randrange(1024**3)
                percent = rng.choice([100.0, 100.0, 100.0, round(rng.uniform(0, 100), 1)])
                cold = rng.random() < 0.03
                completed = connected - dt.timedelta(hours=rng.randrange(0, 72))
                yield device | {
                    "archiveGuid": f"{800000000000000000 + device_n * 4 + n}",
                    "destinationUid": destination_uid,
                    "destinationName": destination_name,
                    "serverUid": server_uid,
                    "serverName": server_name,
                    "selectedBytes": str(selected),
                    "backupCompletePercentage": f"{percent:.1f}",
                    "archiveBytes": str(int(selected * rng.uniform(0.5, 0.9))),
                    "coldStorage": "true" if cold else "false",
                    "lastCompletedBackupDate": iso(completed) if percent > 0 else "null",
                    "lastActivity": iso(connected),
                    "mostRecentUserProfileCreationResult": "null",
                    "mostRecentUserProfileBackupResult": "" if n else "SUCCESS",
                    "coldStorageExpireDate": iso(NOW + dt.timedelta(days=rng.randrange(1, 365)))
                    if cold
                    else "",
                }
                written += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--orgs", type=int, help="how many orgs (default: one per 500 rows)")
    parser.add_argument("--orgs-csv", type=Path, help="also write the org tree here")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--days-later", type=int, default=0, help="the same fleet, every date this much later"
    )
    args = parser.parse_args()
    global NOW
    NOW += dt.timedelta(days=args.days_later)
    rng = random.Random(args.seed)
    orgs = org_tree(args.orgs or max(3, args.rows // 500))
    if args.orgs_csv:
        with args.orgs_csv.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["orgUid", "orgName", "orgExtRef", "parentOrgUid"])
            writer.writerows(orgs)
    with args.out.open("w", newline="", encoding="utf-8-sig") as file:
        writer = csv.DictWriter(file, fieldnames=FIELD_NAMES)
        writer.writeheader()
        for n, row in enumerate(report_rows(args.rows, orgs, rng)):
            if n >= args.rows:
                break
            writer.writerow(row)


if __name__ == "__main__":
    main()
