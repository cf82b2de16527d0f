"""The SCIM endpoints under /scim/v2/ (RFC 7644): discovery, and Users: found by a
filter or a page, linked (POST), their access set (PUT, PATCH) and ended (DELETE).

Every request carries settings.SCIM_TOKEN as a bearer token, or is refused 401 (and
put on the audit log); with no token set, SCIM is off and every URL is a 404."""

from __future__ import annotations

import hmac
import json
import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    MutabilityException,
    NotFoundException,
    Patch,
    ResourceType,
    SCIMException,
    ServiceProviderConfig,
    Sort,
    UniquenessException,
    User,
)

from accounts import audit
from accounts.authorization_header import authorization
from accounts.sso import config, identity
from accounts.sso.models import SsoIdentity
from accounts.sso.scim import answers, people, pushed
from accounts.storable_text import unstorable

log = logging.getLogger(__name__)

ACTOR = "the identity provider (SCIM)"  # who the audit log says ended or gave access
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
PAGE_MOST = 100  # the most resources a page holds (ServiceProviderConfig says so)
METHODS = {
    "users": ("GET", "POST"),
    "user": ("GET", "PUT", "PATCH", "DELETE"),
    "discovery": ("GET",),
}


def scim(kind: str):
    """A SCIM endpoint: on only with a token, the token checked, the method allowed,
    and what it raises about the request answered as SCIM errors, never a page; kept
    by no cache, as every answer of people's names and addresses (the provider's
    caller is no signed-in user, whose answers backupreport.private_answers marks)."""

    def decorate(view):
        @csrf_exempt  # a bearer token, not a cookie: nothing for a forged form to ride
        @never_cache
        def endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not settings.SCIM_TOKEN:
                return answers.error(404, "SCIM provisioning is off here (SCIM_TOKEN is not set).")
            if not _token_is_right(request):
                # No actor named: whoever lacks the token is not the identity provider
                # (the log said so; found by an audit): its address is what is known.
                audit.record("scim.refused", method=request.method, path=request.path)
                return _unauthorized()
            if request.method not in METHODS[kind]:
                allowed = ", ".join(METHODS[kind])
                return answers.error(405, f"{request.method} is not answered here; {allowed} are.")
            try:
                with audit.via("SCIM provisioning"):
                    return view(request, *args, **kwargs)
            except SCIMException as refusal:
                return answers.from_exception(refusal)
            except RequestDataTooBig:
                return answers.error(413, "The request's body is too large.", "tooLarge")

        return endpoint

    return decorate


def _token_is_right(request: HttpRequest) -> bool:
    sent = authorization(request)
    given = sent[1] if sent is not None and sent[0] == "bearer" else ""
    return hmac.compare_digest(given.encode(), settings.SCIM_TOKEN.encode())


def _unauthorized() -> HttpResponse:
    response = answers.error(
        401, "A bearer token is needed: the SCIM_TOKEN this product was given."
    )
    response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


def _location(request: HttpRequest, user) -> str:
    return request.build_absolute_uri(reverse("scim-user", args=[user.pk]))


@scim("discovery")
def service_provider_config(request: HttpRequest) -> HttpResponse:
    config = ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=PAGE_MOST),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="The SCIM_TOKEN this product was given, as a bearer token.",
                primary=True,
            )
        ],
    )
    return answers.answer(config)


@scim("discovery")
def resource_types(request: HttpRequest, name: str = "") -> HttpResponse:
    """The one resource type (Users), listed or by its name (RFC 7644 4)."""
    user_type = ResourceType.from_resource(User)
    if not name:
        return answers.answer(_all_of(ResourceType, [user_type]))
    if name != user_type.id:
        raise NotFoundException(detail=f"No resource type {name!r} here: only {user_type.id!r}.")
    return answers.answer(user_type)


@scim("discovery")
def schemas(request: HttpRequest, urn: str = "") -> HttpResponse:
    """The User schema, listed or by its URN (RFC 7644 4)."""
    schema = User.to_schema()
    if not urn:
        return answers.answer(_all_of(type(schema), [schema]))
    if urn != schema.id:
        raise NotFoundException(detail=f"No schema {urn!r} here: only {schema.id!r}.")
    return answers.answer(schema)


def _all_of(kind, resources: list) -> ListResponse:
    """A list that is all there is: one page."""
    return ListResponse[kind](
        total_results=len(resources),
        start_index=1,
        items_per_page=len(resources),
        resources=resources,
    )


@scim("users")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _link(request)
    start, count = _page(request)
    text = request.GET.get("filter", "").strip()
    found = people.filtered(text) if text else people.listed()
    total = found.count()
    # Past the last one, no query: an offset past 64 bits was the database's error, a
    # 500 (found by an audit).
    page = list(found[start - 1 : start - 1 + count]) if count and start <= total else []
    return answers.answer(
        ListResponse[User](
            total_results=total,
            start_index=start,
            items_per_page=len(page),
            resources=[people.resource(user, _location(request, user)) for user in page],
        )
    )


def _page(request: HttpRequest) -> tuple[int, int]:
    """startIndex (from 1) and count (at most PAGE_MOST), as RFC 7644 3.4.2.4 reads
    them: below 1 is 1, below 0 is 0; not a number, an error naming it."""
    values = []
    for name, default in (("startIndex", 1), ("count", PAGE_MOST)):
        text = request.GET.get(name, "").strip() or str(default)
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses (a 500).
        if not WHOLE_NUMBER.fullmatch(text):
            raise InvalidValueException(detail=f"{name} must be a whole number, not {text!r}.")
        values.append(int(text))
    return max(values[0], 1), min(max(values[1], 0), PAGE_MOST)


