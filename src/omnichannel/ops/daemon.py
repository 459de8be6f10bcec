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
from omnichannel.app import build_app
from omnichannel.config import Config, ConfigError
from omnichannel.gateway import Gateway
from omnichannel.ops.lock import InstanceLock
from omnichannel.ops.notify import Notifier
from omnichannel.supervisor import State

log = logging.getLogger(__name__)
READY_WAIT = 30.0
GRACE = 10.0


def status_line(gw: Gateway) -> str:
    states = ", ".join(f"{n} {s.health.state.value}" for n, s in sorted(gw.supervisors.items()))
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
    notify.status("starting: store and channels")
    gw = await Gateway.open(config)
    try:
        return await _serve_http(gw, config_path, notify, ready)
    finally:
        await gw.close()


async def _serve_http(gw: Gateway, config_path: Path | None, notify: Notifier,
                      ready: asyncio.Event | None) -> int:
    config = gw.config
    runner = web.AppRunner(build_app(gw), handle_signals=False, access_log=None,
                           shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.server.host, config.server.port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
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
        task = asyncio.create_task(reload(gw, config_path, notify), name="reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, on_hup)
    watchdog = asyncio.create_task(notify.watchdog(), name="watchdog")
    await _channels_settled(gw, stop)
    notify.ready(status_line(gw))
    log.info("ready", extra={"status": status_line(gw)})
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
        await graceful_stop(gw, runner, GRACE)
        watchdog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watchdog
    log.info("stopped")
    return 0


async def _channels_settled(gw: Gateway, stop: asyncio.Event) -> None:
    """Until no channel is still "starting" (supervisors have no event to wait on), at most
    READY_WAIT seconds, or a stop request."""
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline and not stop.is_set():  # noqa: ASYNC110
        if not any(s.health.state is State.STARTING for s in gw.supervisors.values()):
            return
        await asyncio.sleep(0.05)


async def graceful_stop(gw: Gateway, runner: web.AppRunner, grace: float) -> None:
    """Intake closes, turns finish and the outbox drains (gateway.drain), channels stop,
    requests in flight end (the runner), then the gateway closes (by the caller)."""
    for site in list(runner.sites):
        await site.stop()  # intake closed: no new connections
    await gw.drain(grace)
    await runner.cleanup()


async def reload(gw: Gateway, path: Path, notify: Notifier) -> None:
    notify.reloading()
    try:
        new = await asyncio.to_thread(config_mod.load, path)
        kept = await gw.reconfigure(new)
    except ConfigError as exc:
        reason = exc.render()
        log.error("reload rejected: the running config stays", extra={"reason": reason})
        notify.send("READY=1", f"STATUS=reload rejected: {reason[:200]}")
        return
    for key in kept:
        log.warning("reload: this section needs a restart; keeping the running values",
                    extra={"section": key})
    log.info("reloaded", extra={"config": str(path)})
    notify.send("READY=1", f"STATUS=reloaded; {status_line(gw)}")
