"""Text the database cannot store, refused before anything reads it.

PostgreSQL refuses a NUL character (U+0000) in any text, even in a WHERE clause that
only compares ("text fields cannot contain NUL"), and no database driver can encode
half of a UTF-16 surrogate pair (U+D800 to U+DFFF, which a JSON body can spell as
\\ud800) as UTF-8. Neither has a meaning in a name, a parameter or a password, and
either used to answer 500 wherever it reached a query: a path key, a filter, a form
field, a sign-in, a session cookie, a header that the sign-in lockout records.

Nor can a database search for any text: SQLite refuses a LIKE pattern of more than
50,000 bytes ("LIKE or GLOB pattern too complex"), and every search (the reports'
user=, org=, ..., the org picker, the vendor resources' q=, the admin's) answered 500
past it (2026-12-06). A query parameter's value is read up to QUERY_VALUE_LENGTH
characters, far more than any name, search or sign-in code holds.

`StorableTextMiddleware` runs early and looks at every text a request carries: the
path (404: no name here can hold such a character), then the query string, cookies,
headers, HTTP Basic credentials and the form or JSON body (400 naming each one). Under
/api/ the answer is the API's JSON (reports.api.errors), elsewhere a page. Files'
contents are not text of the request: the upload check reads those (reports.importing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.callers import basic_credentials
from accounts.storable_text import UNSTORABLE, unstorable
from backupreport.errors import bad_request, is_api
from reports.api import errors as api_errors
from reports.api import known_parameters

# An identity provider's authorization code or state is a few kB at most; 8,000
# characters of up to 4 bytes each stay under SQLite's 50,000 bytes of a LIKE pattern.
QUERY_VALUE_LENGTH = 8_000
NAME_LENGTH = 100  # of a parameter's name quoted back, which the caller chose
SCIM_PREFIX = "/scim/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def printable(name: str) -> str:
    """A name as it can be quoted back: a NUL as %00, half a surrogate pair as ?, shortened."""
    spelled = UNSTORABLE.sub(lambda c: "%00" if c.group() == "\x00" else "?", name)
    return spelled if len(spelled) <= NAME_LENGTH else spelled[: NAME_LENGTH - 1] + "…"


def is_scim(request: HttpRequest) -> bool:
    """A provider's provisioning (accounts.sso.scim): its errors are SCIM's JSON, which
    its log shows; an HTML page was a bare failure there (found by an audit)."""
    return request.path_info.startswith(SCIM_PREFIX)


def scim_error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    # Imported here: scim2_models waits for a process's first SCIM request
    # (accounts.sso.scim.urls says why).
    from accounts.sso.scim import answers

    return answers.error(status, detail, scim_type)


def _header_name(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


def _json_texts(value) -> Iterator[tuple[str, str]]:
    """(name, text) of every key and string in a JSON document; a string's name is its
    nearest key. Walked with a list, not by recursion: a deep document stays cheap."""
    pending = [("", value)]
    while pending:
        name, value = pending.pop()
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key, key
                pending.append((key, item))
        elif isinstance(value, list):
            pending.extend((name, item) for item in value)


def _body_texts(request: HttpRequest) -> Iterator[tuple[str, str]]:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            yield name, name
            yield from ((name, value) for value in values)
        for name, files in request.FILES.lists():
            yield from ((name, file.name or "") for file in files)
    elif request.content_type == "application/json" or request.content_type.endswith("+json"):
        try:
            document = json.loads(request.body)
        except (ValueError, RecursionError):
            return  # not JSON: the view says so, if it reads JSON at all
        yield from _json_texts(document)


def _texts(request: HttpRequest) -> Iterator[tuple[str, str, str]]:
    """(name, text, what the name is of) of everything a request carries but its path."""
    for name, values in request.GET.lists():
        yield name, name, ""
        yield from ((name, value, "") for value in values)
    for name, value in request.COOKIES.items():
        yield name, name, ""
        yield name, value, ""
    for key, value in request.META.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            yield _header_name(key), value, ""
    if credentials := basic_credentials(request):
        for text in credentials:
            yield "Authorization", text, "its username or password "
    yield from ((name, text, "") for name, text in _body_texts(request))


def _may_hold_unstorable(request: HttpRequest) -> bool:
    """One quick look at the raw request, so that the API's thousand requests a second
    each pay a few microseconds: a NUL arrives as %00 in the query string, as \\000 in
    a quoted cookie, raw in a header, or inside Basic credentials; half a surrogate pair
    only in a JSON body (WSGI hands headers over as Latin-1 and Django decodes the
    query string and forms with replacement)."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True  # a body: read in full
    meta = request.META
    if "%00" in meta.get("QUERY_STRING", "") or "\\000" in meta.get("HTTP_COOKIE", ""):
        return True
    if any("\x00" in value for value in meta.values() if isinstance(value, str)):
        return True
    credentials = basic_credentials(request)
    return credentials is not None and any(unstorable(text) for text in credentials)


