"""An async client for the Shopify Admin GraphQL API, paced by Shopify's cost bucket.

Shopify meters GraphQL by query cost: a bucket of `maximumAvailable` points refills at
`restoreRate` points per second, and every answer says how full it is
(`extensions.cost.throttleStatus`). The client remembers each operation's requested cost and,
before sending, waits until the bucket holds enough, so a busy shop slows us down instead
of failing a shopper's turn. A `THROTTLED` answer (nothing was run) is retried after the
refill time. Reads are retried on network errors and HTTP 5xx; writes never are, since
Shopify may have applied them: the caller decides.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from omnichannel.commerce.shopify.errors import (
    ShopifyAccessDenied,
    ShopifyQueryError,
    ShopifyUnavailable,
)

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
UNAVAILABLE = "The shop's order system isn't answering right now; please try again shortly."


@dataclass
class Bucket:
    """Shopify's leaky bucket as last reported, refilled by the clock in between."""

    maximum: float = 0.0
    available: float = 0.0
    rate: float = 0.0
    seen: float = 0.0

    def estimate(self, now: float) -> float:
        return min(self.maximum, self.available + max(now - self.seen, 0.0) * self.rate)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` points are there (0 when unknown or already there)."""
        if self.rate <= 0 or self.maximum <= 0:
            return 0.0
        need = min(cost, self.maximum) - self.estimate(now)
        # A millisecond more, so float rounding never leaves the bucket a hair short.
        return need / self.rate + 0.001 if need > 0 else 0.0

    def spend(self, cost: float, now: float) -> None:
        if self.maximum > 0:
            self.available, self.seen = self.estimate(now) - cost, now

    def update(self, status: Mapping[str, Any], now: float) -> None:
        self.maximum = float(status.get("maximumAvailable") or self.maximum)
        self.available = float(status.get("currentlyAvailable") or 0.0)
        self.rate = float(status.get("restoreRate") or self.rate)
        self.seen = now


@dataclass(frozen=True, slots=True)
class Answer:
    """`data` of a GraphQL answer; `hidden` lists fields Shopify withheld (ACCESS_DENIED)."""

    data: Mapping[str, Any]
    hidden: tuple[str, ...] = ()


@dataclass
class Stats:
    requests: int = 0
    throttled: int = 0
    waited: float = 0.0
    operations: list[str] = field(default_factory=list)


class GraphQLClient:
    """One shop's Admin GraphQL endpoint. The HTTP session opens on first use."""

    def __init__(self, endpoint: str, token: str, *, timeout: float = 20.0,
                 sleep: Sleep = asyncio.sleep, clock: Callable[[], float] = time.monotonic,
                 read_attempts: int = 4, throttle_attempts: int = 6,
                 backoff: float = 0.5) -> None:
        self.endpoint = endpoint
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        self._clock = clock
        self._read_attempts = read_attempts
        self._throttle_attempts = throttle_attempts
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None
        self._costs: dict[str, float] = {}
        self._pace = asyncio.Lock()
        self._denied_logged: set[str] = set()
        self.bucket = Bucket()
        self.stats = Stats()

    def __repr__(self) -> str:
        return f"GraphQLClient({self.endpoint!r}, token=***)"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def read(self, operation: str, document: str,
                   variables: Mapping[str, Any] | None = None) -> Answer:
        return await self._run(operation, document, variables, write=False)

    async def write(self, operation: str, document: str,
                    variables: Mapping[str, Any] | None = None) -> Answer:
        return await self._run(operation, document, variables, write=True)

    async def _run(self, operation: str, document: str, variables: Mapping[str, Any] | None,
                   *, write: bool) -> Answer:
        failures = throttles = 0
        while True:
            await self._wait_for_points(operation)
            try:
                status, body = await self._post(operation, document, variables)
            except aiohttp.ClientConnectorError as exc:  # never reached Shopify: safe to say
                if write:
                    raise ShopifyUnavailable(UNAVAILABLE) from exc
                failures += 1
                if failures >= self._read_attempts:
                    raise ShopifyUnavailable(UNAVAILABLE) from exc
                await self._pause(self._backoff * 2 ** (failures - 1), operation, "connect")
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                if write:
                    log.error("shopify write failed in transit", extra={
                        "operation": operation, "error": type(exc).__name__})
                    raise ShopifyUnavailable(UNAVAILABLE, uncertain=True) from exc
                failures += 1
                if failures >= self._read_attempts:
                    raise ShopifyUnavailable(UNAVAILABLE) from exc
                await self._pause(self._backoff * 2 ** (failures - 1), operation, "network")
                continue
            if status == 429 or (status >= 500 and not write):
                failures += 1
                if failures >= self._read_attempts:
                    raise ShopifyUnavailable(UNAVAILABLE)
                await self._pause(self._backoff * 2 ** (failures - 1), operation, f"http {status}")
                continue
            answer = self._answer(operation, status, body, write)
            if answer is not None:
                return answer
            throttles += 1
            self.stats.throttled += 1
            if throttles >= self._throttle_attempts:
                raise ShopifyUnavailable("The shop is very busy right now; please try again in "
                                         "a minute.")
            cost = self._costs.get(operation, 0.0)
            if self.bucket.wait_for(cost, self._clock()) <= 0:  # no figures to go by: backoff
                await self._pause(self._backoff * 2 ** (throttles - 1), operation, "throttled")

    async def _post(self, operation: str, document: str,
                    variables: Mapping[str, Any] | None) -> tuple[int, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers={
                "X-Shopify-Access-Token": self._token, "Accept": "application/json",
                "User-Agent": "omnichannel-support-gateway"})
        self.stats.requests += 1
        self.stats.operations.append(operation)
        payload = {"query": document, "variables": dict(variables or {}),
                   "operationName": operation}
        async with self._session.post(self.endpoint, json=payload) as resp:
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
            return resp.status, body

    def _answer(self, operation: str, status: int, body: Any, write: bool) -> Answer | None:
        """The answer, None when throttled (retry), or a typed error."""
        if status in (401, 403):
            log.error("shopify refused the access token", extra={"status": status})
            raise ShopifyAccessDenied("The shop's connection isn't authorised right now, so I "
                                      "can't look that up; a person from the team can help.")
        if status >= 500:
            raise ShopifyUnavailable(UNAVAILABLE, uncertain=True)
        if status != 200 or not isinstance(body, dict):
            log.error("shopify answered unexpectedly", extra={
                "status": status, "operation": operation})
            raise ShopifyUnavailable(UNAVAILABLE, uncertain=write)
        cost = (body.get("extensions") or {}).get("cost") or {}
        if cost.get("throttleStatus"):
            self.bucket.update(cost["throttleStatus"], self._clock())
        if cost.get("requestedQueryCost") is not None:
            self._costs[operation] = float(cost["requestedQueryCost"])
        errors = body.get("errors") or []
        if isinstance(errors, str):  # e.g. "[API] Invalid API key or access token"
            raise ShopifyAccessDenied("The shop's connection isn't authorised right now; a "
                                      "person from the team can help.")
        codes = [str((e.get("extensions") or {}).get("code") or "") for e in errors]
        if "THROTTLED" in codes:
            return None
        hidden = []
        data = body.get("data")
        for error, code in zip(errors, codes, strict=True):
            path = error.get("path")
            if code == "ACCESS_DENIED" and path and data is not None:
                hidden.append(".".join(str(p) for p in path))
                continue
            if code == "ACCESS_DENIED":
                log.error("shopify denied access", extra={
                    "operation": operation, "reason": error.get("message")})
                raise ShopifyAccessDenied("The shop's connection isn't allowed to do that yet; "
                                          "a person from the team can help.")
            log.error("shopify rejected a query", extra={
                "operation": operation, "code": code, "reason": error.get("message")})
            if code == "INTERNAL_SERVER_ERROR":
                raise ShopifyUnavailable(UNAVAILABLE, uncertain=write)
            raise ShopifyQueryError("The shop's order system rejected the request; a person "
                                    "from the team can help.")
        for path in hidden:
            if path not in self._denied_logged:
                self._denied_logged.add(path)
                log.warning("shopify withheld protected customer data; answering without it "
                            "(grant protected customer data access, see docs/shopify.md)",
                            extra={"operation": operation, "field": path})
        return Answer(data or {}, tuple(hidden))

    async def _wait_for_points(self, operation: str) -> None:
        cost = self._costs.get(operation)
        if cost is None:
            return
        async with self._pace:
            wait = self.bucket.wait_for(cost, self._clock())
            if wait > 0:
                log.info("shopify cost bucket low; waiting for it to refill", extra={
                    "operation": operation, "seconds": round(wait, 2)})
                self.stats.waited += wait
                await self._sleep(wait)
            self.bucket.spend(cost, self._clock())

    async def _pause(self, seconds: float, operation: str, why: str) -> None:
        seconds = min(seconds, 8.0) * (1 + random.random() * 0.1)
        log.info("shopify request retried", extra={
            "operation": operation, "why": why, "seconds": round(seconds, 2)})
        self.stats.waited += seconds
        await self._sleep(seconds)
