"""One broken channel never stops the daemon: retries with backoff, stops on bad credentials."""

from __future__ import annotations

import asyncio

import pytest

from omnichannel.channel import AdapterAuthFailed, AdapterNotReady
from omnichannel.registry import AdapterUnavailable, load_class
from omnichannel.supervisor import State, Supervisor, backoff


def test_backoff_grows_from_5s_to_5min_with_jitter() -> None:
    delays = [backoff(n) for n in range(1, 12)]
    assert 4.0 <= delays[0] <= 6.0
    assert 8.0 <= delays[1] <= 12.0
    assert all(d <= 300 * 1.2 for d in delays) and delays[-1] >= 240
    assert len({round(backoff(3), 6) for _ in range(20)}) > 1  # jittered


async def test_not_ready_is_retried_until_it_starts() -> None:
    attempts = 0

    async def start() -> None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise AdapterNotReady("platform down")

    sup = Supervisor("x", start, base=0.01, cap=0.02)
    await sup.launch()
    assert sup.health.state is State.READY and attempts == 3


async def test_auth_failure_stops_without_retrying() -> None:
    attempts = 0

    async def start() -> None:
        nonlocal attempts
        attempts += 1
        raise AdapterAuthFailed("401 bad token")

    sup = Supervisor("x", start, base=0.01)
    await sup.launch()
    assert sup.health.state is State.FAILED and attempts == 1
    assert "credentials" in sup.health.detail


async def test_restart_cap_gives_up() -> None:
    async def start() -> None:
        raise AdapterNotReady("still down")

    sup = Supervisor("x", start, max_restarts=3, base=0.001, cap=0.002)
    await sup.launch()
    assert sup.health.state is State.FAILED and sup.health.restarts == 4


async def test_a_crashing_adapter_is_contained() -> None:
    async def start() -> None:
        raise KeyError("bug")

    sup = Supervisor("x", start)
    await sup.launch()
    assert sup.health.state is State.FAILED


async def test_readyz_reports_a_failed_channel_and_the_rest_keeps_working(gateway) -> None:  # type: ignore[no-untyped-def]
    rt = gateway.rt

    async def start() -> None:
        raise AdapterAuthFailed("nope")

    sup = Supervisor("broken", start)
    rt.supervisors["broken"] = sup
    await sup.launch()
    resp = await gateway.client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503 and body["channels"]["broken"]["state"] == "failed"
    assert body["channels"]["loopback"]["state"] == "ready"
    await gateway.loopback.say("still here?")
    assert (await gateway.loopback.reply()).text == "still here?"
    assert (await gateway.client.get("/healthz")).status == 200


def test_missing_extra_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    ep = EntryPoint("telegram", "omnichannel_no_such_module:Adapter", "omnichannel.adapters")
    monkeypatch.setattr("omnichannel.registry.entry_points", lambda group: [ep])
    with pytest.raises(AdapterUnavailable) as err:
        load_class("telegram")
    assert "pip install 'omnichannel[telegram]'" in str(err.value)
    assert asyncio  # keep import used


async def test_a_connection_lost_after_start_shows_on_readyz_until_back(gateway) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.gateway import GatewayContext

    ctx = GatewayContext(gateway.rt, "loopback")

    async def readyz() -> tuple[int, dict]:  # type: ignore[type-arg]
        resp = await gateway.client.get("/readyz")
        return resp.status, await resp.json()

    status, body = await readyz()
    assert status == 200 and body["channels"]["loopback"]["state"] == "ready"
    ctx.report(False, "gateway connection lost; retry in 5s")
    status, body = await readyz()
    assert status == 503
    assert body["channels"]["loopback"] == {"state": "retrying", "restarts": 0,
                                            "detail": "gateway connection lost; retry in 5s"}
    ctx.report(True)
    status, body = await readyz()
    assert status == 200 and body["channels"]["loopback"]["detail"] == ""
    # Not once the supervisor gave up or stopped: a late report never revives a channel.
    sup = gateway.rt.supervisors["loopback"]
    await sup.stop()
    ctx.report(True)
    assert sup.health.state.value == "stopped"
