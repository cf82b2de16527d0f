"""The vendor's own SDK, pycpg 1.0.5 from PyPI, unmodified, against the live server.

Both of its sign-ins (`from_local_account`: /api/v3/auth/jwt then /api/v1/User/my;
`from_api_client`: /api/v3/oauth/token) work, and what it reads back through
`sdk.devices`, `sdk.users` and `sdk.orgs` is exactly what the caller's role may see
(tests.vendor_support works that out from the environment tables).
"""

from __future__ import annotations

import pycpg.sdk
import pytest
from pycpg.exceptions import (
    PycpgBadRequestError,
    PycpgError,
    PycpgNotFoundError,
    PycpgUnauthorizedError,
)
from pycpg.services._connection import ROOT_SESSION

from accounts.api_clients import ApiClient
from accounts.models import Org, User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, ROLE_GROUPS
from reports.models import Archive, Device
from tests.factories import ArchiveFactory
from tests.personas import PASSWORD
from tests.vendor_support import (
    ROLE_MATRIX,
    expected_device_guids,
    expected_org_uids,
    expected_user_uids,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sdk_connections_closed():
    """pycpg keeps its connections alive in one session for the whole process; close them
    after each test, so that no request thread of the live server outlives it (one that
    ends after the server stopped sharing the test database fails closing it)."""
    yield
    ROOT_SESSION.close()


def sign_in(how: str, url: str, user: User):
    if how == "local account":
        return pycpg.sdk.from_local_account(url, user.username, PASSWORD)
    api_client, secret = ApiClient.objects.create_for(user, f"{user.username}'s SDK script")
    return pycpg.sdk.from_api_client(url, api_client.client_id, secret)


def every(pages, key: str) -> list[dict]:
    return [item for page in pages for item in page[key]]


@pytest.fixture
def url(live_server, fleet) -> str:
    # A second archive for one device, so that backupUsage lists more than one.
    ArchiveFactory(device=fleet["warning"], archive_bytes=5 * 1024**3)
    return live_server.url


@pytest.mark.parametrize("how", ["local account", "API client"])
@pytest.mark.parametrize("name", ROLE_MATRIX)
def test_the_sdk_signs_in_and_reads_exactly_the_role_s_devices_users_and_orgs(url, how, name):
    user = User.objects.get(username=name)
    sdk = sign_in(how, url, user)

    for page_size in (None, 2):  # one page of 500, and paging two at a time
        devices = every(sdk.devices.get_all(page_size=page_size), "computers")
        assert sorted(d["guid"] for d in devices) == sorted(expected_device_guids(user))
        users = every(sdk.users.get_all(page_size=page_size), "users")
        assert sorted(u["userUid"] for u in users) == sorted(expected_user_uids(user))
        orgs = every(sdk.orgs.get_all(page_size=page_size), "orgs")
        assert sorted(o["orgUid"] for o in orgs) == sorted(expected_org_uids(user))

    with_usage = every(sdk.devices.get_all(include_backup_usage=True), "computers")
    for device in with_usage:
        archives = Archive.objects.filter(device__device_uid=device["guid"])
        assert sorted(a["archiveGuid"] for a in device["backupUsage"]) == sorted(
            archives.values_list("archive_guid", flat=True)
        )

    for guid in expected_device_guids(user):
        found = sdk.devices.get_by_guid(guid, include_backup_usage=True)
        assert found["guid"] == guid
        assert found["name"] == Device.objects.get(device_uid=guid).name
    for uid in expected_user_uids(user):
        assert sdk.users.get_by_uid(uid)["userUid"] == uid
    for org_uid in expected_org_uids(user):
        # pycpg finds the org's orgGuid on the first page of /api/v1/Org, then reads
        # /api/v3/orgs/<orgGuid>.
        assert sdk.orgs.get_by_uid(org_uid)["orgUid"] == org_uid


@pytest.mark.parametrize("how", ["local account", "API client"])
def test_what_the_role_may_not_see_is_not_found(url, how):
    dave = User.objects.get(username="dave")
    sdk = sign_in(how, url, dave)
    hidden_device = Device.objects.exclude(device_uid__in=expected_device_guids(dave)).first()
    with pytest.raises(PycpgNotFoundError):
        sdk.devices.get_by_guid(hidden_device.device_uid)
    hidden_user = User.objects.exclude(user_uid__in=expected_user_uids(dave)).first()
    with pytest.raises(PycpgNotFoundError):
        sdk.users.get_by_uid(hidden_user.user_uid)
    hidden_org = Org.objects.exclude(org_uid__in=expected_org_uids(dave)).first()
    with pytest.raises(PycpgError, match="Couldn't find an Org"):
        sdk.orgs.get_by_uid(hidden_org.org_uid)


def test_the_sdk_reads_the_signed_in_user_and_the_backup_usage(url):
    dave = User.objects.get(username="dave")
    sdk = sign_in("local account", url, dave)
    assert sdk.users.get_current()["username"] == "dave"
    assert sdk.orgs.get_current()["orgUid"] == dave.org.org_uid
    laptop = sdk.devices.get_by_guid(Device.objects.get(name="DAVE-WIN").device_uid, True)
    sizes = sorted(usage["archiveBytes"] for usage in laptop["backupUsage"])
    assert sizes == [5 * 1024**3, 100 * 1024**3]


@pytest.mark.parametrize("how", ["local account", "API client"])
def test_the_sdk_reads_the_roles_and_lists_by_role(url, how):
    """pycpg's roles: get_available_roles (/api/v1/role), get_all(role_id=) (ignored,
    it listed everyone) and get_roles (/api/v3/users/<uid>/roles), within reach."""
    alice = User.objects.get(username="alice")
    sdk = sign_in(how, url, alice)
    roles = {role["roleName"]: role["roleId"] for role in sdk.users.get_available_roles()}
    assert roles == {name: role_id for role_id, name in ROLE_GROUPS.items()}
    managers = every(sdk.users.get_all(role_id=roles[ORG_MANAGERS]), "users")
    assert [u["username"] for u in managers] == ["alice"]  # carol's org is not hers
    desktop = every(sdk.users.get_all(role_id=roles[DESKTOP_USERS], incRoles=True), "users")
    assert [(u["username"], u["roles"]) for u in desktop] == [("dave", [DESKTOP_USERS])]
    dave = User.objects.get(username="dave")
    assert [r["roleName"] for r in sdk.users.get_roles(dave.pk)] == [DESKTOP_USERS]
    with pytest.raises(PycpgNotFoundError):
        sdk.users.get_roles(User.objects.get(username="carol").pk)


def test_settings_are_refused_saying_why(url):
    """get_settings failed with KeyError 'availableDestinations' on an answer that
    ignored incSettings: now the SDK raises its bad-request error with the reason."""
    sdk = sign_in("local account", url, User.objects.get(username="root"))
    with pytest.raises(PycpgBadRequestError) as refused:
        sdk.devices.get_settings(Device.objects.get(name="DAVE-WIN").device_uid)
    assert "keeps no device settings" in refused.value.response.text
    with pytest.raises(PycpgBadRequestError) as refused:
        sdk.orgs.get_settings(Org.objects.get(org_uid="org-sales").pk)
    assert "keeps no org settings" in refused.value.response.text


def test_wrong_credentials_do_not_sign_in(url):
    with pytest.raises(PycpgUnauthorizedError):
        pycpg.sdk.from_local_account(url, "dave", "not the password")
    with pytest.raises(PycpgUnauthorizedError):
        pycpg.sdk.from_api_client(url, "no-such-client", "no secret")
