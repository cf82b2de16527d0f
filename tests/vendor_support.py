"""What each role may see through the vendor's read resources (User, Computer, Org),
worked out from the environment tables and the groups alone, never through the code
under test (reports.api.visibility, visible_to): spec section 4, restated.

Shared by the HTTP tests and the pycpg and crashplancli tests.
"""

from __future__ import annotations

from accounts.models import Org, User
from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.models import Device
from tests.api_support import orgs_at_or_below

ROLE_MATRIX = ["root", "alice", "carol", "dave", "sam"]  # tests.personas.fleet's people


def _grants(user: User) -> tuple[bool, set[int]]:
    """(sees everything, the orgs whose people and devices it sees beyond its own)."""
    groups = set(user.groups.values_list("name", flat=True))
    if user.is_superuser or SYSTEM_ADMINISTRATORS in groups:
        return True, set()
    if ORG_MANAGERS in groups and user.org_id:
        return False, orgs_at_or_below(user.org_id)
    return False, set()


def expected_user_uids(user: User) -> set[str]:
    """The vendor's users (a userUid and an org) the user may see: an account made
    here is none."""
    everything, orgs = _grants(user)
    return {
        other.user_uid
        for other in User.objects.exclude(user_uid=None).exclude(user_uid="").exclude(org=None)
        if everything or other.pk == user.pk or other.org_id in orgs
    }


def expected_device_guids(user: User) -> set[str]:
    everything, orgs = _grants(user)
    return {
        device.device_uid
        for device in Device.objects.select_related("user")
        if everything or device.user_id == user.pk or device.user.org_id in orgs
    }


def expected_org_uids(user: User) -> set[str]:
    everything, orgs = _grants(user)
    if user.org_id:
        orgs = orgs | {user.org_id}
    return {org.org_uid for org in Org.objects.all() if everything or org.pk in orgs}


def invisible_device_guid(user: User) -> str:
    return Device.objects.exclude(device_uid__in=expected_device_guids(user)).first().device_uid
