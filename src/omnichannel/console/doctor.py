"""`omnichannel doctor [--json]`: what works and what does not, one line each.

Every check ends ok, warn or fail, with one line on how to fix what is not ok; the exit
code is the worst: 0 ok, 1 warn, 2 fail. Channels: when the daemon answers on /readyz its
own live probes are reported (a second login could unseat the running one, e.g. Discord's
gateway); when it does not, each enabled adapter is started once against a throw-away
context (its start-up probe is getMe, auth.test, users/@me, the Twilio account fetch, the
IMAP login...) and stopped.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from omnichannel import config as config_mod
from omnichannel.config import Config, ConfigError

if TYPE_CHECKING:
    from omnichannel.gateway import Gateway

Level = Literal["ok", "warn", "fail"]
EXIT = {"ok": 0, "warn": 1, "fail": 2}
MAX_SKEW = 60.0


@dataclass
class Check:
    name: str
    level: Level
    detail: str = ""
    fix: str = ""


class Report:
    def __init__(self, as_json: bool) -> None:
        self.checks: list[Check] = []
        self.as_json = as_json

    def add(self, name: str, level: Level, detail: str = "", fix: str = "") -> None:
        check = Check(name, level, detail, fix)
        self.checks.append(check)
        if not self.as_json:
            mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}[level]
            print(f"[{mark}] {name}" + (f": {detail}" if detail else ""))
            if fix and level != "ok":
                print(f"       fix: {fix}")

    @property
    def code(self) -> int:
        return max((EXIT[c.level] for c in self.checks), default=0)

    def finish(self) -> int:
        if self.as_json:
            print(json.dumps({"status": {0: "ok", 1: "warn", 2: "fail"}[self.code],
                              "checks": [asdict(c) for c in self.checks]}, indent=2))
        return self.code


async def doctor(path: Path, *, as_json: bool = False) -> int:
    r = Report(as_json)
    r.add("python", "ok" if sys.version_info >= (3, 11) else "fail", sys.version.split()[0],
          "install Python 3.11 or newer")
    try:
        config = config_mod.load(path)
        r.add("config", "ok", str(path))
    except ConfigError as exc:
        r.add("config", "fail", exc.render(), f"edit {path}; `omnichannel config validate`")
        return r.finish()
    channels = _channels(r, config)
    await _commerce(r, config)
    await _engine(r, config)
    await _store(r, config)
    body = _readyz(config)
    if body is None:
        r.add("daemon", "warn", f"not reachable at {_url(config)}/readyz",
              "start it: `omnichannel run` or `systemctl start omnichannel`")
        await _probe_channels(r, config, channels)
    else:
        for name, ch in body.get("channels", {}).items():
            ok = ch.get("state") == "ready"
            r.add(f"channel {name}", "ok" if ok else "fail",
                  ch.get("state", "?") + (f" ({ch['detail']})" if ch.get("detail") else ""),
                  f"check [channels.{name}] credentials and the log "
                  "(`journalctl -u omnichannel`)")
        r.add("daemon", "ok", f"{_url(config)}/readyz")
    _public_url(r, config)
    _unit(r, path)
    return r.finish()


def _url(config: Config) -> str:
    return f"http://{config.server.host}:{config.server.port}"


def _channels(r: Report, config: Config) -> dict[str, Any]:
    from omnichannel.registry import channel_settings

    try:
        channels = channel_settings(config)
        r.add("channels", "ok", ", ".join(channels) or "none enabled")
        return channels
    except ConfigError as exc:
        r.add("channels", "fail", "; ".join(exc.problems),
              "fix the [channels.*] tables named; `pip install 'omnichannel[all]'` for extras")
        return {}


async def _commerce(r: Report, config: Config) -> None:
    c = config.commerce
    if c.backend == "none":
        r.add("commerce", "ok", "none: the agent answers from the help center only")
        return
    from omnichannel.commerce.backends import BackendError, close_backend, open_backend

    try:
        shop = await asyncio.to_thread(open_backend, c.backend, c.data,
                                       config.store.state_dir, c.seed, 30, c.shopify)
        assert shop is not None
        count = len(await shop.list_products())
        await close_backend(shop)
        r.add("commerce", "ok", f"{c.backend} ({count} products)")
    except (BackendError, OSError, ValueError) as exc:
        r.add("commerce", "fail", f"{c.backend}: {exc}", "check [commerce] and its data file")


async def _engine(r: Report, config: Config) -> None:
    b = config.brand
    r.add("languages", "ok", ", ".join(
        f"{x} (the shop's)" if x == b.language else x for x in b.languages))
    engine = config.agent.engine
    if engine not in ("llm", "auto"):
        r.add("engine", "ok", engine)
        return
    from omnichannel.agent.llmsetup import load_litellm

    if not _llm_extra(r, engine):
        return
    models = config.models
    if models.routine is None:
        r.add("engine", "fail", f"{engine}: [models.routine] missing",
              "set [models.routine] model (and api_base, api_key); see docs/llm.md")
        return
    litellm = load_litellm()

    for route, m in (("routine", models.routine), ("complex", models.complex)):
        if m is None:
            continue
        started = time.monotonic()
        try:
            await litellm.acompletion(
                model=m.model, messages=[{"role": "user", "content": "Reply with OK."}],
                max_tokens=5, timeout=min(m.timeout, 20), api_base=m.api_base or None,
                api_key=m.api_key.get_secret_value() if m.api_key else None)
            r.add(f"model {route}", "ok",
                  f"{m.model} answered in {time.monotonic() - started:.1f}s")
        except Exception as exc:
            r.add(f"model {route}", "fail", f"{m.model}: {type(exc).__name__}: {str(exc)[:160]}",
                  f"check [models.{route}] model, api_base and the API key")


def _llm_extra(r: Report, engine: str) -> bool:
    """The llm extra's check line, read from the package metadata: no litellm import."""
    import importlib.metadata

    from omnichannel.agent.llmsetup import EXTRA, INSTALL, missing_modules

    missing = missing_modules()
    if missing:
        r.add(f"{EXTRA} extra", "fail", f"{' and '.join(missing)} not installed; engine "
              f"{engine!r} needs the {EXTRA} extra", INSTALL)
        return False
    try:
        version = importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        version = "(version unknown)"
    r.add(f"{EXTRA} extra", "ok", f"litellm {version} installed")
    return True


