"""The report query: the parameter grammar of spec section 3, in one place.

The API, the CSV export and the dashboards all call `report_query()`: it validates the
parameters, applies the role limit, the filters and the sort, and says what it
understood. Nothing here joins the environment tables: everything is on ReportRow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.http import QueryDict

from accounts.models import Org
from accounts.roles import Reach, reach_of
from reports.health import ACTIVE
from reports.models import ReportRow
from reports.read_model import SEARCH_SEPARATOR, as_typed_name, matching, search_text
from reports.row import ATTRIBUTE_OF, FIELD_NAMES
from reports.version_order import by_version

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 1000
# Ties are broken by these, in the direction of the sort, so that paging is stable.
TIE_BREAK = ("archive_guid", "device_uid")
# Orgs that share a name (an "Accounting" in London and one in Paris) sort by their path
# under it: each org's rows together, where the pages tell them apart by path (spec 11),
# not interleaved by archive. Migration 0025's index.
THEN_BY = {"orgName": ("org_path",)}
# Keys sorted by an expression of their column rather than the column itself: agent
# and OS versions by number, part by part (reports.version_order). As text, macOS
# 10.9 sorted after 10.15.7 and 9.1 after 11: an admin looking for the oldest OSes of
# a migration plan read them in the wrong order (found by an audit of section 3).
SORTED_BY = {"version": by_version, "osVersion": by_version}
# A page that starts beyond this many rows is past the last one of any fleet; not asking
# the database keeps a huge pgNum from overflowing its OFFSET.
MAX_OFFSET = 2**40
_WHOLE_NUMBER = re.compile(r"[0-9]{1,1000}")


def whole_number(text: str) -> int | None:
    """A parameter's whole number, in ASCII digits, or None: isdigit() takes "²" and
    "١", which int() refuses or reads, and int() refuses more than 4,300 digits with a
    ValueError, a 500 where a 400 naming the parameter was due (found by an audit)."""
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


class BooleanParameter(forms.Field):
    """`true` / `false` in any letter case, as the vendor's own scripts send them."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).lower()
        if text not in {"true", "false"}:
            raise forms.ValidationError(f"{value!r} is not a boolean; use true or false.")
        return text == "true"


class ChoiceParameter(forms.Field):
    """One of a fixed set of words; the error lists them all."""

    def __init__(self, *, choices: tuple[str, ...], case_sensitive: bool = True, **kwargs):
        self.choices = choices
        self.case_sensitive = case_sensitive
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        canonical = str(value)
        if not self.case_sensitive:
            canonical = canonical.lower()
        if canonical not in self.choices:
            raise forms.ValidationError(
                f"{value!r} is not accepted; use one of {', '.join(self.choices)}."
            )
        return canonical


