"""Which users, orgs and devices a caller may see (spec section 4), for the vendor's
read resources.

One rule, one source: the caller's reach (`accounts.roles.reach_of`) decides, through
`Reach.q()`, exactly as `ReportRow.objects.visible_to` applies it to the report rows. A
reach grants the caller's own things plus whole org subtrees, so here it grants:

- users: the vendor's (those with a userUid and an org, as every vendor user has),
  the caller among them, and every one of an org in a granted subtree; an account made
  here (an administrator's, with no org nor uid; or a uid typed in the admin, no org)
  is none of the vendor's, and its null org broke the vendor's CLI (`crashplan users
  list -f CSV` failed for every administrator, 2026-12-06 and 2026-12-07);
- orgs: the caller's own org (its rows carry it already), and every org of a granted
  subtree;
- devices: the report rows `visible_to` the caller, one row a device.

A system administrator (or superuser) sees everything.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Org, User
from accounts.roles import NOTHING, Reach, reach_of
from reports.models import ReportRow


def visible_users(reach: Reach) -> QuerySet[User]:
    # By the subtree's org ids (a few hundred orgs at most), not a join: a page of users
    # reads the user table in id order and keeps the rows whose org is in the set.
    vendors = Q(user_uid__isnull=False) & ~Q(user_uid="") & Q(org__isnull=False)
    return User.objects.filter(vendors, reach.q(org="org", owner="pk"))


def visible_orgs(reach: Reach, own_org_id: int | None) -> QuerySet[Org]:
    own = Q(pk=own_org_id) if own_org_id and reach.owner_id is not None else NOTHING
    return Org.objects.filter(own | reach.q(path="path"))


def visible_devices(user) -> QuerySet[ReportRow]:
    """One report row a device (its `device_first` row), of the devices the user may see."""
    return ReportRow.objects.visible_to(user).filter(device_first=True)


def reach_and_orgs(user) -> tuple[Reach, QuerySet[Org]]:
    reach = reach_of(user)
    return reach, visible_orgs(reach, user.org_id)
