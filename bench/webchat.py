#!/usr/bin/env python
"""Web chat benchmark: the gateway's whole path against a bare aiohttp WebSocket echo server.

    python bench/webchat.py                       # defaults: 100 sessions x 50 messages,
                                                  # 2 rounds each, idle 1,000 and 10,000
    python bench/webchat.py --sessions 10 --messages 10 --idle 200,500   # quick

What it does, all on 127.0.0.1, every server in its own subprocess (so its RSS and CPU are
its alone and the load generator does not share its GIL):

1. Throughput and latency. N widget sessions (POST /chat/session, GET /chat/ws?token=...)
   each send M messages one at a time and wait for the agent's reply frame before the next
   (closed loop); latency = send -> reply frame. The gateway runs with debounce 0, so every
   message goes journal -> lane -> agent -> outbox -> socket. Rounds alternate
   bare, gateway(echo engine), bare, gateway(builtin engine), ...; each figure is the median
   of its rounds. The bare server (`--bare-server PORT`, below) accepts a WebSocket and
   answers each text frame with one JSON frame: the floor aiohttp itself sets.
2. Idle memory. Fresh processes; K sessions connect and do nothing (the gateway's through
   POST /chat/session first); per-session RSS = (VmRSS after - VmRSS before) / K.
3. CPU by stage. The gateway is started by this file (`--profile-server`) with probes
   installed by monkeypatching at run time (the gateway's code is not changed); see
   `Probes` for what each stage includes. Driven by the same closed loop, it prints CPU
   microseconds per message per stage, plus what no stage claims ("other") and the cost of
   the probes themselves.

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import ServerProcess, _jsonable, daemon_config, log, machine_cpu, pct  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Real help-center questions the built-in engine answers (none hands off, so every message
# gets exactly one agent reply), and a greeting.
QUESTIONS = ("How do I return an item?", "How much is shipping?", "Do you ship to Canada?",
             "hello")
ECHO_TEXTS = ("hello there", "How much is shipping?", "is my order on its way?",
              "thanks, that helps")
STAGES = ("journal", "lane", "agent", "outbox", "socket")


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the servers we start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]








# --------------------------------------------------------------------------- bare server

def bare_server_main(port: int) -> None:
    """The floor: aiohttp accepting WebSockets and answering each text frame with JSON."""
    raise_nofile()
    from aiohttp import WSMsgType, web

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    continue
                await ws.send_json({"type": "message", "role": "agent",
                                    "client_id": frame.get("client_id"),
                                    "text": frame.get("text")})
        return ws

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


# --------------------------------------------------------------------------- probes

class Probes:
    """CPU accounting by stage inside the gateway process (the profile pass only).

    Loop thread: the coroutines and functions below are wrapped so that each synchronous
    step they run (from one resume to the next suspension) is timed with time.thread_time();
    time is exclusive (a wrapped call inside another is charged to the inner one only), so
    waiting is never counted and nothing is counted twice. Store threads: the writer's batch
    (Database._run_batch) and each reader call (Database._run_read) are timed on their own
    thread; each write operation is charged its own time plus an equal share of the batch's
    BEGIN/SAVEPOINT/COMMIT overhead.

      journal  Router.publish (redaction, scheduling the lane) + the writer's
               journal_inbound (journal row, identity, conversation, message).
      lane     Lane.run and Router.run_turn minus the agent call, the typing frame and the
               outbox kick + the reader's pending_turn + the writer's commit_turn (the
               turn's reply, outbox rows and "handled" mark).
      agent    engine.respond + the reader's help-center search (built-in engine).
      outbox   Outbox.kick/_deliver/_attempt minus adapter.send + the writer's claim and
               finish_row + the poller's reader query.
      socket   WebchatAdapter.socket (the handler's receive loop), _frame (JSON decoding,
               validation, rate limit, ack) minus publish, send and typing (frame encoding
               and writes) + aiohttp's RequestHandler.data_received once upgraded (frame
               parsing) + the reader's chat_history.
      other    process CPU (getrusage) minus all of the above and minus the probes' own
               estimated cost: the event loop and selector, asyncio task switching, thread
               hand-offs and executor wake-ups, HTTP (the session POSTs are outside the
               measured window), GC.
    """

    def __init__(self) -> None:
        self.loop: dict[str, float] = defaultdict(float)
        self.threads: dict[str, float] = defaultdict(float)
        self.ops: dict[str, int] = defaultdict(int)
        self.stack: list[list[Any]] = []
        self.lock = threading.Lock()
        self.intervals = 0
        self.messages = 0
        self.pair_cost, self.empty = 0.0, 0.0
        self.pair_cost, self.empty = self._calibrate()
        self.rusage0 = 0.0
        self.wall0 = time.monotonic()
        self.task_cpu0: dict[str, float] = {}

    # loop thread: exclusive step timing
    def enter(self, stage: str) -> None:
        self.stack.append([stage, time.thread_time(), 0.0])

    def exit(self) -> None:
        now = time.thread_time()
        stage, t0, child = self.stack.pop()
        elapsed = max(0.0, now - t0 - self.empty)
        self.loop[stage] += max(0.0, elapsed - child)
        self.intervals += 1
        if self.stack:
            self.stack[-1][2] += elapsed + self.pair_cost

    def _calibrate(self) -> tuple[float, float]:
        """Cost of one enter/exit pair, and what an empty interval reads as."""
        n = 20000
        empties = []
        for _ in range(2000):
            a = time.thread_time()
            b = time.thread_time()
            empties.append(b - a)
        empty = statistics.median(empties)
        saved = (self.loop, self.intervals)
        self.loop = defaultdict(float)
        t0 = time.thread_time()
        for _ in range(n):
            self.enter("calibration")
            self.exit()
        pair = (time.thread_time() - t0) / n
        self.loop, self.intervals = saved
        return pair, empty

    def add_thread(self, key: str, seconds: float) -> None:
        with self.lock:
            self.threads[key] += seconds

    def arm(self) -> None:
        self.loop.clear()
        with self.lock:
            self.threads.clear()
            self.ops.clear()
        self.intervals = 0
        self.messages = 0
        self.rusage0 = _rusage_cpu()
        self.wall0 = time.monotonic()
        self.task_cpu0 = _task_cpu()

    def report(self) -> dict[str, Any]:
        total = _rusage_cpu() - self.rusage0
        tasks = _task_cpu()
        per_thread = {k: round(v - self.task_cpu0.get(k, 0.0), 4) for k, v in tasks.items()}
        with self.lock:
            threads, ops = dict(self.threads), dict(self.ops)
        return {"messages": self.messages, "total_cpu_s": total,
                "wall_s": time.monotonic() - self.wall0, "loop": dict(self.loop),
                "threads": threads, "ops": ops, "intervals": self.intervals,
                "pair_cost_s": self.pair_cost, "per_thread_cpu_s": per_thread}


def _rusage_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _task_cpu() -> dict[str, float]:
    """CPU seconds per thread of this process, by Python thread name."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = defaultdict(float)
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(tid), "other-thread")
        if name.startswith("store-read"):
            name = "store-read"
        out[name] += (int(fields[11]) + int(fields[12])) / tick
    return dict(out)


