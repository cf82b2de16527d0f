"""Access that ends (spec section 12): a person the vendor deactivates, brought in by a
real sync (a second instance of this product plays the vendor, tests/sync_support.py),
is refused at their very next request by every means they had: their browser session,
HTTP Basic, a bearer token and an API client. Their data stays."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts import tokens
from accounts.models import ApiClient, User
from reports.models import Device
from tests.api_support import basic
from tests.personas import PASSWORD
from tests.test_sync import source, vendor  # noqa: F401  (the vendor: a second instance)

API = "/api/DeviceBackupReport"


def sync() -> None:
    call_command("sync_vendor", stdout=io.StringIO())


def every_way_in(person: User) -> dict[str, Client | dict]:
    """A signed-in browser, Basic, a bearer token and an API client, for one person."""
    person.set_password(PASSWORD)
    person.save()
    browser = Client()
    assert browser.login(username=person.username, password=PASSWORD)
    api_client, secret = ApiClient.objects.create_for(person, "their script")
    return {
        "session": browser,
        "basic": basic(person.username),
        "bearer": {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue(person)}"},
        "api client": basic(api_client.client_id, secret),
    }


def answers(ways: dict) -> dict[str, int]:
    statuses = {}
    for name, way in ways.items():
        if isinstance(way, Client):
            statuses[name] = way.get(API).status_code
        else:
            statuses[name] = Client().get(API, **way).status_code
    return statuses


@pytest.mark.django_db(transaction=True)
def test_a_person_deactivated_at_the_vendor_loses_every_way_in_at_the_next_sync(vendor):  # noqa: F811
    sync()
    person = User.objects.filter(devices__isnull=False).order_by("pk").first()
    devices = Device.objects.filter(user=person).count()
    ways = every_way_in(person)
    assert answers(ways) == dict.fromkeys(ways, 200)

    vendor.shell(
        "from accounts.models import User\n"
        f"person = User.objects.get(user_uid={person.user_uid!r})\n"
        "person.user_status = 'Deactivated'\n"
        "person.save()\n"
    )
    sync()
    person.refresh_from_db()
    assert person.user_status == User.Status.DEACTIVATED
    assert answers(ways) == dict.fromkeys(ways, 401)
    assert Device.objects.filter(user=person).count() == devices  # their data stays
    # A token asked for now is refused too, and the admin says why in userStatus.
    response = Client().get("/api/v3/auth/jwt", **basic(person.username))
    assert response.status_code == 401

    vendor.shell(
        "from accounts.models import User\n"
        f"person = User.objects.get(user_uid={person.user_uid!r})\n"
        "person.user_status = 'Active'\n"
        "person.save()\n"
    )
    sync()
    # Sessions and tokens ended for good, as an administrator's deactivation ends them
    # (they came back with the access, 2026-12-06); a password or an API client's
    # secret works again.
    assert answers(ways) == {"session": 401, "basic": 200, "bearer": 401, "api client": 200}
    fresh = every_way_in(User.objects.get(pk=person.pk))
    assert answers(fresh) == dict.fromkeys(fresh, 200)
