"""DemoCommerce: the Commerce protocol over the demo shop's own SQLite file.

All SQL runs on one dedicated thread (a single-worker executor owning the only connection),
so the event loop never blocks and writes never race. Each write is one transaction that
also records its idempotency key; a refused write raises before anything is committed.
The status rules follow the tau-bench retail policy: cancel and modify only while pending
(once items are modified, nothing more), return and exchange only when delivered and
within the return window.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, is_dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from omnichannel.commerce.demo.generate import as_utc, generate, iso, phone_key, zip_key
from omnichannel.commerce.model import (
    Address,
    Customer,
    Fulfillment,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Product,
    Promo,
    Variant,
    WriteResult,
)
from omnichannel.commerce.protocol import InvalidRequest, NotEligible, NotFound

T = TypeVar("T")
Conn = sqlite3.Connection
CANCEL_REASONS = ("no longer needed", "ordered by mistake")
_COUNTRIES = {"us": "USA", "usa": "USA", "united states": "USA",
              "united states of america": "USA", "ca": "Canada", "can": "Canada",
              "canada": "Canada"}
_WHY = {
    OrderStatus.PENDING: "hasn't shipped or been delivered yet",
    OrderStatus.PENDING_ITEMS_MODIFIED: "already had its items changed",
    OrderStatus.PROCESSED: "is already being packed for shipping",
    OrderStatus.SHIPPED: "has already shipped and isn't delivered yet",
    OrderStatus.DELIVERED: "has already been delivered",
    OrderStatus.CANCELLED: "has been cancelled",
    OrderStatus.RETURN_REQUESTED: "already has a return in progress",
    OrderStatus.EXCHANGE_REQUESTED: "already has an exchange in progress",
}
_STOPWORDS = frozenset("a an and any do for have i in is me my of on or some the to want with "
                       "you your need looking".split())


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _dt(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _opts(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS]


def _order_id(order_id: str) -> str:
    oid = order_id.strip().upper().lstrip("#")
    return f"#JP{oid}" if oid.isdigit() else f"#{oid}"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _clean_address(a: Address) -> Address:
    country = _COUNTRIES.get(a.country.strip().lower())
    if country is None:
        raise InvalidRequest("We only ship to addresses in the US and Canada.")
    parts = [a.address1.strip(), a.city.strip(), a.state.strip(), a.zip.strip()]
    if not all(parts):
        raise InvalidRequest(
            "Please give the street address, city, state or province, and ZIP or postal code.")
    code = zip_key(a.zip)
    if country == "USA" and not re.fullmatch(r"\d{5}(-\d{4})?", code):
        raise InvalidRequest("That ZIP code doesn't look right: it should have 5 digits.")
    if country == "Canada":
        if not re.fullmatch(r"[A-Z]\d[A-Z]\d[A-Z]\d", code):
            raise InvalidRequest("That postal code doesn't look right (expected like A1A 1A1).")
        code = f"{code[:3]} {code[3:]}"
    state = parts[2].upper() if len(parts[2]) == 2 else parts[2]
    return Address(parts[0], a.address2.strip(), parts[1], state, country, code)


def _refusal(order: Order, consequence: str) -> NotEligible:
    return NotEligible(f"Order {order.id} {_WHY[order.status]}, so {consequence}.")


def _net_paid(order: Order) -> dict[str, float]:
    net: dict[str, float] = {}
    for p in order.payment_history:
        sign = 1 if p.transaction_type == "payment" else -1
        net[p.payment_method_id] = round(net.get(p.payment_method_id, 0.0) + sign * p.amount, 2)
    return net


# --- rows to model ----------------------------------------------------------------------

def _address(r: sqlite3.Row) -> Address:
    return Address(r["address1"], r["address2"], r["city"], r["state"], r["country"], r["zip"])


def _payment_method(r: sqlite3.Row) -> PaymentMethod:
    return PaymentMethod(r["id"], PaymentSource(r["source"]), r["brand"], r["last_four"],
                         r["balance"])


def _load_customer(conn: Conn, customer_id: str) -> Customer:
    r = conn.execute("SELECT * FROM customers WHERE id = ?", (customer_id.strip(),)).fetchone()
    if r is None:
        raise NotFound("We couldn't find that customer account.")
    methods = conn.execute("SELECT * FROM payment_methods WHERE customer_id = ? "
                           "ORDER BY position", (r["id"],)).fetchall()
    orders = conn.execute("SELECT id FROM orders WHERE customer_id = ? "
                          "ORDER BY created_at DESC, id DESC", (r["id"],)).fetchall()
    return Customer(r["id"], r["first_name"], r["last_name"], r["email"], _address(r),
                    tuple(_payment_method(m) for m in methods),
                    tuple(str(o[0]) for o in orders), r["phone"])


def _load_order(conn: Conn, order_id: str) -> Order:
    oid = _order_id(order_id)
    r = conn.execute("SELECT * FROM orders WHERE id = ?", (oid,)).fetchone()
    if r is None:
        raise NotFound(f"We couldn't find an order numbered {order_id.strip()}.")
    items = tuple(OrderItem(i["name"], i["product_id"], i["item_id"], i["price"],
                            _opts(i["options"]))
                  for i in conn.execute("SELECT * FROM order_items WHERE order_id = ? "
                                        "ORDER BY position", (oid,)))
    fulfillments = tuple(
        Fulfillment(tuple(json.loads(f["tracking_ids"])), tuple(json.loads(f["item_ids"])),
                    f["carrier"], f["tracking_url"], _dt(f["shipped_at"]),
                    _dt(f["estimated_delivery"]), _dt(f["delivered_at"]))
        for f in conn.execute("SELECT * FROM fulfillments WHERE order_id = ? ORDER BY position",
                              (oid,)))
    payments = tuple(Payment(p["transaction_type"], p["amount"], p["payment_method_id"])
                     for p in conn.execute("SELECT * FROM payments WHERE order_id = ? "
                                           "ORDER BY position", (oid,)))
    return Order(oid, r["customer_id"], _address(r), items, fulfillments,
                 OrderStatus(r["status"]), payments, _dt(r["created_at"]),
                 tuple(json.loads(r["return_items"])), tuple(json.loads(r["exchange_items"])),
                 tuple(json.loads(r["exchange_new_items"])), r["cancel_reason"])


def _load_products(conn: Conn, product_id: str | None = None) -> list[Product]:
    where, args = ("WHERE id = ?", (product_id.strip(),)) if product_id else ("", ())
    variants: dict[str, list[Variant]] = {}
    for v in conn.execute("SELECT * FROM variants ORDER BY product_id, position"):
        variants.setdefault(v["product_id"], []).append(Variant(
            v["item_id"], _opts(v["options"]), bool(v["listed"]) and v["stock"] > 0,
            v["price"], v["stock"]))
    return [Product(p["id"], p["name"], tuple(variants.get(p["id"], ())), p["description"])
            for p in conn.execute(f"SELECT * FROM products {where} ORDER BY name", args)]


def _result_json(result: WriteResult) -> str:
    return json.dumps(asdict(result), default=iso)


def _decode(tp: Any, value: Any) -> Any:
    """Rebuild a model value from its JSON form (for replaying a stored WriteResult)."""
    if value is None:
        return None
    if isinstance(tp, type) and is_dataclass(tp):
        hints = get_type_hints(tp)
        return tp(**{k: _decode(hints[k], v) for k, v in value.items()})
    args = get_args(tp)
    if get_origin(tp) is tuple:
        kinds = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
        return tuple(_decode(k, v) for k, v in zip(kinds, value, strict=True))
    if args:  # X | None
        return _decode(next(a for a in args if a is not type(None)), value)
    if tp is datetime:
        return datetime.fromisoformat(value)
    return tp(value) if isinstance(tp, type) and issubclass(tp, Enum) else value


class DemoCommerce:
    """The demo shop. `clock` gives the shop's "now" (return windows); default: real UTC."""

    name = "demo"

    def __init__(self, path: Path, *, seed: int = 7, now: datetime | None = None,
                 return_window_days: int | None = 30,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        self.return_window_days = return_window_days
        self._seed = seed
        self._now = now
        self._clock = clock or _utcnow
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="demo-shop")
        self._conn: Conn | None = None
        self._closed = False

    @classmethod
    def open(cls, path: Path, *, seed: int = 7, now: datetime | None = None,
             return_window_days: int | None = 30,
             clock: Callable[[], datetime] | None = None) -> DemoCommerce:
        """Start the shop; the file is generated (on the shop's thread) if it is missing."""
        shop = cls(path, seed=seed, now=now, return_window_days=return_window_days, clock=clock)
        shop._executor.submit(shop._connection)
        return shop

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._disconnect)
        self._executor.shutdown(wait=True)

    def _connection(self) -> Conn:
        if self._conn is None:
            if not self.path.exists():
                generate(self.path, self._seed, self._now)
            conn = sqlite3.connect(self.path, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise RuntimeError("the demo shop is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        return fn(self._connection(), *args)

    def _today(self) -> datetime:
        return as_utc(self._clock())

    # --- lookups ------------------------------------------------------------------------

    async def find_customer_by_email(self, email: str) -> str | None:
        return await self._run(_one, "SELECT id FROM customers WHERE email = ?",
                               email.strip().lower())

    async def find_customer_by_name_zip(self, first_name: str, last_name: str,
                                        zip_code: str) -> str | None:
        return await self._run(
            _one, "SELECT id FROM customers WHERE lower(first_name) = ? AND lower(last_name) = ?"
            " AND zip_key = ? ORDER BY id", first_name.strip().lower(), last_name.strip().lower(),
            zip_key(zip_code))

    async def find_customer_by_phone(self, phone: str) -> str | None:
        digits = phone_key(phone)
        if len(digits) < 7:
            return None
        return await self._run(_one, "SELECT id FROM customers WHERE phone_digits = ?", digits)

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._run(_load_customer, customer_id)

    async def list_orders(self, customer_id: str) -> list[Order]:
        def work(conn: Conn) -> list[Order]:
            return [_load_order(conn, oid) for oid in _load_customer(conn, customer_id).order_ids]
        return await self._run(work)

    async def get_order(self, order_id: str) -> Order:
        return await self._run(_load_order, order_id)

    async def get_product(self, product_id: str) -> Product:
        found = await self._run(_load_products, product_id)
        if not found:
            raise NotFound("We couldn't find that product.")
        return found[0]

    async def list_products(self) -> list[Product]:
        return await self._run(_load_products)

    async def search_products(self, query: str, limit: int = 5) -> list[Product]:
        terms = list(dict.fromkeys(_words(query)))
        if not terms:
            return []
        scored = []
        for product in await self.list_products():
            name, words = set(_words(product.name)), _words(product.name + " " +
                                                             product.description)
            hits = [t for t in terms if t in words]
            if hits:  # words found, then words in the name, then phrases kept together
                pairs = set(zip(words, words[1:], strict=False))
                score = len(hits) * 10 + sum(2 for t in hits if t in name) + sum(
                    5 for pair in zip(terms, terms[1:], strict=False) if pair in pairs)
                scored.append((-score, product.name, product))
        return [p for _, _, p in sorted(scored, key=lambda s: (s[0], s[1]))[:max(limit, 0)]]

    async def get_promo(self, code: str) -> Promo | None:
        def work(conn: Conn) -> Promo | None:
            r = conn.execute("SELECT * FROM promos WHERE code = ?",
                             (code.strip().upper(),)).fetchone()
            if r is None:
                return None
            return Promo(r["code"], r["description"], r["percent_off"], r["amount_off"],
                         r["min_subtotal"], _dt(r["expires_at"]), bool(r["active"]),
                         bool(r["once_per_customer"]))
        return await self._run(work)

    # --- writes -------------------------------------------------------------------------

    async def _write(self, op: str, key: str, args: tuple[Any, ...],
                     fn: Callable[[Conn], WriteResult]) -> WriteResult:
        if not key or not key.strip():
            raise InvalidRequest("Every change needs an idempotency key.")
        fingerprint = hashlib.sha256(json.dumps([op, args], default=lambda o: asdict(o),
                                                sort_keys=True).encode()).hexdigest()
        return await self._run(self._transact, op, key, fingerprint, fn)

    def _transact(self, conn: Conn, op: str, key: str, fingerprint: str,
                  fn: Callable[[Conn], WriteResult]) -> WriteResult:
        conn.execute("BEGIN IMMEDIATE")
        try:
            seen = conn.execute("SELECT fingerprint, result FROM idempotency_keys WHERE key = ?",
                                (key,)).fetchone()
            if seen is not None:
                if seen["fingerprint"] != fingerprint:
                    raise InvalidRequest("This request conflicts with an earlier one.")
                conn.execute("COMMIT")
                first: WriteResult = _decode(WriteResult, json.loads(seen["result"]))
                return replace(first, replayed=True)
            result = fn(conn)
            conn.execute("INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?)",
                         (key, op, fingerprint, _result_json(result), iso(self._today())))
            conn.execute("COMMIT")
            return result
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _order(self, conn: Conn, order_id: str, *, pending: str = "",
               delivered: str = "") -> Order:
        """The order, if its status allows the action (`pending` or `delivered`: what to
        tell the shopper when it doesn't; delivered also means within the return window)."""
        order = _load_order(conn, order_id)
        if pending and order.status is not OrderStatus.PENDING:
            raise _refusal(order, pending)
        if delivered:
            at, days = order.delivered_at, self.return_window_days
            if order.status is not OrderStatus.DELIVERED or at is None:
                raise _refusal(order, delivered)
            if days is not None and self._today() - at > timedelta(days=days):
                raise NotEligible(f"Order {order.id} was delivered on {at:%B} {at.day}, "
                                  f"{at.year}, more than {days} days ago, so {delivered}.")
        return order

    def _method(self, conn: Conn, order: Order, method_id: str, *,
                refund: bool = False) -> PaymentMethod:
        """One of the customer's payment methods; refunds only to one that paid for this
        order or to a gift card."""
        method = _load_customer(conn, order.customer_id).payment(method_id.strip())
        if method is None:
            raise InvalidRequest("That payment method isn't on your account.")
        paid = {p.payment_method_id for p in order.payment_history
                if p.transaction_type == "payment"}
        if refund and method.id not in paid and method.source is not PaymentSource.GIFT_CARD:
            raise InvalidRequest("Refunds go back to the original payment method or to a gift "
                                 "card on your account.")
        return method

    def _pay(self, conn: Conn, order_id: str, kind: str, amount: float,
             method: PaymentMethod) -> None:
        """Append a payment or refund; gift cards are charged or credited at once."""
        amount = round(amount, 2)
        if method.source is PaymentSource.GIFT_CARD:
            if kind == "payment":
                _check_balance(method, amount)
            conn.execute("UPDATE payment_methods SET balance = round(balance + ?, 2) "
                         "WHERE id = ?", (amount if kind == "refund" else -amount, method.id))
        conn.execute(
            "INSERT INTO payments VALUES (?, (SELECT count(*) FROM payments WHERE order_id = ?),"
            " ?, ?, ?, ?)", (order_id, order_id, kind, amount, method.id, iso(self._today())))

    def _swaps(self, conn: Conn, order: Order, item_ids: list[str],
               new_item_ids: list[str]) -> tuple[list[tuple[int, sqlite3.Row]], float]:
        """Check each old -> new pair; return (order item position, new variant) pairs and
        the price difference (positive: the shopper owes it)."""
        if not item_ids or len(item_ids) != len(new_item_ids):
            raise InvalidRequest("Please list each item to change with the option it should "
                                 "change to.")
        free = {i: [n for n, x in enumerate(order.items) if x.item_id == i] for i in item_ids}
        wanted = Counter(new_item_ids)
        pairs, diff = [], 0.0
        for old_id, new_id in zip(item_ids, new_item_ids, strict=True):
            if not free[old_id]:
                raise InvalidRequest(f"Item {old_id} isn't in order {order.id}.")
            position = free[old_id].pop(0)
            old = order.items[position]
            v = conn.execute("SELECT * FROM variants WHERE item_id = ?", (new_id,)).fetchone()
            if v is None:
                raise InvalidRequest(f"We couldn't find item {new_id}.")
            if v["product_id"] != old.product_id:
                raise InvalidRequest(f"Item {new_id} is a different product. {old.name} can "
                                     f"only be swapped for another option of the same product.")
            if new_id == old_id:
                raise InvalidRequest(f"{old.name} ({old.options_text()}) is already that option.")
            if not v["listed"] or v["stock"] < wanted[new_id]:
                text = ", ".join(f"{k} {x}" for k, x in _opts(v["options"]))
                raise InvalidRequest(f"{old.name} ({text}) is sold out.")
            pairs.append((position, v))
            diff += v["price"] - old.price
        return pairs, round(diff, 2)

    async def cancel_order(self, order_id: str, reason: str, *, key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id, pending="it can't be cancelled")
            why = reason.strip().lower()
            if why not in CANCEL_REASONS:
                raise InvalidRequest("The reason must be 'no longer needed' or 'ordered by "
                                     "mistake'.")
            notes = []
            for method_id, amount in _net_paid(order).items():
                if amount > 0:
                    method = self._method(conn, order, method_id)
                    self._pay(conn, order.id, "refund", amount, method)
                    notes.append(f"{_money(amount)} to {method.label()} " + (
                        "right away" if method.source is PaymentSource.GIFT_CARD
                        else "within 5-7 business days"))
            for item in order.items:
                _restock(conn, item.item_id, +1)
            _set(conn, order.id, status=OrderStatus.CANCELLED.value, cancel_reason=why)
            return _done(conn, order.id, f"Order {order.id} cancelled" + (
                f"; refunding {', '.join(notes)}." if notes else "."))
        return await self._write("cancel_order", key, (order_id, reason), work)

    async def modify_order_address(self, order_id: str, address: Address, *,
                                   key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id, pending="its address can't be changed")
            a = _clean_address(address)
            _set(conn, order.id, address1=a.address1, address2=a.address2, city=a.city,
                 state=a.state, country=a.country, zip=a.zip)
            return _done(conn, order.id, f"Order {order.id} will ship to {a.one_line()}.")
        return await self._write("modify_order_address", key, (order_id, address), work)

    async def modify_order_payment(self, order_id: str, payment_method_id: str, *,
                                   key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id, pending="its payment method can't be changed")
            new = self._method(conn, order, payment_method_id)
            paid = [(m, a) for m, a in _net_paid(order).items() if a > 0]
            if len(paid) != 1:
                raise InvalidRequest("This order was paid in more than one way, so its payment "
                                     "method can't be swapped.")
            (old_id, amount), = paid
            if old_id == new.id:
                raise InvalidRequest(f"Order {order.id} is already paid with {new.label()}.")
            old = self._method(conn, order, old_id)
            self._pay(conn, order.id, "payment", amount, new)
            self._pay(conn, order.id, "refund", amount, old)
            return _done(conn, order.id, f"Charged {_money(amount)} to {new.label()}; the "
                         f"original payment on {old.label()} is refunded.")
        return await self._write("modify_order_payment", key, (order_id, payment_method_id),
                                 work)

    async def modify_order_items(self, order_id: str, item_ids: list[str],
                                 new_item_ids: list[str], payment_method_id: str, *,
                                 key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id, pending="its items can't be changed")
            pairs, diff = self._swaps(conn, order, item_ids, new_item_ids)
            method = self._method(conn, order, payment_method_id)
            if diff:
                self._pay(conn, order.id, "payment" if diff > 0 else "refund", abs(diff), method)
            for position, v in pairs:
                _restock(conn, order.items[position].item_id, +1)
                _restock(conn, v["item_id"], -1)
                conn.execute("UPDATE order_items SET item_id = ?, price = ?, options = ? "
                             "WHERE order_id = ? AND position = ?",
                             (v["item_id"], v["price"], v["options"], order.id, position))
            _set(conn, order.id, status=OrderStatus.PENDING_ITEMS_MODIFIED.value)
            return _done(conn, order.id, f"Order {order.id} updated; {_difference(diff, method)}.")
        return await self._write("modify_order_items", key,
                                 (order_id, item_ids, new_item_ids, payment_method_id), work)

    async def return_items(self, order_id: str, item_ids: list[str], payment_method_id: str,
                           *, key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id, delivered="items can't be returned")
            remaining = Counter(i.item_id for i in order.items)
            if not item_ids:
                raise InvalidRequest("Please say which items to return.")
            for item_id in item_ids:
                if remaining[item_id] <= 0:
                    raise InvalidRequest(f"Item {item_id} isn't in order {order.id}.")
                remaining[item_id] -= 1
            method = self._method(conn, order, payment_method_id, refund=True)
            _set(conn, order.id, status=OrderStatus.RETURN_REQUESTED.value,
                 return_items=json.dumps(item_ids), return_payment_method_id=method.id)
            return _done(conn, order.id, f"Return started for {len(item_ids)} item(s) from order "
                         f"{order.id}; the refund goes to {method.label()} once they arrive. "
                         "Return instructions are on their way by email.")
        return await self._write("return_items", key, (order_id, item_ids, payment_method_id),
                                 work)

    async def exchange_items(self, order_id: str, item_ids: list[str], new_item_ids: list[str],
                             payment_method_id: str, *, key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id, delivered="items can't be exchanged")
            pairs, diff = self._swaps(conn, order, item_ids, new_item_ids)
            method = self._method(conn, order, payment_method_id)
            if diff > 0 and method.source is PaymentSource.GIFT_CARD:
                _check_balance(method, diff)
            for _, v in pairs:
                _restock(conn, v["item_id"], -1)
            _set(conn, order.id, status=OrderStatus.EXCHANGE_REQUESTED.value,
                 exchange_items=json.dumps(item_ids), exchange_new_items=json.dumps(new_item_ids),
                 exchange_payment_method_id=method.id, exchange_price_difference=diff)
            return _done(conn, order.id, f"Exchange started for order {order.id} "
                         f"({_difference(diff, method)} when the items arrive). Return "
                         "instructions are on their way by email.")
        return await self._write("exchange_items", key,
                                 (order_id, item_ids, new_item_ids, payment_method_id), work)

    async def update_default_address(self, customer_id: str, address: Address, *,
                                     key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            customer = _load_customer(conn, customer_id)
            a = _clean_address(address)
            conn.execute("UPDATE customers SET address1 = ?, address2 = ?, city = ?, state = ?, "
                         "country = ?, zip = ?, zip_key = ? WHERE id = ?",
                         (a.address1, a.address2, a.city, a.state, a.country, a.zip,
                          zip_key(a.zip), customer.id))
            return WriteResult(customer=_load_customer(conn, customer.id),
                               detail=f"Default address is now {a.one_line()}.")
        return await self._write("update_default_address", key, (customer_id, address), work)

    async def refund(self, order_id: str, amount: float, payment_method_id: str, *,
                     key: str) -> WriteResult:
        def work(conn: Conn) -> WriteResult:
            order = self._order(conn, order_id)
            value = round(amount, 2)
            if not value > 0:
                raise InvalidRequest("A refund must be a positive amount.")
            method = self._method(conn, order, payment_method_id, refund=True)
            left = max(round(sum(_net_paid(order).values()), 2), 0.0)
            if value > left:
                raise InvalidRequest(f"We can refund at most {_money(left)} on order {order.id}.")
            self._pay(conn, order.id, "refund", value, method)
            return _done(conn, order.id, f"Refunded {_money(value)} to {method.label()}.")
        return await self._write("refund", key, (order_id, amount, payment_method_id), work)


def _check_balance(method: PaymentMethod, amount: float) -> None:
    if (method.balance or 0.0) < amount:
        raise InvalidRequest(f"The gift card has {_money(method.balance or 0.0)} left, not "
                             f"enough for {_money(amount)}.")


def _difference(diff: float, method: PaymentMethod) -> str:
    if not diff:
        return "no price difference"
    way = "charged to" if diff > 0 else "refunded to"
    return f"{_money(abs(diff))} {way} {method.label()}"


def _restock(conn: Conn, item_id: str, change: int) -> None:
    conn.execute("UPDATE variants SET stock = stock + ? WHERE item_id = ?", (change, item_id))


def _set(conn: Conn, order_id: str, **columns: object) -> None:
    sets = ", ".join(f"{name} = ?" for name in columns)
    conn.execute(f"UPDATE orders SET {sets} WHERE id = ?", (*columns.values(), order_id))


def _done(conn: Conn, order_id: str, detail: str) -> WriteResult:
    return WriteResult(_load_order(conn, order_id), detail=detail)


def _one(conn: Conn, sql: str, *args: object) -> str | None:
    row = conn.execute(sql, args).fetchone()
    return None if row is None else str(row[0])
