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

from accounts.models import User
from accounts.roles import Reach, reach_of, with_fleet
from reports import cache, clock, postgres_only
from reports.pipeline import Occasion
from reports.warming import store


@dataclass(frozen=True)
class Warmed:
    scopes: int
    figures: int


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
    """Every scope's first figures, from one consistent view of the data.

    While there is no generation to key by (a flush took it away) there is nothing to warm.
    """
    if cache.generation() is None:
        return Warmed(0, 0)
    now = now or clock.now()
    first_statement = not connection.in_atomic_block
    with transaction.atomic():
        if first_statement:
            # One snapshot of the data for the generation and every figure keyed by it:
            # an import committed meanwhile cannot slip other rows under this number.
            postgres_only.one_snapshot(connection)
        number = cache.generation()
        scopes = stored = 0
        for _scope, user in holders():
            stored += warm_scope(user, now)
            scopes += 1
        if scopes:
            stored += sum(warm(now) for warm in fleet_warmers())
        store.forget_before(number)
    return Warmed(scopes, stored)


def warm_figures(occasion: Occasion) -> str:
    """The after-refresh step (reports.pipeline), after the snapshot, which the trend
    shows. If it fails, the figures are computed on demand, as before warming."""
    warmed = warm_everything()
    return f"{warmed.figures} figure(s) of {warmed.scopes} scope(s) computed ahead"
