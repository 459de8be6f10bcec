"""Helpers every benchmark here uses: ports, machine CPU counters, percentiles, JSON."""

from __future__ import annotations

import math
import socket
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # benchmarks only ever listen and connect here


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def machine_cpu() -> tuple[int, int, int]:
    """(total, idle+iowait, steal) jiffies from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(v), v[3] + v[4], v[7]


def log(line: str = "") -> None:
    print(line, flush=True)


def pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if obj != obj else round(obj, 3)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


WIDE_OPEN_WEBCHAT = """
[channels.webchat]
enabled = true
rate_limit_per_minute = 1000000
rate_limit_burst = 1000000
sessions_per_minute_per_ip = 1000000
"""


def daemon_config(folder: Path, port: int, agent: str, rest: str = WIDE_OPEN_WEBCHAT) -> Path:
    """config.toml for a benched daemon: its port, its own state, quiet JSON logs, the given
    `[agent]` keys and the rest of the tables (the web chat with no limits by default)."""
    path = folder / "config.toml"
    path.write_text(f"""
[server]
host = "{HOST}"
port = {port}

[store]
state_dir = "state"

[logging]
level = "WARNING"
format = "json"

[agent]
{agent.strip()}
{rest}""")
    return path


class ServerProcess:
    """A server under test in its own subprocess (so its CPU is its alone): started, polled
    until `ready_path` answers 200, measured from /proc, stopped with SIGTERM. Subclasses set
    `cmd` (and `ready_path`) in their constructor."""

    ready_path = "/healthz"

    def __init__(self, label: str, tmp: Path) -> None:
        import tempfile

        self.label = label
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=tmp))
        self.log = self.dir / "server.log"
        self.proc: Any = None
        self.cmd: list[str] = []

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def start(self, timeout: float = 60.0) -> Any:
        import asyncio
        import subprocess
        import time

        import aiohttp

        fh = self.log.open("ab")
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - starting is instant; we poll below
            self.cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=self.dir)
        fh.close()
        url = self.base + self.ready_path
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.label} exited {self.proc.returncode}:\n"
                                       f"{self.tail()}")
                try:
                    async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            return self
                except (TimeoutError, aiohttp.ClientError):
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.label} not ready after {timeout}s:\n{self.tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        import signal
        import subprocess

        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def cpu_s(self) -> float:
        """utime + stime of the whole process (all threads)."""
        import os

        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


class LoopbackGateway:
    """The gateway in this process, reached through the loopback channel the way
    `omnichannel chat` does: journal -> lane -> engine -> outbox -> loopback. `config` is a
    validated omnichannel Config (set `agent.debounce_seconds = 0`)."""

    def __init__(self, config: Any, engine: str | None = None) -> None:
        self.config, self.engine_name = config, engine
        self.store: Any = None
        self.commerce: Any = None
        self.router: Any = None
        self.adapter: Any = None

    async def open(self) -> LoopbackGateway:
        import asyncio

        from omnichannel.adapters.loopback import LoopbackAdapter
        from omnichannel.app import GatewayContext, Runtime, index_knowledge, make_router
        from omnichannel.commerce.backends import open_backend
        from omnichannel.store import Store

        c, state = self.config, self.config.store.state_dir
        self.store = Store(state, synchronous=c.store.synchronous)
        await asyncio.to_thread(self.store.open)
        await index_knowledge(self.store, c)
        self.commerce = await asyncio.to_thread(
            open_backend, c.commerce.backend, c.commerce.data, state, c.commerce.seed,
            c.guardrails.return_window_days or None, c.commerce.shopify)
        self.adapter = adapter = LoopbackAdapter()
        self.router = make_router(c, self.store, lambda n: adapter if n == adapter.name else None,
                                  self.engine_name, self.commerce)
        await self.router.outbox.start(recover=False, poll=False)
        rt = Runtime(config=c, store=self.store, commerce=self.commerce, router=self.router)
        await adapter.start(GatewayContext(rt, adapter.name))
        return self

    async def turn(self, text: str, chat_id: str, button: str | None = None
                   ) -> tuple[int, list[Any]]:
        """Send one message; (conversation id, every Outbound of the turn it started)."""
        pub = await self.adapter.say(text, chat_id=chat_id, button_value=button)
        lane = self.router.lanes.get(pub.conversation_id)
        if lane is not None and lane.task is not None:
            await lane.task  # the turn committed its replies and kicked the outbox
        task = getattr(self.router.outbox, "_tasks", {}).get(pub.conversation_id)
        if task is not None:
            await task  # delivered to the loopback queue
        q = self.adapter.queue(chat_id)
        return pub.conversation_id, [q.get_nowait() for _ in range(q.qsize())]

    async def close(self) -> None:
        import asyncio

        from omnichannel.commerce.backends import close_backend

        await self.router.stop()
        await self.router.outbox.stop()
        await self.adapter.stop()
        await close_backend(self.commerce)
        await asyncio.to_thread(self.store.close)
