"""A loopback fake of Slack: the Web API methods the adapter calls, and Socket Mode.

The real slack_sdk is pointed at it through `base` (api_base). It records every call,
answers chat.postMessage like Slack (a ts, or `ok: false` with an error code), can be
scripted to answer 429 with Retry-After or an error body, to drop a connection without
answering, or to be down (stop / start on the same port). Socket Mode: apps.connections.open
hands out a ws:// URL on the same server; envelopes are pushed with `deliver` and the
client's acknowledgements collected in `acks`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
SIGNING_SECRET = "signing-secret-for-tests"
TEAM_ID = "T111"
BOT_USER_ID = "W111"  # the bot the fixtures mention (<@W111>)
BOT_ID = "B111"
_CHANNEL = re.compile(r"^[CDG][A-Z0-9]{2,30}$")


@dataclass
class Call:
    method: str
    token: str | None
    args: dict[str, Any]
    at: float


class FakeSlack:
    """Slack's Web API (and Socket Mode) on 127.0.0.1."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.views: list[dict[str, Any]] = []
        self.posted: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.messages: list[dict[str, Any]] = []  # every message that landed
        self.script: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.drop = 0  # chat.postMessage requests to drop without an answer
        self.not_in_channel: set[str] = set()
        self.ts = itertools.count(1)
        self.envelopes = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.port: int | None = None
        self.server: TestServer | None = None

    # ------------------------------------------------------------ server lifecycle
    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/link/", self.link)
        app.router.add_post("/api/{method}", self.api)
        return app

    async def start(self) -> FakeSlack:
        """Start, or start again on the same port after `stop` (Slack back up)."""
        self.server = TestServer(self._app(), host="127.0.0.1", port=self.port)
        await self.server.start_server()
        self.port = self.server.port
        return self

    async def stop(self) -> None:
        """Slack is down: connections are refused until `start`."""
        for ws in list(self.sockets):
            await ws.close()
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # ------------------------------------------------------------ Web API
    async def api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        args: dict[str, Any] = {}
        if request.content_type == "application/json":
            args = await request.json()
        elif request.can_read_body:
            args = dict(await request.post())  # type: ignore[arg-type]
        if method == "chat.postMessage" and self.drop > 0:
            self.drop -= 1
            assert request.transport is not None
            request.transport.close()  # the request arrived; no answer ever leaves
            raise web.HTTPServiceUnavailable()
        self.calls.append(Call(method, token, args, time.monotonic()))
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return _fail("invalid_auth")
            return web.json_response({"ok": True, "url": str(self.server.make_url(  # type: ignore[union-attr]
                f"/link/?ticket={next(self.envelopes)}")).replace("http://", "ws://")})
        if token != BOT_TOKEN:
            return _fail("invalid_auth" if token else "not_authed")
        if method == "auth.test":
            return web.json_response({
                "ok": True, "url": "https://shop.slack.com/", "team": "Shop", "user": "shopbot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False})
        if method == "chat.postMessage":
            return await self.post_message(args)
        if method == "views.open":  # the staff console's edit modal
            if not args.get("trigger_id"):
                return _fail("invalid_trigger_id")
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            self.views.append(view)
            return web.json_response({"ok": True, "view": {"id": f"V{len(self.views)}",
                                                           **(view or {})}})
        return _fail("unknown_method")

    async def post_message(self, args: dict[str, Any]) -> web.Response:
        if self.script:
            status, body, headers = self.script.pop(0)
            return web.json_response(body, status=status, headers=headers)
        channel = str(args.get("channel", ""))
        if not _CHANNEL.match(channel):
            return _fail("channel_not_found")
        if channel in self.not_in_channel:
            return _fail("not_in_channel")
        if not args.get("text") and not args.get("blocks"):
            return _fail("no_text")
        ts = f"{1700000000 + next(self.ts)}.000100"
        message = {"channel": channel, "ts": ts, "text": args.get("text"),
                   "thread_ts": args.get("thread_ts"), "blocks": args.get("blocks")}
        self.messages.append(message)
        await self.posted.put(message)
        return web.json_response({"ok": True, "channel": channel, "ts": ts,
                                  "message": {"type": "message", "text": args.get("text"),
                                              "bot_id": BOT_ID, "user": BOT_USER_ID, "ts": ts}})

    def fail_next(self, error: str, status: int = 200,
                  headers: dict[str, str] | None = None) -> None:
        """Script the next chat.postMessage answer: `ok: false` with `error`."""
        self.script.append((status, {"ok": False, "error": error}, headers or {}))

    def rate_limit_next(self, retry_after: int) -> None:
        self.fail_next("ratelimited", 429, {"Retry-After": str(retry_after)})

    def method_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # ------------------------------------------------------------ Socket Mode
    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self.sockets),
                            "connection_info": {"app_id": "A111"},
                            "debug_info": {"host": "fake", "approximate_connection_time": 3600}})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self.acks.put(json.loads(msg.data))
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def deliver(self, payload: dict[str, Any], kind: str = "events_api",
                      retry_attempt: int = 0) -> str:
        """Push one envelope down the newest socket; its envelope_id."""
        envelope = f"env-{next(self.envelopes)}"
        await self.sockets[-1].send_json({
            "envelope_id": envelope, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""})
        return envelope

    async def drop_sockets(self) -> None:
        for ws in list(self.sockets):
            await ws.close()


def _fail(error: str, status: int = 200) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


# ---------------------------------------------------------------- Slack's side of a request


def sign(raw: bytes, timestamp: int | None = None,
         secret: str = SIGNING_SECRET) -> dict[str, str]:
    """X-Slack-Signature / X-Slack-Request-Timestamp headers as Slack sends them."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": ts}


def event_body(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An Events API callback around `event`."""
    return {"token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": "A111",
            "event": event, "type": "event_callback", "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID,
                                "user_id": BOT_USER_ID, "is_bot": True,
                                "is_enterprise_install": False}]}


def dm(text: str, ts: str, user: str = "U0SHOPPER", channel: str = "D0SHOPPER",
       thread_ts: str | None = None) -> dict[str, Any]:
    event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
             "channel_type": "im", "event_ts": ts, "team": TEAM_ID}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def form(payload: dict[str, Any]) -> bytes:
    """An interactivity request body: `payload=<json>`, form-encoded."""
    return urlencode({"payload": json.dumps(payload)}).encode()
