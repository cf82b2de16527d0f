"""The page a refused single sign-on answers: what went wrong, in the person's words;
a refusal (403, or djangosaml2's 400) is a failed sign-in on the audit log, as a wrong
password is (spec section 13: refused single sign-ons left no trace, 2026-12-06, and
SAML's 400s none until an audit found them). A provider that cannot be reached (503)
refused no one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import audit

# The most of a provider's own words (an OAuth error and its description, a SAML
# status) quoted on the page and the log: enough for "User is not assigned to the
# application"; the provider, or whoever made the link, chose them.
PROVIDER_WORDS_LENGTH = 200


def provider_words(text: str) -> str:
    """A provider's words as the page and the log may quote them: printable characters
    only (a control character or a line break as a space), shortened."""
    shown = "".join(c if c.isprintable() else " " for c in str(text)).strip()
    if len(shown) <= PROVIDER_WORDS_LENGTH:
        return shown
    return shown[: PROVIDER_WORDS_LENGTH - 1] + "…"


def refused(request: HttpRequest, reason: str, status: int = 403, who: str = "") -> HttpResponse:
    """`who`: the person the provider named (its email or username), when it named one."""
    if status < 500:
        who = provider_words(who)[:150]  # the provider's, a NUL in it too
        audit.record(
            "signin.failed", actor=who, target=who, request=request, method="sso", reason=reason
        )
    return render(request, "accounts/sso_refused.html", {"reason": reason}, status=status)
