"""The dashboards' query: the shared report query plus four dashboard-only parameters.

`dashboard_query()` calls `reports.query.report_query()` (the one FilterSet: grammar,
role limit, sort) and then narrows its rows with `DashboardFilter`, which knows only
what the overview's links need and the API does not (yet) offer:

    health=ok|warning|critical|never   devices by backup health (reports.health);
           failing                     anything but ok (compliance's failing devices)
    backupAge=3-7 | 90-                devices by days since their last completed backup
    exactOrgUid=<orgUid>               rows of owners in that org itself, not its sub-orgs
    exactOs=win|mac|linux|other        devices whose os is exactly that (other: none of
                                       the three), as the overview's OS bars count them
    view=devices|archives              one row per device (its destinations inside the
                                       row; the default of backup status and the
                                       migration plan) or per archive, as the API
    coldStorageExpired=true|false      archives whose cold-storage expiry has passed
                                       (or not: still to come, or none)
    coldStorageExpiresWithin=30        archives in cold storage whose expiry is still to
                                       come, within that many days (the digests' "expiring
                                       within 30 days")
    orgTree=EMEA › London              rows of owners in the orgs that path names and in
                                       every org below them (the org picker's field;
                                       accounts.org_names.matching, within the reach,
                                       else against the whole tree; the rows stay the
                                       viewer's either way)

Narrowing keeps the report query's order, so sorting and paging stay the API's.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.http import QueryDict

from accounts import org_names
from accounts.models import Org
from accounts.roles import Reach, reach_of
from reports import clock, health
from reports.dashboards import os_families
from reports.dashboards.saved.shared_paths import org_tree_as_shared, org_uid_as_shared
from reports.models import ReportRow
from reports.query import (
    BooleanFilter,
    ChoiceParameterFilter,
    InvalidParameters,
    ReportQuery,
    form_errors,
    given_once,
    joined_errors,
    no_filtering,
    report_query,
)
from reports.query import parameter_errors as report_parameter_errors

DASHBOARD_PARAMETERS = (
    "health",
    "backupAge",
    "exactOrgUid",
    "exactOs",
    "view",
    "orgTree",
    "coldStorageExpired",
    "coldStorageExpiresWithin",
)
DEVICES, ARCHIVES = "devices", "archives"
# The row filters on an archive's own fields (the API's, and the dashboards' expiry):
# with one of them, a device is in the set when one of its archives is, so its one row
# is found through its rows.
ARCHIVE_PARAMETERS = (
    "destination",
    "destinationUid",
    "archiveGuid",
    "coldStorage",
    "coldStorageExpired",
    "coldStorageExpiresWithin",
)
# In the per-device view a sort on an archive's value sorts by the device's: its largest
# selection, its archives' bytes summed, its health date (the stalest destination's last
# completed backup).
DEVICE_SORT = {
    "selected_bytes": "device_selected_bytes",
    "archive_bytes": "device_archive_bytes",
    "last_completed_backup_date": "device_backup_date",
}


def expiry_minute(now: dt.datetime) -> dt.datetime:
    """Expiries are judged to the minute, so that a count kept for a minute
    (figures.expired) and the list it links to agree."""
    return now.replace(second=0, microsecond=0)


def expired(now: dt.datetime) -> Q:
    """Archives whose cold-storage expiry has passed: the vendor purges them, or
    should have."""
    return Q(cold_storage_expire_date__lt=expiry_minute(now))


def expiring_within(now: dt.datetime, days: int) -> Q:
    """Archives in cold storage not yet expired whose expiry comes within `days` days,
    both ends judged to the minute as expired() is: one rule for the digests' count and
    the list it links to."""
    minute = expiry_minute(now)
    return Q(
        cold_storage=True,
        cold_storage_expire_date__gte=minute,
        cold_storage_expire_date__lt=minute + dt.timedelta(days=days, minutes=1),
    )


class DaysFilter(django_filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=health.MAX_BAND_DAYS, **kwargs)


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
        choices=(*health.Health, health.FAILING), case_sensitive=False, method="filter_health"
    )
    backupAge = AgeBandFilter(method="filter_backup_age")
    exactOrgUid = django_filters.CharFilter(field_name="org_uid")
    exactOs = ChoiceParameterFilter(choices=os_families.FAMILIES, method="filter_exact_os")
    view = ChoiceParameterFilter(choices=(DEVICES, ARCHIVES), method=no_filtering)
    orgTree = django_filters.CharFilter(method="filter_org_tree")
    coldStorageExpired = BooleanFilter(method="filter_cold_storage_expired")
    coldStorageExpiresWithin = DaysFilter(method="filter_cold_storage_expires_within")

    class Meta:
        model = ReportRow
        fields: list[str] = []

    def __init__(self, *args, reach: Reach, user=None, shared_by=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reach, self.user, self.shared_by = reach, user, shared_by

    def filter_org_tree(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        roots = org_tree_roots(value, self.user, self.reach, self.shared_by)
        if not roots:
            return qs.none()
        return qs.filter(reduce(operator.or_, (Q(org_path__startswith=root) for root in roots)))

    def filter_exact_os(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(os_families.in_family(value))

    def filter_cold_storage_expired(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        passed = expired(clock.now())
        return qs.filter(passed) if value else qs.exclude(passed)

    def filter_cold_storage_expires_within(self, qs: QuerySet, name: str, days: int):
        return qs.filter(expiring_within(clock.now(), days))

    def filter_health(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == health.FAILING:
            return health.failing(qs)
        return health.with_health(qs, health.Health(value))

    def filter_backup_age(self, qs: QuerySet, name: str, value: health.AgeBand) -> QuerySet:
        return health.in_band(qs, value)


def own_org(user) -> Org | None:
    """The viewer's own org: its name is on each of their own rows, so it is theirs to
    read wherever their reach covers no org (a desktop user's), never the names above
    it (accounts.org_names._shown_pks)."""
    if user is None or not user.is_authenticated:
        return None
    return user.org


def org_tree_roots(value: str, user, reach: Reach, shared_by=None) -> list[str]:
    """The paths of the subtrees an orgTree value picks for this viewer: within their
    reach; else their own org by its name (a desktop user's rows all show it: typed, it
    said "names no org you may see", found by an audit); else a path from above it, in
    a view shared with them (by an administrator with org managers, say), read as
    shared (reports.dashboards.saved.shared_paths), their rows in it listed; the rows
    stay the viewer's (the report query's role limit). Any other value picks nothing."""
    roots = org_names.subtree_roots(org_names.matching(value, reach))
    own = own_org(user)
    if not roots and own is not None:
        roots = org_names.subtree_roots(org_names.own_org_matching(value, own))
    if not roots:
        roots = org_names.subtree_roots(org_tree_as_shared(user, value, shared_by))
    return roots


def _org_path(org_uid: str) -> str | None:
    return org_names.path_of(org_uid)


def org_named_by_uid(org_uid: str, user, reach: Reach, shared_by=None) -> bool:
    """Whether an orgUid names an org this viewer may read by name: within their reach,
    shared with them, or their own. An org beside the reach and a uid no org has are
    told apart nowhere: that told whether an orgUid existed (reports.dashboards.chips)."""
    path = _org_path(org_uid)
    if not path:
        return False
    own = own_org(user)
    return (
        reach.covers(path)
        or (own is not None and path == own.path)
        or org_uid_as_shared(user, path, org_uid, shared_by)
    )


def org_uid_read_as_shared(org_uid: str, user, reach: Reach, shared_by=None) -> bool:
    """Whether an orgUid picks an org beyond this viewer's reach that someone who may
    see it shared with them: the pages list the viewer's rows in its whole subtree
    (reports.query's filter_org_subtree, `shared`), the API, which reads no sharing,
    only those directly in it."""
    path = _org_path(org_uid)
    if not path or reach.covers(path):
        return False
    return org_uid_as_shared(user, path, org_uid, shared_by)


ORG_UID_PARAMETERS = ("orgUid", "exactOrgUid")  # an org by its code (unnamed_org)


def unnamed_org(params: QueryDict, user, reach: Reach, shared_by=None) -> str | None:
    """The org filter (`orgTree=`, `orgUid=` or `exactOrgUid=`) of these parameters that
    names no org for this viewer, or None: a name renamed at the vendor, a deleted org's
    uid. Their list is empty for a reason other than the fleet's: reports.notifications
    holds a subscription for it rather than mail "0 rows" every period, and the report
    page says it in place of "nothing matches"."""
    tree = params.get("orgTree")
    if tree and not org_tree_roots(tree, user, reach.scope, shared_by):
        return f"orgTree={tree}"
    for name in ORG_UID_PARAMETERS:
        uid = params.get(name)
        if uid and not org_named_by_uid(uid, user, reach, shared_by):
            return f"{name}={uid}"
    return None


def _os_by_name(params: QueryDict) -> QueryDict:
    """An OS family's name typed in a page's OS field ("Windows", "macOS") as the
    vendor's code it stands for ("win", "mac"): the overview's bars say the names, the
    rows hold the codes, and typing a bar's name found nothing (found by an audit of the
    pages). The API keeps the vendor's own partial match."""
    typed = (params.get("os") or "").strip().casefold()
    code = {name.casefold(): code for code, name in os_families.OS_NAMES.items()}.get(typed)
    if code is None:
        return params
    params = params.copy()
    params["os"] = code
    return params


