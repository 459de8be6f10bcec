"""Keeps one adapter running: start with backoff, stop on bad credentials, report state."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from omnichannel.channel import AdapterAuthFailed, AdapterNotReady

log = logging.getLogger(__name__)


class State(StrEnum):
    STARTING = "starting"
    READY = "ready"
    RETRYING = "retrying"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass
class Health:
    state: State = State.STARTING
    detail: str = ""
    restarts: int = 0
    since: float = 0.0


def backoff(attempt: int, base: float = 5.0, cap: float = 300.0) -> float:
    """5 s, 10 s, 20 s ... up to 5 min, with +-20% jitter so channels don't retry in step."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)


class Supervisor:
    """Runs `start` until it succeeds, a cap of attempts is reached or auth fails."""

    def __init__(
        self,
        name: str,
        start: Callable[[], Awaitable[None]],
        *,
        max_restarts: int = 20,
        base: float = 5.0,
        cap: float = 300.0,
    ) -> None:
        self.name = name
        self._start = start
        self.max_restarts = max_restarts
        self._base, self._cap = base, cap
        self.health = Health(since=time.time())
        self.task: asyncio.Task[None] | None = None

    def launch(self) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self._run(), name=f"supervisor:{self.name}")
        return self.task

    def _set(self, state: State, detail: str = "") -> None:
        self.health.state, self.health.detail, self.health.since = state, detail, time.time()

    async def _run(self) -> None:
        attempt = 0
        while True:
            self._set(State.STARTING)
            try:
                await self._start()
            except AdapterAuthFailed as exc:
                self._set(State.FAILED, f"credentials refused: {exc}")
                log.error("channel stopped: credentials refused",
                          extra={"channel": self.name, "error": str(exc)})
                return
            except AdapterNotReady as exc:
                attempt += 1
                self.health.restarts = attempt
                if attempt > self.max_restarts:
                    self._set(State.FAILED, f"gave up after {attempt - 1} retries: {exc}")
                    log.error("channel gave up", extra={"channel": self.name, "error": str(exc)})
                    return
                delay = backoff(attempt, self._base, self._cap)
                self._set(State.RETRYING, f"{exc}; retry in {delay:.0f}s")
                log.warning("channel not ready",
                            extra={"channel": self.name, "error": str(exc), "retry_in": delay})
                await asyncio.sleep(delay)
                continue
            except Exception as exc:  # a bug in one adapter must not stop the daemon
                self._set(State.FAILED, f"{type(exc).__name__}: {exc}")
                log.exception("channel crashed on start", extra={"channel": self.name})
                return
            self._set(State.READY)
            log.info("channel ready", extra={"channel": self.name})
            return

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        self._set(State.STOPPED)
