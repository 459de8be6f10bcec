"""ShopifyCommerce: the Commerce protocol over one store's Admin GraphQL API (lookups here,
writes in writes.py)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from omnichannel.commerce.backends import BackendError
from omnichannel.commerce.model import Customer, Order, Product, Promo
from omnichannel.commerce.protocol import NotFound
from omnichannel.commerce.shopify import convert, queries
from omnichannel.commerce.shopify.cache import OrderCache
from omnichannel.commerce.shopify.client import GraphQLClient, Sleep
from omnichannel.commerce.shopify.convert import Raw, gid, nodes
from omnichannel.commerce.shopify.ledger import Ledger
from omnichannel.commerce.shopify.search import rank
from omnichannel.commerce.shopify.webhooks import WebhookReceiver
from omnichannel.commerce.shopify.writes import Writes

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CATALOG_PAGES = 10  # x 250 products: past that, search also asks Shopify
OLDEST_VERSION = "2025-04"  # Customer.defaultEmailAddress / defaultPhoneNumber


def _term(field: str, value: str) -> str:
    """One search term, quoted so that spaces and colons in the value stay in it."""
    return f'{field}:"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _zip(value: str | None) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


class ShopifyCommerce(Writes):
    """One Shopify store. Order lookups are cached for `cache_seconds` and kept fresh by the
    webhook receiver from `routes()`; writes always read Shopify first."""

    name = "shopify"

    def __init__(self, client: GraphQLClient, ledger: Ledger, *, shop_domain: str,
                 api_version: str, cache_seconds: float = 300.0,
                 returns_autonomous: bool = False, webhook_secret: bytes | None = None,
                 webhook_path: str = "/shopify/webhooks", job_timeout: float = 60.0,
                 sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.ledger = ledger
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.returns_autonomous = returns_autonomous
        self.job_timeout = job_timeout
        self.cache = OrderCache(cache_seconds, clock)
        self.cache_seconds = cache_seconds
        self._sleep = sleep
        self._clock = clock
        self._catalog: tuple[float, list[Product], bool] | None = None
        self._customers: dict[str, tuple[float, Customer]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._webhook_path = webhook_path
        self._receiver = None if webhook_secret is None else WebhookReceiver(
            webhook_secret, self.cache, shop_domain)

    def __repr__(self) -> str:
        return f"ShopifyCommerce({self.shop_domain!r}, api_version={self.api_version!r})"

    def routes(self) -> list[tuple[str, str, Handler]]:
        """The webhook receiver, when a webhook secret is configured (app.py mounts it)."""
        if self._receiver is None:
            return []
        return [("POST", self._webhook_path, self._receiver.handle)]

    async def close(self) -> None:
        await self.client.close()

    # --- customers --------------------------------------------------------------------------

    async def _search_customers(self, query: str) -> list[Raw]:
        answer = await self.client.read("CustomerSearch", queries.CUSTOMER_SEARCH,
                                        {"query": query})
        return nodes(answer.data.get("customers"))

    async def find_customer_by_email(self, email: str) -> str | None:
        wanted = email.strip().lower()
        if "@" not in wanted:
            return None
        found = await self._search_customers(_term("email", wanted))
        exact = [c for c in found if ((c.get("defaultEmailAddress") or {}).get(
            "emailAddress") or "").lower() == wanted]
        if found and not exact and all(c.get("defaultEmailAddress") is None for c in found):
            log.warning("shopify hides customer emails from this app, so an email cannot be "
                        "matched (protected customer data, see docs/shopify.md)")
        return convert.tail(exact[0]["id"]) if len(exact) == 1 else None

    async def find_customer_by_name_zip(self, first_name: str, last_name: str,
                                        zip_code: str) -> str | None:
        first, last, code = first_name.strip(), last_name.strip(), _zip(zip_code)
        if not (first and last and code):
            return None
        found = await self._search_customers(
            f"{_term('first_name', first)} {_term('last_name', last)}")
        hits = [c for c in found
                if (c.get("firstName") or "").lower() == first.lower()
                and (c.get("lastName") or "").lower() == last.lower()
                and code in {_zip(a.get("zip")) for a in
                             [c.get("defaultAddress") or {}, *(c.get("addresses") or [])]}]
        return convert.tail(hits[0]["id"]) if len(hits) == 1 else None

    async def find_customer_by_phone(self, phone: str) -> str | None:
        """Best effort: Shopify's customer search matches phone numbers unreliably (format,
        country prefix), so a hit counts only when exactly one customer's stored number has
        the same digits. Anything else is "not found" and the shopper verifies another way."""
        digits = _digits(phone)
        if len(digits) < 7:
            return None
        hits: list[Raw] = []
        # Shopify stores E.164; a 10-digit number is tried as North American too.
        for number in [digits] + (["1" + digits] if len(digits) == 10 else []):
            found = await self._search_customers(_term("phone", "+" + number))
            hits = [c for c in found if _digits((c.get("defaultPhoneNumber") or {}).get(
                "phoneNumber"))[-10:] == digits[-10:]]
            if hits:
                break
        if len(hits) != 1:
            log.info("shopify phone lookup found no single customer; the shopper is asked to "
                     "verify by email and order number or name and zip instead")
            return None
        return convert.tail(hits[0]["id"])

    async def get_customer(self, customer_id: str) -> Customer:
        cid = customer_id.strip()
        cached = self._customers.get(cid)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        raw = await self._customer_raw(cid)
        found = convert.customer(raw)
        if self.cache_seconds > 0:
            self._customers[cid] = (self._clock() + self.cache_seconds, found)
        return found

    async def _customer_raw(self, customer_id: str) -> Raw:
        if not (customer_id.isdigit() or customer_id.startswith("gid://shopify/Customer/")):
            raise NotFound("We couldn't find that customer account.")
        answer = await self.client.read("Customer", queries.CUSTOMER,
                                        {"id": gid("Customer", customer_id)})
        raw: Raw | None = answer.data.get("customer")
        if raw is None:
            raise NotFound("We couldn't find that customer account.")
        return raw

    # --- orders -----------------------------------------------------------------------------

    async def list_orders(self, customer_id: str) -> list[Order]:
        cid = customer_id.strip()
        if not cid.isdigit():
            raise NotFound("We couldn't find that customer account.")
        answer = await self.client.read("CustomerOrders", queries.CUSTOMER_ORDERS,
                                        {"id": gid("Customer", cid)})
        raw = answer.data.get("customer")
        if raw is None:
            raise NotFound("We couldn't find that customer account.")
        orders = nodes(raw.get("orders"))
        for o in orders:
            self.cache.put(o)
        return [convert.order(o) for o in orders]

    async def get_order(self, order_id: str) -> Order:
        return convert.order(await self._order_raw(order_id))

    async def _order_raw(self, order_id: str, *, fresh: bool = False) -> Raw:
        """The order's Shopify JSON by name ("#1001", "1001") or GID; cached unless `fresh`."""
        text = order_id.strip()
        name = f"#{text}" if text.isdigit() else text
        if not fresh and (hit := self.cache.get(name)) is not None:
            return hit
        raw: Raw | None
        if text.startswith("gid://shopify/Order/"):
            answer = await self.client.read("Order", queries.ORDER_BY_ID, {"id": text})
            raw = answer.data.get("order")
        else:
            answer = await self.client.read("OrdersByQuery", queries.ORDERS_BY_QUERY,
                                            {"query": _term("name", name)})
            bare = name.lstrip("#").lower()
            raw = next((o for o in nodes(answer.data.get("orders"))
                        if str(o.get("name", "")).lstrip("#").lower() == bare), None)
        if raw is None:
            raise NotFound(f"We couldn't find an order numbered {text}.")
        self.cache.put(raw)
        return raw

    # --- catalog ----------------------------------------------------------------------------

    async def get_product(self, product_id: str) -> Product:
        pid = product_id.strip()
        if not (pid.isdigit() or pid.startswith("gid://shopify/Product/")):
            raise NotFound("We couldn't find that product.")
        answer = await self.client.read("Product", queries.PRODUCT_BY_ID,
                                        {"id": gid("Product", pid)})
        raw = answer.data.get("product")
        if raw is None:
            raise NotFound("We couldn't find that product.")
        return _offered(raw)

    async def list_products(self) -> list[Product]:
        return (await self._catalog_list())[0]

    async def _catalog_list(self) -> tuple[list[Product], bool]:
        """Active products (up to CATALOG_PAGES pages) and whether there were more."""
        if self._catalog is not None and self._catalog[0] > self._clock():
            return self._catalog[1], self._catalog[2]
        products: list[Product] = []
        after: str | None = None
        more = False
        for _ in range(CATALOG_PAGES):
            answer = await self.client.read("Products", queries.PRODUCTS, {
                "first": 250, "after": after, "query": "status:active"})
            page = answer.data.get("products") or {}
            products += [_offered(p) for p in nodes(page)]
            info = page.get("pageInfo") or {}
            more, after = bool(info.get("hasNextPage")), info.get("endCursor")
            if not more:
                break
        if self.cache_seconds > 0:
            self._catalog = (self._clock() + self.cache_seconds, products, more)
        return products, more

    async def search_products(self, query: str, limit: int = 5) -> list[Product]:
        catalog, truncated = await self._catalog_list()
        found = rank(query, catalog, limit)
        if truncated and len(found) < limit:
            words = [w for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) > 2]
            if words:
                answer = await self.client.read("Products", queries.PRODUCTS, {
                    "first": 25, "after": None,
                    "query": "status:active AND (" + " OR ".join(
                        f"title:{w.rstrip('s')}*" for w in words) + ")"})
                extra = [_offered(p) for p in nodes(answer.data.get("products"))]
                seen = {p.id for p in found}
                found += [p for p in rank(query, extra, limit) if p.id not in seen]
        return found[:max(limit, 0)]

    async def get_promo(self, code: str) -> Promo | None:
        if not code.strip():
            return None
        answer = await self.client.read("DiscountByCode", queries.DISCOUNT,
                                        {"code": code.strip()})
        return convert.promo(code, answer.data.get("codeDiscountNodeByCode"))

    # --- for writes.py ---------------------------------------------------------------------------

    def _forget_customer(self, customer_id: str) -> None:
        self._customers.pop(customer_id, None)