async def _store(r: Report, config: Config) -> None:
    from omnichannel.store import Store
    from omnichannel.store.db import quick_check
    from omnichannel.store.schema import MIGRATIONS

    state = config.store.state_dir
    try:
        state.mkdir(parents=True, exist_ok=True)
        writable = os.access(state, os.W_OK)
    except OSError as exc:
        r.add("state directory", "fail", f"{state}: {exc.strerror}",
              "create it and give the service user write access")
        return
    if not writable:
        r.add("state directory", "fail", f"{state} is not writable",
              "chown it to the service user")
        return
    db_path = state / "omnichannel.db"
    if db_path.exists():
        try:
            integrity = await asyncio.to_thread(quick_check, db_path)
        except Exception as exc:  # sqlite3.DatabaseError: the file is not a database
            integrity = f"unreadable: {exc}"
        if integrity != "ok":
            r.add("store integrity", "fail", integrity[:200],
                  "stop the service and `omnichannel restore` the latest backup")
            return
    store = Store(state, synchronous=config.store.synchronous)
    try:
        await asyncio.to_thread(store.open)
        version = await store.schema_version()
        r.add("store", "ok", f"{store.path} (integrity ok, schema v{version} of "
              f"{len(MIGRATIONS)})")
        docs = await store.document_count()
        r.add("knowledge", "ok" if docs else "warn", f"{docs} documents",
              "run `omnichannel init` or `omnichannel ingest PATH`")
        waiting = await store.list_conversations(owner="staff", status="open")
        r.add("handoffs waiting", "warn" if waiting else "ok", str(len(waiting)),
              "answer them: `omnichannel conversations`")
        queued, uncertain, oldest = await store.outbox_health()
        stale = oldest is not None and time.time() - oldest > 600
        r.add("outbox", "warn" if stale else "ok",
              f"{queued} queued" + (f", oldest {int(time.time() - oldest)}s" if oldest else ""),
              "a channel is down or refusing sends: see the channel lines and the log")
        r.add("uncertain sends", "warn" if uncertain else "ok", str(uncertain),
              "a crash mid-send: check these conversations with `omnichannel show ID`")
    except Exception as exc:
        r.add("store", "fail", f"{type(exc).__name__}: {exc}",
              "check the file's permissions, or restore a backup")
    finally:
        await asyncio.to_thread(store.close)


