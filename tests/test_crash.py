"""Invariants 1 and 4 against real SIGKILLs of the daemon process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.support import ROOT, Daemon, free_port, write_config
from tests.wsclient import ChatClient


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[tuple[Path, int, list[Daemon]]]:
    port = free_port()
    running: list[Daemon] = []
    yield write_config(tmp_path, port), port, running
    for d in running:
        d.stop()


def _start(config: Path, port: int, running: list[Daemon], crash_at: str = "") -> Daemon:
    env = {"OMNICHANNEL_CRASH_AT": crash_at} if crash_at else {}
    d = Daemon(config, port, env)
    running.append(d)
    return d.start()


async def _history(base: str, http: aiohttp.ClientSession, token: str) -> dict:  # type: ignore[type-arg]
    c = ChatClient(base, http)
    c.token = token
    h = await c.connect()
    await c.close()
    return h


def _conversations(config: Path) -> list[dict]:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, "-m", "omnichannel", "--config", str(config), "conversations",
         "--all", "--json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


async def test_kill_after_journal_gives_exactly_one_reply_after_restart(daemons) -> None:  # type: ignore[no-untyped-def]
    config, port, running = daemons
    crashing = _start(config, port, running, "after_journal")
    async with aiohttp.ClientSession() as http:
        client = ChatClient(crashing.url, http)
        await client.connect()
        await client.send("How much is shipping?", "c-1")
        with pytest.raises(ConnectionError):
            await client.frame("ack")  # killed after the journal write, before the ack
        assert crashing.wait_exit() == -9

        daemon = _start(config, port, running)
        again = ChatClient(daemon.url, http)
        again.token = client.token
        await again.connect()
        # The widget re-sends what was never acked; the journal recognises the client id.
        await again.send("How much is shipping?", "c-1")
        ack = await again.frame("ack")
        async with asyncio.timeout(15):  # the one reply (the engine may still be loading) ...
            for _ in range(75):
                history = await _history(daemon.url, http, client.token or "")
                if any(m["role"] == "agent" for m in history["messages"]):
                    break
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # ... and time for a wrong second reply to show up
        await again.close()
        assert client.token is not None
        final = await _history(daemon.url, http, client.token)
    customer = [m for m in final["messages"] if m["role"] == "customer"]
    agent = [m for m in final["messages"] if m["role"] == "agent"]
    assert [m["id"] for m in customer] == [ack["id"]]
    assert len(agent) == 1
    assert "shipping" in agent[0]["text"].lower()


async def test_kill_while_sending_marks_uncertain_and_never_resends(daemons) -> None:  # type: ignore[no-untyped-def]
    config, port, running = daemons
    crashing = _start(config, port, running, "outbox_sending")
    async with aiohttp.ClientSession() as http:
        client = ChatClient(crashing.url, http)
        await client.connect()
        await client.send("Do you ship to Canada?", "c-1")
        await client.frame("ack")
        assert crashing.wait_exit() == -9  # killed with the reply's row in `sending`

        daemon = _start(config, port, running)
        again = ChatClient(daemon.url, http)
        again.token = client.token
        await again.connect()
        with pytest.raises(TimeoutError):
            await again.frame("message", timeout=2.0)  # nothing is resent live
        await again.close()
    rows = _conversations(config)
    assert len(rows) == 1 and rows[0]["uncertain"] == 1
    logs = daemon.logs()
    assert '"uncertain": 1' in logs
