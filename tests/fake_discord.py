"""A loopback fake of Discord: REST under /api/v10 and the gateway websocket at /ws.

One aiohttp server on 127.0.0.1. GET /api/v10/gateway/bot answers ws://127.0.0.1:<port>/ws,
so the real discord.py client (its REST base pointed here through Route.BASE) connects to
this gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats ACKed, RESUME replays
what a dropped socket missed (or INVALID_SESSION when the fake forgot the session), and
the test dispatches MESSAGE_CREATE / INTERACTION_CREATE with increasing sequence numbers.
The client asks for `compress=zlib-stream`; the fake then sends every payload as binary
frames of one zlib stream with a sync flush, as Discord does (text frames otherwise).

REST records every request, answers what the adapter calls (users/@me, the application,
gateway/bot, channels, messages with nonce enforcement, typing, threads, interaction
callbacks) and can be scripted to fail the next call of a route (429 with retry_after,
4xx, 5xx).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

TOKEN = "fake.bot-token.for-tests"
BOT_ID = "100000000000000001"
GUILD_ID = "200000000000000001"
SUPPORT_ID = "300000000000000001"
GENERAL_ID = "300000000000000002"
DM_ID = "500000000000000001"
SHOPPER = {"id": "400000000000000001", "username": "ada", "global_name": "Ada Lovelace",
           "discriminator": "0", "avatar": None, "public_flags": 0}
OTHER = {"id": "400000000000000002", "username": "bob", "global_name": None,
         "discriminator": "0", "avatar": None, "public_flags": 0}
STAMP = "2024-05-01T10:00:00.000000+00:00"
MESSAGE_CONTENT = 1 << 15
DISCORD_EPOCH_MS = 1420070400000


@dataclass
class Request:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    at: float


@dataclass
class Session:
    id: str
    seq: int = 0
    log: list[tuple[int, str]] = field(default_factory=list)  # (seq, payload JSON)


@dataclass
class Connection:
    ws: web.WebSocketResponse
    query: dict[str, str]
    zlib: Any = None
    session: Session | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    heartbeats: int = 0


class FakeDiscord:
    def __init__(self, *, token: str = TOKEN, heartbeat_interval: int = 45000,
                 message_content_allowed: bool = True, echo_own: bool = True) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.message_content_allowed = message_content_allowed
        self.echo_own = echo_own  # Discord sends the bot's own messages back as dispatches
        self.bot = {"id": BOT_ID, "username": "shopbot", "global_name": None,
                    "discriminator": "0", "avatar": None, "bot": True, "public_flags": 0,
                    "flags": 0, "verified": True, "mfa_enabled": False}
        self.ids = itertools.count(1)
        self.requests: list[Request] = []
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.posted: list[dict[str, Any]] = []
        self.callbacks: list[tuple[str, dict[str, Any], float]] = []
        self.typing: list[str] = []
        self.script: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}
        self.channels: dict[str, dict[str, Any]] = {
            SUPPORT_ID: self._text_channel(SUPPORT_ID, "support", 0),
            GENERAL_ID: self._text_channel(GENERAL_ID, "general", 1),
        }
        self.nonces: dict[str, dict[str, Any]] = {}
        self.dispatched: dict[str, float] = {}  # interaction id -> when it was sent
        # gateway
        self.sessions: dict[str, Session] = {}
        self.session: Session | None = None
        self.conn: Connection | None = None
        self.connections: list[Connection] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.connected = asyncio.Event()
        self.identify_close: int | None = None  # close code to answer the next IDENTIFY with
        # Dispatched right after READY, before GUILD_CREATE: while discord.py still waits for
        # guilds and has not called the client ready.
        self.early: list[tuple[str, Any]] = []
        app = web.Application()
        app.router.add_get("/ws", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        self.server = TestServer(app, host="127.0.0.1")

    async def start(self) -> FakeDiscord:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        await self.server.close()

    @property
    def api_base(self) -> str:
        return str(self.server.make_url("/api/v10"))

    @property
    def gateway_url(self) -> str:
        return str(self.server.make_url("/ws")).replace("http://", "ws://")

    def snowflake(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self.ids) & 0x3FFFFF))

    def fail_next(self, route: str, status: int, body: Any = None,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next call of `route` (send, typing, thread, callback, me, gateway,
        channel) with this status instead."""
        if body is None:
            body = {"message": f"scripted {status}", "code": 0}
        self.script.setdefault(route, []).append((status, body, headers or {}))

    def rate_limit_next(self, route: str, retry_after: float, *, global_: bool = False) -> None:
        self.fail_next(route, 429, {"message": "You are being rate limited.",
                                    "retry_after": retry_after, "global": global_},
                       {"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after))),
                        "X-RateLimit-Scope": "user"})

    # ------------------------------------------------------------ REST

    async def rest(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        self.requests.append(Request(request.method, request.path, body,
                                     dict(request.headers), time.monotonic()))
        parts = request.path.split("/")[3:]  # after /api/v10
        route, handler = self._route(request.method, parts)
        if route != "callback" and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if self.script.get(route):
            status, answer, headers = self.script[route].pop(0)
            return _json(answer, status=status, headers=headers)
        if handler is None:
            return _json({"message": "404: Not Found", "code": 0}, status=404)
        return await handler(parts, body)

    def _route(self, method: str, parts: list[str]) -> tuple[str, Any]:
        table = {
            ("GET", "users/@me"): ("me", self._me),
            ("GET", "oauth2/applications/@me"): ("application", self._application),
            ("GET", "gateway"): ("gateway", self._gateway_url),
            ("GET", "gateway/bot"): ("gateway", self._gateway_url),
        }
        key = (method, "/".join(parts))
        if key in table:
            return table[key]
        if parts[:1] == ["channels"] and len(parts) >= 2:
            tail = parts[2:]
            if method == "GET" and not tail:
                return "channel", self._channel
            if method == "POST" and tail == ["messages"]:
                return "send", self._send
            if method == "POST" and tail == ["typing"]:
                return "typing", self._typing
            if method == "POST" and (tail == ["threads"] or (
                    len(tail) == 3 and tail[0] == "messages" and tail[2] == "threads")):
                return "thread", self._thread
        if method == "POST" and parts[:1] == ["interactions"] and len(parts) == 4 \
                and parts[3] == "callback":
            return "callback", self._callback
        return "unknown", None

    async def _me(self, parts: list[str], body: Any) -> web.Response:
        return _json(self.bot)

    async def _application(self, parts: list[str], body: Any) -> web.Response:
        return _json({
            "id": BOT_ID, "name": "Shop Support", "icon": None, "description": "",
            "bot_public": False, "bot_require_code_grant": False, "verify_key": "00" * 32,
            "owner": {**SHOPPER, "id": "400000000000000099", "username": "owner"},
            "flags": 0, "team": None, "summary": ""})

    async def _gateway_url(self, parts: list[str], body: Any) -> web.Response:
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def _channel(self, parts: list[str], body: Any) -> web.Response:
        channel = self.channels.get(parts[1])
        if channel is None:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        return _json(channel)

    async def _send(self, parts: list[str], body: Any) -> web.Response:
        channel_id = parts[1]
        if not isinstance(body, dict) or not (body.get("content") or body.get("components")):
            return _json({"message": "Cannot send an empty message",
                                      "code": 50006}, status=400)
        if len(body.get("content") or "") > 2000:
            return _json({"message": "Invalid Form Body", "code": 50035,
                                      "errors": {"content": {"_errors": [{
                                          "code": "BASE_TYPE_MAX_LENGTH"}]}}}, status=400)
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and nonce in self.nonces:
            return _json(self.nonces[nonce])
        message = self.message(body.get("content") or "", channel_id, author=self.bot,
                               guild_id=self.channels.get(channel_id, {}).get("guild_id"),
                               components=body.get("components") or [])
        if nonce is not None:
            self.nonces[nonce] = message
        self.posted.append({"channel_id": channel_id, "message": message, **body})
        await self.sent.put({"channel_id": channel_id, "id": message["id"], **body})
        if self.echo_own:
            await self.dispatch("MESSAGE_CREATE", message)
        return _json(message)

    async def _typing(self, parts: list[str], body: Any) -> web.Response:
        self.typing.append(parts[1])
        return web.Response(status=204)

    async def _thread(self, parts: list[str], body: Any) -> web.Response:
        parent = parts[1]
        from_message = len(parts) == 5
        thread_id = parts[3] if from_message else self.snowflake()
        if thread_id in self.channels:
            return _json({"message": "A thread has already been created for this "
                                      "message", "code": 160004}, status=400)
        body = body if isinstance(body, dict) else {}
        kind = 11 if from_message else int(body.get("type") or 12)
        thread = self.thread(thread_id, parent, str(body.get("name") or "thread"), kind=kind,
                             archive=body.get("auto_archive_duration", 1440))
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json(thread, status=201)

    async def _callback(self, parts: list[str], body: Any) -> web.Response:
        self.callbacks.append((parts[1], body, time.monotonic()))
        return web.Response(status=204)

    # ------------------------------------------------------------ payload builders

    @staticmethod
    def _text_channel(cid: str, name: str, position: int) -> dict[str, Any]:
        return {"id": cid, "type": 0, "guild_id": GUILD_ID, "name": name, "position": position,
                "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
                "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}

    def thread(self, thread_id: str, parent: str, name: str = "thread", *, kind: int = 11,
               owner: str = BOT_ID, archive: int = 1440) -> dict[str, Any]:
        """A thread channel object, registered so GET /channels/{id} finds it."""
        thread = {
            "id": thread_id, "type": kind, "guild_id": GUILD_ID, "parent_id": parent,
            "name": name, "owner_id": owner, "last_message_id": None, "rate_limit_per_user": 0,
            "message_count": 0, "member_count": 1, "flags": 0,
            "thread_metadata": {"archived": False, "locked": False, "archive_timestamp": STAMP,
                                "auto_archive_duration": archive},
        }
        self.channels[thread_id] = thread
        return thread

    def guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID, "name": "Shop", "icon": None, "owner_id": OTHER["id"],
            "unavailable": False, "member_count": 3, "large": False, "features": [],
            "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "1024",
                       "position": 0, "color": 0, "hoist": False, "managed": False,
                       "mentionable": False, "flags": 0}],
            "emojis": [], "stickers": [], "members": [], "presences": [], "voice_states": [],
            "channels": [c for c in self.channels.values() if c["type"] in (0, 2, 4, 5)],
            "threads": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [], "joined_at": STAMP, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "nsfw_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
            "system_channel_id": None, "afk_channel_id": None, "afk_timeout": 300,
        }

    def message(self, content: str, channel_id: str, *, author: dict[str, Any] | None = None,
                guild_id: str | None = None, mentions: list[dict[str, Any]] | None = None,
                message_id: str | None = None, **extra: Any) -> dict[str, Any]:
        """A message object as Discord sends it (the `d` of MESSAGE_CREATE)."""
        data: dict[str, Any] = {
            "id": message_id or self.snowflake(), "channel_id": channel_id, "type": 0,
            "author": author or SHOPPER, "content": content, "timestamp": STAMP,
            "edited_timestamp": None, "tts": False, "mention_everyone": False,
            "mentions": mentions or [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "flags": 0, "components": [], **extra}
        if guild_id is not None:
            data["guild_id"] = guild_id
            data.setdefault("member", {"roles": [], "joined_at": STAMP, "deaf": False,
                                       "mute": False, "flags": 0, "nick": None})
        return data

    def press(self, message: dict[str, Any], custom_id: str, *,
              user: dict[str, Any] | None = None) -> dict[str, Any]:
        """The INTERACTION_CREATE `d` of a press on a button of `message`."""
        user = user or SHOPPER
        channel_id = message["channel_id"]
        channel = self.channels.get(channel_id, {"id": channel_id, "type": 1})
        data: dict[str, Any] = {
            "id": self.snowflake(), "application_id": BOT_ID, "type": 3, "version": 1,
            "token": f"itoken-{next(self.ids)}", "channel_id": channel_id, "channel": channel,
            "data": {"custom_id": custom_id, "component_type": 2}, "message": message,
            "locale": "en-US", "app_permissions": "0", "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID} if message.get("guild_id")
            else {"1": user["id"]}, "context": 0 if message.get("guild_id") else 1,
            "attachment_size_limit": 10485760,
        }
        if message.get("guild_id"):
            data["guild_id"] = message["guild_id"]
            data["guild_locale"] = "en-US"
            data["member"] = {"user": user, "roles": [], "joined_at": STAMP, "deaf": False,
                              "mute": False, "flags": 0, "nick": None, "permissions": "0"}
        else:
            data["user"] = user
        return data

    # ------------------------------------------------------------ gateway

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = Connection(ws, dict(request.query))
        if conn.query.get("compress") == "zlib-stream":
            conn.zlib = zlib.compressobj()
        self.connections.append(conn)
        self.conn = conn
        await self._send_op(conn, {"op": 10, "d": {"heartbeat_interval":
                                                   self.heartbeat_interval}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._client_op(conn, json.loads(msg.data))
        finally:
            if self.conn is conn:
                self.conn = None
                self.connected.clear()
        return ws

    async def _client_op(self, conn: Connection, payload: dict[str, Any]) -> None:
        op, d = payload.get("op"), payload.get("d")
        if op == 1:
            conn.heartbeats += 1
            await self._send_op(conn, {"op": 11})
        elif op == 2:
            self.identifies.append(d)
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
            elif self.identify_close is not None:
                code, self.identify_close = self.identify_close, None
                await conn.ws.close(code=code)
            elif (d.get("intents", 0) & MESSAGE_CONTENT) and not self.message_content_allowed:
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            else:
                await self._ready(conn)
        elif op == 6:
            self.resumes.append(d)
            session = self.sessions.get(d.get("session_id"))
            if session is None or d.get("token") != self.token:
                await self._send_op(conn, {"op": 9, "d": False})
                return
            conn.session = self.session = session
            for seq, raw in session.log:
                if seq > (d.get("seq") or 0):
                    await self._send_raw(conn, raw)
            await self._dispatch_to(session, "RESUMED", {})
            self.connected.set()

    async def _ready(self, conn: Connection) -> None:
        session = Session(f"session-{next(self.ids)}")
        self.sessions[session.id] = session
        conn.session = self.session = session
        await self._dispatch_to(session, "READY", {
            "v": 10, "user": self.bot, "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "session_id": session.id, "resume_gateway_url": self.gateway_url,
            "application": {"id": BOT_ID, "flags": 0}, "private_channels": [],
            "relationships": [], "user_settings": {}, "session_type": "normal"})
        for event, d in self.early:
            await self._dispatch_to(session, event, d)
        self.early = []
        await self._dispatch_to(session, "GUILD_CREATE", self.guild())
        self.connected.set()

    async def dispatch(self, event: str, d: Any) -> int:
        """Send a dispatch on the current session (kept for a RESUME if nobody is connected)."""
        session = self.session
        if session is None:
            raise RuntimeError("no gateway session yet")
        if event == "INTERACTION_CREATE" and isinstance(d, dict):
            self.dispatched[str(d.get("id"))] = time.monotonic()
        return await self._dispatch_to(session, event, d)

    async def _dispatch_to(self, session: Session, event: str, d: Any) -> int:
        session.seq += 1
        raw = json.dumps({"op": 0, "t": event, "s": session.seq, "d": d})
        session.log.append((session.seq, raw))
        conn = self.conn
        if conn is not None and conn.session is session and not conn.ws.closed:
            await self._send_raw(conn, raw)
        return session.seq

    async def _send_op(self, conn: Connection, payload: dict[str, Any]) -> None:
        await self._send_raw(conn, json.dumps(payload))

    async def _send_raw(self, conn: Connection, raw: str) -> None:
        async with conn.lock:
            if conn.ws.closed:
                return
            if conn.zlib is not None:
                data = conn.zlib.compress(raw.encode()) + conn.zlib.flush(zlib.Z_SYNC_FLUSH)
                await conn.ws.send_bytes(data)
            else:
                await conn.ws.send_str(raw)

    async def drop(self, code: int = 4000, *, forget: bool = False) -> None:
        """Close the client's socket (a resumable close code by default); `forget` also
        drops the session, so the RESUME gets INVALID_SESSION and the client identifies."""
        conn = self.conn
        assert conn is not None
        self.connected.clear()
        if forget and conn.session is not None:
            self.sessions.pop(conn.session.id, None)
        await conn.ws.close(code=code, message=b"fake drop")

    def requests_to(self, method: str, suffix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON the way Discord labels it: discord.py parses a body only when the content type
    is exactly `application/json` (no charset)."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={**(headers or {}), "Content-Type": "application/json"})
