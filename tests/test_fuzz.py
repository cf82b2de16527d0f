"""No request makes a server error (issue 23): hypothesis over every URL of the project.

Every URL pattern is found by walking backupreport.urls' resolver, so a new page or
resource is covered the day it is added. Each is asked, as each role (superuser, system
administrator, org manager, desktop user, no role, anonymous), with its known
parameters (the report query's, the dashboards', the vendor resources', the admin's
filters; see KNOWN) and any other name, repeated or not, holding hostile values: NUL,
huge and negative numbers, dates the database cannot store, non-ASCII, very long text,
empty values. Pages that take forms are also sent them by POST; path segments, HTTP
Basic credentials, bearer tokens and the headers the sign-in lock records are fuzzed
as well. Every answer must be below 500; Django's test client re-raises a
view's exception, so a failure shows its traceback and hypothesis' smallest example.

It runs on SQLite and PostgreSQL in CI with a bounded, repeatable set of examples:
FUZZ_EXAMPLES=<n> asks n a URL and role, with new random ones each run, to look harder;
FUZZ_ONLY=<text> asks only the URLs whose route holds that text.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.api.computers import ComputerListParameters, ComputerLookupParameters
from reports.api.orgs import OrgListParameters, OrgLookupParameters
from reports.api.users import UserListParameters, UserLookupParameters
from reports.catalog import REPORTS
from reports.dashboards.filters import DASHBOARD_PARAMETERS
from reports.health import Health
from reports.history.compliance import SORTS
from reports.history.snapshots import take
from reports.notifications.links import unsubscribe_token
from reports.query import ReportFilter
from reports.row import FIELD_NAMES
from tests.api_support import API, basic
from tests.factories import UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 2)
ROLES = ["super", "root", "alice", "dave", "sam", None]  # sam has no role here; None: anonymous

# -- the URLs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route, its name and how to fill in its path."""

    parts: tuple  # literal text, or (converter, name) of a path parameter, or a regex
    name: str | None
    admin: bool

    def __str__(self) -> str:
        return "".join(p if isinstance(p, str) else f"<{p[0]}>" for p in self.parts)


_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _route_parts(route: str) -> list:
    parts, at = [], 0
    for match in _CONVERTER.finditer(route):
        parts.append(route[at : match.start()])
        parts.append((match["converter"] or "str", match["parameter"]))
        at = match.end()
    return [*parts, route[at:]]


def every_route() -> list[Route]:
    routes = []

    def walk(entries, parts: list):
        for entry in entries:
            pattern = entry.pattern
            if isinstance(pattern, RoutePattern):
                here = parts + _route_parts(str(pattern))
            elif isinstance(pattern, RegexPattern):
                here = [*parts, ("regex", pattern.regex)]
            else:  # LocalePrefixPattern and the like: none today
                raise AssertionError(f"a pattern this test cannot fill in: {pattern!r}")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, here)
            elif isinstance(entry, URLPattern):
                literal = "".join(p for p in here if isinstance(p, str))
                routes.append(Route(tuple(here), entry.name, literal.startswith("admin/")))

    walk(get_resolver().url_patterns, [])
    return routes


ROUTES = every_route()

# -- the parameters ------------------------------------------------------------------

REPORT = [*ReportFilter.base_filters]


def _admin_parameters() -> list[str]:
    """The admin's own, each list filter's lookups, and each model's fields (an add
    form takes initial values from the query string)."""
    names = {"q", "o", "p", "e", "all", "_popup", "_to_field", "_changelist_filters"}
    for model, model_admin in admin.site._registry.items():
        names.update(field.name for field in model._meta.get_fields())
        for entry in model_admin.list_filter:
            field = entry[0] if isinstance(entry, tuple) else entry
            if isinstance(field, str):
                suffixes = ("", "__exact", "__id__exact", "__isnull", "__gte", "__lt")
                names.update(field + suffix for suffix in suffixes)
    return sorted(names)


KNOWN = {
    "device-backup-report": REPORT,
    "report": [*REPORT, *DASHBOARD_PARAMETERS],
    "user-list": [*UserListParameters.base_fields],
    "user-detail": [*UserLookupParameters.base_fields],
    "computer-list": [*ComputerListParameters.base_fields],
    "computer-detail": [*ComputerLookupParameters.base_fields],
    "org-list": [*OrgListParameters.base_fields],
    "org-detail": [*OrgLookupParameters.base_fields],
    "history-compliance": ["org", "sort"],
    "compliance": ["org", "sort", "format"],
    "notifications": ["digest", "owner_alerts", "site_owner_alerts"],
    "unsubscribe": ["List-Unsubscribe"],
    "login": ["username", "password", "next"],
    "oauth-token": ["grant_type"],
    "user-token": ["useBody"],
    "login-configuration": ["username"],
    "upload-files": ["report", "orgs", "mirror"],
}
ADMIN = _admin_parameters()
EVERY_NAME = sorted({name for names in KNOWN.values() for name in names} | set(ADMIN))


def known_parameters(route: Route) -> list[str]:
    """A new URL without an entry above is sent every name that any URL knows."""
    if route.admin:
        return ADMIN
    return KNOWN.get((route.name or "").removeprefix("v1-").removeprefix("v3-"), EVERY_NAME)


