"""Shared fixtures: an org tree three levels deep with siblings, and the personas.

Acme (root)
+-- EMEA
|   +-- Accounting      (alice, org manager; dave, desktop user)
|   +-- Sales           (sam, desktop user)
+-- Americas            (carol, org manager of the region)
    +-- Engineering     (erin)
"""

import pytest

from accounts.models import Org
from tests.factories import (
    ArchiveFactory,
    DeviceFactory,
    OrgFactory,
    UserFactory,
    refreshing_once,
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and before it is dropped, any other session still
    on it ended: a server or worker a test started, not yet gone, made the drop fail
    and left the database behind (CI's PostgreSQL stage, 2026-12-06)."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default hasher is slow on purpose; tests log in a lot."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache, and no caller kept: a rolled-back test
    database may reuse a generation number that an earlier test kept values under."""
    from django.core.cache import cache

    from accounts.caller_memo import caller_memo
    from reports.api.page_cache import recent_pages

    cache.clear()
    recent_pages.clear()  # the pages kept in front of it
    caller_memo.forget()  # the same for callers kept under the access generation


@pytest.fixture(autouse=True)
def audit_reads_in_memory(settings):
    """API page reads stay counted in memory unless a test flushes them: a flush due
    after 30 s of a long run would add queries to a test that pins its count. Dropped
    after the test too: the exit's flush (atexit) would write them when the test
    database is gone and the settings name the real one again."""
    from accounts.audit.reads import reads

    settings.AUDIT_READS_FLUSH_SECONDS = 10**9
    reads.forget()
    yield
    reads.forget()


@pytest.fixture
@refreshing_once
def orgs(db) -> dict[str, Org]:
    acme = OrgFactory(org_uid="org-acme", name="Acme", ext_ref="ACME")
    emea = OrgFactory(org_uid="org-emea", name="EMEA", parent=acme)
    americas = OrgFactory(org_uid="org-americas", name="Americas", parent=acme)
    return {
        "acme": acme,
        "emea": emea,
        "accounting": OrgFactory(org_uid="org-accounting", name="Accounting", parent=emea),
        "sales": OrgFactory(org_uid="org-sales", name="Sales", parent=emea),
        "americas": americas,
        "engineering": OrgFactory(org_uid="org-eng", name="Engineering", parent=americas),
    }


@pytest.fixture
@refreshing_once
def people(orgs):
    """One user per org of interest, each owning a device with one archive."""
    users = {
        "alice": UserFactory(username="alice", last_name="Åkesson", org=orgs["accounting"]),
        "dave": UserFactory(username="dave", last_name="Dunn", org=orgs["accounting"]),
        "sam": UserFactory(username="sam", last_name="Sørensen", org=orgs["sales"]),
        "carol": UserFactory(username="carol", last_name="Castro", org=orgs["americas"]),
        "erin": UserFactory(username="erin", last_name="Ito", org=orgs["engineering"]),
    }
    for user in users.values():
        ArchiveFactory(device=DeviceFactory(user=user))
    return users


@pytest.fixture
@refreshing_once
def personas(people):
    """The people with the roles drawn above (erin has none), plus a system administrator
    who is not staff and owns no device, and a superuser."""
    from django.contrib.auth.models import Group

    from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS

    def role(name: str) -> Group:
        return Group.objects.get(name=name)

    people["alice"].groups.add(role(ORG_MANAGERS))
    people["carol"].groups.add(role(ORG_MANAGERS))
    people["dave"].groups.add(role(DESKTOP_USERS))
    people["sam"].groups.add(role(DESKTOP_USERS))
    sysadmin = UserFactory(username="sysadmin", last_name="Root", org=None)
    sysadmin.groups.add(role(SYSTEM_ADMINISTRATORS))
    superuser = UserFactory(username="super", org=None, is_superuser=True, is_staff=True)
    return {**people, "sysadmin": sysadmin, "super": superuser}