class _Steps:
    """Drives a coroutine, timing each synchronous step under `stage`."""

    __slots__ = ("probes", "stage", "coro")

    def __init__(self, probes: Probes, stage: str, coro: Any) -> None:
        self.probes, self.stage, self.coro = probes, stage, coro

    def __await__(self):  # type: ignore[no-untyped-def]
        probes, stage, coro = self.probes, self.stage, self.coro
        value: Any = None
        exc: BaseException | None = None
        while True:
            probes.enter(stage)
            try:
                yielded = coro.send(value) if exc is None else coro.throw(exc)
            except StopIteration as stop:
                probes.exit()
                return stop.value
            except BaseException:
                probes.exit()
                raise
            probes.exit()
            try:
                value, exc = (yield yielded), None
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as e:  # cancellation and the like go to the coroutine
                value, exc = None, e


def _timed_async(probes: Probes, stage: str, fn: Any) -> Any:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await _Steps(probes, stage, fn(*args, **kwargs))

    return wrapper


def _timed_sync(probes: Probes, stage: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        probes.enter(stage)
        try:
            return fn(*args, **kwargs)
        finally:
            probes.exit()

    return wrapper


WRITE_STAGE = {"journal_inbound": "journal", "commit_turn": "lane", "claim": "outbox",
               "finish_row": "outbox"}
READ_STAGE = {"pending_turn": "lane", "search": "agent", "queued": "outbox",
              "chat_history": "socket"}


def install_probes(probes: Probes) -> None:
    """Monkeypatch the gateway's classes (before build_app) to feed `probes`."""
    from aiohttp import web_protocol

    from omnichannel.adapters.webchat import WebchatAdapter
    from omnichannel.agent.builtin import BuiltinEngine
    from omnichannel.agent.engine import EchoEngine
    from omnichannel.outbox import Outbox
    from omnichannel.router import Lane, Router
    from omnichannel.store.db import Database

    publish = _timed_async(probes, "journal", Router.publish)

    async def counted_publish(self: Any, inbound: Any) -> Any:
        probes.messages += 1
        return await publish(self, inbound)

    Router.publish = counted_publish  # type: ignore[method-assign]
    Router.run_turn = _timed_async(probes, "lane", Router.run_turn)  # type: ignore[method-assign]
    Lane.run = _timed_async(probes, "lane", Lane.run)  # type: ignore[method-assign]
    for engine in (EchoEngine, BuiltinEngine):
        engine.respond = _timed_async(probes, "agent", engine.respond)  # type: ignore[method-assign]
    Outbox.kick = _timed_sync(probes, "outbox", Outbox.kick)  # type: ignore[method-assign]
    Outbox._deliver = _timed_async(probes, "outbox", Outbox._deliver)  # type: ignore[method-assign]
    Outbox._attempt = _timed_async(probes, "outbox", Outbox._attempt)  # type: ignore[method-assign]
    Outbox._poll = _timed_async(probes, "outbox", Outbox._poll)  # type: ignore[method-assign]
    for name in ("socket", "_frame", "send", "typing"):
        setattr(WebchatAdapter, name, _timed_async(probes, "socket", getattr(WebchatAdapter, name)))

    received = web_protocol.RequestHandler.data_received

    def data_received(self: Any, data: bytes) -> None:
        probes.enter("socket" if self._upgraded else "http")
        try:
            received(self, data)
        finally:
            probes.exit()

    web_protocol.RequestHandler.data_received = data_received  # type: ignore[method-assign]

    run_batch = Database._run_batch

    def timed_batch(self: Any, conn: Any, batch: list[Any]) -> None:
        spent: list[tuple[str, float]] = []

        def timed(fn: Any) -> Any:
            def op(*args: Any) -> Any:
                t = time.thread_time()
                try:
                    return fn(*args)
                finally:
                    spent.append((fn.__name__, time.thread_time() - t))
            return op

        t0 = time.thread_time()
        run_batch(self, conn, [(timed(fn), args, fut, loop) for fn, args, fut, loop in batch])
        total = time.thread_time() - t0
        share = max(0.0, total - sum(s for _n, s in spent)) / max(1, len(spent))
        with probes.lock:
            for name, s in spent:
                probes.threads[f"{WRITE_STAGE.get(name, 'other')}.write.{name}"] += s + share
                probes.ops[f"write.{name}"] += 1
            probes.ops["write.batches"] += 1

    Database._run_batch = timed_batch  # type: ignore[method-assign]

    run_read = Database._run_read

    def timed_read(self: Any, fn: Any, args: Any) -> Any:
        t = time.thread_time()
        try:
            return run_read(self, fn, args)
        finally:
            name = getattr(fn, "__name__", "read")
            with probes.lock:
                probes.threads[f"{READ_STAGE.get(name, 'other')}.read.{name}"] += (
                    time.thread_time() - t)
                probes.ops[f"read.{name}"] += 1

    Database._run_read = timed_read  # type: ignore[method-assign]


def profile_server_main(config_path: str, engine: str, stats_dir: str) -> None:
    """The gateway in this process with probes: SIGUSR1 arms, SIGUSR2 writes the stats."""
    raise_nofile()
    from aiohttp import web

    from omnichannel import config as config_mod
    from omnichannel import logs
    from omnichannel.app import build_app

    probes = Probes()
    install_probes(probes)
    config = config_mod.load(Path(config_path))
    logs.setup(config.logging.level, config.logging.format)
    out = Path(stats_dir)

    def write(name: str, data: dict[str, Any]) -> None:
        tmp = out / (name + ".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(out / name)

    async def run() -> None:
        app = build_app(config, engine_name=engine)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def arm() -> None:
            probes.arm()
            write("armed.json", {"armed": True})

        loop.add_signal_handler(signal.SIGUSR1, arm)
        loop.add_signal_handler(signal.SIGUSR2, lambda: write("stats.json", probes.report()))
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        site = web.TCPSite(runner, config.server.host, config.server.port)
        await site.start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(run())


# --------------------------------------------------------------------------- servers

def write_config(folder: Path, port: int, engine: str) -> Path:
    return daemon_config(folder, port, f'engine = "{engine}"\ndebounce_seconds = 0')


class Server(ServerProcess):
    """One server subprocess: the gateway daemon, the profiled gateway or the bare server."""

    def __init__(self, kind: str, label: str, tmp: Path, engine: str = "echo") -> None:
        super().__init__(label, tmp)
        self.kind, self.engine = kind, engine
        me = str(Path(__file__).resolve())
        if kind == "bare":
            self.cmd = [sys.executable, me, "--bare-server", str(self.port)]
        else:
            self.ready_path = "/readyz"
            cfg = write_config(self.dir, self.port, engine)
            if kind == "gateway":
                self.cmd = [sys.executable, "-m", "omnichannel", "--config", str(cfg), "run"]
            else:  # profile
                self.cmd = [sys.executable, me, "--profile-server", str(cfg),
                            "--engine", engine, "--stats-dir", str(self.dir)]

    @property
    def gateway(self) -> bool:
        return self.kind != "bare"

    @property
    def ws_path(self) -> str:
        return "/chat/ws" if self.gateway else "/ws"


# --------------------------------------------------------------------------- client

class Session:
    __slots__ = ("ws", "history")

    def __init__(self, ws: Any, history: bool) -> None:
        self.ws, self.history = ws, history


async def new_token(http: Any, server: Server, timeout: float) -> str:
    import aiohttp

    async with http.post(server.base + "/chat/session", json={},
                         timeout=aiohttp.ClientTimeout(total=timeout)) as r:
        if r.status != 200:
            raise RuntimeError(f"POST /chat/session: {r.status} {await r.text()}")
        return str((await r.json())["token"])


async def connect(http: Any, server: Server, token: str | None, timeout: float) -> Session:
    """Open one widget socket; for the gateway, wait for its history frame."""
    import aiohttp

    url = server.base + server.ws_path + (f"?token={token}" if token else "")
    ws = await http.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5),
                               autoping=True, max_msg_size=0)
    if server.gateway:
        msg = await ws.receive(timeout=timeout)
        if msg.type is not aiohttp.WSMsgType.TEXT or json.loads(msg.data).get("type") != "history":
            await ws.close()
            raise RuntimeError(f"expected a history frame, got {msg.type} {msg.data!r:.200}")
    return Session(ws, server.gateway)