def _shared_with(user, shared_by):
    def shared(path: str, org_uid: str) -> bool:
        return org_uid_as_shared(user, path, org_uid, shared_by)

    return shared


def dashboard_query(
    params: QueryDict, user, reach: Reach | None = None, shared_by=None
) -> ReportQuery:
    """report_query() narrowed by the dashboard-only parameters.

    `reach`: the user's, when the caller has read it already (a query less each use).
    `shared_by`: who sent these parameters, if not the user (spreadsheet.report_sheet).

    Raises InvalidParameters naming every bad parameter, the shared ones and ours.
    """
    _, errors = given_once(params, DASHBOARD_PARAMETERS)
    params = _os_by_name(params)
    if reach is None:
        reach = reach_of(user)
    query = None
    try:
        query = report_query(params, user, reach, shared=_shared_with(user, shared_by))
    except InvalidParameters as invalid:
        errors |= invalid.errors
    rows = query.rows if query else None
    narrowing = DashboardFilter(
        params, queryset=rows, reach=reach.scope, user=user, shared_by=shared_by
    )
    if not narrowing.is_valid():
        errors |= joined_errors(narrowing.errors)
    if errors or query is None:
        raise InvalidParameters(errors)
    query.rows = narrowing.qs
    for name, value in narrowing.form.cleaned_data.items():
        if value not in (None, ""):
            query.params[name] = value.key if isinstance(value, health.AgeBand) else value
    return query