HOSTILE = [
    "\x00",
    "a\x00b",
    "",
    " ",
    "0",
    "-1",
    "-0",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "007",
    "1_000",
    "١٢",  # Arabic-Indic digits: str.isdigit() says yes
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "9" * 400,
    "-" + "9" * 40,
    "99999999999999-",
    "3-99999999999999",
    "0001-01-01",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "10000-01-01",
    "2025-02-30",
    "0000-00-00",
    "é",
    "Åkesson",
    "日本語",
    "😀",
    "\u202e",
    "\ufeff",
    "\r\n",
    "%",
    "%00",
    "'",
    '"',
    "<script>",
    "../..",
    "a/b",
    "\\",
    "-",
    "--",
    "x" * 5000,
]
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def _pool(fleet) -> list[str]:
    """Values that mean something here, so that examples get past the grammar."""
    users = fleet["users"].values()
    devices = [fleet[name].device_uid for name in ("warning", "critical", "never")]
    return [
        "true",
        "false",
        "TRUE",
        "csv",
        "asc",
        "DESC",
        "1",
        "2",
        "1000",
        "1001",
        "99999",
        "3-7",
        "90-",
        *FIELD_NAMES,
        *(h.value for h in Health),
        *SORTS,
        *(f"-{sort}" for sort in SORTS),
        "id",
        "uid",
        "username",
        "guid",
        "orgUid",
        "orgGuid",
        "client_credentials",
        "weekly",
        "daily",
        "off",
        "on",
        *(u.username for u in users),
        *(u.user_uid for u in users),
        *(str(u.pk) for u in users),
        *devices,
        "org-acme",
        "org-emea",
        "org-eng",
    ]


def values(pool: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from(pool),
        ANY_TEXT,
        st.integers().map(str),
    )


