"""The dashboard's login: signed session cookies, CSRF tokens, a failed-login limit.

A session is a cookie `omni_dash` = base64(JSON {expires, csrf, password fingerprint}) + "." +
HMAC-SHA256 under a random secret kept in the state directory; HttpOnly, SameSite=Strict,
Path=/dashboard, Secure behind https. Every form carries the session's CSRF token (the
login form a token of its own, double-submitted in a second cookie). Changing the password
hash ends every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

COOKIE = "omni_dash"
LOGIN_COOKIE = "omni_dash_login"
PATH = "/dashboard"
WINDOW = 300.0  # seconds the failed-login limit looks back


def state_secret(state_dir: Path, name: str = "dashboard-session") -> bytes:
    """A random secret kept in <state_dir>/secrets (0600), made on first use."""
    folder = state_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Session:
    csrf: str
    expires: float


class Signer:
    """Issues and reads the session and login cookies."""

    def __init__(self, secret: bytes, password_hash: str, hours: float) -> None:
        self._key = secret
        self._print = hmac.new(secret, password_hash.encode(), hashlib.sha256).hexdigest()[:16]
        self.lifetime = hours * 3600.0

    def _sign(self, payload: dict[str, object]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def _open(self, value: str | None) -> dict[str, object] | None:
        if not value or "." not in value:
            return None
        body, _, mac = value.partition(".")
        want = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(mac), want):
                return None
            data = json.loads(_unb64(body))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def issue(self, now: float | None = None) -> tuple[str, Session]:
        now = time.time() if now is None else now
        session = Session(csrf=secrets.token_urlsafe(24), expires=now + self.lifetime)
        return self._sign({"k": "s", "e": session.expires, "c": session.csrf,
                           "p": self._print}), session

    def read(self, value: str | None, now: float | None = None) -> Session | None:
        data = self._open(value)
        now = time.time() if now is None else now
        if data is None or data.get("k") != "s" or data.get("p") != self._print:
            return None
        expires, csrf = data.get("e"), data.get("c")
        if not isinstance(expires, int | float) or not isinstance(csrf, str) or expires < now:
            return None
        return Session(csrf=csrf, expires=float(expires))

    def login_token(self) -> tuple[str, str]:
        """(cookie value, form token) for the login form."""
        token = secrets.token_urlsafe(24)
        return self._sign({"k": "l", "t": token, "e": time.time() + 3600}), token

    def login_ok(self, cookie: str | None, token: str | None) -> bool:
        data = self._open(cookie)
        if data is None or data.get("k") != "l" or not token:
            return False
        expires = data.get("e")
        if not isinstance(expires, int | float) or expires < time.time():
            return False
        return hmac.compare_digest(str(data.get("t")), token)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class Throttle:
    """At most `limit` failed logins per client address in WINDOW seconds."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, who: str, now: float) -> deque[float]:
        q = self._failures.setdefault(who, deque())
        while q and q[0] < now - WINDOW:
            q.popleft()
        return q

    def blocked(self, who: str) -> bool:
        return len(self._recent(who, time.monotonic())) >= self.limit

    def failed(self, who: str) -> None:
        self._recent(who, time.monotonic()).append(time.monotonic())
        if len(self._failures) > 10_000:  # forget the quiet ones
            for key in [k for k, q in self._failures.items() if not q]:
                del self._failures[key]

    def succeeded(self, who: str) -> None:
        self._failures.pop(who, None)
