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
