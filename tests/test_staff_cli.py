"""Handoff to staff through the CLI while the daemon runs: list, reply, give back, resolve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support import ROOT, Daemon, free_port, write_config
from tests.wsclient import ChatClient


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "omnichannel", "--config", str(config), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


async def test_handoff_staff_reply_giveback_resolve(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    daemon = Daemon(config, port).start()
    try:
        async with aiohttp.ClientSession() as http:
            shopper = ChatClient(daemon.url, http)
            await shopper.connect()
            await shopper.ws.send_json({"type": "button", "value": "handoff",  # type: ignore[union-attr]
                                        "label": "Talk to a person", "client_id": "h1"})
            await shopper.frame("ack")
            status = await shopper.frame("status")
            assert status["owner"] == "staff"
            notice = await shopper.frame("message")
            assert notice["role"] == "system" and "our team" in notice["text"]

            listing = cli(config, "conversations")
            assert listing.returncode == 0 and "requested" in listing.stdout
            conv_id = listing.stdout.split()[0].lstrip("#")

            assert cli(config, "reply", conv_id, "Hi, I'm Sam from the team.").returncode == 0
            staff = await shopper.frame("message")
            assert staff == {**staff, "role": "staff", "text": "Hi, I'm Sam from the team."}

            # While staff own it, the agent stays quiet.
            await shopper.send("thanks Sam, how much is shipping?", "m2")
            await shopper.frame("ack")

            assert cli(config, "giveback", conv_id).returncode == 0
            assert (await shopper.frame("status"))["owner"] == "agent"
            back = await shopper.frame("message")
            assert back["role"] == "system" and "Juno" in back["text"]

            await shopper.send("how much is shipping?", "m3")
            answer = await shopper.frame("message")
            assert answer["role"] == "agent" and "Shipping" in answer["text"]

            shown = cli(config, "show", conv_id).stdout
            assert "[staff   ] Hi, I'm Sam" in shown
            assert cli(config, "resolve", conv_id).returncode == 0
            assert "no conversations waiting" in cli(config, "conversations").stdout
    finally:
        daemon.stop()
    assert cli(config, "reply", "999", "hello").returncode == 1


def test_terminal_chat_answers_from_the_same_knowledge(tmp_path: Path) -> None:
    config = write_config(tmp_path, free_port())
    result = subprocess.run(
        [sys.executable, "-m", "omnichannel", "--config", str(config), "chat"],
        input="hello\nhow do I return an item?\n2\n", capture_output=True, text=True,
        cwd=ROOT, timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert "(From our help center: Returns and refunds)" in result.stdout
    assert "[2] Returns" in result.stdout


def test_doctor_reports_each_part(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    offline = cli(config, "doctor")
    assert "[ok  ] config" in offline.stdout and "not reachable" in offline.stdout
    daemon = Daemon(config, port).start()
    try:
        online = cli(config, "doctor")
    finally:
        daemon.stop()
    assert online.returncode == 0, online.stdout
    assert "[ok  ] channel webchat: ready" in online.stdout
    assert "[ok  ] knowledge: 140 documents" in online.stdout  # 20 articles x 7 languages