def parameters(route: Route, pool: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Name and value pairs; a name may come twice."""
    names = st.one_of(
        st.sampled_from(known_parameters(route)),
        st.sampled_from(EVERY_NAME),
        ANY_TEXT,
    )
    return st.lists(st.tuples(names, values(pool)), max_size=6)


def path_value(converter: str, pool: list[str], keys: list[str]) -> st.SearchStrategy[str]:
    if converter == "uuid":
        return st.one_of(st.uuids().map(str), st.sampled_from(keys), values(pool))
    if converter == "slug":
        return st.one_of(st.sampled_from(list(REPORTS)), values(pool))
    return st.one_of(st.sampled_from(keys), values(pool))


def paths(route: Route, pool: list[str], keys: list[str]) -> st.SearchStrategy[str]:
    pieces = []
    for part in route.parts:
        if isinstance(part, str):
            pieces.append(st.just(part))
        elif part[0] == "regex":
            pieces.append(st.from_regex(part[1], fullmatch=True).map(lambda s: quote(s, "/")))
        else:
            safe = "/" if part[0] == "path" else ""
            pieces.append(path_value(part[0], pool, keys).map(lambda s, safe=safe: quote(s, safe)))
    return st.tuples(*pieces).map(lambda chosen: "/" + "".join(chosen))


@dataclass
class Call:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: list[tuple[str, str]]
    headers: dict[str, str]

    def send(self, client):
        url = f"{self.path}?{urlencode(self.query)}" if self.query else self.path
        if self.method == "GET":
            return client.get(url, **self.headers)
        if self.method == "HEAD":
            return client.head(url, **self.headers)
        return client.post(
            url,
            urlencode(self.body),
            content_type="application/x-www-form-urlencoded",
            **self.headers,
        )


def _as_wsgi(text: str) -> str:
    """A header as a WSGI server hands it over: its UTF-8 bytes read as Latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def headers(pool: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Sometimes credentials (Basic with any name and password, a bearer token, junk),
    which win over the session on the API, and the headers the sign-in lock records."""
    basic = st.tuples(values(pool), values(pool)).map(
        lambda pair: "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()
    )
    authorization = st.one_of(basic, values(pool).map(lambda token: f"Bearer {token}"), ANY_TEXT)
    return st.fixed_dictionaries(
        {},
        optional={
            "HTTP_AUTHORIZATION": authorization.map(_as_wsgi),
            "HTTP_USER_AGENT": values(pool).map(_as_wsgi),
            "HTTP_X_FORWARDED_FOR": values(pool).map(_as_wsgi),
        },
    )


def calls(route: Route, pool: list[str], keys: list[str]) -> st.SearchStrategy[Call]:
    # The admin's own forms are Django's; POSTing to them would delete what others ask.
    methods = ["GET", "HEAD"] if route.admin else ["GET", "HEAD", "POST"]
    return st.builds(
        Call,
        method=st.sampled_from(methods),
        path=paths(route, pool, keys),
        query=parameters(route, pool),
        body=parameters(route, pool),
        headers=headers(pool),
    )


# -- the test ------------------------------------------------------------------------


@pytest.fixture
def town(fleet):
    """The personas' fleet, a superuser, today's health snapshot (compliance has
    figures), and the keys the path parameters may name."""
    fleet["users"]["super"] = UserFactory(username="super", is_superuser=True, is_staff=True)
    take(timezone.now())
    dave = fleet["users"]["dave"]
    keys = [
        "my",
        str(dave.pk),
        fleet["warning"].device_uid,
        "org-accounting",
        unsubscribe_token(dave.pk, "owner-alert"),
        str(uuid.UUID(int=0)),
    ]
    return fleet, _pool(fleet), keys


def _ids(role: str | None) -> str:
    return role or "anonymous"


def ask_every_kind_of(route: Route, client, user, pool: list[str], keys: list[str]) -> None:
    """EXAMPLES calls of the route as the user (None: anonymous), each answered < 500."""
    repeatable = "FUZZ_EXAMPLES" not in os.environ

    @settings(
        max_examples=EXAMPLES,
        derandomize=repeatable,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=calls(route, pool, keys))
    def ask(call: Call):
        session = client.cookies.get(django_settings.SESSION_COOKIE_NAME)
        if user is not None and (session is None or not session.value):  # signed out
            client.force_login(user)
        response = call.send(client)
        assert response.status_code < 500, (str(route), call, response.content[:500])

    ask()


@pytest.mark.parametrize("role", ROLES, ids=_ids)
def test_no_request_makes_a_server_error(client, town, role):
    fleet, pool, keys = town
    user = fleet["users"][role] if role else None
    assert len(ROUTES) > 100 and any(r.name == "device-backup-report" for r in ROUTES)
    for route in ROUTES:
        if os.environ.get("FUZZ_ONLY", "") in str(route):
            ask_every_kind_of(route, client, user, pool, keys)


# -- what the fuzzing found, kept as plain tests ---------------------------------------


def test_an_age_band_past_the_calendar_is_a_400_naming_it(login):
    response = login("root").get("/reports/backup-status/?backupAge=99999999999999-")
    assert response.status_code == 400
    assert "too many days; use at most 36,500." in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/apiclient/add/?user=%20",
        "/admin/accounts/org/add/?parent=x",
        "/admin/accounts/org/add/?parent=99999999999999999999999",
        "/admin/reports/device/add/?last_connected_date=2025-01-01",  # a text: undrawable
    ],
)
def test_an_add_form_leaves_out_an_initial_value_that_names_no_row(login, url):
    response = login("root").get(url)
    assert response.status_code == 200


def test_an_add_form_keeps_an_initial_value_that_names_a_row(login, fleet):
    dave = fleet["users"]["dave"]
    page = login("root").get(f"/admin/accounts/apiclient/add/?user={dave.pk}")
    assert f'<option value="{dave.pk}" selected>dave</option>' in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/apiclient/?expires_at__gte=0001-01-01T00:00:00%2B14:00",
        "/admin/refresh/run/?started_at__gte=0001-01-01T00:00:00%2B14:00",
        "/admin/axes/accessattempt/?attempt_time__gte=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_a_list_filter_past_the_calendar_is_no_server_error(login, url):
    """SQLite cannot write the date in UTC: Django's invalid-filter redirect; PostgreSQL
    stores it (1 BC) and lists nothing."""
    response = login("root").get(url)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("path", [API, "/api/v3/auth/jwt"])
def test_a_basic_username_longer_than_any_is_refused_and_counted(client, fleet, path):
    """django-axes records the name of a failed sign-in in 255 characters: it is cut to
    them (PostgreSQL refused a longer one: a 500)."""
    response = client.get(path, **basic("x" * 300, "wrong"))
    assert response.status_code == 401
    assert AccessAttempt.objects.get().username == "x" * 255


def _autocomplete_fields() -> list[tuple[str, str]]:
    return [
        (f"{model._meta.app_label}/{model._meta.model_name}", field)
        for model, model_admin in admin.site._registry.items()
        for field in model_admin.autocomplete_fields
    ]


@pytest.mark.parametrize(("model", "field"), _autocomplete_fields())
def test_an_autocomplete_posted_with_no_key_names_it_not_a_valid_choice(login, fleet, model, field):
    """Django's autocomplete widget filtered by the posted text while drawing the form
    again: a 500 for `org=abc` (found by an audit, 2026-12-06)."""
    assert ("integrations/webhookendpoint", "org") in _autocomplete_fields()
    # A user's org is on the change form only (the add form is Django's two passwords).
    form = f"{fleet['users']['dave'].pk}/change" if model == "accounts/user" else "add"
    response = login("root").post(f"/admin/{model}/{form}/", {field: "abc"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("step", ["change", "delete", "history"])
@pytest.mark.parametrize("query", ["?_to_field=", "?_popup=1&_to_field="])
def test_an_empty_to_field_is_the_objects_own_key(login, fleet, step, query):
    """An empty `_to_field` passed Django's check of the field (it checks a given one)
    and was looked up as a field named "": a 500 on every admin object's change and
    delete page (found by the fuzz test and an audit of hostile requests)."""
    org = fleet["users"]["dave"].org
    response = login("root").get(f"/admin/accounts/org/{org.pk}/{step}/{query}")
    assert response.status_code == 200
    assert org.name in response.content.decode()