def _offered(raw: Raw) -> Product:
    """A product; variants of a product that is not active are not available."""
    product = convert.product(raw)
    if raw.get("status") not in (None, "ACTIVE"):
        product = replace(product, variants=tuple(
            replace(v, available=False) for v in product.variants))
    return product


def open_shopify(config: Any, state_dir: Path) -> ShopifyCommerce:
    """The backend for `[commerce.shopify]` (config.ShopifyConfig). Opens no connection yet:
    the HTTP session starts with the first request, inside the running loop."""
    if config.api_version < OLDEST_VERSION:
        raise BackendError(f"commerce.shopify.api_version: {config.api_version} is older than "
                           f"{OLDEST_VERSION}, the oldest version this backend's queries use")
    base = (config.api_base or f"https://{config.shop_domain}").rstrip("/")
    endpoint = f"{base}/admin/api/{config.api_version}/graphql.json"
    client = GraphQLClient(endpoint, config.access_token.get_secret_value(),
                           timeout=config.timeout)
    secret = config.webhook_secret.get_secret_value().encode() if (
        config.webhook_secret is not None) else None
    if secret is None:
        log.warning("commerce.shopify.webhook_secret is not set: no webhook receiver, so "
                    "cached orders refresh only when their cache_seconds run out")
    return ShopifyCommerce(
        client, Ledger(Path(state_dir) / "shopify-writes.json"),
        shop_domain=config.shop_domain, api_version=config.api_version,
        cache_seconds=config.cache_seconds, returns_autonomous=config.returns_autonomous,
        webhook_secret=secret, webhook_path=config.webhook_path)