def _readyz(config: Config) -> dict[str, Any] | None:
    url = f"{_url(config)}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: ASYNC210
            return json.loads(resp.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read() or b"{}")  # type: ignore[no-any-return]
    except (urllib.error.URLError, OSError, ValueError):
        return None


async def _probe_channels(r: Report, config: Config, channels: dict[str, Any]) -> None:
    """Start each enabled adapter once, as the daemon would, then stop it."""
    from omnichannel.gateway import Gateway

    with tempfile.TemporaryDirectory(prefix="omnichannel-doctor-") as tmp:
        probe_config = config.model_copy(deep=True)
        probe_config.store.state_dir = Path(tmp)  # no adapter state touched
        probe_config.commerce.backend = "none"  # the shop has its own line
        probe_config.agent.engine = "echo"  # and so has the model
        gw = await Gateway.open(probe_config, channels={}, background=False, knowledge=False)
        try:
            await _probe_each(r, gw, channels)
        finally:
            await gw.close()


async def _probe_each(r: Report, gw: Gateway, channels: dict[str, Any]) -> None:
    from omnichannel.channel import AdapterAuthFailed, AdapterNotReady

    for name, (cls, settings) in channels.items():
        adapter = cls(settings)
        try:
            await asyncio.wait_for(adapter.start(gw.context(name)), 30)
            r.add(f"channel {name}", "ok", "credentials accepted (probed now)")
            probe = getattr(adapter, "probe", None)  # a second leg (email's SMTP)
            if probe is not None:
                try:
                    r.add(f"channel {name} (send)", "ok", await asyncio.wait_for(probe(),
                                                                                  30))
                except Exception as exc:
                    r.add(f"channel {name} (send)", "fail",
                          f"{type(exc).__name__}: {str(exc)[:200]}",
                          "check the SMTP host, port, security and login")
        except AdapterAuthFailed as exc:
            r.add(f"channel {name}", "fail", f"credentials refused: {exc}",
                  f"check the token / password in [channels.{name}]")
        except (AdapterNotReady, TimeoutError, OSError) as exc:
            r.add(f"channel {name}", "fail", f"unreachable: {exc}",
                  "check the network, the host and the port")
        except Exception as exc:
            r.add(f"channel {name}", "fail", f"{type(exc).__name__}: {exc}",
                  "see the log; report a bug if it persists")
        finally:
            try:
                await adapter.stop()
            except Exception:  # noqa: S110 - the probe result stands either way
                pass


def _public_url(r: Report, config: Config) -> None:
    base = config.server.public_url.rstrip("/")
    if not base:
        return
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:  # noqa: ASYNC210
            date = resp.headers.get("Date")
        r.add("public URL", "ok", f"{base}/healthz answers")
    except (urllib.error.URLError, OSError) as exc:
        r.add("public URL", "fail", f"{base}: {exc}",
              "webhooks cannot reach the daemon: check DNS, the proxy and TLS")
        return
    if date:
        skew = abs(parsedate_to_datetime(date).timestamp() - time.time())
        r.add("clock", "ok" if skew < MAX_SKEW else "fail", f"skew {skew:.0f}s",
              "enable NTP (timedatectl set-ntp true): signatures with timestamps fail")


def _unit(r: Report, config_path: Path) -> None:
    from omnichannel.ops import unit

    installed = unit.UNIT_PATH
    if not installed.exists():
        return
    spec = unit.UnitSpec(config=config_path.resolve(), credentials=unit.referenced_secrets(
        config_path.read_text() if config_path.is_file() else ""))
    current = installed.read_text()
    expected = unit.render(spec)
    same = [line for line in current.splitlines() if not line.startswith("User=")] == \
        [line for line in expected.splitlines() if not line.startswith("User=")]
    r.add("systemd unit", "ok" if same else "warn", str(installed),
          "re-run `omnichannel service install` (the config or the install changed)")
