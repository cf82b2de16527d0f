"""The Subscriptions page as a system administrator reads it: a full page of
subscriptions (reports.notifications.subscription_views.SUBSCRIPTIONS_PER_PAGE), each
asked why it is held (problems_of) and how many it sends to, and the saved views list.

Made in a database of its own (it migrates it, and adds what it times): an org tree of
1,011 orgs, org managers each subscribed to a view of their own (two in three, each with
parameters of its own) or one shared with them, some filtered by org (orgTree, orgUid),
some broken, some sent by an administrator to the managers' role; each page is read
`runs` times after a first, the median said, with its number of queries.

    SQLITE_PATH=/tmp/bench-subs.sqlite3 .venv/bin/python bench/subscriptions_page_timings.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_subs \
        .venv/bin/python bench/subscriptions_page_timings.py [runs]
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

SUBSCRIPTIONS = 100
SITES = 100  # orgs under each of 10 regions
QUERIES = (
    "view=devices&health=failing",
    "view=devices&orgTree=Region 1",
    "view=devices&orgTree=Nowhere",
    "view=devices&health=sometimes",
    "view=devices&srtKey=lastCompletedBackupDate&srtDir=asc",
)


def build() -> object:
    """The administrator whose pages are timed, once the data is made."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from accounts.models import Org, User
    from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
    from reports.dashboards.saved.models import SavedView
    from reports.notifications.models import Subscription

    call_command("migrate", verbosity=0)
    admin, made = User.objects.get_or_create(
        username="bench-subs-admin", defaults={"email": "admin@example.com"}
    )
    if not made:
        return admin
    admin.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    managers = Group.objects.get(name=ORG_MANAGERS)
    root = Org.objects.create(org_uid="bench-root", name="Bench root")
    regions = [
        Org.objects.create(org_uid=f"bench-r{n}", name=f"Region {n}", parent=root)
        for n in range(10)
    ]
    for region in regions:  # an org tree of 1,011 orgs, names repeating across regions
        for n in range(SITES):
            Org.objects.create(org_uid=f"{region.org_uid}-s{n}", name=f"Site {n}", parent=region)
    shared = []
    for n, query in enumerate(QUERIES):
        view = SavedView.objects.create(
            owner=admin, name=f"Shared {n}", report="backup-status", query=query
        )
        view.shared_roles.add(managers)
        shared.append(view)
    for n in range(SUBSCRIPTIONS):
        person = User.objects.create(
            username=f"bench-m{n:03d}", email=f"m{n}@example.com", org=regions[n % 10]
        )
        person.groups.add(managers)
        if n % 3:  # a view of their own, each its own parameters
            query = (
                f"view=devices&orgUid=bench-r{n % 10}-s{n}",
                f"view=archives&orgTree=Site {n}&srtKey=archiveBytes&srtDir=desc",
                f"{QUERIES[n % 5]}&pgSize={n}",
            )[n % 3]
            view = SavedView.objects.create(
                owner=person, name=f"Own {n}", report="backup-status", query=query
            )
        else:
            view = shared[n % len(shared)]
        subscription = Subscription.objects.create(
            view=view, created_by=admin if n % 7 == 0 else person, frequency="weekly", hour=0
        )
        if n % 7 == 0:
            subscription.recipient_roles.add(managers)
        else:
            subscription.recipients.add(person)
    return admin


def median_seconds(client, path: str, runs: int) -> float:
    assert client.get(path).status_code == 200  # the first: caches warmed
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(runs: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    admin = build()
    client = Client()
    client.force_login(admin)
    for path in ("/notifications/subscriptions/", "/views/"):
        seconds = median_seconds(client, path, runs)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        print(
            f"{connection.vendor} {path}: median {seconds:.3f} s of {runs}, {len(captured)} queries"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
