"""SAML 2.0 sign-in through djangosaml2 (pysaml2, with Debian's xmlsec1 for signatures).

- The identity provider's metadata from a URL (SAML_IDP_METADATA_URL, read again when
  the configuration changes or the process restarts) or a file (SAML_IDP_METADATA_FILE).
- This site's metadata at /sso/saml/metadata/, for the provider's administrator to
  import; it needs no provider to be reachable.
- Assertions must be signed by a key in the provider's metadata; unsolicited responses
  (no request of this browser in flight) are refused, and each assertion id is taken
  once: a replay, in this session or another, through this process or another, is
  refused.
"""

from __future__ import annotations

import datetime as dt
import logging

import saml2
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from djangosaml2 import views as djangosaml2_views
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import (
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_TRANSIENT,
    NAMEID_FORMAT_UNSPECIFIED,
)

from accounts.sso import next_page, saml_reasons
from accounts.sso.identity import Identity, Refused, groups_from, sign_in
from accounts.sso.models import UsedAssertion
from accounts.sso.refusal import refused

log = logging.getLogger(__name__)

# How long an assertion id is remembered: past its own lifetime (minutes, at the
# providers' defaults) and the clocks' difference (accepted_time_diff).
REPLAY_KEPT = dt.timedelta(hours=24)

_configs: dict[tuple, SPConfig] = {}


def base_url(request: HttpRequest | None) -> str:
    if settings.SAML_SP_BASE_URL:
        return settings.SAML_SP_BASE_URL.rstrip("/")
    if request is None:
        raise ValueError("SAML_SP_BASE_URL is not set and there is no request to go by")
    return request.build_absolute_uri("/").rstrip("/")


def config_dict(base: str, *, with_idp: bool = True) -> dict:
    sp = {
        "name": "Backup Report",
        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_UNSPECIFIED],
        "endpoints": {
            "assertion_consumer_service": [
                (base + reverse("sso-saml-acs"), saml2.BINDING_HTTP_POST)
            ],
        },
        "allow_unsolicited": False,
        "want_assertions_signed": True,
        "want_response_signed": False,
        "authn_requests_signed": bool(settings.SAML_SP_KEY_FILE),
        "only_use_keys_in_metadata": True,
    }
    conf = {
        "entityid": base + reverse("sso-saml-metadata"),
        "xmlsec_binary": settings.SAML_XMLSEC_BINARY,
        "allow_unknown_attributes": True,
        "service": {"sp": sp},
        "accepted_time_diff": 60,
    }
    if settings.SAML_SP_KEY_FILE:
        conf["key_file"] = settings.SAML_SP_KEY_FILE
        conf["cert_file"] = settings.SAML_SP_CERT_FILE
    if with_idp:
        if settings.SAML_IDP_METADATA_URL:
            conf["metadata"] = {"remote": [{"url": settings.SAML_IDP_METADATA_URL}]}
        else:
            conf["metadata"] = {"local": [settings.SAML_IDP_METADATA_FILE]}
    return conf


