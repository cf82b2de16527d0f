"""An org someone shared: where an orgTree value names orgs above the viewer's reach,
as a view an administrator shared with org managers does ("Northwind › EMEA"), or an
orgUid picks one, the viewer's rows in their subtree are listed, read as the sharer
reads them.

Only a value someone else shared with the viewer is read so: a view shared with them
(by name or role) or a subscription sending them one (whose sender says so:
spreadsheet.report_sheet's shared_by; and on the page its message links to, found among
the views sent to them), read with the reach of the view's owner. The message counted
the rows its link then did not show (found by an audit of the subscriptions). Read
against the whole tree for any value typed, the answer (the viewer's rows, or none)
told whether an org of that name lay above their own, a letter at a time (found by an
audit of section 4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from accounts import org_names
from accounts.roles import reach_of
from reports.dashboards.saved.models import SavedView

# Other ways a saved view reaches a person than its sharing, each `user -> views`: the
# subscriptions sending them one register theirs (reports.notifications.apps), as
# notifications builds on saved views and not the other way round (tests/test_layers).
SENDERS: list[Callable[[object], QuerySet[SavedView]]] = []


def register_sender(views_sent_to: Callable[[object], QuerySet[SavedView]]) -> None:
    if views_sent_to not in SENDERS:
        SENDERS.append(views_sent_to)


def org_tree_as_shared(user, value: str, shared_by=None) -> list[org_names.OrgName]:
    """The orgs an orgTree value picks as the ones who shared it with `user` read it."""
    picked: list[org_names.OrgName] = []
    for sharer in _sharers(user, "orgTree", value, shared_by):
        picked += org_names.matching(value, reach_of(sharer).scope)
    return picked


def org_uid_as_shared(user, path: str, org_uid: str, shared_by=None) -> bool:
    """Whether someone who may see the org at `path` shared its orgUid with `user`."""
    return any(
        reach_of(sharer).covers(path) for sharer in _sharers(user, "orgUid", org_uid, shared_by)
    )


def _sharers(user, parameter: str, value: str, shared_by) -> list:
    """`shared_by` (a subscription's view's owner) when given, else the owners of the
    views shared with `user` or sent to them that give this very value to this
    parameter."""
    if user is None or not user.is_authenticated:
        return []
    if shared_by is not None:
        return [] if shared_by.pk == user.pk else [shared_by]
    shared = SavedView.objects.visible_to(user).values("pk")
    views = (
        SavedView.objects.filter(
            reduce(or_, (Q(pk__in=sent(user).values("pk")) for sent in SENDERS), Q(pk__in=shared))
        )
        .exclude(owner=user)
        .select_related("owner")
    )
    owners = {
        view.owner.pk: view.owner for view in views if view.query_dict.get(parameter) == value
    }
    return list(owners.values())
