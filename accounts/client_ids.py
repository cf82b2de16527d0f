"""An API client's id: "key-" and 32 hex digits, like the vendor's client ids. A Basic
username of this shape is taken for a client id, never for a person's username.

A module of its own that imports nothing of ours: the audit log tells a client's
sign-in from a person's by it (accounts.audit.signin_methods) without importing the
clients (accounts.api_clients), which record in the log."""

from __future__ import annotations

import re
import uuid

CLIENT_ID = re.compile(r"key-[0-9a-f]{32}")


def new_client_id() -> str:
    return f"key-{uuid.uuid4().hex}"


def looks_like_client_id(name: str) -> bool:
    return CLIENT_ID.fullmatch(name) is not None
