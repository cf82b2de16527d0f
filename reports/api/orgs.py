"""The vendor's Org resource, read-only (spec section 7): `/api/v1/Org`, `/api/v1/Org/my`,
`/api/v1/Org/<key>?idType=id|orgUid|orgGuid`, the same at `/api/Org`, and
`/api/v3/orgs/<orgGuid>`.

What pycpg (`sdk.orgs`) reads: a list is `{"data": {"totalCount": N, "orgs": [...]}}` in
orgId order; `orgs.get_by_uid(uid)` finds the org's `orgGuid` on the first page of
`/api/v1/Org` and then reads `/api/v3/orgs/<orgGuid>`, which answers the org itself,
without the `data` envelope, as the vendor's v3 resources do. The caller sees the orgs
of their reach (reports.api.visibility): a manager their subtree, anyone else their own
org.

The vendor's fields this product has no data for, and what they carry instead: the org
has one identity here, so `orgGuid` and `externalId` are its `orgUid` (and
`parentOrgGuid` its parent's); `type` "ENTERPRISE", `classification` "BASIC", `blocked`
false, `customConfig` false, `hierarchyCounts` and `configInheritanceCounts` {},
`reporting` {"orgManagers": []}; `notes`, `registrationKey`, `creationDate`,
`modificationDate` and `deactivationDate` null. A parent the caller may not see (a
manager's own org's parent) is null, so that no invisible org is named.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.models import Org
from accounts.roles import Reach
from reports.api import vendor
from reports.api.decorators import resource
from reports.api.visibility import reach_and_orgs
from reports.cache import cached, query_key

_COLUMNS = (
    "id",
    "org_uid",
    "name",
    "ext_ref",
    "status",
    "parent_id",
    "parent__org_uid",
    "parent__path",
)


def _parent_visible(reach: Reach, own_org_id: int | None, parent_id, parent_path) -> bool:
    """As visible_orgs (reports.api.visibility) for the one parent."""
    if parent_id is None:
        return False
    return parent_id == own_org_id or reach.covers(parent_path)


def org_record(values, reach: Reach, own_org_id: int | None) -> dict:
    pk, uid, name, ext_ref, status, parent_id, parent_uid, parent_path = values
    if not _parent_visible(reach, own_org_id, parent_id, parent_path):
        parent_id = parent_uid = None
    return {
        "orgId": pk,
        "orgUid": uid,
        "orgGuid": uid,
        "orgName": name,
        "orgExtRef": vendor.text_or_null(ext_ref),
        "notes": None,
        "status": status,
        "active": status == Org.Status.ACTIVE,
        "blocked": False,
        "parentOrgId": parent_id,
        "parentOrgUid": parent_uid,
        "parentOrgGuid": parent_uid,
        "type": "ENTERPRISE",
        "classification": "BASIC",
        "externalId": uid,
        "hierarchyCounts": {},
        "configInheritanceCounts": {},
        "creationDate": None,
        "modificationDate": None,
        "deactivationDate": None,
        "registrationKey": None,
        "reporting": {"orgManagers": []},
        "customConfig": False,
    }


class OrgListParameters(vendor.PageParameters):
    pass


class OrgLookupParameters(vendor.LookupParameters):
    idType = vendor.choice("id", "orgUid", "orgGuid")
    incSettings = vendor.org_settings_not_kept()


class OrgV3Parameters(vendor.Parameters):
    """pycpg's `orgs.get_settings` reads /api/v3/orgs/<guid>?incSettings=true."""

    incSettings = vendor.org_settings_not_kept()


@resource
def org_list(request: HttpRequest) -> HttpResponse:
    """Two queries: the count and the page."""
    params = OrgListParameters(request.GET).cleaned()
    reach, orgs = reach_and_orgs(request.user)
    orgs = orgs.order_by("pk")
    page = vendor.page_slice(params)
    own = request.user.org_id
    records = (
        []
        if page is None
        else [org_record(v, reach, own) for v in orgs.values_list(*_COLUMNS)[page]]
    )
    counted = orgs.order_by()
    total = cached("orgs", query_key(counted), counted.count)  # see users.user_count
    return vendor.answer({"totalCount": total, "orgs": records}, params)


def _one_org(request: HttpRequest, key: str, id_type: str) -> dict | None:
    reach, orgs = reach_and_orgs(request.user)
    if id_type in ("orgUid", "orgGuid"):
        orgs = orgs.filter(org_uid=key)
    elif (pk := vendor.numeric_id(key)) is not None:
        orgs = orgs.filter(pk=pk)
    else:
        return None
    values = orgs.values_list(*_COLUMNS).first()
    return None if values is None else org_record(values, reach, request.user.org_id)


@resource
def org_detail(request: HttpRequest, key: str) -> HttpResponse:
    params = OrgLookupParameters(request.GET).cleaned()
    org = _one_org(request, key, params["idType"])
    return vendor.not_found("org") if org is None else vendor.answer(org, params)


@resource
def current_org(request: HttpRequest) -> HttpResponse:
    """The caller's own org."""
    org_id = request.user.org_id
    org = None if org_id is None else _one_org(request, str(org_id), "id")
    return vendor.not_found("org") if org is None else vendor.answer(org)


@resource
def org_v3(request: HttpRequest, guid: str) -> HttpResponse:
    """The vendor's v3 org: the object itself, no envelope."""
    OrgV3Parameters(request.GET).cleaned()
    org = _one_org(request, guid, "orgGuid")
    return vendor.not_found("org") if org is None else JsonResponse(org)
