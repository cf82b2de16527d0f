"""The single sign-on pages: OpenID Connect's two here; SAML's are djangosaml2's
(accounts.sso.saml), reached through the small views at the end."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.sso import config, next_page, oidc
from accounts.sso.identity import Refused, sign_in
from accounts.sso.refusal import refused


def _oidc_or_404() -> None:
    if not config.oidc_enabled():
        raise Http404("OpenID Connect sign-in is not configured")


@require_GET
@never_cache
def oidc_login(request: HttpRequest) -> HttpResponse:
    _oidc_or_404()
    next_page.keep(request, request.GET.get("next"))
    try:
        return oidc.start(request, request.build_absolute_uri(reverse("sso-oidc-callback")))
    except oidc.Unreachable as refusal:
        return refused(request, str(refusal), 503)


@require_GET
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    _oidc_or_404()
    try:
        sign_in(request, oidc.finish(request))
    except oidc.Unreachable as refusal:
        return refused(request, str(refusal), 503)
    except Refused as refusal:
        return refused(request, str(refusal), who=refusal.who)
    return HttpResponseRedirect(next_page.take(request))


def _saml():
    """accounts.sso.saml, imported when SAML is used: pysaml2 takes seconds to import (its
    XML schemas and signature code), which every app server worker would otherwise pay
    on its first request, SAML or not."""
    if not config.saml_enabled():
        raise Http404("SAML sign-in is not configured")
    from accounts.sso import saml

    return saml


@never_cache
def saml_login(request: HttpRequest) -> HttpResponse:
    return _saml().login(request)


@csrf_exempt  # the identity provider's POST: no CSRF token; its signature is the check
def saml_acs(request: HttpRequest) -> HttpResponse:
    return _saml().acs(request)


def saml_metadata(request: HttpRequest) -> HttpResponse:
    """Served even before an identity provider is configured: its administrator may
    need this site's metadata first."""
    from accounts.sso import saml

    return saml.metadata(request)
