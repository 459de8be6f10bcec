"""A minimal web chat client speaking the widget's protocol (for tests and benchmarks)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp


class ChatClient:
    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.http = session
        self.token: str | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.history: dict[str, Any] | None = None

    async def new_session(self, **body: str) -> str:
        async with self.http.post(self.base + "/chat/session", json=body) as resp:
            resp.raise_for_status()
            self.token = (await resp.json())["token"]
        return self.token

    async def connect(self, **kw: Any) -> dict[str, Any]:
        if self.token is None:
            await self.new_session()
        url = self.base.replace("http", "ws", 1) + f"/chat/ws?token={self.token}"
        self.ws = await self.http.ws_connect(url, **kw)
        self.history = await self.frame("history")
        return self.history

    async def send(self, text: str, client_id: str) -> None:
        assert self.ws is not None
        await self.ws.send_json({"type": "message", "text": text, "client_id": client_id})

    async def frame(self, kind: str | None = None, timeout: float = 15.0) -> dict[str, Any]:
        """The next frame (of `kind`, skipping others)."""
        assert self.ws is not None
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket {msg.type.name}: {msg.data!r} {msg.extra!r}")
                data = json.loads(msg.data)
                if kind is None or data.get("type") == kind:
                    return data  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
