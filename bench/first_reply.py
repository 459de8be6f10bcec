#!/usr/bin/env python
"""First-reply benchmark: how long a shopper waits for the first answer in the web widget.

    python bench/first_reply.py                    # 300 questions, 4 at a time
    python bench/first_reply.py --questions 60     # quick

Each question is a new widget session (POST /chat/session, GET /chat/ws, history frame),
one complete message with no typing frames, and the time from sending it to the first
message frame from our side (agent, or system on a handoff). The gateway is the daemon
(`python -m omnichannel run`, its own subprocess, so its CPU is its alone) on the default
config: built-in engine, demo shop, default [agent] keys; only the widget's rate limits
are lifted so a few hundred sessions from one address are let in. In the same run:

- `default`: the config as shipped (merge window `debounce_seconds` 0.25 s, typing-aware);
- `old`: the same with the previous fixed wait (`debounce_seconds = 1.5`, typing ignored),
  the baseline of the ratio;
- `echo`: the default window with the echo engine, the path without the engine, so that
  `default` minus `echo` is the built-in engine's own CPU per reply.

Server CPU per reply is the daemon's utime + stime over the timed questions divided by
their number (session, socket, journal, lane, engine, outbox: everything). The questions
are written below; there are a hundred, cycled to reach --questions.

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ServerProcess, _jsonable, daemon_config, log, pct  # noqa: E402

QUESTIONS = (
    "How do I return an item?", "do you ship to canada", "what payment methods do you take",
    "How much is shipping?", "How long does delivery take?", "Can I exchange a jacket for a "
    "different size?", "what is your return policy", "do you offer free shipping",
    "how long do refunds take", "Can I pay with PayPal?", "do you take apple pay",
    "Do you ship internationally?", "how do I track my order", "can I change my delivery "
    "address", "Can I cancel my order?", "where is my order", "what sizes do you have",
    "how do i find my size", "Do your shoes run small?", "is there a size chart",
    "do you ship to the UK", "how much does express shipping cost", "Can I get next day "
    "delivery?", "Do you deliver on weekends?", "what carriers do you use",
    "my parcel hasn't arrived", "I got the wrong item", "the item arrived damaged",
    "can I return a sale item", "how many days do I have to return something",
    "do I have to pay for return shipping", "Can I return without a receipt?",
    "how do I get a refund", "When will I get my money back?", "can I get store credit instead",
    "do you have gift cards", "Can I use two discount codes?", "my promo code doesn't work",
    "do you price match", "Is my payment information safe?", "can i pay in installments",
    "do you accept klarna", "Do you take American Express?", "can I pay by bank transfer",
    "why was my card declined", "I was charged twice", "can I get an invoice",
    "Do you charge sales tax?", "will I pay customs duties", "do you ship to australia",
    "Do you ship to PO boxes?", "can I pick up in store", "where are your stores",
    "what are your opening hours", "how do I contact you", "can I talk to a person",
    "how do I reset my password", "I can't log in", "how do I delete my account",
    "how do I unsubscribe from emails", "do you have a newsletter", "Is this item in stock?",
    "when will the blue sweater be back", "do you restock sold out items",
    "can I reserve an item", "are your products sustainable", "what are the jackets made of",
    "How do I wash a wool sweater?", "do you offer gift wrapping", "can I add a gift message",
    "can I send an order to a different address", "Can I change my order after placing it?",
    "I forgot to use my discount code", "how do I place an order", "do you have a loyalty "
    "program", "Do you offer student discounts?", "is there a military discount",
    "Do you have a warranty?", "my zipper broke, can you repair it", "do you sell online only",
    "How do I know my order went through?", "I didn't get a confirmation email",
    "can I order by phone", "Do you ship to Hawaii?", "how much is shipping to canada",
    "What's your exchange policy?", "can I return shoes I wore outside",
    "do you offer same day delivery", "my tracking number doesn't work",
    "the parcel says delivered but I don't have it", "can I change the size on my order",
    "Do you have a mobile app?", "do you sell kids clothes", "are your prices in USD",
    "Can I pay in euros?", "do you do wholesale", "do you have an outlet",
    "How do I leave a review?", "I want to make a complaint", "what is your phone number",
)
VARIANTS = (  # name, engine, extra [agent] lines
    ("default", "builtin", ""),
    ("old", "builtin", "debounce_seconds = 1.5\ntyping_grace_seconds = 0\n"),
    ("echo", "echo", ""),
)


class Gateway(ServerProcess):
    ready_path = "/readyz"

    def __init__(self, label: str, tmp: Path, engine: str, agent_extra: str) -> None:
        super().__init__(label, tmp)
        cfg = daemon_config(self.dir, self.port, f'engine = "{engine}"\n{agent_extra}')
        self.cmd = [sys.executable, "-m", "omnichannel", "--config", str(cfg), "run"]


async def ask(http: Any, gw: Gateway, text: str, timeout: float) -> tuple[float, str]:
    """One new session, one question: seconds from send to our first message, its role."""
    import aiohttp

    async with http.post(gw.base + "/chat/session", json={}) as r:
        if r.status != 200:
            raise RuntimeError(f"POST /chat/session: {r.status} {await r.text()}")
        token = (await r.json())["token"]
    url = gw.base.replace("http", "ws", 1) + f"/chat/ws?token={token}"
    async with http.ws_connect(url, max_msg_size=0) as ws:
        first = json.loads((await ws.receive(timeout=timeout)).data)
        if first.get("type") != "history":
            raise RuntimeError(f"expected a history frame, got {first!r:.200}")
        t0 = time.perf_counter()
        await ws.send_json({"type": "message", "text": text, "client_id": "q"})
        while True:
            msg = await ws.receive(timeout=timeout)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"socket {msg.type.name} before the reply")
            frame = json.loads(msg.data)
            if frame.get("type") == "message" and frame.get("role") != "customer":
                return time.perf_counter() - t0, str(frame.get("role"))


async def run_variant(http: Any, gw: Gateway, n: int, parallel: int, warm: int,
                      timeout: float) -> dict[str, Any]:
    texts = itertools.cycle(QUESTIONS)
    for _ in range(warm):  # first imports, the classifier, the help-center index
        await ask(http, gw, next(texts), timeout)
    todo = [next(texts) for _ in range(n)]
    latencies: list[float] = []
    roles: dict[str, int] = {}

    async def worker() -> None:
        while todo:
            seconds, role = await ask(http, gw, todo.pop(), timeout)
            latencies.append(seconds)
            roles[role] = roles.get(role, 0) + 1

    cpu0, t0 = gw.cpu_s(), time.monotonic()
    await asyncio.gather(*(worker() for _ in range(parallel)))
    wall, cpu = time.monotonic() - t0, gw.cpu_s() - cpu0
    lat = sorted(latencies)
    return {"replies": len(lat), "p50_ms": pct(lat, 0.50) * 1e3, "p99_ms": pct(lat, 0.99) * 1e3,
            "mean_ms": statistics.fmean(lat) * 1e3, "max_ms": lat[-1] * 1e3,
            "server_cpu_ms_per_reply": cpu / len(lat) * 1e3, "wall_s": wall,
            "first_message_roles": roles}


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    tmp = Path(tempfile.mkdtemp(prefix="omnichannel-first-reply-"))
    result: dict[str, Any] = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"questions": args.questions, "parallel": args.parallel,
                     "warm": args.warm, "distinct_questions": len(QUESTIONS)},
    }
    log(f"{args.questions} questions per variant ({len(QUESTIONS)} distinct), {args.parallel} "
        f"at a time, each a new widget session; no typing frames")
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            for name, engine, extra in VARIANTS:
                gw = await Gateway(name, tmp, engine, extra).start(timeout=args.timeout * 4)
                try:
                    r = await run_variant(http, gw, args.questions, args.parallel, args.warm,
                                          args.timeout)
                finally:
                    gw.stop()
                errors = [ln for ln in gw.tail(200_000).splitlines() if '"level": "error"' in ln]
                r["server_errors"] = len(errors)
                result[name] = r
                log(f"  {name:<8} p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
                    f"CPU {r['server_cpu_ms_per_reply']:6.2f} ms/reply  "
                    f"({r['replies']} replies in {r['wall_s']:.1f} s; first from "
                    + ", ".join(f"{k} {v}" for k, v in sorted(r["first_message_roles"].items()))
                    + (f"; {len(errors)} errors logged" if errors else "") + ")")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    d, o, e = result["default"], result["old"], result["echo"]
    result["p50_ratio_default_vs_old"] = d["p50_ms"] / o["p50_ms"]
    result["p99_ratio_default_vs_old"] = d["p99_ms"] / o["p99_ms"]
    result["builtin_engine_cpu_ms_per_reply"] = (d["server_cpu_ms_per_reply"]
                                                 - e["server_cpu_ms_per_reply"])
    log(f"\ndefault vs old 1.5 s wait: p50 x{result['p50_ratio_default_vs_old']:.3f}, "
        f"p99 x{result['p99_ratio_default_vs_old']:.3f}")
    log(f"built-in engine's own CPU per reply (default - echo): "
        f"{result['builtin_engine_cpu_ms_per_reply']:.2f} ms")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=300, help="timed questions per variant")
    ap.add_argument("--parallel", type=int, default=4, help="questions in flight at once")
    ap.add_argument("--warm", type=int, default=10, help="untimed questions first")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds to wait for one reply or one connection")
    ap.add_argument("--max-seconds", type=float, default=1200.0,
                    help="give up after this long overall")
    args = ap.parse_args()
    if args.questions < 1 or args.parallel < 1:
        ap.error("--questions and --parallel must be at least 1")
    result = asyncio.run(asyncio.wait_for(bench(args), args.max_seconds))
    print(json.dumps(_jsonable(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
