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
from omnichannel.app import RUNTIME, Runtime, build_app
from omnichannel.config import Config, resolve_secrets
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
    app: web.Application
    client: TestClient
    config: Config

    @property
    def rt(self) -> Runtime:
        return self.app[RUNTIME]

    @property
    def loopback(self) -> LoopbackAdapter:
        adapter = self.rt.adapters["loopback"]
        assert isinstance(adapter, LoopbackAdapter)
        return adapter

    @property
    def store(self) -> Store:
        assert self.rt.store is not None
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


@pytest.fixture
async def gateway_factory(tmp_path: Path) -> AsyncIterator:  # type: ignore[type-arg]
    clients: list[TestClient] = []

    async def make(toml: str = "", **kw: object) -> Gateway:
        config = make_config(tmp_path, toml, **kw)  # type: ignore[arg-type]
        app = build_app(config)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return Gateway(app, client, config)

    yield make
    for c in reversed(clients):
        await c.close()


@pytest.fixture
async def gateway(gateway_factory) -> Gateway:  # type: ignore[no-untyped-def]
    return await gateway_factory()
