"""Helpers for tests that run the real daemon as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, port: int, extra: str = "", debounce: float = 0.0) -> Path:
    """A config for one test: its own state directory and port, web chat on."""
    path = folder / "config.toml"
    path.write_text(
        f"""
[server]
host = "127.0.0.1"
port = {port}

[store]
state_dir = "state"

[logging]
level = "INFO"
format = "json"

[agent]
debounce_seconds = {debounce}

[commerce]
backend = "none"

[channels.webchat]
enabled = true
{extra}
"""
    )
    return path


class Daemon:
    """`omnichannel run` in a subprocess, with its log captured to a file."""

    def __init__(self, config: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.log = config.parent / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Daemon:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "omnichannel", "--config", str(self.config), "run"],
            stdout=fh, stderr=subprocess.STDOUT, env=self.env, cwd=self.config.parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as resp:
                    if json.loads(resp.read())["ready"]:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daemon not ready after {timeout}s:\n{self.logs()}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


TAUBENCH = Path(os.environ.get("TAUBENCH_RETAIL", ROOT.parent / "shared" / "taubench" / "retail"))


def require_taubench() -> Path:
    """The τ-bench retail folder; missing data fails in CI and skips on a laptop."""
    import pytest

    if not (TAUBENCH / "users.json").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"τ-bench data missing at {TAUBENCH} (../shared must sit beside the "
                        "repository)", pytrace=False)
        pytest.skip(f"τ-bench data not found at {TAUBENCH}", allow_module_level=True)
    return TAUBENCH


async def until(check, timeout: float = 20.0, step: float = 0.02):  # type: ignore[no-untyped-def]
    """Wait until `check()` (sync or async) is truthy and return it; fail after `timeout`."""
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(step)
    raise AssertionError("condition not met in time")


async def attach_adapter(gw, name: str, adapter):  # type: ignore[no-untyped-def]
    """Start `adapter` inside a running in-process gateway the way app.py does (registry +
    supervisor) and wait for its start to finish; returns the adapter."""
    sup = gw.rt.launch(name, adapter)
    assert sup.task is not None
    await sup.task
    return adapter


async def settle(gw, name: str, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    """Let turns and replies in progress reach the channel's fake before it goes away (the
    gateway itself stops lanes and the outbox before its channels). A row that cannot go
    out (a test that stopped the platform) is the caller's to check."""
    assert gw.rt.router is not None
    await gw.rt.router.drain_lanes(timeout)

    def busy(conn):  # type: ignore[no-untyped-def]
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE channel = ? AND status IN "
                            "('queued', 'sending')", (name,)).fetchone()[0]

    async def idle() -> bool:
        return not await gw.store.db.read(busy)

    try:
        await until(idle, timeout=timeout)
    except AssertionError:
        pass


async def detach_adapter(gw, name: str) -> None:  # type: ignore[no-untyped-def]
    """Settle, then stop the channel's supervisor and adapter and forget them."""
    if name in gw.rt.adapters and gw.rt.store is not None:
        await settle(gw, name)
    sup = gw.rt.supervisors.pop(name, None)
    if sup is not None:
        await sup.stop()
    adapter = gw.rt.adapters.pop(name, None)
    if adapter is not None:
        await adapter.stop()
