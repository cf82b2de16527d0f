"""Roles (spec section 4): which part of the fleet a user may see.

Roles are Django groups with these exact names; a user's reach is the union of what
each group grants: everything, or the user's own devices plus whole org subtrees.
`Reach.q()` is that rule as a query condition, the one every surface applies (the
report rows, the vendor's users and orgs, history, compliance, digests, warming), and
`Reach.covers()` the same for one org path in Python.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts import org_paths
from accounts.models import Org

DESKTOP_USERS = "Desktop users"
ORG_MANAGERS = "Org managers"
SYSTEM_ADMINISTRATORS = "System administrators"

ROLE_GROUPS = {
    "desktop-user": DESKTOP_USERS,
    "org-manager": ORG_MANAGERS,
    "sysadmin": SYSTEM_ADMINISTRATORS,
}


# Conditions that match every row and none: Django leaves the first out of the SQL, and
# answers the second without asking the database; both combine safely with | and &.
NOTHING = Q(pk__in=[])
EVERYTHING = ~NOTHING


@dataclass(frozen=True)
class Reach:
    """What a user may see: everything, or their own devices plus some org subtrees."""

    everything: bool
    owner_id: int | None
    org_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # An empty path is a prefix of every path: a manager of an org whose path was
        # never written (the field's default) would read the whole fleet. No way to
        # make one is known (an audit looked); the reach fails closed all the same.
        if not all(self.org_paths):
            object.__setattr__(self, "org_paths", tuple(p for p in self.org_paths if p))

    @property
    def role_label(self) -> str:
        if self.everything:
            return "System administrator"
        if self.org_paths:
            return "Org manager"
        return "Desktop user"

    def q(self, *, path: str = "", org: str = "", owner: str = "") -> Q:
        """The reach as a condition on a model's rows: the ones whose org lies in a
        granted subtree, and, with `owner`, the ones the holder owns.

        path:  the lookup of the rows' org path ("org_path" of a report row, "path" of
               an org, "org__path" of a snapshot): a prefix match.
        org:   instead, the rows' foreign key to Org ("org" of a user): matched against
               the subtree's org ids, a subquery rather than a join.
        owner: the lookup of the owner's user id ("owner_id", "pk" of a user).

        Everything matches every row and nothing no row, so the condition combines
        with any other by & and |, as one condition: filter(reach.q(...) | other)."""
        if not (path or org):
            raise TypeError("Reach.q: say where the rows' org is, by path= or org=")
        if self.everything:
            return EVERYTHING
        grants = []
        if owner and self.owner_id is not None:
            grants.append(Q(**{owner: self.owner_id}))
        for subtree in self.org_paths:
            if org:
                grants.append(Q(**{f"{org}__in": Org.objects.subtree_of(subtree).values("pk")}))
            else:
                grants.append(Q(**{f"{path}__startswith": subtree}))
        return reduce(operator.or_, grants) if grants else NOTHING

    def covers(self, path: str) -> bool:
        """Whether the org at this path lies in a granted subtree (reach.q in Python)."""
        return self.everything or any(org_paths.within(path, p) for p in self.org_paths)

    @property
    def has_fleet(self) -> bool:
        """A reach over org subtrees (or everything): those have fleet figures, the
        health history, compliance by org and the digest. Anyone else sees their own
        devices only, a few rows."""
        return self.everything or bool(self.org_paths)

    @property
    def scope(self) -> Reach:
        """The same rows, without who holds the reach where that adds nothing: an org
        manager's own devices are in their org, so within their subtree. Two managers
        of one org share a scope, and so the figures cached for it (reports.cache)."""
        if self.everything:
            return Reach(everything=True, owner_id=None)
        if self.org_paths:
            return Reach(everything=False, owner_id=None, org_paths=self.org_paths)
        return self


def with_fleet(users: QuerySet) -> QuerySet:
    """The users whose reach has fleet figures (Reach.has_fleet), in one query:
    superusers, system administrators, and org managers who have an org."""
    return users.filter(
        Q(is_superuser=True)
        | Q(groups__name=SYSTEM_ADMINISTRATORS)
        | Q(groups__name=ORG_MANAGERS, org__isnull=False)
    ).distinct()


def with_roles(users: QuerySet) -> QuerySet:
    """The users read with what reach_of needs in the same query: whether each is in
    the two groups that grant more than their own devices, and their org. For a
    caller read on every API request, the role costs no query of its own."""
    memberships = users.model.groups.through.objects.filter(user_id=OuterRef("pk"))
    return users.select_related("org").annotate(
        in_system_administrators=Exists(memberships.filter(group__name=SYSTEM_ADMINISTRATORS)),
        in_org_managers=Exists(memberships.filter(group__name=ORG_MANAGERS)),
    )


def _role_groups(user) -> set[str]:
    if hasattr(user, "in_system_administrators"):  # read through with_roles()
        granted = {
            SYSTEM_ADMINISTRATORS: user.in_system_administrators,
            ORG_MANAGERS: user.in_org_managers,
        }
        return {name for name, member in granted.items() if member}
    return set(user.groups.values_list("name", flat=True))


def reach_of(user) -> Reach:
    """One query for the groups (none for anonymous or superusers, or users read
    through with_roles)."""
    if not user.is_authenticated:
        return Reach(everything=False, owner_id=None)
    if user.is_superuser:
        return Reach(everything=True, owner_id=user.pk)
    groups = _role_groups(user)
    if SYSTEM_ADMINISTRATORS in groups:
        return Reach(everything=True, owner_id=user.pk)
    org_paths: tuple[str, ...] = ()
    if ORG_MANAGERS in groups and user.org_id:
        org_paths = (user.org.path,)
    return Reach(everything=False, owner_id=user.pk, org_paths=org_paths)


def reach_of_request(request) -> Reach:
    """The signed-in user's reach, read once a request: a page and its frame
    (backupreport.frame) both ask. Read again if request.user is replaced."""
    kept = getattr(request, "_reach_of_user", None)
    if kept is None or kept[0] is not request.user:
        kept = request._reach_of_user = (request.user, reach_of(request.user))
    return kept[1]


OUTSIDE_REACH = "someone outside your reach"


def usernames_in_reach(user_ids: set[int], viewer) -> dict[int, str]:
    """id -> username of those of these users the viewer may read the names of: the
    people of their reach (their org subtree, or everyone) and themselves. A page that
    names who made or owns a thing shared past its maker's reach (a saved view shared
    with a role, a subscription sent to one) says the others otherwise (OUTSIDE_REACH)."""
    reach = reach_of(viewer)
    users = viewer._meta.model._default_manager.filter(pk__in=user_ids)
    within = users.filter(reach.q(org="org", owner="pk"))
    return dict(within.values_list("pk", "username"))


def superusers_hold(group: str) -> bool:
    """Whether a superuser holds the role of this group whether or not in it: System
    administrators, whose reach is a superuser's (spec 4, "Django superusers likewise").
    Whoever lists a role's holders (the vendor's roles, a subscription's recipients)
    reads the rule here."""
    return group == SYSTEM_ADMINISTRATORS


def is_system_administrator(user) -> bool:
    return reach_of(user).everything


def may_manage(actor, account) -> bool:
    """Whether `actor` may change how `account` signs in and what it may do: its
    password, whether it is active, its names, groups and permissions, its API clients,
    or delete it. A superuser's only a superuser may: a system administrator who could
    would take one over, and with it the rights no role grants (groups, permissions)."""
    return bool(actor.is_superuser) or not account.is_superuser


def unmanageable(actor, users: QuerySet) -> QuerySet:
    """The users among `users` that `actor` may not manage: may_manage as a query, for
    an action on a whole selection."""
    return users.none() if actor.is_superuser else users.filter(is_superuser=True)
