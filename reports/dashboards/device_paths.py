"""A device's uid in its page's path, /devices/<uid>/, and back; and the page's URL.

The import takes a uid of any characters. A browser resolves a path segment "." or ".."
(and "%2e", "%2E%2e", as the URL standard reads them) before it asks: the link of a
device whose uid is ".." opened /, the overview. So such a segment's dots go into the
path percent-encoded, and every "%" too, which the link's own quoting encodes once more
("%252E%252E" on the wire, which no browser resolves); the server decodes the path
once, and the converter (reports.dashboards.urls.DeviceUid) unquotes the rest.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import quote, unquote

from django.urls import get_script_prefix, reverse

from accounts.storable_text import unstorable

DOT_SEGMENTS = (".", "..")


def in_path(device_uid: str) -> str:
    """The uid as the URL pattern's text, before the URL's own quoting."""
    text = device_uid.replace("%", "%25")
    if "." not in text:  # almost every uid: one scan, no split
        return text
    return "/".join(
        segment.replace(".", "%2E") if segment in DOT_SEGMENTS else segment
        for segment in text.split("/")
    )


def from_path(text: str) -> str:
    """in_path() undone."""
    return unquote(text) if "%" in text else text


def readings(text: str) -> tuple[str, ...]:
    """The uids a path's text may name, the first preferred: in_path()'s reading, then,
    for a text holding "%", the text itself, as a link made before the dots were escaped
    read it. Those links (in emails already sent) quoted the uid once: since, the link of
    a uid holding "%41" or "%25" opened another uid, or none (found by an audit of the
    small defects). A text both may mean is read as links are made now. A reading no
    uid can hold is none: "%2500" read as a NUL was a 500 on PostgreSQL (found by a
    review; the edge refuses only the NUL the path itself holds)."""
    current = from_path(text)
    found = (current,) if current == text else (current, text)
    return tuple(uid for uid in found if unstorable(uid) is None)


@cache
def _devices_path(script_prefix: str) -> str:
    """The device page's URL up to the uid: "/devices/", below the path the app is
    served at (FORCE_SCRIPT_NAME), which reverse() reads from the script prefix."""
    return reverse("device", args=["-"]).removesuffix("-/")


def device_url(device_uid: str) -> str:
    # Built by hand: reverse() per row is slow for a 1,000-row page. The part before
    # the uid is reversed once per script prefix.
    return f"{_devices_path(get_script_prefix())}{quote(in_path(device_uid), safe='')}/"
