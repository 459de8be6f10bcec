"""A loopback fake of the Telegram Bot API for the adapter tests.

aiohttp on 127.0.0.1 serving `/bot<token>/<method>` with JSON or form bodies (PTB sends
form fields, JSON-encoding the non-string ones). It records every call, keeps getUpdates'
semantics (updates stay until an offset above them confirms them; long polling waits for
new ones) and can be scripted: an HTTP error with a Bot API error body (429 with
`parameters.retry_after`, 401, 502 ...) or a dropped connection, per method, in order.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_ID = 5550001
BOT_USERNAME = "shop_help_bot"
TOKEN = f"{BOT_ID}:AAE-test_token-0123456789abcdefghij"
USER_ID = 424242
# Form fields whose value PTB sends JSON-encoded, and fields that are numbers.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "link_preview_options", "entities",
                "reply_parameters"}
_INT_FIELDS = {"chat_id", "offset", "timeout", "limit", "message_id", "max_connections"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when it arrived


class FakeBotAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.script: dict[str, list[tuple[int, dict[str, Any]] | str]] = {}
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}
        self.blocked: set[int] = set()
        self._ids = itertools.count(100)
        self._new = asyncio.Event()
        self._closing = False
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self.server = TestServer(app, host="127.0.0.1")

    async def start(self) -> FakeBotAPI:
        # No access log: it would print request URLs, token included (Telegram's side).
        await self.server.start_server(access_log=None)
        return self

    async def close(self) -> None:
        self._closing = True
        self._new.set()  # release long polls
        await self.server.close()

    @property
    def base(self) -> str:
        """The adapter's `api_base`."""
        return str(self.server.make_url("")).rstrip("/")

    # -- scripting and inspection

    def fail(self, method: str, status: int, description: str,
             parameters: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self.script.setdefault(method, []).append((status, body))

    def drop(self, method: str, times: int = 1) -> None:
        """Close the connection without an answer, `times` calls in a row."""
        self.script.setdefault(method, []).extend(["drop"] * times)

    def serve(self, method: str, times: int = 1) -> None:
        """Answer normally, `times` calls in a row (a scripted step that is not a failure)."""
        self.script.setdefault(method, []).extend(["pass"] * times)

    def push(self, *updates: dict[str, Any]) -> None:
        self.updates.extend(updates)
        self._new.set()

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def press(self, update_id: int, chat_id: int, message_id: int, data: str,
              user_id: int = USER_ID) -> dict[str, Any]:
        """The callback_query update a client sends when a button on our message is pressed."""
        return {"update_id": update_id, "callback_query": {
            "id": f"cq{update_id}", "chat_instance": "-1",
            "from": {"id": user_id, "is_bot": False, "first_name": "Dana"},
            "message": self.messages[(chat_id, message_id)], "data": data}}

    # -- the server

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params, time.monotonic()))
        if request.match_info["token"] != self.token:
            return _fail(401, "Unauthorized")
        scripted = self.script.get(method)
        action = scripted.pop(0) if scripted else "pass"
        if action != "pass":
            if action == "drop":
                assert request.transport is not None
                request.transport.abort()
                return web.Response()
            assert not isinstance(action, str)
            return web.json_response(action[1], status=action[0])
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _fail(404, "Not Found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _me(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Shop Help",
                "username": BOT_USERNAME, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _getMe(self, p: dict[str, Any]) -> Any:
        return self._me()

    async def _getUpdates(self, p: dict[str, Any]) -> Any:
        offset = p.get("offset")
        if isinstance(offset, int):
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if self.webhook["url"]:
            return _fail(409, "Conflict: can't use getUpdates method while webhook is active; "
                              "use deleteWebhook to delete the webhook first")
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        while not self.updates and not self._closing:
            self._new.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self._new.wait(), left)
            except TimeoutError:
                break
        return self.updates[: int(p.get("limit") or 100)]

    async def _sendMessage(self, p: dict[str, Any]) -> Any:
        chat = p.get("chat_id")
        if not isinstance(chat, int):
            return _fail(400, "Bad Request: chat not found")
        if chat in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user")
        if len(html.unescape(p.get("text", ""))) > 4096:
            return _fail(400, "Bad Request: message is too long")
        msg: dict[str, Any] = {
            "message_id": next(self._ids), "date": int(time.time()), "from": self._me(),
            "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"},
            "text": html.unescape(p.get("text", ""))}
        if "reply_markup" in p:
            msg["reply_markup"] = p["reply_markup"]
        self.messages[(chat, msg["message_id"])] = msg
        await self.sent.put({**p, "message_id": msg["message_id"]})
        return msg

    async def _sendChatAction(self, p: dict[str, Any]) -> Any:
        return True

    async def _answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    async def _getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {"url": self.webhook["url"], "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}

    async def _setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token"),
                        "allowed_updates": p.get("allowed_updates")}
        return True

    async def _deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = {"url": "", "secret_token": None}
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    out: dict[str, Any] = {}
    for key, value in form.items():
        text = value if isinstance(value, str) else ""
        if key in _JSON_FIELDS:
            out[key] = json.loads(text)
        elif key in _INT_FIELDS:
            try:
                out[key] = int(text)
            except ValueError:
                out[key] = text
        else:
            out[key] = text
    return out


def _fail(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description},
                             status=status)


def user(user_id: int = USER_ID, first: str = "Dana", last: str | None = "Levi") -> dict[str, Any]:
    out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first,
                           "language_code": "en"}
    if last:
        out["last_name"] = last
    return out


def message_update(update_id: int, text: str, *, chat_id: int = USER_ID,
                   sender: dict[str, Any] | None = None, chat_type: str = "private",
                   **extra: Any) -> dict[str, Any]:
    """A `message` update as Telegram sends it."""
    who = sender or user()
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = who["first_name"]
    else:
        chat["title"] = "Shop fans"
    msg: dict[str, Any] = {"message_id": update_id % 100000, "from": who, "chat": chat,
                           "date": 1700000000, "text": text, **extra}
    return {"update_id": update_id, "message": msg}
