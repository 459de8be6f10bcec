"""A loopback fake of Shopify's Admin GraphQL endpoint, backed by a small in-memory store.

Answers the operations the Shopify backend sends (matched on the operation name) with
Shopify's documented response shapes: `data`, `errors` with `extensions.code`
(THROTTLED, ACCESS_DENIED), `extensions.cost` with `throttleStatus`, and `userErrors` on
mutations. Rate limiting is a real leaky bucket on the fake's clock; `orderCancel` returns
a job that finishes after a few polls of `job(id:)`, as Shopify's does. Knobs let a test
make orderUpdate report success without changing anything, withhold protected customer
data, or fail the next requests with an HTTP status.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

SHOP = "juniper-test.myshopify.com"
TOKEN = "shpat_fake_token_0123456789"
VERSION = "2025-07"
WEBHOOK_SECRET = "fake-client-secret"
Raw = dict[str, Any]
COSTS = {"Order": 22, "OrdersByQuery": 62, "CustomerOrders": 302, "Customer": 52,
         "CustomerSearch": 22, "Product": 13, "Products": 252, "DiscountByCode": 6, "Job": 1}
MUTATION_COST = 10
COUNTRIES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom"}
DENIED = ("This app is not approved to access the Customer object. See "
          "https://partners.shopify.com for more details.")


class Clock:
    """The fake's time; tests may share it with the client so waits cost no real time."""

    def __init__(self, start: float | None = None) -> None:
        self.t = time.monotonic() if start is None else start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        await asyncio.sleep(0)


class RealClock(Clock):
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(seconds)


@dataclass
class Knobs:
    address_update_noop: bool = False  # orderUpdate answers success, changes nothing
    cancel_job_polls: int = 1  # job(id:) answers done=false this many times first
    protected: bool = False  # customer PII withheld: null + ACCESS_DENIED per field
    # HTTP statuses for the next requests, in order (None: answer normally)
    fail_next: list[int | None] = field(default_factory=list)
    # operation name -> userErrors its next call answers with (nothing changes)
    user_errors: dict[str, list[Raw]] = field(default_factory=dict)


def _gid(kind: str, n: int | str) -> str:
    return f"gid://shopify/{kind}/{n}"


