"""The legacy date format (spec section 14): for an account (a user, or an API client)
that asks for it, the report API's JSON writes every date as older vendor servers did,
`MMM d, yyyy h:mm:ss a` (reports.row.encode_legacy_datetime), for monitoring scripts
written against them, such as the Nagios check check_crashplan_backup.py. Off by
default; every other account gets the ISO dates of spec section 2, byte for byte.

The page is computed and kept (reports.api.page_cache) as everyone gets it; the dates
are rewritten on the way out, a page at a time, so the two formats never share a kept
page or an ETag.
"""

from __future__ import annotations

import json

from django.http import HttpRequest

from reports.row import ROW, decode_datetime, encode_legacy_datetime

ETAG_SUFFIX = "-legacy-dates"


def wanted(request: HttpRequest) -> bool:
    """The calling account's setting: the API client's when one signed in (its own
    script), else the user's."""
    client = getattr(request, "api_client", None)
    account = client if client is not None else request.user
    return bool(getattr(account, "legacy_dates", False))


def _legacy(text):
    return text if text is None else encode_legacy_datetime(decode_datetime(text))


def rewrite(body: bytes) -> bytes:
    """An API page (or export=json) with its rows' dates and its timestamp in the
    legacy format; everything else as it was, non-ASCII still escaped."""
    page = json.loads(body)
    metadata = page.get("metadata", {})
    if "timestamp" in metadata:
        metadata["timestamp"] = _legacy(metadata["timestamp"])
    for row in page.get("data", []):
        for name in ROW.date_names:
            if name in row:
                row[name] = _legacy(row[name])
    return json.dumps(page).encode("ascii")


def etag(page_etag: str) -> str:
    """A legacy page's ETag: never the same as the ISO page's."""
    return page_etag.removesuffix('"') + ETAG_SUFFIX + '"'
