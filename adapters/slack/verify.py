"""Is this HTTP request from Slack? The size cap and the v0 signature, before any parsing.

X-Slack-Signature is `v0=` + hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{raw body}`
with the app's signing secret; a timestamp more than five minutes from our clock is a
replay. This runs on the raw bytes before anything is decoded (Bolt's own middleware, which
checks the decoded text again, would log the body of a refused request); it keeps the
reason for the log line and never logs the body.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from enum import StrEnum

from aiohttp import web

MAX_SKEW = 5 * 60


class Refusal(StrEnum):
    MISSING = "signature or timestamp header missing"
    BAD_TIMESTAMP = "timestamp is not a number"
    STALE = "timestamp more than 5 minutes away (replay?)"
    MISMATCH = "signature does not match"


class RequestCheck:
    """The signing secret and the body cap for one endpoint."""

    def __init__(self, signing_secret: str, max_body_bytes: int,
                 now: Callable[[], float] = time.time) -> None:
        self.max_body_bytes = max_body_bytes
        self._now = now
        self._secret = signing_secret.encode()

    def too_large(self, request: web.Request) -> bool:
        length = request.content_length
        return length is not None and length > self.max_body_bytes

    def refusal(self, raw: bytes, timestamp: str | None, signature: str | None) -> Refusal | None:
        """None when the request is Slack's; else why not."""
        if not timestamp or not signature:
            return Refusal.MISSING
        if not timestamp.strip().isdigit() or len(timestamp) > 12:
            return Refusal.BAD_TIMESTAMP
        if abs(self._now() - int(timestamp)) > MAX_SKEW:
            return Refusal.STALE
        base = b"v0:" + timestamp.strip().encode() + b":" + raw
        want = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want.encode(), signature.strip().encode("utf-8", "replace")):
            return Refusal.MISMATCH
        return None
