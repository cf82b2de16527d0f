"""Who is calling the API: a bearer token, HTTP Basic as vendor scripts send it (a
username and password, or an API client's id and secret), or a browser session.

Basic credentials come with every request; only active users pass, as Django's
ModelBackend decides. An `Authorization` header, when sent, wins over a session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import audit, lockout, password_checks, second_factor, tokens
from accounts.api_clients import ApiClient
from accounts.audit.signin_methods import LOCAL_SIGNIN_OFF as LOCAL_SIGNIN_OFF_REASON
from accounts.audit.signin_methods import NO_LONGER_ADMITTED as NO_LONGER_ADMITTED_REASON
from accounts.audit.signin_methods import signin_method
from accounts.authorization_header import authorization, basic_credentials
from accounts.bounded_map import BoundedMap
from accounts.caller_memo import UNREAD, Checked, caller_memo
from accounts.client_ids import looks_like_client_id
from accounts.local_signin import LOCAL_OFF, password_allowed
from accounts.roles import with_roles
from accounts.sso.admission import no_longer_admitted

REALM = "Backup Report"


class RecentlyVerified:
    """Basic credentials that passed the password hasher a few minutes ago.

    A script paging through the report sends the same username and password with each
    page, and the hasher is slow on purpose (PBKDF2: about 1 s a request on the
    benchmark machine, more than the report itself). Kept per process: a keyed digest
    of the credentials, the user, and the user's password hash at the time. A changed
    password, a deactivated user or an entry unused for `seconds` sends the caller
    through the full check again; wrong credentials are never kept.

    Each use renews the entry: while the password hash is unchanged the credentials are
    still right, and a steady caller should not stall every few minutes on a re-check
    that holds its worker (and the requests queued behind it) for a second.
    """

    def __init__(self, size: int = 1000, seconds: float = 300, clock=time.monotonic):
        self.size, self.seconds, self.clock = size, seconds, clock
        self._key = secrets.token_bytes(32)
        self._entries: BoundedMap[tuple[int, str, float]] = BoundedMap(size)

    def _digest(self, username: str, password: str) -> bytes:
        message = f"{username}\x00{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def user(self, username: str, password: str, users=None):
        """The user these credentials were verified for, if still true; else None.

        `users` is the queryset to read the user from (one query), for a caller that
        wants more of the row than the user.
        """
        digest = self._digest(username, password)
        entry = self._entries.get(digest)
        if entry is None:
            return None
        user_id, password_hash, expires = entry
        if users is None:
            users = get_user_model()._default_manager.all()
        user = users.filter(pk=user_id).first()
        still_true = (
            self.clock() < expires
            and user is not None
            and user.may_sign_in
            and user.get_username() == username
            and hmac.compare_digest(user.password, password_hash)
        )
        if not still_true:
            self.forget(digest)
            return None
        self._keep(digest, user)
        return user

    def remember(self, user, username: str, password: str) -> None:
        self._keep(self._digest(username, password), user)

    def _keep(self, digest: bytes, user) -> None:
        self._entries.put(digest, (user.pk, user.password, self.clock() + self.seconds))

    def forget(self, digest: bytes | None = None) -> None:
        if digest is None:
            self._entries.clear()
        else:
            self._entries.pop(digest)


recently_verified = RecentlyVerified()


def failed(request: HttpRequest, username: str) -> None:
    """Tell whoever counts failed sign-ins (django-axes) about one that Django's
    authenticate() did not see: an API client's."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def client_by_basic(request: HttpRequest, client_id: str, secret: str) -> ApiClient | None:
    """The API client these Basic credentials name, if the secret is right, the client
    usable and its id not locked out (accounts.lockout); a failure counts like a wrong
    password. A right secret while nothing may lock it costs one query: the client, its
    user and the lock. Anything else is checked as a password is, once admitted."""
    clients = lockout.with_lock(ApiClient.objects.select_related("user"), request, client_id)
    client = clients.filter(client_id=client_id).first()
    if client is not None:
        if lockout.is_locked_row(client, request, client_id):
            lockout.refuse(request, client_id)
            return None
        right = client.secret_matches(secret) and client.is_usable()
        if right and lockout.is_open_row(client, request, client_id):
            client.note_use()
            return client
    return admitted_client(request, client_id, secret)


def admitted_client(request: HttpRequest, client_id: str, secret: str) -> ApiClient | None:
    """client_by_basic's check, admitted by the lockout first (accounts.password_checks):
    a wrong secret, an unknown id, or a right secret while checks run that may lock it."""
    if not lockout.admit(request, client_id):
        lockout.refuse(request, client_id)
        return None
    try:
        client = ApiClient.objects.select_related("user").filter(client_id=client_id).first()
        right = client is not None and client.secret_matches(secret) and client.is_usable()
    except BaseException:
        password_checks.end(request)
        raise
    if not right:
        failed(request, client_id)  # counted, and the check ended, by lockout.LockoutHandler
        return None
    password_checks.end(request)
    client.note_use()
    return client


def user_by_password(request: HttpRequest, username: str, password: str):
    """The user, if the password is right and neither the username nor the address is
    locked out. Recently verified credentials cost one query (the user and the lock)
    while nothing may lock them; others go through authenticate(), where the lockout
    admits the password check (accounts.lockout.LockoutBackend) and counts failures."""
    # With the standing with the provider, for basic_refusal's no_longer_admitted.
    users = with_roles(get_user_model()._default_manager.select_related("sso_identity"))
    users = lockout.with_lock(users, request, username)
    user = recently_verified.user(username, password, users)
    if user is not None:
        if lockout.is_locked_row(user, request, username):
            lockout.refuse(request, username)
            return None
        if lockout.is_open_row(user, request, username):
            return user
    user = authenticate(request, username=username, password=password)
    password_checks.end(request)  # the check is over (a failure's is already)
    if user is not None:
        recently_verified.remember(user, username, password)
    return user


