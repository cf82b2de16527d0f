"""What an event learns without being told: the request being answered (for the actor,
the address and the user agent) and how a change came about (`via`: by hand, by the
identity provider, in bulk). Set by AuditRequestMiddleware and the `via` block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
current_via: ContextVar[str] = ContextVar("audit_via", default="")


@contextlib.contextmanager
def via(how: str) -> Iterator[None]:
    """Events recorded inside say how their change came about (details["via"])."""
    token = current_via.set(how)
    try:
        yield
    finally:
        current_via.reset(token)


class AuditRequestMiddleware:
    """Makes the request known to events recorded while it is answered (a role given in
    the admin names the administrator who gave it). One context variable: no query."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