def _tail(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(amount: float) -> Raw:
    return {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": "USD"}}


def _terms(query: str) -> list[tuple[str, str]]:
    """Shopify search syntax, as much as the backend sends: field:"value" or field:value."""
    out = []
    for m in re.finditer(r'(\w+):(?:"((?:[^"\\]|\\.)*)"|(\S+))', query or ""):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        out.append((m.group(1), re.sub(r"\\(.)", r"\1", value).rstrip(")")))
    return out


NOUNS = ["Kettle", "Clock", "Lamp", "Backpack", "Boot", "Mug", "Blanket", "Chair", "Speaker",
         "Jacket", "Scarf", "Notebook", "Bottle", "Pillow", "Towel", "Candle", "Planter",
         "Skillet", "Teapot", "Wallet", "Umbrella", "Headphones", "Sneaker", "Rug"]
ADJECTIVES = ["Electric", "Wall", "Desk", "Hiking", "Travel", "Ceramic", "Wool", "Linen",
              "Bamboo", "Cast Iron", "Leather", "Canvas"]


class FakeShopify:
    def __init__(self, clock: Clock | None = None, *, maximum: float = 2000.0,
                 restore_rate: float = 100.0, now: datetime | None = None) -> None:
        self.clock = clock or RealClock()
        self.maximum, self.rate = maximum, restore_rate
        self.available, self._filled = maximum, self.clock.now()
        self.knobs = Knobs()
        self.calls: list[str] = []
        self.requests: list[Raw] = []
        self.customers: dict[str, Raw] = {}
        self.orders: dict[str, Raw] = {}
        self.products: dict[str, Raw] = {}
        self.discounts: dict[str, Raw] = {}
        self.jobs: dict[str, Raw] = {}
        self._now = now or datetime.now(UTC).replace(microsecond=0)
        self._ids = 900000
        self._seed()
        self.app = web.Application()
        self.app.router.add_post("/admin/api/{version}/graphql.json", self._graphql)
        self.server: TestServer | None = None

    # --- running ------------------------------------------------------------------------

    async def start(self) -> str:
        self.server = TestServer(self.app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()

    def fingerprint(self) -> str:
        state = [self.customers, self.orders, self.products]
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()

    def set_bucket(self, available: float, *, maximum: float | None = None,
                   rate: float | None = None) -> None:
        self.maximum = maximum or self.maximum
        self.rate = rate or self.rate
        self.available, self._filled = available, self.clock.now()

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def touch(self, order: Raw) -> None:
        self._now += timedelta(seconds=1)
        order["updatedAt"] = _iso(self._now)

    # --- data ---------------------------------------------------------------------------

    def _seed(self) -> None:
        titles = ["Electric Kettle", "Wall Clock", "Hiking Boot"]
        for i, noun in enumerate(NOUNS):
            for j in range(2):
                title = f"{ADJECTIVES[(i * 5 + j) % len(ADJECTIVES)]} {noun}"
                if title not in titles:
                    titles.append(title)
        for n, title in enumerate(titles, start=1):
            self._product(8000 + n, title, 20 + (n * 7) % 90)
        self._customer(7001, "Ava", "Brooks", "ava.brooks@example.com", "+12085550101",
                       "40 Elm Street", "Boise", "ID", "83706")
        self._customer(7002, "Omar", "Anderson", "omar.anderson@example.com", "+12155550188",
                       "9 Oak Road", "Philadelphia", "PA", "19031")
        self._customer(7003, "Mia", "Chen", "mia.chen@example.com", None,
                       "200 Pine Ave", "New York", "NY", "10001")
        kettle = self._variants("Electric Kettle")
        clock = self._variants("Wall Clock")
        boot = self._variants("Hiking Boot")
        self._order(1001, "7001", [(kettle[0], 1), (clock[1], 1)], "4242", "visa", days=2)
        self._order(1002, "7001", [(boot[0], 1)], "4242", "visa", days=6,
                    shipped=("UPS", "1Z999AA10123456784", None))
        self._order(1003, "7002", [(kettle[1], 1), (clock[0], 2)], "4300", "mastercard",
                    days=12, shipped=("USPS", "9400111899223197428490", 5))
        self._order(1004, "7002", [(boot[1], 1)], None, "paypal", days=1)
        self._order(1005, "7003", [(clock[2], 1)], "1111", "amex", days=20)
        self.orders[_gid("Order", 1005)]["cancelledAt"] = _iso(self._now - timedelta(days=19))
        self.orders[_gid("Order", 1005)]["cancelReason"] = "CUSTOMER"
        self.discounts["WELCOME10"] = {
            "__typename": "DiscountCodeBasic", "title": "Welcome 10%",
            "summary": "10% off entire order • Minimum purchase of $50.00", "status": "ACTIVE",
            "endsAt": None, "appliesOncePerCustomer": True,
            "minimumRequirement": {"greaterThanOrEqualToSubtotal": {"amount": "50.0"}},
            "customerGets": {"value": {"percentage": 0.1}}}
        self.discounts["SHIPFREE"] = {
            "__typename": "DiscountCodeFreeShipping", "title": "Free shipping",
            "summary": "Free shipping on all products", "status": "EXPIRED",
            "endsAt": _iso(self._now - timedelta(days=3)), "appliesOncePerCustomer": False}

    def _product(self, n: int, title: str, price: int) -> None:
        sizes = ("Small", "Large") if title.split()[-1] not in ("Boot", "Sneaker") else (
            "8", "9", "10")
        colors = ("Black", "White")
        variants = []
        for i, (size, color) in enumerate((s, c) for s in sizes for c in colors):
            variants.append({
                "id": _gid("ProductVariant", n * 10 + i), "title": f"{size} / {color}",
                "price": f"{price + i * 5:.2f}", "availableForSale": i != 1,
                "inventoryQuantity": 0 if i == 1 else 12,
                "selectedOptions": [{"name": "Size", "value": size},
                                    {"name": "Color", "value": color}]})
        self.products[_gid("Product", n)] = {
            "id": _gid("Product", n), "title": title, "status": "ACTIVE",
            "description": f"A {title.lower()} for everyday use.",
            "variants": {"nodes": variants}}

    def _variants(self, title: str) -> list[tuple[Raw, Raw]]:
        product = next(p for p in self.products.values() if p["title"] == title)
        return [(product, v) for v in product["variants"]["nodes"]]

    def _customer(self, n: int, first: str, last: str, email: str, phone: str | None,
                  street: str, city: str, state: str, zip_code: str) -> None:
        address = {"id": _gid("MailingAddress", f"{n}1?model_name=CustomerAddress"),
                   "firstName": first, "lastName": last, "company": None, "phone": phone,
                   "address1": street, "address2": "", "city": city, "province": state,
                   "provinceCode": state, "country": "United States", "countryCodeV2": "US",
                   "zip": zip_code}
        self.customers[_gid("Customer", n)] = {
            "id": _gid("Customer", n), "firstName": first, "lastName": last, "email": email,
            "phone": phone, "addresses": [address], "defaultAddressId": address["id"]}

    def _order(self, n: int, customer: str, lines: list[tuple[tuple[Raw, Raw], int]],
               last4: str | None, brand: str, *, days: int,
               shipped: tuple[str, str, int | None] | None = None) -> None:
        who = self.customers[_gid("Customer", customer)]
        created = self._now - timedelta(days=days)
        address = {k: v for k, v in who["addresses"][0].items() if k != "id"}
        line_items, total = [], 0.0
        for (product, variant), qty in lines:
            line_items.append({
                "id": _gid("LineItem", self._next_id()), "name": f"{product['title']} - "
                f"{variant['title']}", "title": product["title"], "quantity": qty,
                "currentQuantity": qty,
                "variant": {k: variant[k] for k in ("id", "title", "selectedOptions")},
                "product": {"id": product["id"]},
                "discountedUnitPriceAfterAllDiscountsSet": _money(float(variant["price"]))})
            total += float(variant["price"]) * qty
        gateway = "paypal" if last4 is None else "shopify_payments"
        sale = {"id": _gid("OrderTransaction", self._next_id()), "kind": "SALE",
                "status": "SUCCESS", "gateway": gateway, "createdAt": _iso(created),
                "amountSet": _money(total), "parentTransaction": None,
                "paymentDetails": None if last4 is None else {
                    "__typename": "CardPaymentDetails", "company": brand.title(),
                    "number": f"•••• •••• •••• {last4}"}}
        fulfillments = []
        if shipped is not None:
            carrier, number, delivered_after = shipped
            sent = created + timedelta(days=1)
            fulfillments.append({
                "id": _gid("Fulfillment", self._next_id()), "name": f"#{n}-F1",
                "status": "SUCCESS",
                "displayStatus": "DELIVERED" if delivered_after else "IN_TRANSIT",
                "createdAt": _iso(sent), "inTransitAt": _iso(sent + timedelta(hours=6)),
                "estimatedDeliveryAt": _iso(sent + timedelta(days=4)),
                "deliveredAt": _iso(sent + timedelta(days=delivered_after))
                if delivered_after else None,
                "trackingInfo": [{"company": carrier, "number": number,
                                  "url": f"https://track.example/{number}"}],
                "fulfillmentLineItems": {"nodes": [
                    {"id": _gid("FulfillmentLineItem", self._next_id()),
                     "quantity": li["quantity"],
                     "lineItem": {"id": li["id"], "variant": {"id": li["variant"]["id"]}}}
                    for li in line_items]}})
        self.orders[_gid("Order", n)] = {
            "id": _gid("Order", n), "name": f"#{n}", "createdAt": _iso(created),
            "updatedAt": _iso(created), "cancelledAt": None, "cancelReason": None,
            "displayFulfillmentStatus": "FULFILLED" if shipped else "UNFULFILLED",
            "displayFinancialStatus": "PAID", "returnStatus": "NO_RETURN",
            "customer": {"id": who["id"]}, "shippingAddress": address,
            "lineItems": {"nodes": line_items}, "fulfillments": fulfillments,
            "transactions": [sale], "returns": {"nodes": []}}

    def order(self, name: str) -> Raw:
        return next(o for o in self.orders.values() if o["name"] == name)

    def contract_sample(self) -> Raw:
        """What tests/test_commerce_contract.py's Sample names, found in this data."""
        pending = self.order("#1001")
        delivered = self.order("#1003")
        who = self.customers[pending["customer"]["id"]]
        return {"customer_id": _tail(who["id"]), "email": who["email"],
                "first": who["firstName"], "last": who["lastName"],
                "zip": who["addresses"][0]["zip"], "pending": pending["name"],
                "delivered": delivered["name"],
                "delivered_owner": _tail(delivered["customer"]["id"]),
                "delivered_payment": "credit_card_4300"}

    # --- the endpoint -------------------------------------------------------------------

    async def _graphql(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return web.json_response({"errors": "[API] Invalid API key or access token "
                                      "(unrecognized login or wrong password)"}, status=401)
        failure = self.knobs.fail_next.pop(0) if self.knobs.fail_next else None
        if failure is not None:
            self.calls.append(f"HTTP {failure}")
            return web.json_response({"errors": "Internal Server Error"}, status=failure)
        body = await request.json()
        self.requests.append(body)
        query = body.get("query") or ""
        m = re.search(r"\b(query|mutation)\s+(\w+)", query)
        name = body.get("operationName") or (m.group(2) if m else "")
        self.calls.append(name)
        mutation = bool(m and m.group(1) == "mutation")
        cost = MUTATION_COST if mutation else COSTS.get(name, 10)
        now = self.clock.now()
        self.available = min(self.maximum, self.available + (now - self._filled) * self.rate)
        self._filled = now
        status = {"maximumAvailable": self.maximum, "currentlyAvailable": self.available,
                  "restoreRate": self.rate}
        if cost > self.available:
            return web.json_response({
                "errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": None,
                                        "throttleStatus": status}}})
        self.available -= cost
        handler: Callable[[Raw, list[Raw]], Raw] | None = getattr(self, f"_op_{name}", None)
        if handler is None:
            return web.json_response({"errors": [{
                "message": f"Field '{name}' doesn't exist on type 'QueryRoot'",
                "extensions": {"code": "undefinedField"}}]})
        errors: list[Raw] = []
        refused = self.knobs.user_errors.pop(name, None)
        if refused is not None:
            field_name = name[0].lower() + name[1:]
            key = "orderCancelUserErrors" if name == "OrderCancel" else "userErrors"
            return web.json_response({"data": {field_name: {key: refused}}, "extensions": {
                "cost": {"requestedQueryCost": cost, "actualQueryCost": cost,
                         "throttleStatus": {**status, "currentlyAvailable": self.available}}}})
        data = handler(body.get("variables") or {}, errors)
        out: Raw = {"data": data, "extensions": {"cost": {
            "requestedQueryCost": cost, "actualQueryCost": cost,
            "throttleStatus": {**status, "currentlyAvailable": self.available}}}}
        if errors:
            out["errors"] = errors
        return web.json_response(out)

    # --- views (what a query sees) ---------------------------------------------------------

    def _deny(self, errors: list[Raw], path: list[Any]) -> None:
        errors.append({"message": DENIED, "locations": [{"line": 1, "column": 1}],
                       "path": path, "extensions": {"code": "ACCESS_DENIED"}})

    def _order_view(self, order: Raw, errors: list[Raw], path: list[Any]) -> Raw:
        view = copy.deepcopy(order)
        if self.knobs.protected:
            view["shippingAddress"] = None
            self._deny(errors, [*path, "shippingAddress"])
        return view

    def _customer_view(self, c: Raw, errors: list[Raw], path: list[Any]) -> Raw:
        default = next(a for a in c["addresses"] if a["id"] == c["defaultAddressId"])
        orders = sorted((o for o in self.orders.values() if o["customer"]["id"] == c["id"]),
                        key=lambda o: o["createdAt"], reverse=True)
        view: Raw = {
            "id": c["id"], "firstName": c["firstName"], "lastName": c["lastName"],
            "defaultEmailAddress": {"emailAddress": c["email"]},
            "defaultPhoneNumber": {"phoneNumber": c["phone"]} if c["phone"] else None,
            "defaultAddress": copy.deepcopy(default),
            "addresses": [{"zip": a["zip"]} for a in c["addresses"]],
            "orders": {"nodes": [{"name": o["name"],
                                  "transactions": copy.deepcopy(o["transactions"])}
                                 for o in orders]}}
        if self.knobs.protected:
            for key in ("firstName", "lastName", "defaultEmailAddress", "defaultPhoneNumber",
                        "defaultAddress", "addresses"):
                view[key] = None
                self._deny(errors, [*path, key])
        return view

    def _product_matches(self, product: Raw, query: str | None) -> bool:
        terms = _terms(query or "")
        if ("status", "active") in terms and product["status"] != "ACTIVE":
            return False
        titles = [v.rstrip("*").lower() for k, v in terms if k == "title"]
        return not titles or any(t in product["title"].lower() for t in titles)

    # --- queries ------------------------------------------------------------------------

    def _op_CustomerSearch(self, v: Raw, errors: list[Raw]) -> Raw:
        found = []
        for c in self.customers.values():
            ok = True
            for key, value in _terms(v["query"]):
                if key == "email":
                    ok &= c["email"].lower() == value.lower()
                elif key == "first_name":
                    ok &= c["firstName"].lower() == value.lower()
                elif key == "last_name":
                    ok &= c["lastName"].lower() == value.lower()
                elif key == "phone":
                    ok &= re.sub(r"\D", "", c["phone"] or "") == re.sub(r"\D", "", value)
            if ok:
                found.append(c)
        return {"customers": {"nodes": [
            self._customer_view(c, errors, ["customers", "nodes", i])
            for i, c in enumerate(found[:10])]}}

    def _op_Customer(self, v: Raw, errors: list[Raw]) -> Raw:
        c = self.customers.get(v["id"])
        return {"customer": None if c is None else self._customer_view(c, errors, ["customer"])}

    def _op_CustomerOrders(self, v: Raw, errors: list[Raw]) -> Raw:
        c = self.customers.get(v["id"])
        if c is None:
            return {"customer": None}
        orders = sorted((o for o in self.orders.values() if o["customer"]["id"] == c["id"]),
                        key=lambda o: o["createdAt"], reverse=True)
        return {"customer": {"id": c["id"], "orders": {"nodes": [
            self._order_view(o, errors, ["customer", "orders", "nodes", i])
            for i, o in enumerate(orders)]}}}

    def _op_Order(self, v: Raw, errors: list[Raw]) -> Raw:
        o = self.orders.get(v["id"])
        return {"order": None if o is None else self._order_view(o, errors, ["order"])}

    def _op_OrdersByQuery(self, v: Raw, errors: list[Raw]) -> Raw:
        names = [value.lstrip("#").lower() for key, value in _terms(v["query"])
                 if key == "name"]
        found = [o for o in self.orders.values()
                 if not names or o["name"].lstrip("#").lower() in names]
        return {"orders": {"nodes": [self._order_view(o, errors, ["orders", "nodes", i])
                                     for i, o in enumerate(found[:5])]}}

    def _op_Product(self, v: Raw, errors: list[Raw]) -> Raw:
        return {"product": copy.deepcopy(self.products.get(v["id"]))}

    def _op_Products(self, v: Raw, errors: list[Raw]) -> Raw:
        found = sorted((p for p in self.products.values()
                        if self._product_matches(p, v.get("query"))), key=lambda p: p["title"])
        start = int(base64.b64decode(v["after"]).decode()) if v.get("after") else 0
        first = min(int(v["first"]), 250)
        page = found[start:start + first]
        more = start + first < len(found)
        return {"products": {"nodes": copy.deepcopy(page), "pageInfo": {
            "hasNextPage": more,
            "endCursor": base64.b64encode(str(start + first).encode()).decode()}}}

    def _op_DiscountByCode(self, v: Raw, errors: list[Raw]) -> Raw:
        discount = self.discounts.get(v["code"].upper())
        return {"codeDiscountNodeByCode": None if discount is None else {
            "id": _gid("DiscountCodeNode", abs(hash(v["code"].upper())) % 10**6),
            "codeDiscount": copy.deepcopy(discount)}}

    def _op_Job(self, v: Raw, errors: list[Raw]) -> Raw:
        job = self.jobs.get(v["id"])
        if job is None:
            return {"job": None}
        if not job["done"]:
            if job["polls"] > 0:
                job["polls"] -= 1
            else:
                job["done"] = True
                job["then"]()
        return {"job": {"id": v["id"], "done": job["done"]}}

    # --- mutations ----------------------------------------------------------------------

    def _op_OrderCancel(self, v: Raw, errors: list[Raw]) -> Raw:
        order = self.orders.get(v["orderId"])
        problem = None
        if order is None:
            problem = {"field": ["orderId"], "message": "Order does not exist",
                       "code": "NOT_FOUND"}
        elif order["cancelledAt"]:
            problem = {"field": ["orderId"], "message": "Order has already been cancelled",
                       "code": "INVALID"}
        elif order["displayFulfillmentStatus"] != "UNFULFILLED":
            problem = {"field": ["orderId"], "message": "Cannot cancel a fulfilled order",
                       "code": "INVALID"}
        if problem is not None:
            return {"orderCancel": {"job": None, "orderCancelUserErrors": [problem]}}
        job_id = _gid("Job", f"{self._next_id()}-cancel")

        def cancel() -> None:
            assert order is not None
            order["cancelledAt"] = _iso(self._now)
            order["cancelReason"] = v["reason"]
            if (v.get("refundMethod") or {}).get("originalPaymentMethodsRefund") or v.get(
                    "refund"):
                for sale in [t for t in order["transactions"] if t["kind"] == "SALE"]:
                    order["transactions"].append({
                        **sale, "id": _gid("OrderTransaction", self._next_id()),
                        "kind": "REFUND", "parentTransaction": {"id": sale["id"]}})
                order["displayFinancialStatus"] = "REFUNDED"
            self.touch(order)

        self.jobs[job_id] = {"done": False, "polls": self.knobs.cancel_job_polls,
                             "then": cancel}
        return {"orderCancel": {"job": {"id": job_id, "done": False},
                                "orderCancelUserErrors": []}}

    def _op_OrderUpdate(self, v: Raw, errors: list[Raw]) -> Raw:
        data = v["input"]
        order = self.orders.get(data["id"])
        if order is None:
            return {"orderUpdate": {"order": None, "userErrors": [
                {"field": ["id"], "message": "Order does not exist"}]}}
        new = data.get("shippingAddress")
        if new is not None and not self.knobs.address_update_noop:
            address = order["shippingAddress"]
            for key in ("address1", "address2", "city", "zip", "firstName", "lastName",
                        "company", "phone"):
                if key in new:
                    address[key] = new[key]
            if "provinceCode" in new:
                address["provinceCode"] = address["province"] = new["provinceCode"]
            address["countryCodeV2"] = new.get("countryCode", address["countryCodeV2"])
            address["country"] = COUNTRIES.get(address["countryCodeV2"], "")
            self.touch(order)
        view = {"id": order["id"], "shippingAddress": copy.deepcopy(order["shippingAddress"])}
        return {"orderUpdate": {"order": view, "userErrors": []}}

    def _new_return(self, order_id: str, lines: list[Raw], exchange: list[Raw],
                    status: str, key: str) -> Raw:
        order = self.orders.get(order_id)
        if order is None:
            return {key: {"return": None, "userErrors": [
                {"field": ["orderId"], "message": "Order does not exist", "code": "NOT_FOUND"}]}}
        shipped = {fli["id"]: fli["quantity"] for f in order["fulfillments"]
                   for fli in f["fulfillmentLineItems"]["nodes"]}
        for i, line in enumerate(lines):
            if line["quantity"] > shipped.get(line["fulfillmentLineItemId"], 0):
                return {key: {"return": None, "userErrors": [{
                    "field": ["input", "returnLineItems", str(i), "quantity"],
                    "message": "Quantity is greater than the returnable quantity",
                    "code": "INVALID"}]}}
        number = len(order["returns"]["nodes"]) + 1
        ret = {"id": _gid("Return", self._next_id()), "name": f"{order['name']}-R{number}",
               "status": status, "exchangeLineItems": {"nodes": [
                   {"id": _gid("ExchangeLineItem", self._next_id())} for _ in exchange]}}
        order["returns"]["nodes"].append(ret)
        order["returnStatus"] = "RETURN_REQUESTED" if status == "REQUESTED" else "IN_PROGRESS"
        self.touch(order)
        return {key: {"return": {k: ret[k] for k in ("id", "name", "status")},
                      "userErrors": []}}

    def _op_ReturnRequest(self, v: Raw, errors: list[Raw]) -> Raw:
        data = v["input"]
        return self._new_return(data["orderId"], data["returnLineItems"], [], "REQUESTED",
                                "returnRequest")

    def _op_ReturnCreate(self, v: Raw, errors: list[Raw]) -> Raw:
        data = v["returnInput"]
        return self._new_return(data["orderId"], data["returnLineItems"],
                                data.get("exchangeLineItems") or [], "OPEN", "returnCreate")

    def _op_RefundCreate(self, v: Raw, errors: list[Raw]) -> Raw:
        data = v["input"]
        order = self.orders.get(data["orderId"])
        if order is None:
            return {"refundCreate": {"refund": None, "userErrors": [
                {"field": ["orderId"], "message": "Order does not exist"}]}}
        txs = {t["id"]: t for t in order["transactions"]}
        for i, t in enumerate(data["transactions"]):
            parent = txs.get(t.get("parentId"))
            done = sum(float(x["amountSet"]["shopMoney"]["amount"]) for x in txs.values()
                       if x["kind"] == "REFUND" and (x.get("parentTransaction") or {}).get(
                           "id") == t.get("parentId"))
            if parent is None or float(t["amount"]) > float(
                    parent["amountSet"]["shopMoney"]["amount"]) - done + 1e-9:
                return {"refundCreate": {"refund": None, "userErrors": [{
                    "field": ["transactions", str(i), "amount"],
                    "message": "Amount cannot be greater than the refundable amount"}]}}
        total = 0.0
        for t in data["transactions"]:
            parent = txs[t["parentId"]]
            order["transactions"].append({
                **parent, "id": _gid("OrderTransaction", self._next_id()), "kind": "REFUND",
                "amountSet": _money(float(t["amount"])), "parentTransaction": {"id": parent["id"]}})
            total += float(t["amount"])
        order["displayFinancialStatus"] = "PARTIALLY_REFUNDED"
        self.touch(order)
        return {"refundCreate": {"refund": {"id": _gid("Refund", self._next_id()),
                                            "totalRefundedSet": _money(total)},
                                 "userErrors": []}}

    def _set_address(self, c: Raw, address: Raw, into: Raw) -> None:
        for key in ("address1", "address2", "city", "zip", "firstName", "lastName",
                    "company", "phone"):
            if key in address:
                into[key] = address[key]
        if "provinceCode" in address:
            into["provinceCode"] = into["province"] = address["provinceCode"]
        into["countryCodeV2"] = address.get("countryCode", into.get("countryCodeV2"))
        into["country"] = COUNTRIES.get(into["countryCodeV2"] or "", "")

    def _op_CustomerAddressUpdate(self, v: Raw, errors: list[Raw]) -> Raw:
        c = self.customers.get(v["customerId"])
        target = None if c is None else next(
            (a for a in c["addresses"] if a["id"] == v["addressId"]), None)
        if c is None or target is None:
            return {"customerAddressUpdate": {"address": None, "userErrors": [
                {"field": ["addressId"], "message": "Address does not exist"}]}}
        self._set_address(c, v["address"], target)
        c["defaultAddressId"] = target["id"]
        return {"customerAddressUpdate": {"address": copy.deepcopy(target), "userErrors": []}}

    def _op_CustomerAddressCreate(self, v: Raw, errors: list[Raw]) -> Raw:
        c = self.customers.get(v["customerId"])
        if c is None:
            return {"customerAddressCreate": {"address": None, "userErrors": [
                {"field": ["customerId"], "message": "Customer does not exist"}]}}
        new: Raw = {"id": _gid("MailingAddress", f"{self._next_id()}?model_name=CustomerAddress")}
        self._set_address(c, v["address"], new)
        c["addresses"].append(new)
        c["defaultAddressId"] = new["id"]
        return {"customerAddressCreate": {"address": copy.deepcopy(new), "userErrors": []}}

    # --- webhooks (what Shopify would POST) ------------------------------------------------

    def order_webhook(self, name: str) -> Raw:
        """The orders/updated payload (REST shape) for an order as it is now."""
        o = self.order(name)
        a = o["shippingAddress"] or {}
        status = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial",
                  "RESTOCKED": "restocked"}.get(o["displayFulfillmentStatus"])
        return {
            "id": int(_tail(o["id"])), "admin_graphql_api_id": o["id"], "name": o["name"],
            "updated_at": o["updatedAt"], "cancelled_at": o["cancelledAt"],
            "cancel_reason": (o["cancelReason"] or "").lower() or None,
            "financial_status": o["displayFinancialStatus"].lower(),
            "fulfillment_status": status, "customer": {"id": int(_tail(o["customer"]["id"]))},
            "shipping_address": {
                "address1": a.get("address1"), "address2": a.get("address2"),
                "city": a.get("city"), "province": a.get("province"),
                "province_code": a.get("provinceCode"), "country": a.get("country"),
                "country_code": a.get("countryCodeV2"), "zip": a.get("zip"),
                "first_name": a.get("firstName"), "last_name": a.get("lastName")},
            "line_items": [{"id": int(_tail(li["id"])),
                            "variant_id": int(_tail(li["variant"]["id"])),
                            "product_id": int(_tail(li["product"]["id"])),
                            "title": li["title"], "quantity": li["quantity"],
                            "current_quantity": li["currentQuantity"]}
                           for li in o["lineItems"]["nodes"]],
            "fulfillments": [self.fulfillment_webhook(name, i)
                             for i in range(len(o["fulfillments"]))],
            "refunds": [{"transactions": [{"kind": "refund", "status": "success",
                                           "amount": t["amountSet"]["shopMoney"]["amount"]}]}
                        for t in o["transactions"] if t["kind"] == "REFUND"]}

    def fulfillment_webhook(self, name: str, index: int = 0) -> Raw:
        """The fulfillments/update payload (REST shape)."""
        o = self.order(name)
        f = o["fulfillments"][index]
        tracking = f["trackingInfo"]
        return {
            "id": int(_tail(f["id"])), "admin_graphql_api_id": f["id"],
            "order_id": int(_tail(o["id"])), "name": f["name"], "status": f["status"].lower(),
            "shipment_status": (f["displayStatus"] or "").lower() or None,
            "created_at": f["createdAt"], "updated_at": o["updatedAt"],
            "tracking_company": tracking[0]["company"] if tracking else None,
            "tracking_number": tracking[0]["number"] if tracking else None,
            "tracking_numbers": [t["number"] for t in tracking],
            "tracking_url": tracking[0]["url"] if tracking else None,
            "tracking_urls": [t["url"] for t in tracking],
            "line_items": [{"id": int(_tail(x["lineItem"]["id"])),
                            "variant_id": int(_tail(x["lineItem"]["variant"]["id"])),
                            "quantity": x["quantity"]}
                           for x in f["fulfillmentLineItems"]["nodes"]]}


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def config(api_base: str, **extra: Any) -> Any:
    from omnichannel.config import ShopifyConfig

    return ShopifyConfig.model_validate({
        "shop_domain": SHOP, "access_token": TOKEN, "api_version": VERSION,
        "webhook_secret": WEBHOOK_SECRET, "api_base": api_base, "timeout": 5, **extra})


@asynccontextmanager
async def running_shop(state_dir: Path, fake: FakeShopify | None = None,
                       **extra: Any) -> AsyncIterator[tuple[FakeShopify, Any]]:
    """The fake on a loopback port and a backend opened the way the daemon opens it."""
    from omnichannel.commerce.backends import close_backend, open_backend

    fake = fake or FakeShopify()
    base = await fake.start()
    shop = open_backend("shopify", None, state_dir, shopify=config(base, **extra))
    try:
        yield fake, shop
    finally:
        await close_backend(shop)
        await fake.stop()
