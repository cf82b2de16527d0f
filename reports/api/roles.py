"""The vendor's roles, read-only: `/api/v1/role` (and `/api/role`), the roles a user holds
(`/api/v3/users/<uid>/roles`), and what `/api/v1/User` filters on with `roleId` and lists
with `incRoles` (reports.api.users).

What the vendor's clients read (spec 7: their source is the authority): crashplancli's
`users list --role-name NAME` looks the name up in `/api/v1/role` (pycpg's
`users.get_available_roles()`, a list of `roleId` and `roleName`) and lists
`/api/v1/User?roleId=ID`; `users list --include-roles` and `users show` read each user's
`roles`, a list of role names; pycpg's `users.get_roles(user_id)` reads the v3 list.

The product's roles are its three groups (spec 4): `roleId` is the name the bulk role
file and `assign_role` use (desktop-user, org-manager, sysadmin), `roleName` the group's.
A superuser holds the System administrators role whether or not in its group: their reach
is the same (spec 4, "Django superusers likewise"), and a script asking who sees every
device must find them. The product keeps no dates or permissions for a role: those
fields are null and [].
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.models import User
from accounts.roles import ROLE_GROUPS, superusers_hold
from reports.api import vendor
from reports.api.decorators import resource
from reports.api.visibility import reach_and_orgs, visible_users


def role_record(role_id: str) -> dict:
    return {
        "roleId": role_id,
        "roleName": ROLE_GROUPS[role_id],
        "creationDate": None,
        "modificationDate": None,
        "permissionIds": [],
    }


def _member_of(group: str) -> Exists:
    memberships = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=group)
    return Exists(memberships)


def holding(role_id: str) -> Q:
    """The users who hold the role, as a condition on users: one row each, as Exists
    (a join on groups would repeat a superuser who is in a group for each)."""
    held = Q(_member_of(ROLE_GROUPS[role_id]))
    return held | Q(is_superuser=True) if superusers_hold(ROLE_GROUPS[role_id]) else held


# What a user list reads beside its columns for `incRoles`: one flag a role, and whether
# the user is a superuser; role_names() reads them back in this order.
ROLE_FLAGS = {f"holds_{role_id.replace('-', '_')}": role_id for role_id in ROLE_GROUPS}
ROLE_COLUMNS = (*ROLE_FLAGS, "is_superuser")


def with_role_flags(users):
    return users.annotate(
        **{flag: _member_of(ROLE_GROUPS[role_id]) for flag, role_id in ROLE_FLAGS.items()}
    )


def role_names(flags) -> list[str]:
    """The names of the roles held, from the values of ROLE_COLUMNS."""
    *held, superuser = flags
    return [
        ROLE_GROUPS[role_id]
        for role_id, holds in zip(ROLE_FLAGS.values(), held, strict=True)
        if holds or (superuser and superusers_hold(ROLE_GROUPS[role_id]))
    ]


@resource
def role_list(request: HttpRequest) -> HttpResponse:
    """Every role of the product, whoever asks: the three names are no secret (the
    pages' share and subscribe forms list them to anyone)."""
    return vendor.answer([role_record(role_id) for role_id in ROLE_GROUPS])


@resource
def user_roles(request: HttpRequest, uid: str) -> HttpResponse:
    """The roles a user holds, as the vendor's v3 answers: the list itself, no envelope.
    A user out of the caller's reach is not found, as on /api/v1/User/<uid>."""
    reach, _ = reach_and_orgs(request.user)
    users = with_role_flags(visible_users(reach).filter(user_uid=uid))
    flags = users.values_list(*ROLE_COLUMNS).first()
    if flags is None:
        return vendor.not_found("user")
    names = role_names(flags)
    held = [role_id for role_id, name in ROLE_GROUPS.items() if name in names]
    return JsonResponse([role_record(role_id) for role_id in held], safe=False)