async def open_sessions(http: Any, server: Server, n: int, timeout: float,
                        parallel: int = 50) -> list[Session]:
    sem = asyncio.Semaphore(parallel)

    async def one() -> Session:
        async with sem:
            token = await new_token(http, server, timeout) if server.gateway else None
            return await connect(http, server, token, timeout)

    return list(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))),
                                       timeout=timeout + n * 0.05))


async def close_sessions(sessions: list[Session], timeout: float = 30.0) -> None:
    sem = asyncio.Semaphore(200)

    async def one(s: Session) -> None:
        async with sem:
            try:
                await asyncio.wait_for(s.ws.close(), 5)
            except (TimeoutError, OSError, RuntimeError):
                pass

    try:
        await asyncio.wait_for(asyncio.gather(*(one(s) for s in sessions)), timeout)
    except TimeoutError:
        pass


async def converse(s: Session, idx: int, tag: str, m: int, texts: tuple[str, ...],
                   timeout: float, out: dict[str, Any]) -> None:
    """Closed loop: send one message, wait for the agent's reply frame, repeat m times."""
    import aiohttp

    ws, lat = s.ws, out["latencies"]
    for j in range(m):
        frame = json.dumps({"type": "message", "text": texts[(idx + j) % len(texts)],
                            "client_id": f"{tag}-{idx}-{j}"})
        t0 = time.perf_counter()
        await ws.send_str(frame)
        deadline = t0 + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                out["timeouts"] += 1
                return
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                out["timeouts"] += 1
                return
            if msg.type is not aiohttp.WSMsgType.TEXT:
                out["closed"] += 1
                return
            reply = json.loads(msg.data)
            kind = reply.get("type")
            if kind == "message" and reply.get("role") == "agent":
                lat.append(time.perf_counter() - t0)
                break
            if kind == "error":
                out["errors"] += 1
                out.setdefault("error_codes", set()).add(reply.get("code"))
                break
            out["other_frames"] += 1




