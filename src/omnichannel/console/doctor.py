"""`omnichannel doctor`: what works and what does not, one line each."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from omnichannel import config as config_mod
from omnichannel.config import ConfigError


def _line(ok: bool | None, what: str, detail: str = "") -> None:
    mark = {True: "ok  ", False: "FAIL", None: "warn"}[ok]
    print(f"[{mark}] {what}" + (f": {detail}" if detail else ""))


async def doctor(path: Path) -> int:
    from omnichannel.registry import channel_settings
    from omnichannel.store import Store

    failures = 0
    _line(sys.version_info >= (3, 11), "python", sys.version.split()[0])
    try:
        config = config_mod.load(path)
        _line(True, "config", str(path))
    except ConfigError as exc:
        _line(False, "config", exc.render())
        return 1
    try:
        channels = channel_settings(config)
        _line(True, "channels", ", ".join(channels) or "none enabled")
    except ConfigError as exc:
        _line(False, "channels", "; ".join(exc.problems))
        failures += 1
    c = config.commerce
    if c.backend != "none":
        from omnichannel.commerce.backends import BackendError, close_backend, open_backend

        try:
            shop = await asyncio.to_thread(open_backend, c.backend, c.data,
                                           config.store.state_dir, c.seed)
            assert shop is not None
            count = len(await shop.list_products())
            await close_backend(shop)
            _line(True, "commerce", f"{c.backend} ({count} products)")
        except (BackendError, OSError, ValueError) as exc:
            _line(False, "commerce", f"{c.backend}: {exc}")
            failures += 1
    else:
        _line(None, "commerce", "none: the agent answers from the help center only")
    engine = config.agent.engine
    if engine in ("llm", "auto"):
        import importlib.util

        models = config.models
        ok = importlib.util.find_spec("litellm") is not None and models.routine is not None
        detail = (f"{engine}: routine {models.routine.model if models.routine else '?'}, "
                  f"complex {models.complex.model if models.complex else '(routine)'}")
        _line(ok, "engine", detail if ok else detail + " (pip install 'omnichannel[llm]')")
        failures += 0 if ok else 1
    else:
        _line(True, "engine", engine)
    state = config.store.state_dir
    try:
        state.mkdir(parents=True, exist_ok=True)
        writable = os.access(state, os.W_OK)
    except OSError as exc:
        writable = False
        _line(False, "state directory", f"{state}: {exc.strerror}")
    if writable:
        store = Store(state, synchronous=config.store.synchronous)
        try:
            await asyncio.to_thread(store.open)
            docs = await store.document_count()
            waiting = await store.list_conversations(owner="staff", status="open")
            _line(True, "store", f"{store.db.path} (schema current)")
            _line(docs > 0 or None, "knowledge",
                  f"{docs} documents" + ("" if docs else " (run `omnichannel init`)"))
            _line(None if waiting else True, "handoffs waiting", str(len(waiting)))
        except Exception as exc:
            _line(False, "store", f"{type(exc).__name__}: {exc}")
            failures += 1
        finally:
            await asyncio.to_thread(store.close)
    else:
        failures += 1
    url = f"http://{config.server.host}:{config.server.port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: ASYNC210
            body = json.loads(resp.read())
        ready = True
    except urllib.error.HTTPError as exc:
        body, ready = json.loads(exc.read() or b"{}"), False
    except (urllib.error.URLError, OSError):
        _line(None, "daemon", f"not reachable at {url} (is `omnichannel run` running?)")
        return 1 if failures else 0
    for name, ch in body.get("channels", {}).items():
        ok = ch.get("state") == "ready"
        _line(ok, f"channel {name}", ch.get("state", "?") + (f" ({ch['detail']})"
                                                             if ch.get("detail") else ""))
        failures += 0 if ok else 1
    _line(ready, "daemon", url)
    return 1 if failures else 0
