"""Bearer tokens for the API (spec section 7), signed with PyJWT.

A token is an HS256 JSON Web Token, the key derived from SECRET_KEY. It names its user
(`sub`), the API client it was issued to (`cid`, absent for a token signed in with a
password), and carries a stamp: a keyed digest of the user's password hash, the client
id and the session epoch. Each request checks the token against the database (one
query), so a token stops working at once, before it expires, when its client is revoked
or expires, its user is deactivated or changes password: the stamp no longer matches. One
issued before the person's access ended (User.session_epoch) stays ended when the access
comes back.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import audit
from accounts.api_clients import ApiClient
from accounts.models import MAY_SIGN_IN
from accounts.roles import with_roles

ALGORITHM = "HS256"
ISSUER = "backup-report"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "stamp"]
# A token is issued by one app server and may be sent at once to another whose clock is
# a little behind: PyJWT refuses an `iat` ahead of its clock with no leeway (and its
# leeway would let every token outlive `exp` too), so `iat` is checked here, allowing
# this much; more, and a server whose clock ran ahead would issue tokens that outlive
# API_TOKEN_SECONDS everywhere else.
CLOCK_SKEW = dt.timedelta(seconds=60)
DECODE_OPTIONS = {"require": REQUIRED_CLAIMS, "verify_iat": False}


def _signing_key() -> bytes:
    # A key of its own, so that nothing else signed with SECRET_KEY passes for a token.
    return salted_hmac("accounts.tokens.signing-key", "", algorithm="sha256").digest()


def _stamp(user, client: ApiClient | None) -> str:
    client_id = client.client_id if client is not None else ""
    message = f"{user.password}\x00{client_id}"
    if user.session_epoch:  # the access ended since (accounts.models.end_sessions): for good
        message += f"\x00{user.session_epoch}"
    return salted_hmac("accounts.tokens.stamp", message, algorithm="sha256").hexdigest()


def lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=settings.API_TOKEN_SECONDS)


def expires(client: ApiClient | None, now: dt.datetime) -> dt.datetime:
    """When a token issued now stops: API_TOKEN_SECONDS on, or with its client if that
    expires first (the answer's expires_in said 900 of a client with 15 s left)."""
    end = now + lifetime()
    if client is not None and client.expires_at is not None:
        end = min(end, client.expires_at)
    return end


def issue(user, client: ApiClient | None = None, now: dt.datetime | None = None) -> str:
    """A token for the user, or for the user through one of their API clients."""
    now = now or timezone.now()
    claims = {
        "iss": ISSUER,
        "sub": str(user.pk),
        "iat": now,
        "exp": expires(client, now),
        "stamp": _stamp(user, client),
    }
    if client is not None:
        claims["cid"] = client.pk
    audit.record(
        "token.issued",
        actor=user,
        target=client.client_id if client is not None else user.get_username(),
        expires=claims["exp"].isoformat(),
    )
    return jwt.encode(claims, _signing_key(), algorithm=ALGORITHM)


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for."""

    user: object
    client: ApiClient | None
    expires_at: dt.datetime


def verify(token: str) -> Bearer | None:
    """The token's user (and client) if it is genuine, unexpired and still true; else None."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options=DECODE_OPTIONS,
        )
        user_pk = int(claims["sub"])
        client_pk = claims.get("cid")
        if client_pk is not None and not isinstance(client_pk, int):
            return None
        if int(claims["iat"]) > (timezone.now() + CLOCK_SKEW).timestamp():
            return None
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError):
        return None
    if client_pk is None:
        client = None
        # With the standing with the provider, for accounts.callers.basic_refusal.
        users = with_roles(
            get_user_model()
            ._default_manager.select_related("sso_identity")
            .filter(MAY_SIGN_IN, pk=user_pk)
        )
        user = users.first()
    else:
        client = (
            ApiClient.objects.select_related("user").filter(pk=client_pk, user_id=user_pk).first()
        )
        if client is None or not client.is_usable():
            return None
        user = client.user
    if user is None or not user.may_sign_in:
        return None
    if not hmac.compare_digest(str(claims["stamp"]), _stamp(user, client)):
        return None
    expires_at = dt.datetime.fromtimestamp(claims["exp"], tz=dt.UTC)
    return Bearer(user=user, client=client, expires_at=expires_at)
