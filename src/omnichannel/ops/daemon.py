"""The daemon's life: lock, start, READY, watchdog, SIGHUP reload, graceful SIGTERM.

Start: the state-directory lock first (a second process exits with the holder's pid), then
the app (store, channels under their supervisors, outbox, lanes), then READY=1 once every
channel has left "starting" (ready, retrying or failed: a broken channel never blocks
readiness; it shows on /readyz) or after `READY_WAIT` seconds.

Stop (SIGTERM / SIGINT): STOPPING=1; the listening socket closes (no new connections);
turns in flight finish within the grace period and their replies are queued; the outbox
delivers what is due within the grace period; channels stop (web chat sockets close with
1001 "going away"); the store closes; exit 0.

Reload (SIGHUP): the config file is read again. An invalid file is rejected with its
reasons in the log and in STATUS=, and the running config stays. A valid one is applied:
logging level, brand voice, agent, guardrails, routing and models (a new engine), retention;
channels whose table changed are restarted, new ones started, removed ones stopped. Server
address and store settings need a restart: the log says so and the old ones stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from pathlib import Path

from aiohttp import web

from omnichannel import config as config_mod
from omnichannel.app import RUNTIME, Runtime, build_app, engine_for, make_router
from omnichannel.config import Config, ConfigError
from omnichannel.ops.lock import InstanceLock
from omnichannel.ops.notify import Notifier
from omnichannel.registry import channel_settings
from omnichannel.supervisor import State

log = logging.getLogger(__name__)
READY_WAIT = 30.0
GRACE = 10.0


def status_line(rt: Runtime) -> str:
    states = ", ".join(f"{n} {s.health.state.value}" for n, s in sorted(rt.supervisors.items()))
    return f"serving; channels: {states or 'none'}"


async def run(config: Config, config_path: Path | None = None, *,
              ready: asyncio.Event | None = None, notifier: Notifier | None = None) -> int:
    lock = InstanceLock(config.store.state_dir).acquire()
    notify = notifier or Notifier()
    try:
        return await _serve(config, config_path, notify, ready)
    finally:
        lock.release()


async def _serve(config: Config, config_path: Path | None, notify: Notifier,
                 ready: asyncio.Event | None) -> int:
    app = build_app(config)
    rt = app[RUNTIME]
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5.0)
    notify.status("starting: store and channels")
    await runner.setup()
    site = web.TCPSite(runner, config.server.host, config.server.port)
    await site.start()
    log.info("listening", extra={"url": f"http://{config.server.host}:{config.server.port}"})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reloads: set[asyncio.Task[None]] = set()

    def on_hup() -> None:
        if config_path is None:
            log.warning("SIGHUP ignored: no config file to reload")
            return
        task = asyncio.create_task(reload(rt, config_path, notify), name="reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, on_hup)
    watchdog = asyncio.create_task(notify.watchdog(), name="watchdog")
    await _channels_settled(rt, stop)
    notify.ready(status_line(rt))
    log.info("ready", extra={"status": status_line(rt)})
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        notify.stopping()
        log.info("stopping")
        for task in list(reloads):
            task.cancel()
        await graceful_stop(rt, runner, GRACE)
        watchdog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watchdog
    log.info("stopped")
    return 0


async def _channels_settled(rt: Runtime, stop: asyncio.Event) -> None:
    """Until no channel is still "starting" (supervisors have no event to wait on), at most
    READY_WAIT seconds, or a stop request."""
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline and not stop.is_set():  # noqa: ASYNC110
        if not any(s.health.state is State.STARTING for s in rt.supervisors.values()):
            return
        await asyncio.sleep(0.05)


async def graceful_stop(rt: Runtime, runner: web.AppRunner, grace: float) -> None:
    for site in list(runner.sites):
        await site.stop()  # intake closed: no new connections
    started = time.monotonic()
    if rt.router is not None:
        await rt.router.drain_lanes(timeout=grace)
        left = await rt.router.outbox.flush(max(0.5, grace - (time.monotonic() - started)))
        if left:
            log.warning("stopping with replies still queued (sent on next start)",
                        extra={"queued": left})
    for name, adapter in list(rt.adapters.items()):
        try:  # web chat closes its sockets with 1001 here, so the server can shut down
            await adapter.stop()
        except Exception:
            log.exception("adapter stop failed", extra={"channel": name})
    await runner.cleanup()


async def reload(rt: Runtime, path: Path, notify: Notifier) -> None:
    notify.reloading()
    try:
        new = await asyncio.to_thread(config_mod.load, path)
        channels = channel_settings(new)
    except ConfigError as exc:
        reason = exc.render()
        log.error("reload rejected: the running config stays", extra={"reason": reason})
        notify.send("READY=1", f"STATUS=reload rejected: {reason[:200]}")
        return
    old = rt.config
    for key in ("server", "store"):
        if getattr(old, key) != getattr(new, key):
            log.warning("reload: this section needs a restart; keeping the running values",
                        extra={"section": key})
            setattr(new, key, getattr(old, key))
    logging.getLogger().setLevel(new.logging.level)
    await _apply_channels(rt, channel_settings(old), channels)
    rt.config = new
    if rt.router is not None and rt.store is not None:
        fresh = make_router(new, rt.store, rt.adapter, None, rt.commerce)
        router = rt.router
        router.config, router.deps, router.policy = new, fresh.deps, fresh.policy
        router.engine = engine_for(new)
        router.outbox.config = new.outbox
    log.info("reloaded", extra={"config": str(path)})
    notify.send("READY=1", f"STATUS=reloaded; {status_line(rt)}")


async def _apply_channels(rt: Runtime, old: dict, new: dict) -> None:  # type: ignore[type-arg]
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before is not None and after is not None and \
                before[1].model_dump() == after[1].model_dump():
            continue
        sup, adapter = rt.supervisors.pop(name, None), rt.adapters.pop(name, None)
        if sup is not None:
            await sup.stop()
        if adapter is not None:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter stop failed", extra={"channel": name})
        if after is not None:
            cls, settings = after
            rt.launch(name, cls(settings))
            log.info("channel (re)started by reload", extra={"channel": name})
        else:
            log.info("channel stopped by reload", extra={"channel": name})
