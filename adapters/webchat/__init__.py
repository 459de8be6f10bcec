"""The web chat channel: demo shop page, widget.js, sessions and the WebSocket.

The widget sends `{"type":"typing"}` at most every 2 s while the shopper types; each one is
published as a typing signal (not stored), so an answer waits for the rest of a burst.

Languages (labels.py): the widget sends the browser's language (navigator.language) with
`POST /chat/session` (`{"language": "de-DE"}`) and on the socket (`/chat/ws?lang=de-DE`); it
is each message's `Inbound.language_hint`. The session answer and the history frame carry
`lang` and `labels` (the widget's words in that language); every reply carries the
conversation's `lang`, and `labels` too when it changed, so the widget follows a shopper who
switches language.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
import weakref
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import Field, SecretStr

import omnichannel.i18n as i18n
from omnichannel.adapters.webchat import labels, tokens
from omnichannel.channel import (
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Inbound,
    Markup,
    Outbound,
    Owner,
    quote_buttons,
    typing_signal,
)

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
CLOSE_BAD_TOKEN = 4401
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class WebchatConfig(ChannelConfig):
    session_secret: SecretStr | None = None
    identity_secret: SecretStr | None = None
    allowed_origins: list[str] = []
    max_message_chars: int = Field(2000, ge=1, le=20000)
    rate_limit_per_minute: int = Field(30, ge=1)
    rate_limit_burst: int = Field(10, ge=1)
    sessions_per_minute_per_ip: int = Field(30, ge=1)
    session_ttl_days: float = Field(30, gt=0)
    history_limit: int = Field(100, ge=1, le=1000)


class Bucket:
    """A token bucket: `burst` at once, refilled at `rate` per second."""

    __slots__ = ("tokens", "stamp", "rate", "burst")

    def __init__(self, rate: float, burst: int) -> None:
        self.tokens, self.stamp, self.rate, self.burst = float(burst), time.monotonic(), rate, burst

    def idle(self, now: float) -> bool:
        """Full again: forgetting it changes nothing."""
        return self.tokens + (now - self.stamp) * self.rate >= self.burst

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class WebchatAdapter:
    name: ClassVar[str] = "webchat"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=100_000, markup=Markup.PLAIN, buttons=True, max_buttons=6, typing=True
    )
    config_model: ClassVar[type[ChannelConfig]] = WebchatConfig

    def __init__(self, settings: WebchatConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self._key = b""
        self._identity_key: bytes | None = None
        self._sockets: dict[str, weakref.WeakSet[web.WebSocketResponse]] = {}
        self._owner: dict[str, Owner] = {}
        self._lang: dict[str, str] = {}  # session -> the language its labels are in
        self._buckets: dict[str, Bucket] = {}
        self._ip_buckets: dict[str, Bucket] = {}
        self._page = ""

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        self.ctx = ctx
        s = self.settings
        self._key = (s.session_secret.get_secret_value().encode() if s.session_secret
                     else ctx.secret("session"))
        self._identity_key = (s.identity_secret.get_secret_value().encode()
                              if s.identity_secret else None)
        self._page = (STATIC / "index.html").read_text().replace(
            "__BRAND_NAME__", html.escape(ctx.brand.shop_name))
        self._widget = (STATIC / "widget.js").read_bytes()
        ctx.add_route("GET", "/", self.page)
        ctx.add_route("GET", "/widget.js", self.widget)
        ctx.add_route("GET", "/chat/config", self.brand)
        ctx.add_route("POST", "/chat/session", self.session)
        ctx.add_route("OPTIONS", "/chat/session", self.preflight)
        ctx.add_route("OPTIONS", "/chat/config", self.preflight)
        ctx.add_route("GET", "/chat/ws", self.socket)

    async def stop(self) -> None:
        for group in list(self._sockets.values()):
            for ws in list(group):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self._sockets.clear()

    # outbound
    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        sid = outbound.chat_id
        sockets = list(self._sockets.get(sid, ()))
        frames = []
        if sockets and self._owner.get(sid) is not outbound.owner:
            self._owner[sid] = outbound.owner
            frames.append({"type": "status", "owner": outbound.owner.value})
        message: dict[str, Any] = {
            "type": "message",
            "id": outbound.message_id,
            "role": outbound.role.value,
            "text": outbound.text,
            "buttons": quote_buttons(outbound.buttons),
        }
        lang = i18n.normalize(outbound.language)
        if lang:
            message["lang"] = lang
            if sockets and self._lang.get(sid) != lang:
                self._lang[sid] = lang
                message["labels"] = self._labels(lang)
        frames.append(message)
        # The transcript is the delivery: a closed tab gets it from history on return.
        for ws in sockets:
            for frame in frames:
                await _send(ws, frame)
        return DeliveryReceipt(platform_message_id=f"webchat-{outbound.outbox_id}")

    async def typing(self, chat_id: str) -> None:
        for ws in list(self._sockets.get(chat_id, ())):
            await _send(ws, {"type": "typing"})

    # HTTP
    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=self._page, content_type="text/html")

    async def widget(self, request: web.Request) -> web.Response:
        return web.Response(body=self._widget, content_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    async def brand(self, request: web.Request) -> web.Response:
        assert self.ctx is not None
        b = self.ctx.brand
        return web.json_response(
            {"brand_name": b.shop_name, "assistant_name": b.assistant_name, "colour": b.colour,
             "avatar_url": b.avatar_url, "greeting": b.greeting, "person_label": b.person_label},
            headers=self._cors(request),
        )

    async def preflight(self, request: web.Request) -> web.Response:
        headers = self._cors(request)
        if not headers:
            return _error(403, "origin not allowed", {})
        headers.update({"Access-Control-Allow-Methods": "GET, POST",
                        "Access-Control-Allow-Headers": "Content-Type",
                        "Access-Control-Max-Age": "600"})
        return web.Response(status=204, headers=headers)

    async def session(self, request: web.Request) -> web.Response:
        headers = self._cors(request)
        if not self._origin_ok(request):
            return _error(403, "origin not allowed", headers)
        ip = request.remote or "?"
        bucket = self._ip_buckets.get(ip)
        if bucket is None:
            per_min = self.settings.sessions_per_minute_per_ip
            bucket = self._ip_buckets[ip] = Bucket(per_min / 60, per_min)
        if not bucket.take():
            return _error(429, "too many new sessions, try again in a minute", headers)
        try:
            body = await request.json() if request.can_read_body else {}
        except (ValueError, UnicodeDecodeError):
            return _error(400, "body must be JSON", headers)
        if not isinstance(body, dict):
            return _error(400, "body must be a JSON object", headers)
        email = None
        if body.get("email") is not None:
            if self._identity_key is None:
                return _error(400, "identity verification is not configured on this server",
                              headers)
            mail, digest = body.get("email"), body.get("user_hash")
            if not isinstance(mail, str) or not isinstance(digest, str) or len(mail) > 254:
                return _error(400, "email and user_hash must be strings", headers)
            if not tokens.identity_ok(self._identity_key, mail, digest):
                return _error(403, "identity verification failed", headers)
            email = mail.strip().lower()
        hint = _hint(body.get("language"))
        sess, token = tokens.issue(self._key, self.settings.session_ttl_days * 86400, email)
        lang = labels.language(hint)
        return web.json_response({"session": sess.id, "token": token, "lang": lang,
                                  "labels": self._labels(lang)}, headers=headers)

    def _labels(self, lang: str) -> dict[str, str]:
        assert self.ctx is not None
        b = self.ctx.brand
        return labels.labels(lang, b.person_labels.get(lang, b.person_label),
                             b.greetings.get(lang))

    async def socket(self, request: web.Request) -> web.StreamResponse:
        assert self.ctx is not None
        if not self._origin_ok(request):
            return _error(403, "origin not allowed", {})
        # Room for the JSON envelope and escapes; anything larger closes with 1009.
        limit = self.settings.max_message_chars * 6 + 1024
        ws = web.WebSocketResponse(max_msg_size=limit, heartbeat=30)
        await ws.prepare(request)
        sess = tokens.verify(self._key, request.query.get("token", ""))
        if sess is None:
            await ws.close(code=CLOSE_BAD_TOKEN, message=b"invalid or expired session token")
            return ws
        hint = _hint(request.query.get("lang"))
        group = self._sockets.setdefault(sess.id, weakref.WeakSet())
        group.add(ws)
        try:
            history = await self.ctx.history(sess.id, self.settings.history_limit)
            self._owner[sess.id] = history.owner
            lang = labels.language(hint, self._lang.get(sess.id))
            self._lang[sess.id] = lang
            await ws.send_json({
                "type": "history",
                "owner": history.owner.value,
                "lang": lang,
                "labels": self._labels(lang),
                "messages": [
                    {"id": m.id, "role": m.role.value, "text": m.text,
                     "buttons": quote_buttons(m.buttons)}
                    for m in history.messages
                ],
            })
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._frame(ws, sess, msg.data, hint)
                elif msg.type is WSMsgType.BINARY:
                    await _send(ws, _err_frame("binary", "binary frames are not supported"))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            group.discard(ws)
            if not group:
                self._sockets.pop(sess.id, None)
                self._owner.pop(sess.id, None)
                self._lang.pop(sess.id, None)
            # Buckets outlive sockets (a reconnect must not refill one); full ones go.
            _prune(self._buckets)
            _prune(self._ip_buckets)
        return ws

    async def _frame(self, ws: web.WebSocketResponse, sess: tokens.Session, data: str,
                     hint: str | None = None) -> None:
        assert self.ctx is not None
        lang = self._lang.get(sess.id) or labels.language(hint)
        try:
            frame = json.loads(data)
        except ValueError:
            await _send(ws, _err_frame("bad_json", "frames must be JSON objects"))
            return
        if not isinstance(frame, dict):
            await _send(ws, _err_frame("bad_json", "frames must be JSON objects"))
            return
        kind = frame.get("type")
        if kind == "typing":
            # Not a message: it only holds an answer that is waiting for the rest of a burst.
            await self.ctx.publish(typing_signal(self.name, self.ctx.account, sess.id))
            return
        if kind not in ("message", "button"):
            await _send(ws, _err_frame("bad_type", f"unknown frame type {str(kind)[:40]!r}"))
            return
        client_id = frame.get("client_id")
        if not isinstance(client_id, str) or not 0 < len(client_id) <= 64:
            await _send(ws, _err_frame("bad_client_id", "client_id must be 1-64 characters"))
            return
        if kind == "message":
            text, value = frame.get("text"), None
        else:
            value = frame.get("value")
            text = frame.get("label") or value
            if not isinstance(value, str) or len(value) > 200:
                await _send(ws, _err_frame("bad_button", "button value must be a short string",
                                           client_id))
                return
        if not isinstance(text, str) or not text.strip():
            await _send(ws, _err_frame("empty", labels.error("empty", lang), client_id))
            return
        text = _CONTROL.sub("", text).strip()
        if len(text) > self.settings.max_message_chars:
            await _send(ws, _err_frame(
                "too_long", labels.error("too_long", lang, self.settings.max_message_chars,
                                         len(text)), client_id))
            return
        bucket = self._buckets.get(sess.id)
        if bucket is None:
            s = self.settings
            bucket = self._buckets[sess.id] = Bucket(s.rate_limit_per_minute / 60,
                                                     s.rate_limit_burst)
        if not bucket.take():
            await _send(ws, _err_frame("rate_limited", labels.error("rate_limited", lang),
                                       client_id))
            return
        try:
            published = await self.ctx.publish(Inbound(
                channel=self.name, account=self.ctx.account,
                external_id=f"{sess.id}:{client_id}", chat_id=sess.id, sender_id=sess.id,
                text=text, button_value=value, verified_email=sess.email, language_hint=hint,
            ))
        except Exception:
            # Not stored, so no ack: the widget keeps the message pending and re-sends it.
            log.exception("could not journal a web chat message")
            await _send(ws, _err_frame("unavailable", labels.error("unavailable", lang)))
            return
        await _send(ws, {"type": "ack", "client_id": client_id, "id": published.message_id})

    # origin policy
    def _origin_ok(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser page: no cross-site risk
        if origin in self.settings.allowed_origins:
            return True
        own = f"{request.scheme}://{request.host}"
        return origin == own

    def _cors(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        if origin and origin in self.settings.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}


def _hint(value: object) -> str | None:
    """A browser language tag as sent ("de-DE"), or None when it is not one."""
    if not isinstance(value, str) or not 0 < len(value) <= 35:
        return None
    return value if re.fullmatch(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*", value) else None


def _prune(buckets: dict[str, Bucket]) -> None:
    if len(buckets) < 1024:
        return
    now = time.monotonic()
    for key in [k for k, b in buckets.items() if b.idle(now)]:
        del buckets[key]


def _err_frame(code: str, message: str, client_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if client_id:
        frame["client_id"] = client_id
    return frame


def _error(status: int, message: str, headers: dict[str, str]) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


async def _send(ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
    if ws.closed:
        return
    try:
        await ws.send_json(frame)
    except (ConnectionError, RuntimeError):
        log.debug("socket closed while sending")


__all__ = ["WebchatAdapter", "WebchatConfig"]