async def load_round(http: Any, server: Server, n: int, m: int, texts: tuple[str, ...],
                     tag: str, timeout: float, before: Any = None, after: Any = None,
                     others: tuple[Server, ...] = ()) -> dict[str, Any]:
    """n sessions x m messages, closed loop; server CPU over the timed phase only."""
    sessions = await open_sessions(http, server, n, timeout)
    try:
        if before is not None:
            await before()
        out: dict[str, Any] = {"latencies": [], "timeouts": 0, "closed": 0, "errors": 0,
                               "other_frames": 0}
        others = tuple(o for o in others if o is not server and o.alive())
        bg0 = sum(o.cpu_s() for o in others)
        m0 = machine_cpu()
        cpu0, client0, t0 = server.cpu_s(), time.process_time(), time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(converse(s, i, tag, m, texts, timeout, out)
                             for i, s in enumerate(sessions))),
            timeout=timeout + m * n * 0.05 + 30)
        wall = time.perf_counter() - t0
        cpu, client = server.cpu_s() - cpu0, time.process_time() - client0
        bg = sum(o.cpu_s() for o in others) - bg0
        m1 = machine_cpu()
        jiffies = max(1, m1[0] - m0[0])
        if after is not None:
            out["probe"] = await after()
    finally:
        await close_sessions(sessions)
    lat = sorted(out.pop("latencies"))
    done = len(lat)
    res = {"messages": done, "expected": n * m, "wall_s": wall,
           "msgs_per_s": done / wall if wall > 0 else 0.0,
           "p50_ms": pct(lat, 0.50) * 1000, "p99_ms": pct(lat, 0.99) * 1000,
           "max_ms": (lat[-1] * 1000) if lat else float("nan"),
           "server_cpu_us_per_msg": cpu / done * 1e6 if done else float("nan"),
           "server_cores": cpu / wall if wall > 0 else 0.0,
           "client_cpu_us_per_msg": client / done * 1e6 if done else float("nan"),
           "client_cores": client / wall if wall > 0 else 0.0,
           # CPU the other benchmark servers used meanwhile (should be ~0).
           "background_cores": bg / wall if wall > 0 else 0.0,
           # Whole machine: share of CPU time idle, and stolen by the hypervisor.
           "machine_idle": (m1[1] - m0[1]) / jiffies, "steal": (m1[2] - m0[2]) / jiffies}
    res.update({k: v for k, v in out.items() if k != "error_codes"})
    if "error_codes" in out:
        res["error_codes"] = sorted(str(c) for c in out["error_codes"])
    return res


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("msgs_per_s", "p50_ms", "p99_ms", "max_ms", "server_cpu_us_per_msg",
            "server_cores", "client_cpu_us_per_msg", "client_cores", "background_cores",
            "machine_idle", "steal")
    out = {k: statistics.median(r[k] for r in rounds) for k in keys}
    out["rounds"] = len(rounds)
    out["messages"] = sum(r["messages"] for r in rounds)
    out["expected"] = sum(r["expected"] for r in rounds)
    for k in ("timeouts", "closed", "errors"):
        out[k] = sum(r[k] for r in rounds)
    return out


