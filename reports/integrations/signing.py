"""Signing a plain JSON webhook's body: HMAC-SHA256 with the endpoint's shared secret
over "<timestamp>.<body>", so a receiver can tell the body is ours and recent (a
replayed request carries an old timestamp, which the signature covers). The receiver's
side of it is in the README ("Webhooks"), and tests/test_webhooks.py runs that recipe.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-BackupReport-Timestamp"
SIGNATURE_HEADER = "X-BackupReport-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}
