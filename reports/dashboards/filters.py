"""The dashboards' query: the shared report query plus three dashboard-only parameters.

`dashboard_query()` calls `reports.query.report_query()` (the one FilterSet: grammar,
role limit, sort) and then narrows its rows with `DashboardFilter`, which knows only
what the overview's links need and the API does not (yet) offer:

    health=ok|warning|critical|never   devices by backup health (reports.health)
    backupAge=3-7 | 90-                devices by days since their last completed backup
    exactOrgUid=<orgUid>               rows of owners in that org itself, not its sub-orgs
    coldStorageExpired=true|false      archives whose cold-storage expiry has passed
                                       (or not: still to come, or none)
    orgTree=EMEA › London              rows of owners in the orgs that path names and in
                                       every org below them (the org picker's field;
                                       accounts.org_names.matching, within the reach)

Narrowing keeps the report query's order, so sorting and paging stay the API's.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict

from accounts import org_names
from accounts.roles import Reach, reach_of
from reports import clock, health
from reports.models import ReportRow
from reports.query import (
    BooleanFilter,
    ChoiceParameterFilter,
    InvalidParameters,
    ReportQuery,
    given_once,
    report_query,
)

DASHBOARD_PARAMETERS = ("health", "backupAge", "exactOrgUid", "orgTree", "coldStorageExpired")


def expiry_minute(now: dt.datetime) -> dt.datetime:
    """Expiries are judged to the minute, so that a count kept for a minute
    (figures.expired) and the list it links to agree."""
    return now.replace(second=0, microsecond=0)


def expired(now: dt.datetime) -> Q:
    """Archives whose cold-storage expiry has passed: the vendor purges them, or
    should have."""
    return Q(cold_storage_expire_date__lt=expiry_minute(now))


class AgeBandParameter(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return health.parse_band(str(value))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class AgeBandFilter(django_filters.Filter):
    field_class = AgeBandParameter


class DashboardFilter(django_filters.FilterSet):
    health = ChoiceParameterFilter(
        choices=tuple(health.Health), case_sensitive=False, method="filter_health"
    )
    backupAge = AgeBandFilter(method="filter_backup_age")
    exactOrgUid = django_filters.CharFilter(field_name="org_uid")
    orgTree = django_filters.CharFilter(method="filter_org_tree")
    coldStorageExpired = BooleanFilter(method="filter_cold_storage_expired")

    class Meta:
        model = ReportRow
        fields: list[str] = []

    def __init__(self, *args, reach: Reach, **kwargs):
        super().__init__(*args, **kwargs)
        self.reach = reach

    def filter_org_tree(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        roots = org_names.subtree_roots(org_names.matching(value, self.reach))
        if not roots:
            return qs.none()
        return qs.filter(reduce(operator.or_, (Q(org_path__startswith=root) for root in roots)))

    def filter_cold_storage_expired(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        passed = expired(clock.now())
        return qs.filter(passed) if value else qs.exclude(passed)

    def filter_health(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return health.with_health(qs, health.Health(value))

    def filter_backup_age(self, qs: QuerySet, name: str, value: health.AgeBand) -> QuerySet:
        return health.in_band(qs, value)


def dashboard_query(params: QueryDict, user, reach: Reach | None = None) -> ReportQuery:
    """report_query() narrowed by the dashboard-only parameters.

    `reach`: the user's, when the caller has read it already (a query less each use).

    Raises InvalidParameters naming every bad parameter, the shared ones and ours.
    """
    _, errors = given_once(params, DASHBOARD_PARAMETERS)
    if reach is None:
        reach = reach_of(user)
    query = None
    try:
        query = report_query(params, user, reach)
    except InvalidParameters as invalid:
        errors |= invalid.errors
    narrowing = DashboardFilter(params, queryset=query.rows if query else None, reach=reach.scope)
    if not narrowing.is_valid():
        errors |= {name: " ".join(messages) for name, messages in narrowing.errors.items()}
    if errors or query is None:
        raise InvalidParameters(errors)
    query.rows = narrowing.qs
    for name, value in narrowing.form.cleaned_data.items():
        if value not in (None, ""):
            query.params[name] = value.key if isinstance(value, health.AgeBand) else value
    return query