def fmt_round(label: str, r: dict[str, Any]) -> str:
    bad = "".join(f" {k}={r[k]}" for k in ("timeouts", "closed", "errors") if r.get(k))
    bad += f" steal {r['steal']:.0%}" if r.get("steal", 0) >= 0.02 else ""
    return (f"  {label:<16} {r['msgs_per_s']:8.0f} msg/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms  server {r['server_cpu_us_per_msg']:6.0f} us/msg "
            f"({r['server_cores']:.2f} cores)  client {r['client_cpu_us_per_msg']:5.0f} "
            f"us/msg ({r['client_cores']:.2f} cores)  bg {r['background_cores']:.2f}  "
            f"idle {r['machine_idle']:.0%}  {r['messages']}/{r['expected']}{bad}")


# --------------------------------------------------------------------------- idle RSS

async def idle_rss(server: Server, counts: list[int], timeout: float) -> dict[str, Any]:
    """Open idle sessions up to each count; per-session RSS = growth / sessions open."""
    import aiohttp

    total = max(counts)
    conn = aiohttp.TCPConnector(limit=0, force_close=False)
    result: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=conn) as http:
        # Warm up code paths and lazily built state (reader connections, caches).
        warm = await open_sessions(http, server, 20, timeout)
        await close_sessions(warm)
        tokens: list[str | None] = [None] * total
        if server.gateway:
            t = time.monotonic()
            async with aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=32)) as posts:
                sem = asyncio.Semaphore(32)

                async def tok(i: int) -> None:
                    async with sem:
                        tokens[i] = await new_token(posts, server, timeout)

                await asyncio.wait_for(asyncio.gather(*(tok(i) for i in range(total))),
                                       timeout=60 + total * 0.02)
            result["tokens_s"] = round(time.monotonic() - t, 2)
        await asyncio.sleep(1.5)
        base = server.rss_kib()
        result["baseline_kib"] = base
        stop = asyncio.Event()
        opened: list[Any] = []
        failures = 0
        sem = asyncio.Semaphore(100)

        async def idle(i: int, ready: asyncio.Future[Any]) -> None:
            try:
                async with sem:
                    s = await connect(http, server, tokens[i], timeout)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                ready.set_exception(exc)
                return
            ready.set_result(s)
            opened.append(s)
            # Keep reading so pings are answered; otherwise do nothing.
            async for _msg in s.ws:
                if stop.is_set():
                    break

        tasks: list[asyncio.Task[None]] = []
        try:
            for k in sorted(set(counts)):
                t = time.monotonic()
                loop = asyncio.get_running_loop()
                waits = []
                for i in range(len(tasks), k):
                    fut = loop.create_future()
                    tasks.append(asyncio.create_task(idle(i, fut)))
                    waits.append(fut)
                done = await asyncio.wait_for(
                    asyncio.gather(*waits, return_exceptions=True), timeout=60 + k * 0.05)
                failures += sum(1 for d in done if isinstance(d, BaseException))
                open_s = time.monotonic() - t
                await asyncio.sleep(1.5)
                rss = server.rss_kib()
                live = len(opened)
                result[str(k)] = {"open": live, "failed": failures, "rss_kib": rss,
                                  "per_session_kib": (rss - base) / live if live else None,
                                  "connect_s": round(open_s, 2)}
                if failures:
                    errs = [d for d in done if isinstance(d, BaseException)]
                    result[str(k)]["first_error"] = f"{type(errs[0]).__name__}: {errs[0]}"
        finally:
            stop.set()
            await close_sessions(opened, timeout=60)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return result


