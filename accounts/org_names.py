"""Orgs as people name them: by their path of names ("EMEA › London › Accounting").

Names repeat across a tree (every city has its Accounting), so the dashboards show an
org with its path where its name alone is ambiguous, and the org picker finds orgs by
name, org code or path (spec section 11). A path is told from the viewer's reach: an
org manager of London reads "London › Accounting", never the names above their own
org, which lie outside what they may see. Every query here is over orgs within the
reach (accounts.roles.Reach.q), so no name outside it is ever read for a viewer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Length

from accounts import org_paths
from accounts.models import Org
from accounts.roles import Reach

SEPARATOR = " › "
# What people type between two names of a path: the separator shown, or > or /.
_TYPED_SEPARATOR = re.compile(r"\s*[›>/]\s*")
# Orgs read per typed name before the path is checked: enough for any real tree's
# repeats of one name, few enough to stay a millisecond query.
CANDIDATES = 500
SUGGESTIONS = 12


@dataclass(frozen=True)
class OrgName:
    org_uid: str
    path: str  # the materialized path (accounts.org_paths)
    names: tuple[str, ...]  # from the highest org the reach covers down to this one

    @property
    def name(self) -> str:
        return self.names[-1]

    @property
    def label(self) -> str:
        return SEPARATOR.join(self.names)


def typed_names(text: str) -> list[str]:
    """ "emea > London › acc" -> ["emea", "London", "acc"]: the names of a typed path."""
    return [part for part in _TYPED_SEPARATOR.split(text.strip()) if part]


def _shown_pks(path: str, reach: Reach) -> list[int]:
    """The orgs of the path the viewer may read the names of, root first: those in
    their reach, and the org itself (a desktop user's own org is on their own rows)."""
    pks = org_paths.pks(path)
    covered = [
        pk
        for depth, pk in enumerate(pks, start=1)
        if reach.covers(org_paths.ancestor_path(path, depth))
    ]
    return covered or pks[-1:]


def _named(shown: dict[str, list[int]], orgs: dict[int, tuple[str, str]]) -> dict:
    named = {}
    for path, pks in shown.items():
        if pks[-1] in orgs:  # an org deleted since the row was read has no name
            names = tuple(orgs[pk][1] if pk in orgs else "?" for pk in pks)
            named[path] = OrgName(orgs[pks[-1]][0], path, names)
    return named


def _read(paths: Iterable[str], reach: Reach, namesakes: bool):
    """The orgs at these paths, with their ancestors the reach covers, and (namesakes)
    every org within the reach bearing the name of one of them: one query."""
    shown = {path: _shown_pks(path, reach) for path in set(paths) if path}
    wanted = {pk for pks in shown.values() for pk in pks}
    if not wanted:
        return shown, {}, []
    condition = Q(pk__in=wanted)
    if namesakes:
        own = {pks[-1] for pks in shown.values()}
        same_name = Q(name__in=Org.objects.filter(pk__in=own).values("name"))
        condition |= reach.q(path="path") & same_name
    read = list(Org.objects.filter(condition).values_list("pk", "org_uid", "name", "path"))
    orgs = {pk: (org_uid, name) for pk, org_uid, name, _ in read if pk in wanted}
    return shown, orgs, read


def names_of(paths: Iterable[str], reach: Reach) -> dict[str, OrgName]:
    """path -> its OrgName, for the orgs at these paths: one query."""
    shown, orgs, _ = _read(paths, reach, namesakes=False)
    return _named(shown, orgs)


class OrgNames:
    """The names of the orgs on one page, for one viewer, and which of them more than
    one org within the reach bears: one query, whatever the page's length."""

    def __init__(self, paths: Iterable[str], reach: Reach):
        shown, orgs, read = _read(paths, reach, namesakes=True)
        self.named = _named(shown, orgs)
        own = {org.name for org in self.named.values()}
        borne = Counter(name for _, _, name, path in read if name in own and reach.covers(path))
        self.ambiguous = {name for name, count in borne.items() if count > 1}

    def get(self, path: str) -> OrgName | None:
        return self.named.get(path)

    def shown(self, path: str, name: str | None) -> str:
        """The org's name, with its path where the name alone is ambiguous."""
        org = self.named.get(path)
        if org is None:
            return name or ""
        return org.label if org.name in self.ambiguous else org.name


def _candidates(typed: str, reach: Reach):
    """Orgs within reach whose name or org code holds the typed name, shortest first
    (an exact name before the names that merely contain it)."""
    return (
        Org.objects.filter(reach.q(path="path"))
        .filter(Q(name__icontains=typed) | Q(ext_ref__iexact=typed))
        .order_by(Length("name"), "name", "path")
        .values_list("path", flat=True)[:CANDIDATES]
    )


def _in_order(wanted: list[str], names: tuple[str, ...]) -> bool:
    """Whether each wanted name is part of a name of the path, in the path's order."""
    position = 0
    for part in wanted:
        while position < len(names) and part not in names[position].casefold():
            position += 1
        if position == len(names):
            return False
        position += 1
    return True


def suggestions(text: str, reach: Reach, limit: int = SUGGESTIONS) -> list[OrgName]:
    """The orgs within reach a typed name or path may mean, best first: the org's own
    name (or org code) holds the last typed name, its path the others, in order."""
    typed = typed_names(text)
    if not typed:
        return []
    above = [part.casefold() for part in typed[:-1]]
    paths = list(_candidates(typed[-1], reach))
    named = names_of(paths, reach)
    found = [
        named[path] for path in paths if path in named and _in_order(above, named[path].names[:-1])
    ]
    found.sort(key=lambda org: (len(org.name), org.name.casefold(), org.label.casefold()))
    return found[:limit]


def matching(text: str, reach: Reach) -> list[OrgName]:
    """The orgs a typed path picks: those whose path ends with the typed names (case
    aside), as a suggestion picked from the list reads; else every suggestion, so that
    typing "Lond" without the type-ahead still finds London."""
    typed = [part.casefold() for part in typed_names(text)]
    if not typed:
        return []
    found = suggestions(text, reach, limit=CANDIDATES)
    exact = [
        org for org in found if [name.casefold() for name in org.names[-len(typed) :]] == typed
    ]
    return exact or found


def subtree_roots(orgs: Iterable[OrgName]) -> list[str]:
    """The paths of these orgs without those inside another's subtree: the fewest
    prefixes that select all their subtrees."""
    roots: list[str] = []
    for path in sorted({org.path for org in orgs}, key=len):
        if not any(org_paths.within(path, root) for root in roots):
            roots.append(path)
    return roots