class PositiveParameter(forms.Field):
    """A whole number from 1, in ASCII digits (int() alone would take "1_0" and "١")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = whole_number(str(value))
        if number is None:
            raise forms.ValidationError(f"{value!r} is not a whole number; use 1 or more.")
        if number < 1:
            raise forms.ValidationError(f"{value!r} is too small; use 1 or more.")
        return number


class BooleanFilter(django_filters.Filter):
    field_class = BooleanParameter


class ChoiceParameterFilter(django_filters.Filter):
    field_class = ChoiceParameter


class PositiveFilter(django_filters.Filter):
    field_class = PositiveParameter


class SearchFilter(django_filters.Filter):
    """Case-insensitive partial match over the fields one search column holds."""

    field_class = forms.CharField

    def filter(self, qs: QuerySet, value):
        if value in (None, ""):
            return qs
        if SEARCH_SEPARATOR in value:  # it would match across two fields
            return qs.none()
        return matching(qs, self.field_name, search_text(self.typed(value)))

    def typed(self, value: str) -> str:
        return value


class PersonSearchFilter(SearchFilter):
    """user=: also a name as people type it, "first last" or "last, first" (spec 11)."""

    def typed(self, value: str) -> str:
        return as_typed_name(value)


def no_filtering(qs: QuerySet, name: str, value) -> QuerySet:
    """For parameters that steer the response rather than select rows."""
    return qs


class ReportFilter(django_filters.FilterSet):
    user = PersonSearchFilter(field_name="user_search")
    org = SearchFilter(field_name="org_search")
    device = SearchFilter(field_name="device_search")
    destination = SearchFilter(field_name="destination_search")
    os = SearchFilter(field_name="os_search")

    orgUid = django_filters.CharFilter(method="filter_org_subtree")
    userUid = django_filters.CharFilter(field_name="user_uid")
    deviceUid = django_filters.CharFilter(field_name="device_uid")
    destinationUid = django_filters.CharFilter(field_name="destination_uid")
    archiveGuid = django_filters.CharFilter(field_name="archive_guid")

    active = BooleanFilter(method="filter_active")
    alerted = BooleanFilter(field_name="alerted")
    coldStorage = BooleanFilter(method="filter_cold_storage")

    srtKey = ChoiceParameterFilter(choices=FIELD_NAMES, method=no_filtering)
    srtDir = ChoiceParameterFilter(
        choices=("asc", "desc"), case_sensitive=False, method=no_filtering
    )
    pgNum = PositiveFilter(method=no_filtering)
    pgSize = PositiveFilter(method=no_filtering)
    export = ChoiceParameterFilter(choices=("csv",), case_sensitive=False, method=no_filtering)
    # Not the vendor's: the export's three extension columns (firstName, lastName,
    # coldStorageExpireDate) after its 34. JSON rows always carry them.
    extraColumns = BooleanFilter(method=no_filtering)

    class Meta:
        model = ReportRow
        fields: list[str] = []

    def __init__(self, *args, user=None, reach: Reach | None = None, shared=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.reach, self.shared = user, reach, shared

    def filter_org_subtree(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """The org and its descendants: one indexed prefix match on the row's org path.

        An org outside the viewer's reach gives only the rows directly in it (their own
        devices there, whose rows name it anyway): its subtree's would tell whether an
        org they may not see exists (an ancestor's uid gave their rows, an unknown none;
        found by an audit of section 7). `shared(path, orgUid)`: whether someone who may
        see it shared it with the viewer (a saved view's: the dashboards say)."""
        path = Org.objects.filter(org_uid=value).values_list("path", flat=True).first()
        if not path:
            return qs.none()
        if self.reach is None:
            self.reach = reach_of(self.user)
        if self.reach.covers(path) or (self.shared is not None and self.shared(path, value)):
            return qs.filter(org_path__startswith=path)
        return qs.filter(org_path=path)

    def filter_active(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(ACTIVE) if value else qs.exclude(ACTIVE)

    def filter_cold_storage(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        # A device with no archive has nothing in cold storage.
        return qs.filter(cold_storage=True) if value else qs.filter(~Q(cold_storage=True))


class InvalidParameters(Exception):
    """Known parameters with bad values: {parameter: what is wrong and what it accepts}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass
class ReportQuery:
    rows: QuerySet  # visible, filtered and sorted ReportRows
    params: dict[str, object] = field(default_factory=dict)  # as understood
    sort_key: str | None = None
    sort_descending: bool = False
    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    export: str | None = None
    extra_columns: bool = False

    def page(self) -> QuerySet:
        """The rows of this page, in order. Past the first page, the rows skipped are
        read from the sort's index alone (their ids), and only the page's own rows
        from the table: every skipped row read whole would cost a heap visit for
        nothing (page 500 is 49,900 of them)."""
        start = (self.page_number - 1) * self.page_size
        if start > MAX_OFFSET:
            return self.rows.none()
        window = self.rows[start : start + self.page_size]
        if start == 0:
            return window
        return ReportRow.objects.filter(id__in=window.values("id")).order_by(
            *self.rows.query.order_by
        )


def ordering(sort_key: str | None, descending: bool) -> list:
    """Nulls are the smallest value: first in asc, last in desc (spec, use case 1)."""
    keys = []
    if sort_key:
        attribute = ATTRIBUTE_OF[sort_key]
        by = SORTED_BY.get(sort_key, F)
        keys = [by(attribute), *(F(a) for a in THEN_BY.get(sort_key, ()))]
    expressions = keys + [F(a) for a in TIE_BREAK]
    if descending:
        return [e.desc(nulls_last=True) for e in expressions]
    return [e.asc(nulls_first=True) for e in expressions]


def given_once(params: QueryDict, names: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The values of these parameters, and the errors of those given more than once: the
    one rule for every parameter of the API, the export and the dashboards.

    An empty value counts as not given (`?pgNum=2&pgNum=` is page 2). Two values are
    ambiguous: rather than guess which the caller meant, the answer names them.
    """
    values, errors = {}, {}
    for name in names:
        given = [value for value in params.getlist(name) if value != ""]
        if len(given) > 1:
            errors[name] = f"given {len(given)} times; give it once."
        elif given:
            values[name] = given[0]
    return values, errors


def joined_errors(errors) -> dict[str, str]:
    """A filter set's or form's errors, each parameter's messages in one line."""
    return {name: " ".join(messages) for name, messages in errors.items()}


@cache
def _form_class(filters: type[django_filters.FilterSet]) -> type[forms.Form]:
    """The form a filter set validates its parameters with, made once: a filter set
    copies each of its filters and makes their fields anew each time, 4 ms of the 6 ms
    a check of a saved view's parameters took (bench/subscriptions_page_timings.py).
    Neither filter set here changes its filters per instance, so the form is the same."""
    made = filters.__new__(filters)
    django_filters.FilterSet.__init__(made, queryset=ReportRow.objects.none())
    return made.get_form_class()


def form_errors(filters: type[django_filters.FilterSet], data) -> dict[str, str]:
    """What filters(data).errors says, joined, without the filter set:
    its form alone reads the data (the user, reach and queryset only narrow rows)."""
    form = _form_class(filters)(data or QueryDict())  # as FilterSet.form makes it
    return joined_errors(form.errors)


def parameter_errors(params: QueryDict) -> dict[str, str]:
    """The errors report_query raises for these parameters, read from them alone: what
    its filter's form and given_once say, neither of which reads the user or the reach
    (those only narrow the rows). One answer serves whoever asks (the Subscriptions
    page asks it once for every subscriber of a saved view)."""
    values, repeated = given_once(params, ReportFilter.base_filters)
    return form_errors(ReportFilter, values) | repeated


def report_query(
    params: QueryDict | dict, user, reach: Reach | None = None, shared=None
) -> ReportQuery:
    """Validate the parameters and build the query of the rows this user asked for.

    `reach`: the user's, when the caller has read it already (one query less).
    `shared`: ReportFilter.filter_org_subtree's.
    Raises InvalidParameters naming each known parameter with a bad value.
    """
    repeated: dict[str, str] = {}
    if isinstance(params, QueryDict):
        params, repeated = given_once(params, ReportFilter.base_filters)
    if reach is None:
        visible = ReportRow.objects.visible_to(user)
    else:
        visible = ReportRow.objects.within(reach.scope)
    report_filter = ReportFilter(params, queryset=visible, user=user, reach=reach, shared=shared)
    if not report_filter.is_valid() or repeated:
        raise InvalidParameters(joined_errors(report_filter.errors) | repeated)
    cleaned = report_filter.form.cleaned_data
    sort_key = cleaned.get("srtKey")
    descending = cleaned.get("srtDir") == "desc"
    page_size = min(cleaned.get("pgSize") or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page_number = cleaned.get("pgNum") or 1
    understood = {
        name: ("true" if value else "false") if isinstance(value, bool) else value
        for name, value in cleaned.items()
        if value not in (None, "")
    }
    understood |= {
        "srtDir": "desc" if descending else "asc",
        "pgNum": page_number,
        "pgSize": page_size,
    }
    return ReportQuery(
        rows=report_filter.qs.order_by(*ordering(sort_key, descending)),
        params=understood,
        sort_key=sort_key,
        sort_descending=descending,
        page_number=page_number,
        page_size=page_size,
        export=cleaned.get("export"),
        extra_columns=bool(cleaned.get("extraColumns")),
    )
