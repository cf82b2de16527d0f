"""The vendor's User resource, read-only (spec section 7): `/api/v1/User`,
`/api/v1/User/my`, `/api/v1/User/<key>?idType=id|uid|username`, and the same at `/api/User`.

What pycpg (`sdk.users`), crashplancli (`crashplan users list`) and the vendor's Go sample
c42ComputerUserReport (`/api/User?pgSize=99999`: data.totalCount, data.users[].userUid,
email) read. A list is `{"data": {"totalCount": N, "users": [...]}}`, in userId order.
The caller sees the users of their reach (reports.api.visibility): a manager the users of
their org subtree and themselves, anyone else themselves.

The vendor's fields this product has no data for, and what they carry instead:
`quotaInBytes` -1 (no quota), `notes` null, `emailPromo` false, `invited` false,
`passwordReset` false, `localAuthenticationOnly` true (every account here is local),
`modificationDate` null, `licenses` []; `orgType` "ENTERPRISE" when the user has an org.
With `incRoles=true`, `roles` lists the names of the roles the user holds, and `roleId`
keeps the users who hold one (reports.api.roles).
`status` is "Deactivated" for a deactivated user and "Active" otherwise, with `blocked`
true for a blocked one, as the vendor keeps blocking apart from the status; `active` is
status == "Active". `creationDate` is when the account was made (date_joined).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from accounts import audit
from accounts.models import Org, User
from accounts.roles import ROLE_GROUPS
from reports.api import vendor
from reports.api.decorators import resource
from reports.api.roles import ROLE_COLUMNS, holding, role_names, with_role_flags
from reports.api.visibility import reach_and_orgs, visible_users
from reports.cache import cached, query_key
from reports.query import InvalidParameters

# The Go sample reads every user in one page of pgSize=99999.
MAX_PAGE_SIZE = 100_000
STREAMED_ABOVE = 1000

_COLUMNS = (
    "id",
    "user_uid",
    "user_status",
    "username",
    "email",
    "first_name",
    "last_name",
    "org_id",
    "org__org_uid",
    "org__name",
    "user_ext_ref",
    "date_joined",
)
ORG_NOT_FOUND = "Organization was not found (or is not one you may see)."


def user_record(values) -> dict:
    (pk, uid, status, username, email, first, last, org_id, org_uid, org_name, ext_ref, joined) = (
        values
    )
    deactivated = status == User.Status.DEACTIVATED
    return {
        "userId": pk,
        "userUid": uid,
        "status": "Deactivated" if deactivated else "Active",
        "username": username,
        "email": vendor.text_or_null(email),
        "firstName": vendor.text_or_null(first),
        "lastName": vendor.text_or_null(last),
        "quotaInBytes": -1,
        "orgId": org_id,
        "orgUid": org_uid,
        "orgName": org_name,
        "userExtRef": vendor.text_or_null(ext_ref),
        "notes": None,
        "active": not deactivated,
        "blocked": status == User.Status.BLOCKED,
        "emailPromo": False,
        "invited": False,
        "orgType": "ENTERPRISE" if org_id else None,
        "usernameIsAnEmail": "@" in username,
        "creationDate": vendor.date_or_null(joined),
        "modificationDate": None,
        "passwordReset": False,
        "localAuthenticationOnly": True,
        "licenses": [],
    }


class UserListParameters(vendor.PageParameters):
    max_page_size = MAX_PAGE_SIZE

    active = vendor.boolean()
    email = vendor.text()
    username = vendor.text()
    orgUid = vendor.text()
    roleId = vendor.choice(*ROLE_GROUPS)
    q = vendor.text()
    incRoles = vendor.boolean()


class UserLookupParameters(vendor.LookupParameters):
    idType = vendor.choice("id", "uid", "username")
    incRoles = vendor.boolean()


def _read(users: QuerySet[User], params: dict):
    """The users' columns, and with incRoles the flags role_names() reads."""
    if params.get("incRoles"):
        return with_role_flags(users).values_list(*_COLUMNS, *ROLE_COLUMNS)
    return users.values_list(*_COLUMNS)


