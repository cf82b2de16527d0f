"""Text no database here can store: a NUL character (PostgreSQL refuses it in any
text, even a WHERE clause's) or half of a UTF-16 surrogate pair (no driver encodes it
as UTF-8). The one rule: the request's edge (backupreport.edge) refuses such text at
the door, and what reads text out of another value (a saved view's page address, its
query inside a form field) skips it rather than query with it."""

from __future__ import annotations

import re

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """What makes the text unstorable ("holds ..."), or None when it is fine."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "holds a NUL character (%00)"
    return f"holds half of a UTF-16 surrogate pair (U+{ord(found.group()):04X})"