def parameter_errors(params: QueryDict) -> dict[str, str]:
    """The errors dashboard_query raises for these parameters, in its order, read from
    them alone: its checks are the grammar's (given_once, the report filter's form, the
    dashboard filter's form), and the user, their reach and who shared the parameters
    only narrow the rows. So one answer holds for every subscriber of a saved view, and
    no query is built for it (reports.notifications.subscriptions.problems_of)."""
    _, errors = given_once(params, DASHBOARD_PARAMETERS)
    params = _os_by_name(params)
    errors |= report_parameter_errors(params)
    return errors | form_errors(DashboardFilter, params)


def one_row_per_device(query: ReportQuery, params: QueryDict) -> QuerySet:
    """The device_first row of each device the query's rows hold, sorted alike
    (DEVICE_SORT): the rows of view=devices. The query's rows stay one per archive, for
    the totals and the export, as the API's.

    Every filter but those on an archive's own fields keeps all of a device's rows or
    none, so its device_first row is enough, and the sort indexes still serve; after an
    archive filter the devices are found through the rows that matched."""
    rows = query.rows
    order = [_device_sort(term) for term in rows.query.order_by]
    if any(params.get(name) for name in ARCHIVE_PARAMETERS):
        matched = rows.order_by().values("device_id")
        return ReportRow.objects.filter(device_first=True, device_id__in=matched).order_by(*order)
    return rows.filter(device_first=True).order_by(*order)


def _device_sort(term):
    expression = getattr(term, "expression", None)
    name = getattr(expression, "name", None)
    if name not in DEVICE_SORT:
        return term
    device_term = term.copy()
    device_term.expression = F(DEVICE_SORT[name])
    return device_term