def _record(values, params: dict) -> dict:
    if params.get("incRoles"):
        return user_record(values[: len(_COLUMNS)]) | {"roles": role_names(values[len(_COLUMNS) :])}
    return user_record(values)


def _filtered(users: QuerySet[User], params: dict, orgs) -> QuerySet[User]:
    if params["active"] is not None:
        deactivated = Q(user_status=User.Status.DEACTIVATED)
        users = users.exclude(deactivated) if params["active"] else users.filter(deactivated)
    if params["email"]:
        users = users.filter(email__iexact=params["email"])
    if params["username"]:
        users = users.filter(username=params["username"])
    if params["orgUid"]:
        # The org and every org below it, as crashplancli's --org-uid says.
        path = orgs.filter(org_uid=params["orgUid"]).values_list("path", flat=True).first()
        if path is None:
            raise InvalidParameters({"orgUid": ORG_NOT_FOUND})
        users = users.filter(org__in=Org.objects.subtree_of(path).values("pk"))
    if params["roleId"]:
        users = users.filter(holding(params["roleId"]))
    if params["q"]:
        q = params["q"]
        users = users.filter(
            Q(username__icontains=q)
            | Q(email__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
        )
    return users


def user_count(users: QuerySet[User], *, by_role: bool = False) -> int:
    """COUNT(*) of the users asked for, kept until a user or org changes (reports.cache:
    migration 0009 moves the generation on with those tables too). Counting 800,000
    users takes 100 ms, and vendor clients ask it again with every page. Not kept `by_role`:
    the roles are groups and is_superuser, which move no generation of the reports, and
    a role given kept the count of before (found by an audit)."""
    users = users.order_by()
    if by_role:
        return users.count()
    return cached("users", query_key(users), users.count)


@resource
def user_list(request: HttpRequest) -> HttpResponse:
    """Two queries: the count and the page. A page of more than STREAMED_ABOVE users is
    written as it is read."""
    params = UserListParameters(request.GET).cleaned()
    reach, orgs = reach_and_orgs(request.user)
    users = _filtered(visible_users(reach), params, orgs).order_by("pk")
    page = vendor.page_slice(params)
    head = {"totalCount": user_count(users, by_role=bool(params["roleId"]))}
    if page is not None and params["pgSize"] > STREAMED_ABOVE:  # an export in all but name
        rows = max(0, min(page.stop, head["totalCount"]) - page.start)
        audit.record_export(request, target="User", rows=rows, kind="api.listing")
    if page is None:
        return vendor.answer(head | {"users": []}, params)
    rows = _read(users, params)[page]
    if params["pgSize"] > STREAMED_ABOVE:
        records = (_record(values, params) for values in rows.iterator(chunk_size=2000))
        return vendor.streamed_answer(head, "users", records, params)
    return vendor.answer(head | {"users": [_record(values, params) for values in rows]}, params)


@resource
def current_user(request: HttpRequest) -> HttpResponse:
    """The caller: what pycpg's from_local_account asks to check a sign-in."""
    values = User.objects.filter(pk=request.user.pk).values_list(*_COLUMNS).first()
    return vendor.answer(user_record(values))


@resource
def user_detail(request: HttpRequest, key: str) -> HttpResponse:
    params = UserLookupParameters(request.GET).cleaned()
    reach, _ = reach_and_orgs(request.user)
    users = visible_users(reach)
    if params["idType"] == "uid":
        users = users.filter(user_uid=key)
    elif params["idType"] == "username":
        users = users.filter(username=key)
    elif (pk := vendor.numeric_id(key)) is not None:
        users = users.filter(pk=pk)
    else:
        return vendor.not_found("user")
    values = _read(users, params).first()
    if values is None:
        return vendor.not_found("user")
    return vendor.answer(_record(values, params), params)
