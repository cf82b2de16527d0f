"""Who is calling the API: a browser session, or HTTP Basic as vendor scripts send it.

Basic credentials come with every request (there is no token to keep); only active
users pass, as Django's ModelBackend decides. No or wrong credentials answer 401 with
a Basic challenge, since some clients send credentials only after one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps

from django.contrib.auth import authenticate, get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse

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
        self._entries: OrderedDict[bytes, tuple[int, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        message = f"{username}\x00{password}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def user(self, username: str, password: str):
        """The user these credentials were verified for, if still true; else None."""
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None:
            return None
        user_id, password_hash, expires = entry
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        still_true = (
            self.clock() < expires
            and user is not None
            and user.is_active
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
        with self._lock:
            self._entries[digest] = (user.pk, user.password, self.clock() + self.seconds)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, digest: bytes | None = None) -> None:
        with self._lock:
            if digest is None:
                self._entries.clear()
            else:
                self._entries.pop(digest, None)


recently_verified = RecentlyVerified()


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` header, if it holds one."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return ("", "")
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")  # what older clients send
    username, _, password = text.partition(":")
    return username, password


def api_user(request: HttpRequest):
    """The caller, or None. Basic credentials, when sent, win over a session."""
    credentials = basic_credentials(request)
    if credentials is None:
        return request.user if request.user.is_authenticated else None
    username, password = credentials
    if not username or "\x00" in username + password:
        return None
    user = recently_verified.user(username, password)
    if user is None:
        user = authenticate(request, username=username, password=password)
        if user is not None:
            recently_verified.remember(user, username, password)
    return user


def unauthorized() -> HttpResponse:
    response = JsonResponse(
        {
            "error": "authentication required",
            "detail": "Log in, or send your username and password with HTTP Basic.",
        },
        status=401,
    )
    response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


def api_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view as the caller (request.user), or answer 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = api_user(request)
        if user is None:
            return unauthorized()
        request.user = user
        return view(request, *args, **kwargs)

    return wrapper
