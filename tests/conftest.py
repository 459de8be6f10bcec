"""Shared fixtures: an in-process gateway on a temporary store, reached through loopback."""

from __future__ import annotations

import os
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from omnichannel.adapters.loopback import LoopbackAdapter
from omnichannel.app import build_app
from omnichannel.config import Config, resolve_secrets
from omnichannel.gateway import Gateway as Running
from omnichannel.store import Store

# Tests never reach a real model provider.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(scope="session", autouse=True)
def _intent_model() -> None:
    """The built-in engine's classifier, trained (or loaded from its cache) once per run
    before any test waits on a reply with a short timeout."""
    from omnichannel.agent.understanding.classifier import SHELF

    SHELF.get("en")


@dataclass
class Gateway:
    """An open gateway (`rt`) served on a loopback test server (`client`)."""

    rt: Running
    app: web.Application
    client: TestClient
    config: Config

    @property
    def loopback(self) -> LoopbackAdapter:
        adapter = self.rt.adapters["loopback"]
        assert isinstance(adapter, LoopbackAdapter)
        return adapter

    @property
    def store(self) -> Store:
        return self.rt.store


def _merge(base: dict, extra: dict) -> dict:  # type: ignore[type-arg]
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def make_config(tmp_path: Path, toml: str = "", *, engine: str = "echo",
                debounce: float = 0.0, webchat: bool = False) -> Config:
    """Test defaults (echo engine, no debounce, loopback on, fast outbox) merged with `toml`."""
    base = {
        "store": {"state_dir": str(tmp_path / "state")},
        "agent": {"engine": engine, "debounce_seconds": debounce},
        "outbox": {"poll_seconds": 0.05, "backoff_base": 0.05},
        "channels": {"loopback": {"enabled": True}},
        "commerce": {"backend": "none"},
    }
    if webchat:
        base["channels"]["webchat"] = {"enabled": True}  # type: ignore[index]
    merged = _merge(base, tomllib.loads(toml))
    problems: list[str] = []
    config = Config.model_validate(resolve_secrets(merged, "", problems, dict(os.environ)))
    assert not problems, problems
    return config


async def serve(config: Config) -> Gateway:
    """Open a gateway for `config` and serve it on a loopback test server; `close(gw)`."""
    running = await Running.open(config)
    try:
        app = build_app(running)
        client = TestClient(TestServer(app))
        await client.start_server()
    except BaseException:
        await running.close()
        raise
    return Gateway(running, app, client, config)


async def close(gw: Gateway) -> None:
    """As the daemon stops: the HTTP side first, then the gateway's parts."""
    try:
        await gw.client.close()
    finally:
        await gw.rt.close()


@pytest.fixture
async def gateway_factory(tmp_path: Path) -> AsyncIterator:  # type: ignore[type-arg]
    opened: list[Gateway] = []

    async def make(toml: str = "", **kw: object) -> Gateway:
        config = make_config(tmp_path, toml, **kw)  # type: ignore[arg-type]
        gw = await serve(config)
        opened.append(gw)
        return gw

    yield make
    for gw in reversed(opened):
        await close(gw)


@pytest.fixture
async def gateway(gateway_factory) -> Gateway:  # type: ignore[no-untyped-def]
    return await gateway_factory()


async def open_app(config: Config) -> web.Application:
    """An open gateway's web app, not yet served (to mount more on it); `shut` closes both."""
    running = await Running.open(config)
    return build_app(running)


async def shut(client: TestClient) -> None:
    """Close a test client serving `open_app`'s app, then its gateway."""
    from omnichannel.app import GATEWAY

    running = client.server.app[GATEWAY]
    try:
        await client.close()
    finally:
        await running.close()
