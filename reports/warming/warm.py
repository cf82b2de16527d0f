"""Computing the first figures of every page for every role scope that exists, after
each refresh, so that no visitor pays for a cold cache (issue 12, point 2).

A scope is what a role sees (accounts.roles, Reach.scope): everything, for the system
administrators; an org's subtree, for each org that has an org manager. Desktop users
see their own devices, whose figures are cheap. Each scope is warmed as one of its
holders would ask, by the features whose pages show the figures: each `warm()` of
settings.WARMED_FIGURES (reports.dashboards.figures, reports.history.figures), which
goes through the pages' own accessors, so the keys are the pages' own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from accounts import locks
from accounts.models import User
from accounts.roles import Reach, reach_of, with_fleet
from reports import cache, clock, postgres_only
from reports.pipeline import Occasion
from reports.warming import store


@dataclass(frozen=True)
class Warmed:
    scopes: int
    figures: int
    # Not warmed here: another process warmed the same generation while this one waited.
    by_another: bool = False


# One warm at a time across processes and machines (accounts.locks.in_turn). Two at once
# (two nodes' daily snapshots, an import's warm beside the schedule's) wrote and removed
# the same stored figures, and one failed on PostgreSQL: "could not serialize access due
# to concurrent delete", or a duplicate key (found by an audit).
WARM_LOCK = 0x42525746  # "BRWF", any number of its own


def holders() -> Iterator[tuple[Reach, User]]:
    """One user of each scope that exists with fleet figures: (scope, user)."""
    candidates = (
        with_fleet(User.objects.filter(is_active=True)).select_related("org").order_by("pk")
    )
    seen: set[Reach] = set()
    for user in candidates:
        scope = reach_of(user).scope
        if scope.has_fleet and scope not in seen:
            seen.add(scope)
            yield scope, user


def figure_warmers() -> list[Callable[[User, dt.datetime], int]]:
    """Each feature's warm(user, now), in the order of settings.WARMED_FIGURES."""
    return [import_string(path) for path in settings.WARMED_FIGURES]


def fleet_warmers() -> list[Callable[[dt.datetime], int]]:
    """Each feature's figures of every scope at once, settings.WARMED_FLEET_FIGURES: a
    figure a page reads within its viewer's reach, warmed once."""
    return [import_string(path) for path in settings.WARMED_FLEET_FIGURES]


def warm_scope(user: User, now: dt.datetime) -> int:
    """Every feature's first figures of this user's scope (settings.WARMED_FIGURES): the
    overview, each report's default totals, the trend and compliance's top level.
    Returns how many figures were stored."""
    return sum(warm(user, now) for warm in figure_warmers())


def warm_everything(now: dt.datetime | None = None) -> Warmed:
    """Every scope's first figures, from one consistent view of the data; while another
    process warms, this one waits for it.

    Once it has waited, it warms nothing when the figures of the very generation it
    would key by are stored (by the one it waited for): they are the same data's,
    computed at most the wait earlier. A generation that moved on while it waited (the
    other warmed before an import's data) is warmed. Either way warming is a head start:
    a figure not warmed is computed by its first visitor, never answered wrong.

    While there is no generation to key by (a flush took it away) there is nothing to warm.
    """
    if cache.generation() is None:
        return Warmed(0, 0)
    first_statement = not connection.in_atomic_block
    with locks.in_turn(WARM_LOCK) as waited, transaction.atomic():
        if first_statement:
            # One snapshot of the data for the generation and every figure keyed by it:
            # an import committed meanwhile cannot slip other rows under this number.
            postgres_only.one_snapshot(connection)
        locks.wait_in_transaction(WARM_LOCK)  # SQLite's write lock; PostgreSQL's is held
        number = cache.generation()
        if waited and number is not None and store.holds(number):
            return Warmed(0, 0, by_another=True)
        now = now or clock.now()
        scopes = stored = 0
        for _scope, user in holders():
            stored += warm_scope(user, now)
            scopes += 1
        if scopes:
            stored += sum(warm(now) for warm in fleet_warmers())
        store.forget_before(number)
    return Warmed(scopes, stored)


BY_ANOTHER = "already computed by another process while this one waited"


def warm_figures(occasion: Occasion) -> str:
    """The after-refresh step (reports.pipeline), after the snapshot, which the trend
    shows. If it fails, the figures are computed on demand, as before warming."""
    warmed = warm_everything()
    if warmed.by_another:
        return BY_ANOTHER
    return f"{warmed.figures} figure(s) of {warmed.scopes} scope(s) computed ahead"