def _too_long(request: HttpRequest) -> dict[str, str]:
    """{name: what is wrong} for each query parameter longer than QUERY_VALUE_LENGTH; the
    raw query string is looked at first (a decoded value is never longer)."""
    if len(request.META.get("QUERY_STRING", "")) <= QUERY_VALUE_LENGTH:
        return {}
    return {
        printable(name): (
            f"is {len(value):,} characters long; at most {QUERY_VALUE_LENGTH:,} are read."
        )
        for name, values in request.GET.lists()
        for value in values
        if len(value) > QUERY_VALUE_LENGTH
    }


def problems_of(request: HttpRequest) -> dict[str, str]:
    """{name: what is wrong} for each parameter, cookie, header or field that holds
    text the database cannot store, or each query parameter too long to search for;
    the first problem of each name."""
    problems = _too_long(request)
    if not _may_hold_unstorable(request):
        return problems
    for name, text, of in _texts(request):
        if (problem := unstorable(text)) is not None:
            problems.setdefault(
                printable(name), f"{of}{problem}, which cannot be stored; remove it."
            )
    return problems


def _drop_unknown_odd_parameters(request: HttpRequest) -> None:
    """An API request's unknown parameters holding a NUL or too long to read are taken
    out before anything reads them (the audit log records an export's parameters):
    spec section 3 has unknown parameters ignored, and they were refused with a 400
    (found by an audit)."""
    query_string = request.META.get("QUERY_STRING", "")
    if "%00" not in query_string and len(query_string) <= QUERY_VALUE_LENGTH:
        return
    known = known_parameters.names()
    odd = [
        name
        for name, values in request.GET.lists()
        if name not in known
        and any(unstorable(text) or len(text) > QUERY_VALUE_LENGTH for text in (name, *values))
    ]
    if odd:
        query = request.GET.copy()
        for name in odd:
            del query[name]
        query._mutable = False
        request.GET = query


class StorableTextMiddleware:
    """Answers a request holding text the database cannot store (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (problem := unstorable(request.path_info)) is not None:
            detail = f"The path {problem}, which no name here can hold."
            if is_scim(request):
                return scim_error(404, detail)
            if is_api(request):
                return api_errors.not_found(detail)
            return render(request, "404.html", {"detail": detail}, status=404)
        try:
            if is_api(request):
                _drop_unknown_odd_parameters(request)
            request.GET  # noqa: B018 (read here: Django counts the parameters as it parses)
            problems = problems_of(request)
        except (TooManyFieldsSent, TooManyFilesSent, RequestDataTooBig) as error:
            # Raised where a parameter is first read; with DEBUG on, Django's debugging
            # page reads them again, raises again, and the server answers a bare 500
            # (found by an audit of section 3): answered here, once, as a 400.
            if is_scim(request):
                return scim_error(413, "The request's body is too large.", "tooLarge")
            return bad_request(request, error)
        if problems and is_scim(request):
            told = "; ".join(f"{name} {problem}" for name, problem in problems.items())
            return scim_error(400, told, "invalidValue")
        if problems:
            if is_api(request):
                return api_errors.invalid_parameters(problems)
            return render(request, "400.html", {"problems": problems}, status=400)
        return self.get_response(request)