# --------------------------------------------------------------------------- profile pass

async def wait_file(path: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():  # noqa: ASYNC240 - a small local file
            return json.loads(path.read_text())  # noqa: ASYNC240
        await asyncio.sleep(0.02)
    raise RuntimeError(f"{path} did not appear within {timeout}s")


def stage_breakdown(stats: dict[str, Any]) -> dict[str, Any]:
    n = max(1, stats["messages"])
    us = 1e6 / n
    per: dict[str, float] = {s: stats["loop"].get(s, 0.0) for s in STAGES}
    detail: dict[str, float] = {f"{s}.loop": v * us for s, v in stats["loop"].items()
                                if s != "calibration"}
    for key, v in stats["threads"].items():
        stage = key.split(".", 1)[0]
        if stage in per:
            per[stage] += v
        detail[key] = v * us
    probes_cost = stats["intervals"] * stats["pair_cost_s"]
    out = {s: round(per[s] * us, 1) for s in STAGES}
    out["other"] = round((stats["total_cpu_s"] - sum(per.values()) - probes_cost) * us, 1)
    out["probes"] = round(probes_cost * us, 1)
    out["total"] = round(stats["total_cpu_s"] * us, 1)
    return {"cpu_us_per_msg": out, "detail_us_per_msg": {k: round(v, 1)
                                                         for k, v in sorted(detail.items())},
            "per_thread_us_per_msg": {k: round(v * us, 1)
                                      for k, v in stats["per_thread_cpu_s"].items() if v > 0},
            "ops_per_msg": {k: round(v / n, 3) for k, v in sorted(stats["ops"].items())},
            "messages": stats["messages"], "wall_s": round(stats["wall_s"], 2)}


async def profile_pass(tmp: Path, engine: str, n: int, m: int, timeout: float) -> dict[str, Any]:
    import aiohttp

    server = await Server("profile", f"profile-{engine}", tmp, engine).start()
    texts = QUESTIONS if engine == "builtin" else ECHO_TEXTS
    try:
        assert server.proc is not None
        pid = server.proc.pid
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await load_round(http, server, min(n, 20), 5, texts, "pwarm", timeout)

            async def arm() -> None:
                os.kill(pid, signal.SIGUSR1)
                await wait_file(server.dir / "armed.json", 10)

            async def dump() -> dict[str, Any]:
                os.kill(pid, signal.SIGUSR2)
                return await wait_file(server.dir / "stats.json", 10)

            r = await load_round(http, server, n, m, texts, "prof", timeout, arm, dump)
        result = stage_breakdown(r.pop("probe"))
        result["round"] = r
        return result
    finally:
        server.stop()


# --------------------------------------------------------------------------- main

async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    nofile = raise_nofile()
    tmp = Path(tempfile.mkdtemp(prefix="omnichannel-bench-"))
    idle_counts = [int(x) for x in args.idle.split(",") if x.strip()] if args.idle else []
    # Each idle session is one fd in the client and one in the server (plus headroom).
    room = nofile - 256
    capped = [min(k, room) for k in idle_counts]
    result: dict[str, Any] = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "aiohttp": aiohttp.__version__, "platform": platform.platform(),
                    "rlimit_nofile": nofile},
        "settings": {"sessions": args.sessions, "messages": args.messages,
                     "rounds": args.rounds, "idle": idle_counts, "debounce_seconds": 0},
    }
    log(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}, RLIMIT_NOFILE {nofile}")
    log(f"load: {args.sessions} sessions x {args.messages} messages, closed loop, "
        f"{args.rounds} rounds per gateway engine (bare runs before each)")
    servers: list[Server] = []
    t_start = time.monotonic()
    try:
        # 1. throughput and latency
        bare = await Server("bare", "bare", tmp).start()
        servers.append(bare)
        echo = await Server("gateway", "gateway-echo", tmp, "echo").start()
        servers.append(echo)
        builtin = await Server("gateway", "gateway-builtin", tmp, "builtin").start()
        servers.append(builtin)
        rounds: dict[str, list[dict[str, Any]]] = {"bare": [], "echo": [], "builtin": []}
        all3 = (bare, echo, builtin)
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as http:
            warm_n = min(args.sessions, 20)
            for srv, texts in ((bare, ECHO_TEXTS), (echo, ECHO_TEXTS), (builtin, QUESTIONS)):
                await load_round(http, srv, warm_n, 5, texts, "warm", args.timeout)
            # The pipeline's own latency, without queueing behind other sessions.
            log("\none session, closed loop (no queueing; latency floor):")
            result["single_session"] = {}
            for name, srv, texts in (("bare", bare, ECHO_TEXTS), ("echo", echo, ECHO_TEXTS),
                                     ("builtin", builtin, QUESTIONS)):
                r = await load_round(http, srv, 1, args.messages, texts, "one", args.timeout,
                                     others=all3)
                result["single_session"][name] = {k: r[k] for k in (
                    "msgs_per_s", "p50_ms", "p99_ms", "server_cpu_us_per_msg")}
                log(fmt_round(name, r))
            log("\nthroughput and latency (per round):")
            plan = []
            for _ in range(args.rounds):
                plan += [("bare", bare, ECHO_TEXTS), ("echo", echo, ECHO_TEXTS),
                         ("bare", bare, ECHO_TEXTS), ("builtin", builtin, QUESTIONS)]
            for i, (name, srv, texts) in enumerate(plan):
                r = await load_round(http, srv, args.sessions, args.messages, texts,
                                     f"r{i}", args.timeout, others=all3)
                rounds[name].append(r)
                log(fmt_round(f"{name} #{len(rounds[name])}", r))
        for srv in (echo, builtin):
            srv.stop()
            errors = [ln for ln in srv.tail(100_000).splitlines() if '"level": "error"' in ln]
            if errors:
                log(f"  {srv.label} logged {len(errors)} errors; first: {errors[0][:300]}")
        bare.stop()
        med = {k: median_of(v) for k, v in rounds.items()}
        result.update(med)
        ratio = med["echo"]["msgs_per_s"] / med["bare"]["msgs_per_s"]
        ratio_b = med["builtin"]["msgs_per_s"] / med["bare"]["msgs_per_s"]
        result["ratio_echo_vs_bare"] = round(ratio, 3)
        result["ratio_builtin_vs_bare"] = round(ratio_b, 3)
        log("\nmedian of rounds:")
        for name in ("bare", "echo", "builtin"):
            log(fmt_round(name, med[name]))
        log(f"  ratio echo/bare {ratio:.3f}   builtin/bare {ratio_b:.3f}")
        bare_cpu = med["bare"]["server_cpu_us_per_msg"]
        echo_cpu = med["echo"]["server_cpu_us_per_msg"]
        if bare_cpu > 0 and echo_cpu > 0:
            result["server_cpu_ratio_bare_vs_echo"] = round(bare_cpu / echo_cpu, 3)
            log(f"  server CPU per message, bare/echo {bare_cpu / echo_cpu:.3f} (the same gap "
                f"seen as CPU; /proc ticks are 10 ms)")
        else:
            result["server_cpu_ratio_bare_vs_echo"] = None
            log("  server CPU per message: too few messages for /proc's 10 ms ticks")
        if med["bare"]["client_cores"] > 0.85:
            log(f"  note: the bare rounds are bounded by this load generator (client "
                f"{med['bare']['client_cores']:.2f} cores on {os.cpu_count()} CPUs, server "
                f"{med['bare']['server_cores']:.2f}): the bare server can do more, so the "
                f"ratio flatters the gateway")

        # 2. CPU by stage (probed gateway)
        if not args.skip_profile:
            log("\nserver CPU per message by stage (probed gateway, one pass each):")
            result["cpu_us_per_msg"] = {}
            result["cpu_detail"] = {}
            for engine in ("echo", "builtin"):
                p = await profile_pass(tmp, engine, args.sessions, args.messages, args.timeout)
                result["cpu_us_per_msg"][engine] = p["cpu_us_per_msg"]
                result["cpu_detail"][engine] = {k: p[k] for k in (
                    "detail_us_per_msg", "per_thread_us_per_msg", "ops_per_msg", "messages",
                    "wall_s")}
                c = p["cpu_us_per_msg"]
                log(f"  {engine:<8} " + "  ".join(f"{k} {c[k]:.0f}" for k in (
                    *STAGES, "other", "probes", "total")) + " us/msg")
                log(f"           ({p['messages']} messages, {p['round']['msgs_per_s']:.0f} msg/s "
                    f"under probes; unprobed rounds: {med[engine]['server_cpu_us_per_msg']:.0f} "
                    f"us/msg, {med[engine]['msgs_per_s']:.0f} msg/s)")
                d = p["detail_us_per_msg"]
                log("           detail: " + "  ".join(f"{k} {v:.0f}" for k, v in d.items()))
                log("           threads: " + "  ".join(
                    f"{k} {v:.0f}" for k, v in p["per_thread_us_per_msg"].items()) + " us/msg")
                log("           store ops/msg: " + "  ".join(
                    f"{k} {v:g}" for k, v in p["ops_per_msg"].items()))

        # 3. idle RSS
        if idle_counts:
            log("\nidle sessions (fresh processes; per-session = RSS growth / sessions):")
            if capped != idle_counts:
                log(f"  RLIMIT_NOFILE {nofile} caps idle sessions at {room}: "
                    f"measuring {capped} instead of {idle_counts}")
            result["idle_rss_kib_per_session"] = {}
            result["idle_detail"] = {}
            for name, kind, engine in (("bare", "bare", "echo"),
                                       ("gateway", "gateway", "builtin")):
                srv = await Server(kind, f"idle-{name}", tmp, engine).start()
                servers.append(srv)
                try:
                    r = await idle_rss(srv, capped, args.timeout)
                finally:
                    srv.stop()
                result["idle_detail"][name] = r
                result["idle_rss_kib_per_session"][name] = {
                    str(k): (round(r[str(c)]["per_session_kib"], 2)
                             if r[str(c)]["per_session_kib"] is not None else None)
                    for k, c in zip(idle_counts, capped, strict=True)}
                for k in capped:
                    e = r[str(k)]
                    per = e["per_session_kib"]
                    log(f"  {name:<8} {e['open']:>6} open ({e['failed']} failed, connect "
                        f"{e['connect_s']} s): RSS {r['baseline_kib']} -> {e['rss_kib']} KiB, "
                        f"{per:.2f} KiB/session" if per is not None else
                        f"  {name:<8} no session opened: {e.get('first_error')}")
            rss = result["idle_rss_kib_per_session"]
            result["idle_rss_ratio_gateway_vs_bare"] = {
                k: (round(rss["gateway"][k] / rss["bare"][k], 2)
                    if rss["gateway"][k] and rss["bare"][k] else None) for k in rss["bare"]}

        # targets
        e = med["echo"]
        targets = {
            "echo_throughput_ratio_ge_0.25": ratio >= 0.25,
            "gateway_echo_p99_lt_25ms": e["p99_ms"] < 25.0,
            "gateway_builtin_p99_lt_25ms": med["builtin"]["p99_ms"] < 25.0,
        }
        if idle_counts:
            for k, v in result["idle_rss_ratio_gateway_vs_bare"].items():
                targets[f"idle_rss_{k}_le_2x_bare"] = v is not None and v <= 2.0
        result["targets"] = targets
        log(f"\ntargets (p99 target stated for {args.sessions} sessions; "
            f"spec is 100 sessions):")
        for k, v in targets.items():
            log(f"  {'PASS' if v else 'FAIL'}  {k}")
        result["elapsed_s"] = round(time.monotonic() - t_start, 1)
        log(f"\nelapsed {result['elapsed_s']} s")
        return result
    finally:
        for srv in servers:
            srv.stop()
        if args.keep_tmp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--messages", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds per gateway engine (bare runs before each)")
    ap.add_argument("--idle", default="1000,10000",
                    help="comma-separated idle session counts; empty to skip")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds to wait for one reply or one connection")
    ap.add_argument("--skip-profile", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=900.0,
                    help="give up after this long overall")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--profile-server", metavar="CONFIG", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="echo", help=argparse.SUPPRESS)
    ap.add_argument("--stats-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_server is not None:
        bare_server_main(args.bare_server)
        return 0
    if args.profile_server is not None:
        profile_server_main(args.profile_server, args.engine, args.stats_dir)
        return 0
    if args.sessions < 1 or args.messages < 1 or args.rounds < 1:
        ap.error("--sessions, --messages and --rounds must be at least 1")
    result = asyncio.run(asyncio.wait_for(bench(args), args.max_seconds))
    print(json.dumps(_jsonable(result), sort_keys=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
