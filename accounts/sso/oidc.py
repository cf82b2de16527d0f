"""OpenID Connect sign-in through Authlib.

Why Authlib: it reads the provider's discovery document and keys, sends PKCE (S256)
with a state and a nonce kept in the session, and verifies the ID token (signature by
the provider's published keys, issuer, audience, expiry, nonce) with the one JOSE
library it maintains; mozilla-django-oidc has no PKCE of its own before 4.0 and reads
no discovery document, and django-allauth brings a whole account system we do not
want beside the mirrored users.

A state is popped from the session when its callback is read: the same callback twice
(a replayed state) finds none and is refused, as is an ID token whose nonce is not the
one this sign-in sent.
"""

from __future__ import annotations

import logging

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from joserfc.errors import JoseError
from requests import RequestException

from accounts.sso import config
from accounts.sso.identity import Identity, Refused, groups_from
from accounts.sso.refusal import provider_words

log = logging.getLogger(__name__)

NAME = "oidc"
UNREACHABLE = "The identity provider cannot be reached just now; try again."
_clients: dict[tuple, object] = {}


class Unreachable(Refused):
    """The provider could not be asked (its discovery document, its token endpoint): no
    one was refused, and the page is a 503 (accounts.sso.refusal), at the start as at the
    callback."""


def client():
    """Authlib's client for the configured provider, one a configuration (its discovery
    document and keys are read once, and again when the provider rotates its keys).
    Each from a registry of its own: Authlib's keeps the first client of a name for
    good, and a second configuration in one process went on with the first one's
    provider (found by an audit)."""
    key = (
        settings.OIDC_DISCOVERY_URL,
        settings.OIDC_CLIENT_ID,
        settings.OIDC_CLIENT_SECRET,
        settings.OIDC_SCOPES,
    )
    if key not in _clients:
        _clients[key] = OAuth().register(
            NAME,
            server_metadata_url=settings.OIDC_DISCOVERY_URL,
            client_id=settings.OIDC_CLIENT_ID,
            client_secret=settings.OIDC_CLIENT_SECRET,
            client_kwargs={"scope": settings.OIDC_SCOPES, "code_challenge_method": "S256"},
        )
    return _clients[key]


def id_token_claims_options() -> dict:
    """What the ID token must say beyond its signature: the issuer of the discovery
    document and this client as audience (Authlib checks expiry and nonce itself)."""
    return {
        "iss": {"essential": True, "values": [client().load_server_metadata()["issuer"]]},
        "aud": {"essential": True, "values": [settings.OIDC_CLIENT_ID]},
        "exp": {"essential": True},
    }


def verified_claims(token: dict, nonce: str) -> dict:
    """The claims of the token response's ID token, verified; Refused if it is not."""
    try:
        return dict(client().parse_id_token(token, nonce, claims_options=id_token_claims_options()))
    except (JoseError, OAuthError, ValueError, KeyError) as error:
        log.warning("OIDC: ID token refused: %r", error)
        raise Refused("The identity provider's answer could not be verified.") from error


def start(request, redirect_uri: str):
    """The redirect to the provider's authorization endpoint (state, nonce, PKCE kept)."""
    try:
        return client().authorize_redirect(request, redirect_uri)
    except (RequestException, OAuthError, ValueError, KeyError) as error:
        log.error("OIDC: the provider's discovery document is out of reach: %r", error)
        raise Unreachable(UNREACHABLE) from error


def _maybe_verified(email_verified) -> bool:
    """Whether the provider did not say the address is unverified: true, "true", or no
    claim at all (many providers send none for the addresses they issue). Any other
    value is unverified: a provider or mapping that sends "false" as a string signed in
    as the address's holder here (found by an audit)."""
    if email_verified is None or email_verified is True:
        return True
    return isinstance(email_verified, str) and email_verified.strip().casefold() == "true"


def providers_refusal(request) -> Refused | None:
    """The provider's own no at the callback (error=access_denied, with its
    error_description), in its words: it was told as a broken round trip, "start
    again" (found by an audit). Only for a state this browser sent, spent as a sign-in
    spends it: a link made elsewhere gets the broken round trip's words, not its own."""
    error, state = request.GET.get("error"), request.GET.get("state")
    framework = client().framework
    if not error or not state or framework.get_state_data(request.session, state) is None:
        return None
    framework.clear_state_data(request.session, state)
    said = provider_words(error)
    if description := provider_words(request.GET.get("error_description") or ""):
        said = f"{said}: {description}"
    log.warning("OIDC: the identity provider refused the sign-in: %s", said)
    return Refused(f"The identity provider refused the sign-in ({said}).")


def finish(request) -> Identity:
    """The identity the provider's callback vouches for; Refused if anything is off."""
    if refusal := providers_refusal(request):
        raise refusal
    try:
        token = client().authorize_access_token(request, claims_options=id_token_claims_options())
    except AuthlibBaseError as error:
        # OAuthError (MismatchingStateError: a replayed state) and OAuth2Error alike:
        # this browser's state with no code was MissingCodeException, an OAuth2Error,
        # and a 500 (found by an audit).
        log.warning("OIDC: callback refused: %r", error)
        raise Refused("The sign-in could not be completed; start again.") from error
    except (JoseError, ValueError, KeyError) as error:
        log.warning("OIDC: ID token refused: %r", error)
        raise Refused("The identity provider's answer could not be verified.") from error
    except RequestException as error:
        log.error("OIDC: the provider is out of reach: %r", error)
        raise Unreachable(UNREACHABLE) from error
    claims = token.get("userinfo")
    if not claims:  # no ID token: nothing verified says who this is
        raise Refused("The identity provider sent no ID token.")
    if config.match_field() == "email" and not _maybe_verified(claims.get("email_verified")):
        # Matched by email, an address the provider says it has not verified is anyone's
        # claim: it signed in as whoever holds it here, an administrator too (2026-12-06).
        # The address tried is the log's target: refused before sign_in, it named no one
        # (found by an audit).
        raise Refused(
            "The identity provider has not verified your email address.",
            who=str(claims.get("email") or ""),
        )
    # Matched by username, an unverified address is no one's either: it was stored on a
    # stranger's account (found by an audit of section 12), and imports let a stranger's
    # account give way to the person the file gives that address (accounts.sso.strangers).
    verified = _maybe_verified(claims.get("email_verified"))
    return Identity(
        protocol="oidc",
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=str(claims.get("email") or "") if verified else "",
        username=str(claims.get("preferred_username") or ""),
        groups=groups_from(claims.get(settings.OIDC_GROUPS_CLAIM)),
    )
