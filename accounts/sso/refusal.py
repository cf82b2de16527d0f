"""The page a refused single sign-on answers: what went wrong, in the person's words."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def refused(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    return render(request, "accounts/sso_refused.html", {"reason": reason}, status=status)
