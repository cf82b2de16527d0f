"""An org someone shared: where an orgTree value names orgs above the viewer's reach,
as a view an administrator shared with org managers does ("Northwind › EMEA"), or an
orgUid picks one, the viewer's rows in their subtree are listed; the rows stay the
viewer's (the report query's role limit).

Only a value someone else shared with the viewer is read so: a view shared with them
(by name or role) or a subscription sending them one (whose sender says so:
spreadsheet.report_sheet's shared_by; and on the page its message links to, found among
the views sent to them). The message counted the rows its link then did not show (found
by an audit of the subscriptions). Read against the whole tree for any value typed, the
answer (the viewer's rows, or none) told whether an org of that name lay above their
own, a letter at a time (found by an audit of section 4).

A shared value is read against the whole tree by its whole names only (the org picker
writes them), else as its sharers read it with their reach (a part of a name, "EME",
picks what it picked for them). Read only with the sharer's reach, a view stopped
listing anything for everyone it was shared with once its owner lost the role that let
them read the path: the viewers' reach had not changed, yet an org manager's copy of
"EMEA" said 0 rows (found by an audit of section 15). Whole names tell no one a name a
letter at a time, and only through a value someone else wrote for them."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from accounts import org_names
from accounts.roles import Reach, reach_of
from reports.dashboards.saved.models import SavedView

WHOLE_TREE = Reach(everything=True, owner_id=None)

# Other ways a saved view reaches a person than its sharing, each `user -> views`: the
# subscriptions sending them one register theirs (reports.notifications.apps), as
# notifications builds on saved views and not the other way round (tests/test_layers).
SENDERS: list[Callable[[object], QuerySet[SavedView]]] = []


def register_sender(views_sent_to: Callable[[object], QuerySet[SavedView]]) -> None:
    if views_sent_to not in SENDERS:
        SENDERS.append(views_sent_to)


def org_tree_as_shared(user, value: str, shared_by=None) -> list[org_names.OrgName]:
    """The orgs an orgTree value someone else shared with `user` picks."""
    sharers = _sharers(user, "orgTree", value, shared_by)
    if not sharers:
        return []
    picked = org_names.named_whole(value, WHOLE_TREE)
    if not picked:
        for sharer in sharers:
            picked += org_names.matching(value, reach_of(sharer).scope)
    return picked


def org_uid_as_shared(user, org_uid: str, shared_by=None) -> bool:
    """Whether someone else shared this orgUid with `user`: a uid names its org whole."""
    return bool(_sharers(user, "orgUid", org_uid, shared_by))


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
