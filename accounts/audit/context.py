"""What an event learns without being told: the request being answered (for the actor,
the address and the user agent), how a change came about (`via`: by hand, by the
identity provider, in bulk) and, for a management command, the OS user who ran it. Set
by AuditRequestMiddleware, the `via` block and the `by_command` block."""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
current_via: ContextVar[str] = ContextVar("audit_via", default="")
current_command_user: ContextVar[str] = ContextVar("audit_command_user", default="")

COMMAND_LINE = "command line"  # who ran a command, where the process cannot tell


def os_user() -> str:
    """Who ran a command: the operating system's user, as far as the process can tell
    (LOGNAME, USER, then the user database); "command line" where it cannot (a
    container's user with no name). No user of the app runs a command."""
    try:
        return getpass.getuser() or COMMAND_LINE
    except (KeyError, OSError, ImportError):  # no such variable nor entry in passwd
        return COMMAND_LINE


@contextlib.contextmanager
def via(how: str) -> Iterator[None]:
    """Events recorded inside say how their change came about (details["via"])."""
    token = current_via.set(how)
    try:
        yield
    finally:
        current_via.reset(token)


@contextlib.contextmanager
def by_command(how: str) -> Iterator[None]:
    """Events recorded inside were caused by a management command run from a shell (or
    a timer): their actor, unless given, is the OS user who ran it, as an import's is;
    their `via` says which command. assign_role's and invite_users' events named nobody
    (actor ""), where an import named its OS user (found by an audit of section 13)."""
    token = current_command_user.set(os_user())
    try:
        with via(how):
            yield
    finally:
        current_command_user.reset(token)


def command_user() -> str:
    """The OS user who ran the command whose events are being recorded (by_command),
    or "" outside one."""
    return current_command_user.get()


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
