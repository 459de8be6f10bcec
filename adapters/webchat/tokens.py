"""Signed session tokens and the merchant-signed shopper identity."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    expires: int
    email: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue(
    key: bytes, ttl: float, email: str | None = None, session_id: str | None = None
) -> tuple[Session, str]:
    sid = session_id or secrets.token_urlsafe(18)
    exp = int(time.time() + ttl)
    payload = f"{sid}.{exp}.{_b64(email.encode()) if email else ''}"
    return Session(sid, exp, email), f"{payload}.{_sign(key, payload)}"


def verify(key: bytes, token: str) -> Session | None:
    """The session a token proves, or None if it is forged, malformed or expired."""
    parts = token.split(".")
    if len(parts) != 4 or len(token) > 512:
        return None
    sid, exp, mail, sig = parts
    if not hmac.compare_digest(_sign(key, f"{sid}.{exp}.{mail}"), sig):
        return None
    try:
        expires = int(exp)
        email = _unb64(mail).decode() if mail else None
    except (ValueError, UnicodeDecodeError):
        return None
    if expires < time.time():
        return None
    return Session(sid, expires, email)


def identity_hash(secret: bytes, email: str) -> str:
    """What the merchant's server computes: hex HMAC-SHA256 of the lower-cased email."""
    return hmac.new(secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def identity_ok(secret: bytes, email: str, user_hash: str) -> bool:
    return hmac.compare_digest(identity_hash(secret, email), user_hash.strip().lower())
