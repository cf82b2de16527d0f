"""API callers kept between requests while nothing about them has changed.

A script sends the same `Authorization` header with every page. Checking it (the user,
their roles, django-axes' failure counts; for a token, its stamp) is a query each time,
and at a few hundred pages a second that query is most of the work of a page that is
already cached. A caller that passed every check is kept here, in this process, under

- a keyed digest of the header and the caller's address (axes counts failures per
  address too, so the same credentials from another address are checked afresh);
- the access generation it was checked at (accounts.access_generation), read from the
  database on every request: any change to users, groups, orgs, API clients or failed
  sign-ins moves it on, so the next request after a deactivation, a revocation, a role
  change or a lockout is checked in full, on every server at once;
- a deadline: `SECONDS` at most, and never past the token's or the API client's own
  expiry, which come with time and not with a write.

A refused caller is never kept, and while there is no access generation (its row flushed
away) nothing is: every request is checked.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from accounts import access_generation
from accounts.addresses import client_address
from accounts.bounded_map import BoundedMap
from accounts.roles import with_roles

SECONDS = 300
SIZE = 2000
UNREAD = object()  # caller(): the access generation is still to be read


@dataclass(frozen=True)
class Checked:
    """A caller that passed every check, and until when that can hold without a write."""

    user: object
    client: object | None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class _Entry:
    number: int
    deadline: dt.datetime
    user: object
    client: object | None


class CallerMemo:
    def __init__(self, size: int = SIZE, seconds: float = SECONDS):
        self.size, self.seconds = size, seconds
        self._key = secrets.token_bytes(32)
        self._entries: BoundedMap[_Entry] = BoundedMap(size)

    def _digest(self, request: HttpRequest) -> bytes:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        message = f"{header}\x00{client_address(request) or ''}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def caller(self, request: HttpRequest, check: Callable[[], Checked | None], number=UNREAD):
        """(user, API client or None) for the request's credentials, or None: the kept
        caller while its generation and deadline hold, else whatever `check()` finds.

        `number`: the access generation, when the caller has just read it (one round
        trip less); read before the check, so that a write during the check wins."""
        if number is UNREAD:
            number = access_generation.current()
        if number is None:
            checked = check()
            return (checked.user, checked.client) if checked is not None else None
        digest = self._digest(request)
        now = timezone.now()
        entry = self._entries.get(digest)
        if entry is not None and entry.number == number and now < entry.deadline:
            if entry.client is not None:
                entry.client.note_use(now)
            return _own_copy(entry.user), entry.client
        checked = check()
        if checked is None:
            self.forget(digest)
            return None
        entry = self._keep(digest, number, checked, now)
        return _own_copy(entry.user), entry.client

    def _keep(self, digest: bytes, number: int, checked: Checked, now: dt.datetime) -> _Entry:
        deadline = now + dt.timedelta(seconds=self.seconds)
        if checked.until is not None:
            deadline = min(deadline, checked.until)
        user = _with_roles(checked.user)
        client = checked.client
        if client is not None:
            client.user = user
        entry = _Entry(number=number, deadline=deadline, user=user, client=client)
        self._entries.put(digest, entry)
        return entry

    def forget(self, digest: bytes | None = None) -> None:
        if digest is None:
            self._entries.clear()
        else:
            self._entries.pop(digest)


def _own_copy(user):
    """A copy of the kept user for one request: a view may set attributes on
    request.user, and the kept one is shared by every request of the caller. The
    attributes and the cache of related rows (the org) are copied, as copy.copy() of a
    model does, without its pickling round (a tenth of a kept page's time)."""
    own = object.__new__(type(user))
    own.__dict__ = user.__dict__.copy()
    own._state = copy.copy(user._state)
    own._state.fields_cache = user._state.fields_cache.copy()
    return own


def _with_roles(user):
    """The user as accounts.roles reads it in the same query as the user, so that a kept
    caller's reach costs no query: read once more if it came without (a token's)."""
    if hasattr(user, "in_system_administrators"):
        return user
    users = with_roles(get_user_model()._default_manager.filter(pk=user.pk))
    return users.first() or user


caller_memo = CallerMemo()