def sp_config(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's configuration loader: one SPConfig a configuration, so the
    provider's metadata is read once, not at every request."""
    base = base_url(request)
    key = (
        base,
        settings.SAML_IDP_METADATA_URL,
        settings.SAML_IDP_METADATA_FILE,
        settings.SAML_SP_KEY_FILE,
    )
    if key not in _configs:
        conf = SPConfig()
        conf.load(config_dict(base))
        _configs[key] = conf
    return _configs[key]


def forget_configs() -> None:
    _configs.clear()


def first(attributes: dict, name: str) -> str:
    for key, values in attributes.items():
        if key.casefold() == name.casefold() and values:
            return str(values[0])
    return ""


def all_of(attributes: dict, name: str) -> list[str]:
    for key, values in attributes.items():
        if key.casefold() == name.casefold():
            return list(values)
    return []


def identity_of(session_info: dict) -> Identity:
    attributes = session_info.get("ava") or {}
    name_id = session_info.get("name_id")
    name_id_text = getattr(name_id, "text", "") or ""
    email = first(attributes, settings.SAML_EMAIL_ATTRIBUTE)
    if not email and getattr(name_id, "format", "") == NAMEID_FORMAT_EMAILADDRESS:
        email = name_id_text
    # A transient NameID is new at every sign-in (Shibboleth's default where the
    # request names no format): no subject to bind the account to, or the second
    # sign-in was refused as someone else's (found by an audit).
    transient = getattr(name_id, "format", "") == NAMEID_FORMAT_TRANSIENT
    return Identity(
        protocol="saml",
        issuer=str(session_info.get("issuer") or ""),
        subject="" if transient else name_id_text,
        email=email,
        username=first(attributes, settings.SAML_USERNAME_ATTRIBUTE),
        groups=groups_from(all_of(attributes, settings.SAML_GROUPS_ATTRIBUTE)),
    )


UNREACHABLE = "The identity provider cannot be reached just now."


class LoginView(djangosaml2_views.LoginView):
    config_loader_path = "accounts.sso.saml.sp_config"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Exception as error:  # the provider's metadata unreadable, xmlsec missing
            log.error("SAML: the sign-in could not start: %r", error)
            return refused(request, UNREACHABLE, 503)


class AssertionConsumerServiceView(djangosaml2_views.AssertionConsumerServiceView):
    config_loader_path = "accounts.sso.saml.sp_config"

    def post(self, request, *args, **kwargs):
        # djangosaml2 answers it with a bare 400 of its own, which the audit log never
        # saw: a failed sign-in like any other refused answer (found by an audit). An
        # empty one is none either, not an answer that "could not be verified".
        if not request.POST.get("SAMLResponse", "").strip():
            return refused(request, saml_reasons.NO_ANSWER, 400)
        # The configuration first, as the sign-in's start does: a process that has not
        # read the provider's metadata yet, while it cannot be read, answered a 500
        # to anyone's POST (2026-12-06). sp_config keeps it once read.
        try:
            sp_config(request)
        except Exception as error:
            log.error("SAML: an answer could not be checked: %r", error)
            return refused(request, UNREACHABLE, 503)
        return super().post(request, *args, **kwargs)

    # Why custom_validation refused the answer: djangosaml2 answers its exception with
    # one of its own, "SAML2 validation error", and the reason would be lost. The view
    # is made anew for each request, so it is this request's.
    invalid_because = ""

    def custom_validation(self, response) -> None:
        """An assertion, each once: its id is remembered beyond its lifetime, in the
        database every process shares (UsedAssertion). Without one (pysaml2 leaves it
        out of an answer it did not verify), refused as such: it was an AttributeError,
        a 400 by accident (found by an audit)."""
        if response.assertion is None:
            self.invalid_because = saml_reasons.without_assertion(response)
            raise ValueError(f"SAML response without an assertion: {self.invalid_because}")
        assertion_id = response.assertion.id
        try:
            first_use = UsedAssertion.first_use(assertion_id, timezone.now(), REPLAY_KEPT)
        except Exception:
            # The database not writable just now (SQLite's lock held by an import past
            # SQLITE_BUSY_SECONDS): refused, as taking it unchecked would let a replay
            # in, and said as such, not "could not be verified".
            self.invalid_because = saml_reasons.REPLAY_UNCHECKED
            raise
        if not first_use:
            self.invalid_because = saml_reasons.REPLAYED
            raise ValueError(f"SAML assertion {assertion_id} was already used (replay)")

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        """Every refusal, a 403 or djangosaml2's 400, with its reason (refused: each is a
        failed sign-in on the audit log)."""
        log.warning("SAML: sign-in refused: %r", exception)
        cause = getattr(exception, "__cause__", None)
        if isinstance(cause, Refused):  # who may come in said no (accounts.sso.identity)
            return refused(request, str(cause), status, who=cause.who)
        reason = self.invalid_because or saml_reasons.refused_because(exception)
        return refused(request, reason, status)

    def authenticate_user(
        self, request, session_info, attribute_mapping, create_unknown_user, assertion_info
    ):
        try:
            return sign_in(request, identity_of(session_info))
        except Refused as refusal:
            raise djangosaml2_views.PermissionDenied(str(refusal)) from refusal

    def custom_redirect(self, user, relay_state: str, session_info) -> str:
        return next_page.safe(self.request, relay_state)


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """This site as a SAML service provider, for the provider's administrator."""
    conf = SPConfig()
    conf.load(config_dict(base_url(request), with_idp=False))
    return HttpResponse(str(entity_descriptor(conf)), content_type="text/xml")


acs = csrf_exempt(AssertionConsumerServiceView.as_view())
login = LoginView.as_view()