@scim("user")
def user(request: HttpRequest, pk: int) -> HttpResponse:
    person = people.listed().filter(pk=pk).first()
    if person is None:
        raise NotFoundException(detail=f"No user {pk} here.")
    if request.method == "GET":
        return _as_answer(request, person)
    if request.method == "DELETE":
        _delete(person)
        return HttpResponse(status=204)
    sent = _body(request)
    active = pushed.active_in(sent) if request.method == "PUT" else pushed.active_in_patch(sent)
    if active is not None:
        _set_active(person, active)
    return _as_answer(request, person)


def _as_answer(request: HttpRequest, person, status: int = 200) -> HttpResponse:
    person.refresh_from_db()
    context = (
        Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
    )
    return answers.answer(people.resource(person, _location(request, person)), status, context)


def _body(request: HttpRequest):
    """The request's JSON, or an error naming what was wrong."""
    try:
        return json.loads(request.body or b"null")
    # ValueError beside JSONDecodeError: a number past int()'s 4,300 digits; and a deep
    # nesting is json's RecursionError. Both were 500s (found by an audit).
    except (ValueError, RecursionError) as problem:
        raise InvalidSyntaxException(detail=f"The body is not JSON: {problem}.") from None


def _set_active(person, active: bool) -> None:
    """The provider's `active`: false ends every way in as its refused sign-in does,
    true gives back what only the provider took."""
    with transaction.atomic():
        if active:
            identity.restore_access(person, actor=ACTOR, by_scim=True)
        elif person.is_superuser:
            # identity.end_access keeps a superuser: said to the provider, not done unsaid.
            raise MutabilityException(
                detail="A superuser is not deactivated by the identity provider (the break-glass "
                "account outlives a provider misconfigured or taken): an administrator does it."
            )
        else:
            now = timezone.now()
            for ended in [person, *_strangers_of(person)]:
                identity.end_access(ended, now, actor=ACTOR)
                SsoIdentity.ended_by_scim_push(ended)


def _strangers_of(person) -> list:
    """The accounts sign-ins made for this person as a stranger (SSO_ADMIT_UNKNOWN)
    before the mirror brought them: they give way at the person's next sign-in, and till
    then their sessions and tokens went on past the provider's deactivation (found by
    an audit). Their own access ends with the person's; only the person's comes back."""
    name = people.user_name(person)
    named = identity.Identity(protocol="scim", issuer="", subject="", email=name, username=name)
    try:
        found, strangers = identity.mirrored_user(named)
    except identity.Refused:
        return []
    return strangers if found == person else []


def _delete(person) -> None:
    """RFC 7644 3.6: ended as `active: false` is, and not found from now on."""
    with transaction.atomic():
        _set_active(person, False)
        SsoIdentity.removed_by_provider(person, timezone.now())
        audit.record("scim.removed", actor=ACTOR, target=person.get_username())


def _link(request: HttpRequest) -> HttpResponse:
    """POST /Users: the provider assigned someone. The person the mirror knows by that
    userName (or, when it names no one and people are matched by address, the primary
    address) is theirs from now on (201, as if made); no account is made, people come
    from the vendor (a stranger from their first sign-in, SSO_ADMIT_UNKNOWN)."""
    sent = _body(request)
    user_name, email = pushed.names_in(sent)
    _lookable(user_name, email)
    active = pushed.active_in(sent)
    # userName first, as the provider's filter and a sign-in find a person: the address
    # first linked whoever held it (an alias, a shared mailbox), and the provider's next
    # deactivation of its own person ended that one (found by an audit).
    by_address = email and config.match_field() == "email"
    person = _mirrored(user_name) or (_mirrored(email) if by_address else None)
    if person is None:
        tried = f"{user_name!r}" + (f" nor {email!r}" if by_address else "")
        raise InvalidValueException(
            detail=f"No account here is {tried}: people come from the vendor's import or "
            "sync, and SCIM makes none."
        )
    with transaction.atomic():
        SsoIdentity.no_longer_removed_by_provider(person)
        if active is not None:
            _set_active(person, active)
    return _as_answer(request, person, status=201)


def _mirrored(name: str):
    """The person a sign-in with this name would be (identity.mirrored_user), or None."""
    named = identity.Identity(protocol="scim", issuer="", subject="", email=name, username=name)
    try:
        person, _ = identity.mirrored_user(named)
    except identity.Refused as refusal:
        raise UniquenessException(detail=str(refusal)) from None
    return person


def _lookable(*names: str) -> None:
    """Names an account could hold, or InvalidValueException: a NUL was PostgreSQL's
    DataError, and 60,000 characters SQLite's "LIKE pattern too complex", 500s at the
    lookup (found by an audit). The edge (backupreport.edge) reads only JSON's content
    types, and SCIM reads any body."""
    longest = get_user_model()._meta.get_field(config.match_field()).max_length
    for name in names:
        if what := unstorable(name):
            raise InvalidValueException(detail=f"userName or an address {what}.")
        if len(name) > longest:
            raise InvalidValueException(
                detail=f"userName or an address is longer than the {longest} characters an "
                "account here holds: it names no one."
            )


@scim("discovery")
def not_here(request: HttpRequest) -> HttpResponse:
    raise NotFoundException(
        detail=f"No SCIM resource at {request.path}: Users are provisioned here, not Groups "
        "(roles come from the provider's groups at sign-in)."
    )
