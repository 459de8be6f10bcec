"""A loopback OpenAI-compatible chat completions server, scripted per test.

Real litellm talks to it over HTTP on 127.0.0.1. Each request takes the next step of the
script for the model it names (or a default script): a reply, a tool call, an HTTP error,
a delay (for timeouts), or a malformed body. Every request is kept for assertions.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Step:
    text: str | None = None
    tool: str | None = None
    arguments: str | dict[str, Any] | None = None
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0
    malformed: bool = False


def reply(text: str) -> Step:
    return Step(text=text)


def call(tool: str, **args: Any) -> Step:
    return Step(tool=tool, arguments=args)


def raw_call(tool: str, arguments: str) -> Step:
    return Step(tool=tool, arguments=arguments)


def error(status: int, retry_after: float | None = None) -> Step:
    return Step(status=status, retry_after=retry_after)


def sleep(seconds: float) -> Step:
    return Step(text="too late", delay=seconds)


Responder = Callable[[dict[str, Any]], Step]


@dataclass
class FakeLLM:
    scripts: dict[str, list[Step]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    responder: Responder | None = None
    server: TestServer | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def script(self, model: str, *steps: Step) -> None:
        self.scripts.setdefault(model, []).extend(steps)

    @property
    def base(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1"))

    def models_called(self) -> list[str]:
        return [r["model"] for r in self.requests]

    async def start(self) -> FakeLLM:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        model = body.get("model", "")
        queue = self.scripts.get(model) or self.scripts.get("*")
        if queue:
            step = queue.pop(0)
        elif self.responder is not None:
            step = self.responder(body)
        else:
            step = Step(text="(the fake model has no script left)")
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.status != 200:
            headers = {"retry-after": str(step.retry_after)} if step.retry_after else {}
            return web.json_response({"error": {"message": f"fake {step.status}",
                                                "type": "fake_error"}},
                                     status=step.status, headers=headers)
        if step.malformed:
            return web.Response(text="{not json", content_type="application/json")
        return web.json_response(self._body(model, body, step))

    def _body(self, model: str, request: dict[str, Any], step: Step) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": step.text}
        finish = "stop"
        if step.tool is not None:
            args = step.arguments if isinstance(step.arguments, str) else json.dumps(
                step.arguments or {})
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{next(self._ids)}", "type": "function",
                "function": {"name": step.tool, "arguments": args}}]}
            finish = "tool_calls"
        prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 4
        completion = len(step.text or str(step.arguments or "")) // 4 + 1
        return {
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }
