#!/usr/bin/env python
"""The competent fake model for bench/llm_cost.py: a loopback OpenAI-compatible server.

    python bench/_fake_model.py --port N [--data /work/shared/taubench/retail] [--max-steps 6]

It runs in its own process so its CPU (deciding, counting tokens, JSON) is never charged to
the gateway. It plays a competent model for the scripted-shopper conversations of
tests/shoppers.py: given a request body (messages with tool results, and the tools), it
decides the next step the way a good model would for that conversation:

  1. identify the shopper from the facts they stated (find_user_id_by_name_zip or
     find_user_id_by_email) unless the prompt says they are verified;
  2. look up the order the request names (get_order_details), unless its full JSON is
     already in the prompt (the naive baseline puts every order there), and the product of
     each new item of an exchange or item change (get_product_details) while the engine's
     step budget allows;
  3. call the write tool with the task's gold arguments; on "NEEDS CONFIRMATION" ask for a
     yes with the tool's summary; after the system note "The shopper confirmed", call the
     same tool again with the same arguments, then say it is done and ask "Anything else?";
  4. when the shopper says that's all, say goodbye.

Knowing the task is the benchmark's shortcut, not the model's skill: a real model would map
"the Gaming Mouse for one with color white, ..." to item ids by reading get_order_details
and get_product_details; the fake reads the gold arguments instead (it still makes those
lookups, so the prompt and completion tokens are what such a model would spend). The bench
tells the fake which τ-bench task the next conversation plays (POST /bench/control
{"task": "dev/3"}); conversations run one at a time. Within the task, the shopper's request
message (each scripted request is one exact sentence, see tests/shoppers.py) picks the gold
write. A task id was chosen over a phrase of the first message because two tasks (train/46,
train/190) open with the same sentence but have different gold actions.

Usage in each response is counted as a real tokenizer would: litellm.token_counter with
model "gpt-4o-mini" over the request's messages and tools (prompt) and over the reply text
or the tool call's name and JSON arguments (completion). Only 127.0.0.1.

Control endpoints (for the bench only): POST /bench/control {"task", "sample", "reset"},
GET /bench/stats[?samples=1], GET /healthz.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from omnichannel.agent import modelnotes  # noqa: E402  (the engine's notes, read as a model would)

HOST = "127.0.0.1"
TOKENIZER_MODEL = "gpt-4o-mini"
DEFAULT_DATA = Path("/work/shared/taubench/retail")
MAX_SAMPLES = int(os.environ.get("FAKE_MAX_SAMPLES", "400"))
NOT_VERIFIED = "The shopper is not verified yet."
_CONFIRMED = re.compile(r"^The shopper confirmed: (?P<summary>.*?) Call (?P<tool>\w+) now with "
                        r"exactly these arguments: (?P<args>\{.*\})\s*$", re.S)
_NAME_ZIP = re.compile(r"My name is (\S+) (\S+) and my zip code is (\d{5})")
_EMAIL = re.compile(r"My email is (\S+@\S+?)\.?(?:\s|$)")


@dataclass(frozen=True)
class Step:
    text: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] | None = None


def reply(text: str) -> Step:
    return Step(text=text)


def call(tool: str, **args: Any) -> Step:
    return Step(tool=tool, arguments=args)


@dataclass(frozen=True)
class Planned:
    """One scripted request of a task and the gold action that resolves it."""

    message: str
    tool: str
    kwargs: dict[str, Any]


def load_plans(data_dir: Path) -> tuple[dict[str, list[Planned]], dict[str, str]]:
    """Task id -> its requests with their gold actions; item id -> product id."""
    from tests.shoppers import READ_ONLY, READ_ONLY_PREFIXES, TRANSFER, load_data, make_shoppers

    data = load_data(data_dir)
    plans: dict[str, list[Planned]] = {}
    for shopper in make_shoppers(data_dir, train=len(data.tasks["train"])):
        task = data.tasks[shopper.split][shopper.index]
        writes = [a for a in task["actions"] if a["name"] != TRANSFER
                  and a["name"] not in READ_ONLY and not a["name"].startswith(READ_ONLY_PREFIXES)]
        requests = [r for r in shopper.requests if r.action != TRANSFER]
        plan = [Planned(r.message, a["name"], dict(a.get("kwargs", {})))
                for r, a in zip(requests, writes, strict=True)]
        assert all(p.tool == r.action for p, r in zip(plan, requests, strict=True))
        plan += [Planned(r.message, TRANSFER, {"summary": "the shopper asked for a person"})
                 for r in shopper.requests if r.action == TRANSFER]
        plans[shopper.task_id] = plan
    products = {item_id: product["product_id"]
                for item_id, (product, _variant) in data.variants.items()}
    return plans, products


@dataclass
class ToolRun:
    name: str
    args: dict[str, Any]
    result: str

    @property
    def failed(self) -> bool:
        return self.result.startswith("Error")


class Competent:
    """Decides the next step of a conversation from its request body (see the module doc)."""

    def __init__(self, plans: dict[str, list[Planned]], products: dict[str, str],
                 max_steps: int = 6) -> None:
        self.plans = plans
        self.products = products
        self.max_steps = max_steps
        self.task: str | None = None

    def __call__(self, body: dict[str, Any]) -> Step:
        messages: list[dict[str, Any]] = body.get("messages", [])
        users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
        last_user = users[-1] if users else -1
        context = "\n".join(str(m.get("content") or "") for m in messages[:max(last_user, 0)]
                            if m.get("role") == "system")
        turn = messages[last_user + 1:]
        notes = [str(m.get("content") or "") for m in turn if m.get("role") == "system"]
        runs = _tool_runs(turn)
        texts = [str(messages[i].get("content") or "") for i in users]
        if notes and notes[-1].startswith(modelnotes.REWRITE_PREFIX):
            return reply("Sorry, let me put that better. Is there anything else I can help "
                         "with?")
        for note in notes:
            m = _CONFIRMED.match(note)
            if m is None:
                continue
            tool, args = m["tool"], json.loads(m["args"])
            done = next((r for r in runs if r.name == tool and r.args == args), None)
            if done is None:
                return call(tool, **args)
            if done.failed:
                return reply(f"Sorry, that didn't go through: {done.result} Is there anything "
                             "else I can help with?")
        if any(_CONFIRMED.match(n) for n in notes):
            return reply("Done, that's taken care of. Is there anything else I can help with?")
        if any(n.startswith("The shopper declined") for n in notes):
            return reply("Okay, I've left it as it is. Is there anything else I can help with?")
        if not texts:
            return reply("Hi! How can I help you today?")
        if "that's all" in texts[-1].lower():
            return reply("You're welcome! Have a great day.")
        planned = self._request(texts)
        if planned is None:
            return reply("Happy to help. What would you like me to do with your order?")
        return self._resolve(planned, texts, context, runs)

    def _request(self, texts: list[str]) -> Planned | None:
        """The request the shopper is on: the latest user message holding a scripted one."""
        plan = self.plans.get(self.task or "", [])
        for text in reversed(texts):
            found = next((p for p in plan if p.message in text), None)
            if found is not None:
                return found
        return None

    def _resolve(self, planned: Planned, texts: list[str], context: str,
                 runs: list[ToolRun]) -> Step:
        failed = next((r for r in runs if r.failed), None)
        if failed is not None:
            return reply(f"Sorry, I couldn't do that: {failed.result} Is there anything else "
                         "I can help with?")
        if planned.tool == "transfer_to_human_agents":
            if not runs:
                return call(planned.tool, **planned.kwargs)
            return reply("A person from our team will reply here shortly.")
        verified = NOT_VERIFIED not in context or any(
            r.name.startswith("find_user_id") for r in runs)
        if not verified:
            said = " ".join(texts)
            if m := _NAME_ZIP.search(said):
                return call("find_user_id_by_name_zip", first_name=m[1], last_name=m[2],
                            zip=m[3])
            if m := _EMAIL.search(said):
                return call("find_user_id_by_email", email=m[1])
            return reply("Could you tell me your name and zip code, please?")
        kw = planned.kwargs
        names = {r.name for r in runs}
        order_id = kw.get("order_id")
        if (order_id and "get_order_details" not in names
                and not re.search(rf'"id":\s*"{re.escape(order_id)}"', context)):
            return call("get_order_details", order_id=order_id)
        looked = {r.args.get("product_id") for r in runs if r.name == "get_product_details"}
        budget = self.max_steps - len(runs) - 2  # the write and the reply still to come
        for item_id in kw.get("new_item_ids", []):
            product_id = self.products.get(item_id)
            if product_id and product_id not in looked and budget > 0:
                return call("get_product_details", product_id=product_id)
        write = next((r for r in runs if r.name == planned.tool), None)
        if write is None:
            return call(planned.tool, **kw)
        result = write.result
        if result.startswith("NEEDS CONFIRMATION"):
            summary = modelnotes.shopper_part(result)
            return reply(f"Please confirm: {summary} Shall I go ahead?")
        if result.startswith("HELD FOR STAFF APPROVAL"):
            return reply("This needs a review by our team; a person will reply here.")
        return reply("Done, that's taken care of. Is there anything else I can help with?")


def _tool_runs(turn: list[dict[str, Any]]) -> list[ToolRun]:
    """The tool calls of this turn with their results, in order."""
    results = {m.get("tool_call_id"): str(m.get("content") or "") for m in turn
               if m.get("role") == "tool"}
    runs = []
    for m in turn:
        for c in m.get("tool_calls") or []:
            fn = c.get("function", {})
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                args = {}
            runs.append(ToolRun(fn.get("name", ""), args if isinstance(args, dict) else {},
                                results.get(c.get("id"), "")))
    return runs


class Counter:
    """Prompt and completion tokens as a real tokenizer counts them (offline)."""

    def __init__(self) -> None:
        import litellm

        self.litellm = litellm

    def prompt(self, body: dict[str, Any]) -> int:
        return int(self.litellm.token_counter(
            model=TOKENIZER_MODEL, messages=body.get("messages", []),
            tools=body.get("tools") or None))

    def completion(self, step: Step) -> int:
        text = step.text if step.tool is None else json.dumps(
            {"name": step.tool, "arguments": json.dumps(step.arguments or {})})
        return int(self.litellm.token_counter(model=TOKENIZER_MODEL, text=text or ""))


def serve(port: int, data_dir: Path, max_steps: int) -> None:
    from aiohttp import web

    plans, products = load_plans(data_dir)
    model = Competent(plans, products, max_steps)
    counter = Counter()
    ids = itertools.count(1)
    stats: dict[str, Any] = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0,
                             "unplanned": 0}
    samples: list[dict[str, Any]] = []
    sampling = {"on": False}

    async def complete(request: web.Request) -> web.Response:
        body = await request.json()
        step = model(body)
        prompt, completion = counter.prompt(body), counter.completion(step)
        stats["requests"] += 1
        stats["prompt_tokens"] += prompt
        stats["completion_tokens"] += completion
        if step.text and step.text.startswith("Happy to help. What would"):
            stats["unplanned"] += 1
        if sampling["on"] and len(samples) < MAX_SAMPLES:
            samples.append(body)
        message: dict[str, Any] = {"role": "assistant", "content": step.text}
        finish = "stop"
        if step.tool is not None:
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{next(ids)}", "type": "function",
                "function": {"name": step.tool, "arguments": json.dumps(step.arguments or {})}}]}
            finish = "tool_calls"
        return web.json_response({
            "id": f"chatcmpl-{next(ids)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", ""),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        })

    async def control(request: web.Request) -> web.Response:
        body = await request.json()
        if "task" in body:
            model.task = body["task"]
        if "sample" in body:
            sampling["on"] = bool(body["sample"])
        if body.get("reset"):
            stats.update(requests=0, prompt_tokens=0, completion_tokens=0, unplanned=0)
            samples.clear()
        return web.json_response({"ok": True})

    async def get_stats(request: web.Request) -> web.Response:
        out = dict(stats)
        if request.query.get("samples"):
            out["samples"] = samples
        return web.json_response(out)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "tasks": len(plans)})

    app = web.Application(client_max_size=64 * 1024**2)
    app.router.add_post("/v1/chat/completions", complete)
    app.router.add_post("/chat/completions", complete)
    app.router.add_post("/bench/control", control)
    app.router.add_get("/bench/stats", get_stats)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--max-steps", type=int, default=6)
    args = parser.parse_args()
    serve(args.port, args.data, args.max_steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
