"""Operations (issue 10): the systemd unit, sd_notify, the single-instance lock, SIGHUP
reload and a graceful SIGTERM, each against the real daemon process where it matters."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from omnichannel import cli
from omnichannel.ops import unit
from omnichannel.ops.lock import AlreadyRunning, InstanceLock
from omnichannel.ops.notify import Notifier
from tests.support import ROOT, Daemon, free_port, until, write_config
from tests.wsclient import ChatClient


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd's INI: sections, repeated keys kept in order."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out[section] = {}
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key, []).append(value)
    return out


CONFIG = """
[channels.sms]
enabled = true
auth_token = "${TWILIO_AUTH_TOKEN}"
# account_sid = "${NOT_USED}"
[models.routine]
model = "openai/gpt-4o-mini"
api_key = "${OPENAI_API_KEY}"
"""


def test_unit_is_a_hardened_notify_system_service_with_credentials(tmp_path: Path) -> None:
    spec = unit.UnitSpec(config=Path("/etc/omnichannel/config.toml"),
                         credentials=unit.referenced_secrets(CONFIG),
                         executable="/opt/omnichannel/bin/omnichannel")
    assert spec.credentials == ("TWILIO_AUTH_TOKEN", "OPENAI_API_KEY")  # comments skipped
    text = unit.render(spec)
    u = parse_unit(text)
    svc = u["Service"]
    assert svc["Type"] == ["notify"] and svc["Restart"] == ["on-failure"]
    assert svc["WatchdogSec"] == ["30s"] and svc["User"] == ["omnichannel"]
    assert svc["StateDirectory"] == ["omnichannel"]
    assert svc["CacheDirectory"] == ["omnichannel"]  # the trained intent model survives restarts
    assert "OMNICHANNEL_CACHE_DIR=%C/omnichannel" in svc["Environment"]
    assert svc["ExecStart"] == [
        "/opt/omnichannel/bin/omnichannel --config /etc/omnichannel/config.toml run"]
    assert svc["LoadCredential"] == [
        "TWILIO_AUTH_TOKEN:/etc/omnichannel/credentials/TWILIO_AUTH_TOKEN",
        "OPENAI_API_KEY:/etc/omnichannel/credentials/OPENAI_API_KEY"]
    for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                       ("PrivateTmp", "yes"), ("ProtectHome", "yes")]:
        assert svc[key] == [value]
    assert "OMNICHANNEL_STATE_DIR=%S/omnichannel" in svc["Environment"]
    assert u["Install"]["WantedBy"] == ["multi-user.target"]
    # A written install (to a temp path, no systemctl) reports each step.
    report = unit.install(spec, tmp_path / "omnichannel.service", run=False)
    assert (tmp_path / "omnichannel.service").read_text() == text
    assert any("TWILIO_AUTH_TOKEN" in a for a in report.actions)


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze missing (apt-get install systemd)", pytrace=False)
        pytest.skip("systemd-analyze not installed")
    exe = tmp_path / "omnichannel"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    spec = unit.UnitSpec(config=tmp_path / "config.toml", executable=str(exe), user="root")
    path = tmp_path / "omnichannel.service"
    path.write_text(unit.render(spec))
    result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True,
                            timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "omnichannel.service" in line]
    assert problems == [], result.stdout + result.stderr


def test_service_install_dry_run_prints_the_unit(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    assert cli.main(["service", "install", "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"--config {config} run" in out and "LoadCredential=OPENAI_API_KEY:" in out


def test_state_dir_override_from_the_environment(tmp_path: Path) -> None:
    from omnichannel import config as config_mod

    path = write_config(tmp_path, 1)
    loaded = config_mod.load(path, {"OMNICHANNEL_STATE_DIR": "/var/lib/omnichannel"})
    assert loaded.store.state_dir == Path("/var/lib/omnichannel")


def test_instance_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path).acquire()
    with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
        InstanceLock(tmp_path).acquire()
    first.release()
    InstanceLock(tmp_path).acquire().release()


def test_notifier_speaks_to_abstract_and_path_sockets(tmp_path: Path) -> None:
    for name in (f"@omnichannel-test-{os.getpid()}", str(tmp_path / "n.sock")):
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.bind("\0" + name[1:] if name.startswith("@") else name)
            n = Notifier({"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "2000000"})
            assert n.enabled and n.watchdog_seconds == 2.0
            n.ready("up")
            assert s.recv(1024).decode().split("\n")[:2] == ["READY=1", "STATUS=up"]
    assert not Notifier({}).send("READY=1")  # outside systemd: a no-op
    other = Notifier({"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1"})
    assert other.watchdog_seconds is None  # the watchdog is meant for another process


# ---------------------------------------------------------------- the real daemon
@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.setblocking(False)
    yield path, s
    s.close()


async def _datagrams(s: socket.socket, until_field: str,
                     timeout: float = 20) -> list[tuple[float, str]]:
    loop = asyncio.get_running_loop()
    got: list[tuple[float, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = await asyncio.wait_for(loop.sock_recv(s, 4096), deadline - time.monotonic())
        except TimeoutError:
            break
        got.append((time.monotonic(), data.decode()))
        if until_field in data.decode().split("\n"):
            return got
    raise AssertionError(f"{until_field} never came; got {got}")


async def test_sd_notify_ready_watchdog_and_stopping(tmp_path, notify_socket) -> None:  # type: ignore[no-untyped-def]
    path, s = notify_socket
    port = free_port()
    d = Daemon(write_config(tmp_path, port), port,
               {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    try:
        d.start()
        first = await _datagrams(s, "READY=1")
        ready = first[-1][1].split("\n")
        assert "STATUS=serving; channels: webchat ready" in ready
        assert f"MAINPID={d.proc.pid}" in ready  # type: ignore[union-attr]
        got: list[float] = []
        while len(got) < 5:
            got += [t for t, msg in await _datagrams(s, "WATCHDOG=1") if msg == "WATCHDOG=1"]
        gaps = sorted(b - a for a, b in zip(got, got[1:], strict=False))
        # Half of WATCHDOG_USEC, from the loop: never a missed beat (every gap < 0.4 s), and
        # the typical gap near 0.2 s (one ping can come late while the engine's model loads
        # in its thread at start, which makes the next gap short).
        assert all(g < 0.4 for g in gaps) and 0.1 < gaps[len(gaps) // 2] < 0.3, gaps
        d.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        tail = await _datagrams(s, "STOPPING=1")
        assert any("STOPPING=1" in msg for _t, msg in tail)
        assert d.wait_exit() == 0
    finally:
        d.stop()


def test_a_second_daemon_on_the_same_state_says_so_and_exits(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    d = Daemon(config, port).start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "omnichannel", "--config", str(config), "run"],
            capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert second.returncode == cli.EXIT_RUNNING
        assert f"pid {d.proc.pid}" in second.stderr  # type: ignore[union-attr]
        assert "another omnichannel process" in second.stderr
    finally:
        d.stop()


async def test_sighup_rejects_a_bad_config_and_applies_a_good_one(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    good = config.read_text()
    d = Daemon(config, port).start()
    try:
        config.write_text(good.replace('[agent]', '[agent]\nengine = "telepathy"'))
        d.proc.send_signal(signal.SIGHUP)  # type: ignore[union-attr]
        await until(lambda: "reload rejected" in d.logs())
        assert "agent.engine" in d.logs()
        async with aiohttp.ClientSession() as http:
            async with http.get(d.url + "/readyz") as resp:
                assert resp.status == 200  # the old config keeps running
            config.write_text(good.replace("[channels.webchat]\nenabled = true",
                                           "[channels.webchat]\nenabled = true\n"
                                           "max_message_chars = 1000"))
            d.proc.send_signal(signal.SIGHUP)  # type: ignore[union-attr]
            await until(lambda: '"msg": "reloaded"' in d.logs())
            assert "channel (re)started by reload" in d.logs()
            await until(lambda: _ready(d.url))
    finally:
        d.stop()
    assert d.proc is not None and d.proc.returncode == 0


def _ready(url: str) -> bool:
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/readyz", timeout=1) as resp:
            return bool(json.loads(resp.read())["ready"])
    except OSError:
        return False


async def test_sigterm_during_a_turn_answers_once_and_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port, debounce=1.0)  # the turn is still pending at TERM
    d = Daemon(config, port).start()
    async with aiohttp.ClientSession() as http:
        client = ChatClient(d.url, http)
        await client.connect()
        await client.send("How much is shipping?", "t-1")
        ack = await client.frame("ack")
        d.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        reply = await client.frame("message")  # the turn finished and was delivered ...
        assert reply["role"] == "agent" and "shipping" in reply["text"].lower()
        with pytest.raises(ConnectionError):
            await client.frame()  # ... then the socket closed (1001, going away)
        assert d.wait_exit() == 0
        again = Daemon(config, port).start()
        try:
            c2 = ChatClient(again.url, http)
            c2.token = client.token
            history = await c2.connect()
            await asyncio.sleep(1.0)  # time for a wrong second answer to show up
            await c2.close()
        finally:
            again.stop()
    agent = [m for m in history["messages"] if m["role"] == "agent"]
    customer = [m for m in history["messages"] if m["role"] == "customer"]
    assert [m["id"] for m in customer] == [ack["id"]] and len(agent) == 1
