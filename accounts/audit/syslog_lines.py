"""An event as one syslog message: RFC 5424 framing around one line of JSON or CEF
(ArcSight Common Event Format, version 0), what SIEMs parse without a custom rule.

Written here rather than by a library: Python's SysLogHandler speaks only the older
RFC 3164, and the RFC 5424 handlers on PyPI are logging handlers that send from the
request's thread, which is what forwarding must never do (accounts.audit.forwarding).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket

from accounts.audit.kinds import KINDS
from accounts.audit.models import Event

APP_NAME = "backupreport"
FACILITY_LOG_AUDIT = 13  # RFC 5424 table 1: "log audit"
SEVERITY_NOTICE, SEVERITY_WARNING = 5, 4
WARNING_KINDS = {"signin.failed", "lockout.locked", "upload.refused"}
CEF_VENDOR, CEF_PRODUCT, CEF_VERSION = "Backup Report", "Backup Report", "1"
HOSTNAME = socket.gethostname()[:255] or "-"
UDP_LARGEST = 65_507  # bytes: the most one UDP datagram holds (over IPv4)


def as_record(event: Event) -> dict:
    """The event as one record: the JSON line to syslog and the SIEM resource's item."""
    return {
        "id": event.pk,
        "at": event.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "kind": event.kind,
        "actor": event.actor,
        "actor_id": event.actor_id,
        "target": event.target,
        "address": event.address,
        "user_agent": event.user_agent,
        "details": event.details,
        "hash": event.hash,
        "previous_hash": event.previous_hash,
    }


def as_json(event: Event) -> str:
    return json.dumps(
        as_record(event),
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
    )


def _cef_header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _cef_value(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r", "\\r").replace("\n", "\\n")


def as_cef(event: Event) -> str:
    """CEF:0|vendor|product|version|signature id|name|severity|extensions, with the
    standard keys where one fits (rt, suser, suid, src, requestClientApplication,
    externalId, act, msg) and custom strings for the target and the hash."""
    severity = 7 if event.kind in WARNING_KINDS else 3
    extensions = {
        "rt": str(int(event.at.timestamp() * 1000)),
        "externalId": str(event.pk),
        "act": event.kind,
        "suser": event.actor,
        "suid": "" if event.actor_id is None else str(event.actor_id),
        "src": event.address,
        "requestClientApplication": event.user_agent,
        "cs1Label": "target",
        "cs1": event.target,
        "cs2Label": "hash",
        "cs2": event.hash,
        "msg": json.dumps(event.details, sort_keys=True, ensure_ascii=True),
    }
    header = "|".join(
        _cef_header(part)
        for part in (CEF_VENDOR, CEF_PRODUCT, CEF_VERSION, event.kind, KINDS[event.kind])
    )
    body = " ".join(f"{key}={_cef_value(value)}" for key, value in extensions.items() if value)
    return f"CEF:0|{header}|{severity}|{body}"


# AUDIT_SYSLOG_FORMAT's choices (backupreport.settings refuses to start with another).
FORMATS = {"json": as_json, "cef": as_cef}


def rfc5424(event: Event, message_format: str, largest: int | None = None) -> bytes:
    """<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG, of at most
    `largest` bytes (UDP_LARGEST over UDP): a larger event goes without its details,
    saying so, as valid JSON or CEF with its id and hash to read it whole from the log.
    Over UDP it failed as if syslog were down, and the cursor never passed it: nothing
    was forwarded again (found by an audit)."""
    severity = SEVERITY_WARNING if event.kind in WARNING_KINDS else SEVERITY_NOTICE
    priority = FACILITY_LOG_AUDIT * 8 + severity
    timestamp = event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    header = f"<{priority}>1 {timestamp} {HOSTNAME} {APP_NAME} - {event.kind[:32]} - "
    line = (header + FORMATS[message_format](event)).encode()
    if largest is None or len(line) <= largest:
        return line
    shown = copy.copy(event)
    shown.details = {
        "details_left_out": f"{len(line):,} bytes, more than one message holds: the whole"
        f" event is #{event.pk} on the audit log"
    }
    return (header + FORMATS[message_format](shown)).encode()[:largest]
