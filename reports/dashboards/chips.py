"""The "Also filtered by" chips: each filter a report carries without a control of its
own, said in words ("Org: EMEA › London › Accounting, and the orgs below"), never as
a raw `exactOrgUid=821879392323784647`. The parameter itself stays in the chip's
title, for whoever wants to type it into the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from accounts import org_names
from accounts.models import Org
from accounts.roles import Reach
from reports import health
from reports.dashboards import os_families
from reports.dashboards.filters import org_tree_roots, org_uid_read_as_shared, own_org
from reports.dashboards.links import QueryLinks
from reports.models import ReportRow

# Parameters that name one thing by its uid, and what that thing is.
_UIDS = {
    "userUid": "User",
    "deviceUid": "Device",
    "destinationUid": "Destination",
    "archiveGuid": "Archive",
}
_WORDS = {
    "user": "User",
    "device": "Device",
    "org": "Org name or code",
    "os": "OS",
    "destination": "Destination",
    "active": "Active",
    "alerted": "Alerted",
    "coldStorage": "Cold storage",
    "orgTree": "Org",
    "coldStorageExpired": "Expiry passed",
}
YES_NO = {"true": "yes", "false": "no"}


@dataclass(frozen=True)
class Chip:
    text: str  # the filter in words
    parameter: str  # name=value, as the address holds it
    remove_url: str


def _org_label(org_uid: str, reach: Reach, user) -> str | None:
    """The org's path of names as this viewer may read it: within their reach, or their
    own org (its name alone, on each of their rows; filters.org_named_by_uid reads it
    so, and a desktop user's exactOrgUid of it listed their rows under a chip saying
    "none you may see by name", found by an audit); None otherwise."""
    readable = reach.q(path="path")
    own = own_org(user)
    if own is not None:
        readable |= Q(pk=own.pk)
    path = Org.objects.filter(readable, org_uid=org_uid).values_list("path", flat=True)
    named = org_names.names_of(path[:1], reach)
    return next(iter(named.values())).label if named else None


def _named_by_uid(name: str, value: str, reach: Reach) -> str | None:
    """The person or device a userUid or deviceUid names, as the viewer's own rows show
    them: storage by user links each person to disk usage by their userUid, and the
    chip read "User: c4c2db13c73aea6e", naming nobody (found by an audit of the pages).
    None beyond the reach: a uid never tells whose it is."""
    rows = ReportRow.objects.within(reach)
    if name == "userUid":
        found = rows.filter(user_uid=value).values_list("username", "first_name", "last_name")
        person = found.first()
        if person is None:
            return None
        username, *names = person
        full_name = " ".join(n for n in names if n)
        return f"{username} ({full_name})" if full_name else username
    return rows.filter(device_uid=value).values_list("device_name", flat=True).first()


def describe(name: str, value: str, reach: Reach, user=None, read_as_shared=None) -> str:
    """A filter in words. `read_as_shared`: whether an orgUid is read as shared, where
    the caller has asked already (the report page, for its API notice); None asks."""
    if name in ("orgUid", "exactOrgUid"):
        label = _org_label(value, reach, user)
        if label is None and reach.everything:
            return "Org: none with this orgUid"
        if read_as_shared is None and label is None and name == "orgUid":
            read_as_shared = org_uid_read_as_shared(value, user, reach)
        if label is None and name == "orgUid" and read_as_shared:
            # Listed as shared, its whole subtree (a view an administrator shared): the
            # chip said "only your rows directly in it" beside them (found by an audit).
            # Its name is still not the viewer's to read.
            return f"Org: {value}, shared with you; your rows in it and in the orgs below it"
        if label is None:
            # Above or beside the reach (a shared view's), or none at all, in the same
            # words: its name is not the viewer's to read, its rows within the reach are
            # listed; told apart, the chip said whether any orgUid existed (2026-12-06).
            return f"Org: {value}, none you may see by name; only your rows directly in it, if any"
        below = ", and the orgs below it" if name == "orgUid" else " only, not the orgs below it"
        return f"Org: {label}{below}"
    if name == "exactOs" and value in os_families.FAMILIES:
        return os_families.described(value)
    if name == "orgTree":
        picked = orgs_listed(value, user, reach)
        if picked > 1:  # as org_tree_note says it, where the field shows it
            return f"Org: {value}, {picked:,} orgs of this name, and the orgs below each"
        return f"Org: {value}, and the orgs below it"
    if name == "health":
        try:
            return f"Backup health: {health.Health(value.lower()).label}"
        except ValueError:
            return f"Backup health: {value}"
    if name == "backupAge":
        try:
            return f"Last backup: {health.parse_band(value).label} ago"
        except ValueError:
            return f"Last backup: {value}"
    if name == "coldStorageExpiresWithin":
        return f"Cold storage expiring within {value} days"
    if name in _UIDS:
        named = _named_by_uid(name, value, reach) if name in ("userUid", "deviceUid") else None
        return f"{_UIDS[name]}: {named or value}"
    word = _WORDS.get(name, name)
    return f"{word}: {YES_NO.get(value.lower(), value)}"


def orgs_listed(value: str, user, reach: Reach) -> int:
    """How many orgs an orgTree value lists for this viewer, counted within their reach:
    one read as shared (a view an administrator shared with org managers) lists only the
    viewer's rows in it, and its count told a manager how many orgs across the fleet
    bear the name (found by an audit of section 4)."""
    return sum(1 for root in org_tree_roots(value, user, reach) if reach.covers(root))


def org_tree_note(form, user, reach: Reach) -> str | None:
    """Where the Org field holds a name several orgs bear ("Sales" under EMEA and under
    APAC), that the list has them all: the page said nothing of it (found by an audit
    of the pages). Counted within what the viewer may read (filters.org_tree_roots), as
    the list is."""
    value = (form.data.get("orgTree") or "").strip() if "orgTree" in form.fields else ""
    picked = orgs_listed(value, user, reach) if value else 0
    if picked < 2:
        return None
    return (
        f"“{value}” names {picked:,} orgs: all are listed, with the orgs below each. "
        "Pick one from the suggestions, or type its path."
    )


def chips(
    carried: list[tuple[str, str]], links: QueryLinks, reach: Reach, user, shared_uid=None
) -> list[Chip]:
    """`shared_uid`: the orgUid the caller found read as shared, if it asked."""
    asked = shared_uid is not None
    return [
        Chip(
            describe(name, value, reach, user, (value == shared_uid) if asked else None),
            f"{name}={value}",
            links.without(name),
        )
        for name, value in carried
        if name not in ("srtKey", "srtDir", "view")  # the view has its own switch
    ]