def basic_caller(request: HttpRequest):
    """(user, API client or None) named by Basic credentials, or None; a success is a
    sign-in in the audit log (a caller kept by accounts.caller_memo is not checked, nor
    recorded, again: its pages are counted by accounts.audit.reads).

    A Basic username shaped like a client id (accounts.api_clients) is one.
    """
    caller = _basic_caller(request)
    if caller is not None:
        user, client = caller
        audit.record(
            "signin.succeeded",
            actor=user,
            target=client.client_id if client is not None else user.get_username(),
            request=request,
            method=signin_method(request, user),
        )
    return caller


def _basic_caller(request: HttpRequest):
    credentials = basic_credentials(request)
    if credentials is None:
        return None
    name, secret = credentials
    if not name or "\x00" in name + secret:
        return None
    if looks_like_client_id(name):
        client = client_by_basic(request, name, secret)
        return (client.user, client) if client is not None else None
    user = user_by_password(request, name, secret)
    if user is None:
        if not settings.LOCAL_SIGNIN:
            request.basic_refusal = LOCAL_OFF
        return None
    refusal = basic_refusal(user)
    if refusal is not None:
        refuse_right_password(request, user, refusal, signin_method(request, user))
        return None
    return user, None


class Refusal(NamedTuple):
    """Why a right password is refused: in the audit log's words, and the 401's."""

    reason: str
    detail: str


LOCAL_SIGNIN_OFF = Refusal(LOCAL_SIGNIN_OFF_REASON, LOCAL_OFF)
SECOND_FACTOR_REQUIRED = Refusal("second factor required", second_factor.BASIC_REFUSED)
NO_LONGER_ADMITTED = Refusal(
    NO_LONGER_ADMITTED_REASON, "Your account is not known here; ask an administrator."
)


def basic_refusal(user) -> Refusal | None:
    """Why a right password sent with HTTP Basic is refused for this user, or None:
    local sign-in is off (but for superusers), or the user must pass a second factor,
    which Basic cannot carry. Checked after the password, and after a recently verified
    one too, so that a setting changed at run time holds from the next request."""
    if not password_allowed(user):
        return LOCAL_SIGNIN_OFF
    if no_longer_admitted(user):
        # A stranger's account SSO_ADMIT_UNKNOWN no longer lets in, its password kept by
        # recently_verified or in a token: the password backend refuses it (419d07e), and
        # a script polling with Basic, or a token it made, kept the API (found by a review).
        return NO_LONGER_ADMITTED
    if second_factor.required_of(user):
        return SECOND_FACTOR_REQUIRED
    return None


def refuse_right_password(request: HttpRequest, user, refusal: Refusal, method: str) -> None:
    """Have the 401 say why (unauthorized), and record the refusal: the password was
    right, so authenticate() signalled no failure, and the login page's refusals are on
    the record (spec section 13). Not counted by the lockout: no guess was wrong."""
    request.basic_refusal = refusal.detail
    audit.record(
        "signin.failed",
        actor=user,
        target=user.get_username(),
        request=request,
        method=method,
        reason=refusal.reason,
    )


def bearer_checked(request: HttpRequest) -> Checked | None:
    sent = authorization(request)
    if sent is None or sent[0] != "bearer":
        return None
    bearer = tokens.verify(sent[1])
    if bearer is None:
        audit.record("signin.failed", request=request, method="token")
        return None
    if bearer.client is None and (refusal := basic_refusal(bearer.user)) is not None:
        # A token without an API client came from a password (accounts.views.user_token):
        # what refuses that password now refuses the token, or a password alone kept a
        # system administrator's rights past a second factor required of them (a desktop
        # user's token, then promoted), or past local sign-in turned off (an audit).
        refuse_right_password(request, bearer.user, refusal, "token")
        return None
    if bearer.client is not None:
        bearer.client.note_use()
    return Checked(bearer.user, bearer.client, until=_earliest(bearer.expires_at, bearer.client))


def basic_checked(request: HttpRequest) -> Checked | None:
    caller = basic_caller(request)
    if caller is None:
        return None
    user, client = caller
    return Checked(user, client, until=_earliest(None, client))


def _earliest(expires_at, client: ApiClient | None):
    """When the caller stops passing by time alone: the token's expiry or the client's."""
    moments = [moment for moment in (expires_at, getattr(client, "expires_at", None)) if moment]
    return min(moments) if moments else None


CHECKS = {"bearer": bearer_checked, "basic": basic_checked}


def api_caller(request: HttpRequest, access_number=UNREAD):
    """(user, API client or None) for an API request, or None.

    A bearer token or Basic credentials, when sent, win over a session. A caller that
    passed is kept while nothing about it changes (accounts.caller_memo); the access
    generation is read now unless `access_number` is what the request read of it.
    """
    sent = authorization(request)
    if sent is not None and sent[0] in CHECKS:
        check = CHECKS[sent[0]]
        return caller_memo.caller(request, lambda: check(request), access_number)
    if request.user.is_authenticated:
        return request.user, None
    return None


def unauthorized(detail: str | None = None, request: HttpRequest | None = None) -> HttpResponse:
    """401 with a Basic challenge: some clients send credentials only after one. With
    the request, says why right Basic credentials were refused (basic_refusal)."""
    detail = detail or getattr(request, "basic_refusal", None)
    response = JsonResponse(
        {
            "error": "authentication required",
            "detail": detail
            or "Log in, or send your username and password (or an API client's id and "
            "secret) with HTTP Basic, or a token with Authorization: Bearer.",
        },
        status=401,
    )
    response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response
