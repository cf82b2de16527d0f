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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache

from django.db.models import Q
from django.db.models.functions import Length

from accounts import org_paths
from accounts.models import Org
from accounts.roles import Reach

SEPARATOR = " › "
# What people type between two names of a path: the separator shown, or > or /. A name
# may hold one of them too ("Bengaluru / IT"), so typed text is read against the names
# themselves (_names_read), never cut into names first.
SEPARATORS = "›>/"
_TYPED_SEPARATOR = re.compile(rf"\s*[{SEPARATORS}]\s*")
# Orgs read per typed name before the path is checked: enough for any real tree's
# repeats of one name, few enough to stay a millisecond query.
CANDIDATES = 500
SUGGESTIONS = 12


# The answers of matching() and path_of() within remembered(), by their arguments.
_remembered: ContextVar[dict | None] = ContextVar("org_names_remembered", default=None)


@contextmanager
def remembered() -> Iterator[None]:
    """Within it, matching() and path_of() read the orgs once for the same arguments:
    the Subscriptions page asks them of each subscription whose view names an org, the
    same text with the same reach (every manager of one org shares it) over and over,
    two queries each (found by an audit). Each answer is the one its arguments give, so
    nothing is shared between two readers that the reach tells apart; it is forgotten
    on leaving, and is for one page's reading, never across a write."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def _once(key: tuple, read):
    memo = _remembered.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def read_paths(org_uids: Iterable[str]) -> None:
    """Within remembered(), the paths path_of() will be asked of these org codes, read
    in one query (an org code no org has, as None)."""
    memo = _remembered.get()
    wanted = {uid for uid in org_uids if uid and ("path_of", uid) not in (memo or {})}
    if memo is None or not wanted:
        return
    found = dict(Org.objects.filter(org_uid__in=wanted).values_list("org_uid", "path"))
    memo |= {("path_of", uid): found.get(uid) for uid in wanted}


def path_of(org_uid: str) -> str | None:
    """The materialized path of the org with this org code (orgUid), or None."""
    return _once(
        ("path_of", org_uid),
        lambda: Org.objects.filter(org_uid=org_uid).values_list("path", flat=True).first(),
    )


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
    """ "emea > London › acc" -> ["emea", "London", "acc"]: the pieces of a typed path
    between its separators (a name holding a separator is more than one of them)."""
    return [" ".join(part.split()) for part in _TYPED_SEPARATOR.split(text.strip()) if part]


def _spaced(text: str) -> str:
    """A name or typed path with runs of spaces as one and none around a separator."""
    return _TYPED_SEPARATOR.sub(lambda sep: sep.group().strip(), " ".join(text.split()))


def _folded(text: str) -> str:
    """A name or typed path as they are compared: case aside, and spaced alike, so
    "Bengaluru / IT" and "bengaluru/it" are the same text."""
    return _spaced(text).casefold()


def _typed(text: str, fold=_folded) -> str:
    # A separator at either end is a path begun or left unfinished ("London ›").
    return fold(text).strip(SEPARATORS)


def _names_read(typed: str, names: tuple[str, ...], fold=_folded) -> int | None:
    """How many names of the path, the org's own and those above it, the typed text
    spells out whole, a separator typed between each two; None if it is not a path
    ending at this org. "bengaluru/it" is one name of the org named "Bengaluru / IT",
    and two of the IT under Bengaluru."""
    rest = typed
    for count, name in enumerate(reversed(names), start=1):
        name = fold(name)
        if not rest.endswith(name):
            return None
        rest = rest[: len(rest) - len(name)]
        if not rest:
            return count
        if rest[-1] not in SEPARATORS:
            return None
        rest = rest[:-1]
    return None


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


def _candidates(piece: str, code: str, reach: Reach) -> dict[str, str]:
    """path -> org code, of orgs within reach whose name holds the typed piece or whose
    org code is the typed code, shortest first (an exact name before the names that
    merely contain it)."""
    found = (
        Org.objects.filter(reach.q(path="path"))
        .filter(Q(name__icontains=piece) | Q(ext_ref__iexact=piece) | Q(ext_ref__iexact=code))
        .order_by(Length("name"), "name", "path")
        .values_list("path", "ext_ref")[:CANDIDATES]
    )
    return dict(found)


def _cuts(typed: str) -> list[int]:
    """Where typed text may be cut into names: at each separator."""
    return [at for at, character in enumerate(typed) if character in SEPARATORS]


def _in_order(above: str, names: tuple[str, ...]) -> bool:
    """Whether the typed text above the org's own name is parts of the names above it,
    in the path's order: cut at some of its separators (a name may hold one), each piece
    part of a name below the one that held the piece before."""
    names = tuple(_folded(name) for name in names)
    if len(above) > sum(len(name) + 1 for name in names):
        return False  # more than the names above could hold: no need to try each cut
    ends = [*_cuts(above), len(above)]

    @cache
    def fits(start: int, position: int) -> bool:
        if start >= len(above):
            return True
        for end in ends:
            piece = above[start:end]
            if end < start or not piece:
                continue
            for at in range(position, len(names)):
                if piece in names[at] and fits(end + 1, at + 1):
                    return True
        return False

    return fits(0, 0)


def _reads_as(typed: str, org: OrgName, code: str) -> bool:
    """Whether typed text may mean this org: its end (after a separator, or all of it)
    part of the org's own name or its org code, the text before part of the names above,
    in order."""
    own, code = _folded(org.name), _folded(code or "")
    # Only ends no longer than the name or code can be either (a long typed path is
    # not tried at each of its separators).
    shortest = len(typed) - max(len(own), len(code))
    return any(
        (typed[start:] in own or typed[start:] == code)
        and _in_order(typed[: max(start - 1, 0)], org.names[:-1])
        for start in (0, *(cut + 1 for cut in _cuts(typed)))
        if start >= shortest
    )


def suggestions(text: str, reach: Reach, limit: int = SUGGESTIONS) -> list[OrgName]:
    """The orgs within reach a typed name or path may mean, best first: the org's own
    name (or org code) holds the end of the typed text, its path the rest, in order."""
    typed, pieces = _typed(text), typed_names(text)
    if not typed or not pieces:
        return []
    # The last piece is in the org's own name whichever separators are in names.
    codes = _candidates(pieces[-1], " ".join(text.split()), reach)
    named = names_of(codes, reach)
    found = [
        named[path]
        for path in codes
        if path in named and _reads_as(typed, named[path], codes[path])
    ]
    found.sort(key=lambda org: (len(org.name), org.name.casefold(), org.label.casefold()))
    return found[:limit]


def matching(text: str, reach: Reach) -> list[OrgName]:
    """The orgs a typed name or path picks: those it names whole (case and spacing
    aside), as a suggestion picked from the list reads; else every suggestion, so that
    typing "Lond" without the type-ahead still finds London.

    Text can name two orgs whole: "Bengaluru / IT" is the org of that name and the IT
    under Bengaluru. The reading with the fewest names wins, the org's own name before
    a path to another: read as a path only, the named org could never be picked, and
    its name picked its neighbour (found by an audit of section 11).

    Orgs whose paths differ only in letter case ("Zürich" and "zürich" side by side)
    are two orgs: the one whose case the text keeps is the one picked, else both (an
    "Acme › zürich" picked from the list listed its twin "Zürich"'s rows too)."""
    return list(_once(("matching", text, reach), lambda: _matching(text, reach)))


def _matching(text: str, reach: Reach) -> list[OrgName]:
    typed = _typed(text)
    if not typed:
        return []
    found = suggestions(text, reach, limit=CANDIDATES)
    read = [(count, org) for org in found if (count := _names_read(typed, org.names))]
    fewest = min((count for count, _ in read), default=None)
    named = [org for count, org in read if count == fewest]
    return _in_its_case(text, named, fewest) or found


def _in_its_case(text: str, named: list[OrgName], fewest: int | None) -> list[OrgName]:
    """Of each set of case twins (orgs whose paths differ in letter case alone), those
    the text names in their own case, else all of them; every other org named stays:
    a name picks each org bearing it, case aside ("Boston" picks a "boston" elsewhere
    as "Accounting" picks both Accountings; the twins' rule dropped it)."""
    as_typed = _typed(text, fold=_spaced)
    twins: dict[tuple[str, ...], list[OrgName]] = {}
    for org in named:
        twins.setdefault(tuple(_folded(name) for name in org.names), []).append(org)
    picked = set()
    for orgs in twins.values():
        cased = [org for org in orgs if _names_read(as_typed, org.names, _spaced) == fewest]
        picked.update(org.path for org in cased or orgs)
    return [org for org in named if org.path in picked]


def own_org_matching(text: str, org: Org) -> list[OrgName]:
    """The viewer's own org, if typed text picks it as matching() would within a reach:
    its name or org code, whole or in part, with no path above it. Their own rows show
    its name (_shown_pks) where their reach covers no org, a desktop user's; the names
    above it and below it are not theirs to read, so a path to it or from it picks
    nothing, as any path they cannot read."""
    own = OrgName(org.org_uid, org.path, (org.name,))
    typed = _typed(text)
    return [own] if typed and _reads_as(typed, own, org.ext_ref) else []


def subtree_roots(orgs: Iterable[OrgName]) -> list[str]:
    """The paths of these orgs without those inside another's subtree: the fewest
    prefixes that select all their subtrees."""
    roots: list[str] = []
    for path in sorted({org.path for org in orgs}, key=len):
        if not any(org_paths.within(path, root) for root in roots):
            roots.append(path)
    return roots
