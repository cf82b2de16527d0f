"""The OpenID Connect sign-in's two pages; SAML's are djangosaml2's (accounts.sso.saml)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
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
    except Refused as refusal:
        return refused(request, str(refusal), 503)


@require_GET
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    _oidc_or_404()
    try:
        sign_in(request, oidc.finish(request))
    except Refused as refusal:
        return refused(request, str(refusal))
    return HttpResponseRedirect(next_page.take(request))
