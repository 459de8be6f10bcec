"""The webhook receiver for orders/updated and fulfillments/update (and their siblings).

Shopify signs the raw body: base64(HMAC-SHA256(secret, body)) in `X-Shopify-Hmac-Sha256`.
A wrong or missing signature is refused with 401 before the body is parsed. Shopify retries
a delivery that did not get a 2xx within five seconds, so the handler only verifies,
deduplicates on `X-Shopify-Webhook-Id` and patches the cache: no call to Shopify here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections import OrderedDict

from aiohttp import web

from omnichannel.commerce.shopify.cache import OrderCache

log = logging.getLogger(__name__)
ORDER_TOPICS = {"orders/updated", "orders/cancelled", "orders/fulfilled",
                "orders/partially_fulfilled"}
FULFILLMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}
MAX_BODY = 2 * 1024 * 1024


def signature(secret: bytes, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def verified(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())


class WebhookReceiver:
    def __init__(self, secret: bytes, cache: OrderCache, shop_domain: str,
                 remember: int = 5000) -> None:
        self._secret = secret
        self._cache = cache
        self._shop = shop_domain.lower()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def __repr__(self) -> str:
        return f"WebhookReceiver(shop={self._shop!r}, secret=***)"

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY,
                                                actual_size=request.content_length)
        body = await request.read()
        if not verified(self._secret, body, request.headers.get("X-Shopify-Hmac-Sha256")):
            log.warning("shopify webhook refused: bad or missing signature")
            return web.Response(status=401, text="invalid signature")
        shop = request.headers.get("X-Shopify-Shop-Domain", self._shop).lower()
        if shop != self._shop:
            log.warning("shopify webhook for another shop ignored", extra={"shop": shop})
            return web.Response(text="ignored")
        delivery = request.headers.get("X-Shopify-Webhook-Id") or request.headers.get(
            "X-Shopify-Event-Id")
        if delivery is not None and delivery in self._seen:
            return web.Response(text="duplicate")
        try:
            payload = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="not a JSON object")
        topic = request.headers.get("X-Shopify-Topic", "")
        if topic in ORDER_TOPICS:
            changed = self._cache.apply_order(payload)
        elif topic in FULFILLMENT_TOPICS:
            changed = self._cache.apply_fulfillment(payload)
        else:
            log.info("shopify webhook topic not used", extra={"topic": topic})
            return web.Response(text="ignored")
        log.debug("shopify webhook applied", extra={"topic": topic, "cached": changed})
        if delivery is not None:  # remembered once applied, so a failed one is retried
            self._seen[delivery] = None
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        return web.Response(text="ok")
