"""record(): the one way to add an event to the audit log."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from accounts.addresses import client_address
from accounts.audit import chain, forwarding
from accounts.audit.context import current_command_user, current_request, current_via
from accounts.audit.kinds import KINDS
from accounts.audit.models import Event
from accounts.audit.signin_methods import signin_method

log = logging.getLogger(__name__)

USER_AGENT_LENGTH = 300


def _user(request: HttpRequest | None):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def record(
    kind: str,
    *,
    actor=None,
    target: object = "",
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
    ambient: bool = True,
    **details,
) -> Event | None:
    """Append one event to the audit log, chained to the one before, and have it
    forwarded to syslog once its transaction commits (never waiting for syslog).

    kind:    one of accounts.audit.kinds.KINDS.
    actor:   the user who did it; by default the signed-in user of `request`, or of
             the request being answered (AuditRequestMiddleware), or inside
             `accounts.audit.by_command` the OS user who ran the command. A string
             names one who is not a user (a username that failed to sign in, "scheduler").
    target:  what it was done to (a user, an API client, a file name...), as text.
    request: where it came from: the address (PROXY_COUNT) and the user agent.
    details: anything else, JSON-serialisable (parameters, row counts, method, role).
    ambient: False for an event no request caused (a summary, retention), which then
             takes nothing from the request being answered.
    Inside `accounts.audit.via(how)`, details["via"] says how it came about.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown audit event kind {kind!r} (accounts.audit.kinds)")
    if not settings.AUDIT_LOG:  # switched off (the benchmark's figure without it)
        return None
    if request is None and ambient:
        request = current_request.get()
    if actor is None:
        actor = _user(request) or current_command_user.get()
    if current_via.get() and "via" not in details:
        details["via"] = current_via.get()
    event = Event(
        at=at or timezone.now(),
        kind=kind,
        actor_id=getattr(actor, "pk", None),
        actor=(actor.get_username() if hasattr(actor, "get_username") else str(actor or ""))[:150],
        target=str(target)[:300],
        address=(client_address(request) or "") if request is not None else "",
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[
            :USER_AGENT_LENGTH
        ],
        details=details,
    )
    chain.append(event)
    transaction.on_commit(forwarding.wake)
    return event


def record_export(
    request: HttpRequest, *, target: str, rows: int, kind: str = "export.csv", **details
) -> Event | None:
    """One export: who asked (the request's user), how they signed in, what (`target`,
    a report's name), with which parameters (the query string, unless `parameters`
    names those the rows were asked with elsewhere: a subscription's link carries none
    of its view's) and how many rows it holds. A HEAD request's answer carries no rows:
    nothing left, nothing recorded."""
    if request.method == "HEAD":
        return None
    details = {"parameters": parameters_of(request.GET)} | caller_of(request) | details
    return record(kind, request=request, target=target, rows=rows, **details)


def caller_of(request: HttpRequest) -> dict:
    """How an export's caller signed in (`method`), and the API client it is
    (`api_client`), if one: the user alone did not tell a person's export from one of
    their scripts', nor which script (found by an audit)."""
    caller = {"method": signin_method(request, _user(request))}
    client = getattr(request, "api_client", None)  # set for the API (callers.api_caller)
    if client is not None:
        caller["api_client"] = client.client_id
    return caller


def parameters_of(query: QueryDict) -> dict:
    """A query's parameters as an export's event keeps them: one value as itself."""
    return {name: values[0] if len(values) == 1 else values for name, values in query.lists()}


def roles_and_people(roles: QuerySet, people: QuerySet) -> list[str]:
    """Whom something is shared with or sent to (a saved view, a subscription), as an
    event names them: the roles' names, then the usernames, each in order."""
    return [*roles.order_by("name").values_list("name", flat=True)] + [
        *people.order_by("username").values_list("username", flat=True)
    ]
