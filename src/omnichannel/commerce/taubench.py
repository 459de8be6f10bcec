"""τ-bench retail as a Commerce backend: the benchmark's users/orders/products in memory.

Follows sierra-research/tau-bench @ 59a200c6, `tau_bench/envs/retail/tools/*.py`:

- The data stays in the raw τ-bench JSON shape (dicts as json.load gives them); `export()`
  returns it and `db_hash()` hashes it with the benchmark's recipe, so a replay of a task's
  gold actions can be checked against `expected_end_states.json` (see `replay_gold`).
- Writes do what the τ tools do, including their arithmetic: gift-card balances become
  `round(balance ± amount, 2)` (an int balance turns into a float); an item modification
  charges or refunds the *unrounded* sum of price differences (`abs(diff)`, "refund" when
  diff <= 0, even for 0); an exchange stores `round(diff, 2)`; returns and exchanges store
  the item lists `sorted()`; a cancel adds `cancel_reason` and one refund per payment.
  A refused write raises NotFound / NotEligible / InvalidRequest carrying τ-bench's error
  text (without "Error: ") and changes nothing.
- Lookups by email and by name are case-insensitive and the zip is exact, as in τ-bench.
- `refund()` is not a τ-bench action: it always raises InvalidRequest.

Records are copied on first write, so `clone()` (a fresh backend on the same data) is cheap,
and `db_hash()` caches each record's hashable text until that record is written.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

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
from omnichannel.commerce.protocol import (
    Commerce,
    CommerceError,
    InvalidRequest,
    NotEligible,
    NotFound,
)

Raw = dict[str, Any]
TABLES = ("orders", "products", "users")
CANCEL_REASONS = ("no longer needed", "ordered by mistake")
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "country", "zip")


def to_hashable(value: Any) -> Any:
    """τ-bench's recipe: dicts -> tuples of (key, value) sorted by key, lists -> tuples."""
    if isinstance(value, dict):
        return tuple(sorted((k, to_hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(to_hashable(v) for v in value)
    return value


def hash_data(data: Mapping[str, Any]) -> str:
    """sha256 of str(to_hashable(data)), exactly as expected_end_states.json's hash_recipe."""
    return hashlib.sha256(str(to_hashable(dict(data))).encode("utf-8")).hexdigest()


def _tuple_text(parts: list[str]) -> str:
    """What str() prints for a tuple whose elements print as `parts`."""
    return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _copy(value: Any) -> Any:
    return marshal.loads(marshal.dumps(value))  # deep copy of JSON data; keeps int vs float


# --- raw record -> model ---------------------------------------------------------------------


def _address(raw: Mapping[str, Any]) -> Address:
    return Address(**{field: raw[field] for field in ADDRESS_FIELDS})


def _address_raw(address: Address) -> Raw:
    return {field: getattr(address, field) for field in ADDRESS_FIELDS}  # τ-bench's key order


def _options(raw: Raw) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in raw.items())


def _payment_method(raw: Raw) -> PaymentMethod:
    balance = raw.get("balance")
    return PaymentMethod(id=raw["id"], source=PaymentSource(raw["source"]),
                         brand=raw.get("brand"), last_four=raw.get("last_four"),
                         balance=None if balance is None else float(balance))


def _customer(user_id: str, raw: Raw) -> Customer:
    return Customer(
        id=user_id, first_name=raw["name"]["first_name"], last_name=raw["name"]["last_name"],
        email=raw["email"], address=_address(raw["address"]),
        payment_methods=tuple(_payment_method(p) for p in raw["payment_methods"].values()),
        order_ids=tuple(raw["orders"]),
    )


def _order(raw: Raw) -> Order:
    return Order(
        id=raw["order_id"], customer_id=raw["user_id"], address=_address(raw["address"]),
        items=tuple(OrderItem(name=i["name"], product_id=i["product_id"], item_id=i["item_id"],
                              price=float(i["price"]), options=_options(i["options"]))
                    for i in raw["items"]),
        fulfillments=tuple(Fulfillment(tracking_ids=tuple(f["tracking_id"]),
                                       item_ids=tuple(f["item_ids"]))
                           for f in raw["fulfillments"]),
        status=OrderStatus(raw["status"]),
        payment_history=tuple(Payment(p["transaction_type"], round(float(p["amount"]), 2),
                                      p["payment_method_id"])  # raw may be 51.77000000000001
                              for p in raw["payment_history"]),
        return_items=tuple(raw.get("return_items", ())),
        exchange_items=tuple(raw.get("exchange_items", ())),
        exchange_new_items=tuple(raw.get("exchange_new_items", ())),
        cancel_reason=raw.get("cancel_reason"),
    )


def _product(raw: Raw) -> Product:
    return Product(id=raw["product_id"], name=raw["name"], variants=tuple(
        Variant(item_id=v["item_id"], options=_options(v["options"]),
                available=bool(v["available"]), price=float(v["price"]))
        for v in raw["variants"].values()))


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_singular(w) for w in re.findall(r"[a-z0-9]+", text.lower())]


# --- the backend -----------------------------------------------------------------------------


class TaubenchCommerce:
    """One τ-bench retail database. Not thread-safe; every method runs without awaiting."""

    name = "taubench"

    def __init__(self, orders: Raw, products: Raw, users: Raw) -> None:
        """Takes the three tables as json.load returns them; they are used, not copied
        (use `from_data` for a copy)."""
        self._orders, self._products, self._users = orders, products, users
        self._tables: dict[str, Raw] = {"orders": orders, "products": products, "users": users}
        self._owned: set[tuple[str, str]] = set()  # records not shared with a clone
        self._hash_text: dict[tuple[str, str], str] = {}
        self._done: dict[str, WriteResult | CommerceError] = {}

    @classmethod
    def load(cls, path: str | Path) -> TaubenchCommerce:
        folder = Path(path)
        tables = [json.loads((folder / f"{t}.json").read_text("utf-8")) for t in TABLES]
        return cls(*tables)

    @classmethod
    def from_data(cls, data: Mapping[str, Raw]) -> TaubenchCommerce:
        return cls(*(_copy(data[t]) for t in TABLES))

    def clone(self) -> TaubenchCommerce:
        """A backend on the same data with no idempotency keys. Cheap: records are shared
        and copied by whichever side writes them first; the hash cache is filled once here
        and shared, so hashing a clone only formats the records it wrote."""
        self.db_hash()
        other = TaubenchCommerce(*(dict(self._tables[t]) for t in TABLES))
        other._hash_text = dict(self._hash_text)
        self._owned.clear()
        return other

    def export(self) -> dict[str, Raw]:
        """A deep copy of the data in τ-bench's JSON shape."""
        return {t: _copy(self._tables[t]) for t in TABLES}

    def db_hash(self) -> str:
        """Same value as hash_data(self.export()), computed from cached per-record text."""
        parts = []
        for table in TABLES:
            rows = self._tables[table]
            cells = []
            for key in sorted(rows):
                text = self._hash_text.get((table, key))
                if text is None:
                    text = self._hash_text[(table, key)] = str(to_hashable(rows[key]))
                cells.append(f"({key!r}, {text})")
            parts.append(f"({table!r}, {_tuple_text(cells)})")
        return hashlib.sha256(_tuple_text(parts).encode("utf-8")).hexdigest()

    # raw access

    def _raw(self, table: str, key: str, what: str) -> Raw:
        record: Raw | None = self._tables[table].get(key)
        if record is None:
            raise NotFound(f"{what} not found")
        return record

    def _own(self, table: str, key: str) -> Raw:
        """The record, ready to be written (copied first if it may be shared)."""
        if (table, key) not in self._owned:
            self._tables[table][key] = _copy(self._tables[table][key])
            self._owned.add((table, key))
        self._hash_text.pop((table, key), None)
        return self._raw(table, key, table)

    def _methods(self, order: Raw) -> Raw:
        methods: Raw = self._raw("users", order["user_id"], "user")["payment_methods"]
        return methods

    # lookups

    async def find_customer_by_email(self, email: str) -> str | None:
        return next((uid for uid, u in self._users.items()
                     if u["email"].lower() == email.lower()), None)

    async def find_customer_by_name_zip(
        self, first_name: str, last_name: str, zip_code: str
    ) -> str | None:
        return next((uid for uid, u in self._users.items()
                     if u["name"]["first_name"].lower() == first_name.lower()
                     and u["name"]["last_name"].lower() == last_name.lower()
                     and u["address"]["zip"] == zip_code), None)

    async def find_customer_by_phone(self, phone: str) -> str | None:
        return None  # τ-bench users have no phone numbers

    async def get_customer(self, customer_id: str) -> Customer:
        return _customer(customer_id, self._raw("users", customer_id, "user"))

    async def list_orders(self, customer_id: str) -> list[Order]:
        user = self._raw("users", customer_id, "user")
        return [_order(self._orders[o]) for o in user["orders"] if o in self._orders]

    async def get_order(self, order_id: str) -> Order:
        return _order(self._raw("orders", order_id, "order"))

    async def get_product(self, product_id: str) -> Product:
        return _product(self._raw("products", product_id, "product"))

    async def list_products(self) -> list[Product]:
        return [_product(p) for p in self._products.values()]

    async def search_products(self, query: str, limit: int = 5) -> list[Product]:
        """Products whose name holds every word of the query, ignoring case and plurals."""
        words = _words(query)
        if not words:
            return []
        hits: list[tuple[bool, Raw]] = []
        for raw in self._products.values():
            name = _words(raw["name"])
            if set(words) <= set(name) or "".join(words) in "".join(name):
                hits.append((name != words, raw))
        hits.sort(key=lambda hit: hit[0])  # exact names first, then the catalogue's order
        return [_product(raw) for _, raw in hits[:limit]]

    async def get_promo(self, code: str) -> Promo | None:
        return None  # τ-bench has no promo codes

    # writes

    def _write(self, key: str, action: Callable[[], WriteResult]) -> WriteResult:
        seen = self._done.get(key)
        if isinstance(seen, CommerceError):
            raise type(seen)(str(seen))
        if seen is not None:
            return replace(seen, replayed=True)
        try:
            result = action()
        except CommerceError as exc:
            self._done[key] = exc
            raise
        self._done[key] = result
        return result

    def _order_in(self, status: str, order_id: str, verb: str) -> Raw:
        order = self._raw("orders", order_id, "order")
        if order["status"] != status:
            raise NotEligible(f"non-{status} order cannot be {verb}")
        return order

    def _price_difference(self, order: Raw, item_ids: list[str], new_item_ids: list[str]) -> Any:
        """Checks as τ-bench does, in its order; returns the unrounded sum of differences."""
        all_item_ids = [item["item_id"] for item in order["items"]]
        for item_id in item_ids:
            if item_ids.count(item_id) > all_item_ids.count(item_id):
                raise InvalidRequest(f"{item_id} not found")
        if len(item_ids) != len(new_item_ids):
            raise InvalidRequest("the number of items to be exchanged should match")
        diff: Any = 0
        for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
            item = next(i for i in order["items"] if i["item_id"] == item_id)
            product = self._raw("products", item["product_id"], "product")
            variant = product["variants"].get(new_item_id)
            if variant is None or not variant["available"]:
                raise InvalidRequest(f"new item {new_item_id} not found or available")
            diff += variant["price"] - item["price"]
        return diff

    def _payment_method(self, order: Raw, payment_method_id: str) -> Raw:
        method: Raw | None = self._methods(order).get(payment_method_id)
        if method is None:
            raise InvalidRequest("payment method not found")
        return method

    def _add_to_balance(self, user_id: str, method_id: str, amount: Any) -> None:
        method = self._own("users", user_id)["payment_methods"][method_id]
        method["balance"] += amount
        method["balance"] = round(method["balance"], 2)

    def _result(self, order_id: str, detail: str) -> WriteResult:
        return WriteResult(order=_order(self._orders[order_id]), detail=detail)

    async def cancel_order(self, order_id: str, reason: str, *, key: str) -> WriteResult:
        def run() -> WriteResult:
            order = self._order_in("pending", order_id, "cancelled")
            if reason not in CANCEL_REASONS:
                raise InvalidRequest("invalid reason")
            methods = self._methods(order)
            for payment in order["payment_history"]:
                pid = payment["payment_method_id"]
                if "gift_card" in pid and pid not in methods:
                    raise InvalidRequest("payment method not found")
            order = self._own("orders", order_id)
            refunds = []
            for payment in order["payment_history"]:
                pid = payment["payment_method_id"]
                refunds.append({"transaction_type": "refund", "amount": payment["amount"],
                                "payment_method_id": pid})
                if "gift_card" in pid:  # refunded to the gift card at once
                    self._add_to_balance(order["user_id"], pid, payment["amount"])
            order["status"] = "cancelled"
            order["cancel_reason"] = reason
            order["payment_history"].extend(refunds)
            return self._result(order_id, f"cancelled ({reason})")
        return self._write(key, run)

    async def modify_order_address(
        self, order_id: str, address: Address, *, key: str
    ) -> WriteResult:
        def run() -> WriteResult:
            self._order_in("pending", order_id, "modified")
            self._own("orders", order_id)["address"] = _address_raw(address)
            return self._result(order_id, f"shipping address set to {address.one_line()}")
        return self._write(key, run)

    async def modify_order_payment(
        self, order_id: str, payment_method_id: str, *, key: str
    ) -> WriteResult:
        def run() -> WriteResult:
            order = self._order_in("pending", order_id, "modified")
            new = self._payment_method(order, payment_method_id)
            history = order["payment_history"]
            if len(history) != 1 or history[0]["transaction_type"] != "payment":
                raise NotEligible("there should be exactly one payment for a pending order")
            old_id = history[0]["payment_method_id"]
            if old_id == payment_method_id:
                raise InvalidRequest(
                    "the new payment method should be different from the current one")
            amount = history[0]["amount"]
            if new["source"] == "gift_card" and new["balance"] < amount:
                raise InvalidRequest("insufficient gift card balance to pay for the order")
            if "gift_card" in old_id and old_id not in self._methods(order):
                raise InvalidRequest("payment method not found")
            order = self._own("orders", order_id)
            order["payment_history"].extend([
                {"transaction_type": "payment", "amount": amount,
                 "payment_method_id": payment_method_id},
                {"transaction_type": "refund", "amount": amount, "payment_method_id": old_id},
            ])
            if new["source"] == "gift_card":
                self._add_to_balance(order["user_id"], payment_method_id, -amount)
            if "gift_card" in old_id:
                self._add_to_balance(order["user_id"], old_id, amount)
            return self._result(order_id, f"paid by {payment_method_id}, {old_id} refunded")
        return self._write(key, run)

    async def modify_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str],
        payment_method_id: str, *, key: str,
    ) -> WriteResult:
        def run() -> WriteResult:
            order = self._order_in("pending", order_id, "modified")
            diff = self._price_difference(order, item_ids, new_item_ids)
            method = self._payment_method(order, payment_method_id)
            if method["source"] == "gift_card" and method["balance"] < diff:
                raise InvalidRequest("insufficient gift card balance to pay for the new item")
            order = self._own("orders", order_id)
            order["payment_history"].append({
                "transaction_type": "payment" if diff > 0 else "refund",
                "amount": abs(diff), "payment_method_id": payment_method_id})
            if method["source"] == "gift_card":
                self._add_to_balance(order["user_id"], payment_method_id, -diff)
            for item_id, new_item_id in zip(item_ids, new_item_ids, strict=True):
                item = next(i for i in order["items"] if i["item_id"] == item_id)
                variant = self._products[item["product_id"]]["variants"][new_item_id]
                item["item_id"] = new_item_id
                item["price"] = variant["price"]
                item["options"] = dict(variant["options"])
            order["status"] = "pending (item modified)"
            return self._result(order_id, f"items modified, difference {diff:.2f}")
        return self._write(key, run)

    async def return_items(
        self, order_id: str, item_ids: list[str], payment_method_id: str, *, key: str
    ) -> WriteResult:
        def run() -> WriteResult:
            order = self._order_in("delivered", order_id, "returned")
            self._payment_method(order, payment_method_id)
            if ("gift_card" not in payment_method_id
                    and payment_method_id != order["payment_history"][0]["payment_method_id"]):
                raise InvalidRequest("payment method should be either the original payment "
                                     "method or a gift card")
            all_item_ids = [item["item_id"] for item in order["items"]]
            for item_id in item_ids:
                if item_ids.count(item_id) > all_item_ids.count(item_id):
                    raise InvalidRequest("some item not found")
            order = self._own("orders", order_id)
            order["status"] = "return requested"
            order["return_items"] = sorted(item_ids)
            order["return_payment_method_id"] = payment_method_id
            return self._result(order_id, f"return requested, refund to {payment_method_id}")
        return self._write(key, run)

    async def exchange_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str],
        payment_method_id: str, *, key: str,
    ) -> WriteResult:
        def run() -> WriteResult:
            order = self._order_in("delivered", order_id, "exchanged")
            diff = round(self._price_difference(order, item_ids, new_item_ids), 2)
            method = self._payment_method(order, payment_method_id)
            if method["source"] == "gift_card" and method["balance"] < diff:
                raise InvalidRequest(
                    "insufficient gift card balance to pay for the price difference")
            order = self._own("orders", order_id)
            order["status"] = "exchange requested"
            order["exchange_items"] = sorted(item_ids)
            order["exchange_new_items"] = sorted(new_item_ids)
            order["exchange_payment_method_id"] = payment_method_id
            order["exchange_price_difference"] = diff
            return self._result(order_id, f"exchange requested, difference {diff:.2f}")
        return self._write(key, run)

    async def update_default_address(
        self, customer_id: str, address: Address, *, key: str
    ) -> WriteResult:
        def run() -> WriteResult:
            self._raw("users", customer_id, "user")
            user = self._own("users", customer_id)
            user["address"] = _address_raw(address)
            return WriteResult(customer=_customer(customer_id, user),
                               detail=f"default address set to {address.one_line()}")
        return self._write(key, run)

    async def refund(
        self, order_id: str, amount: float, payment_method_id: str, *, key: str
    ) -> WriteResult:
        """τ-bench has no refund action (refunds only happen inside cancel / modify)."""
        def run() -> WriteResult:
            raise InvalidRequest("refunds are not available in this backend")
        return self._write(key, run)


# --- gold-action replay ----------------------------------------------------------------------

Kwargs = Mapping[str, Any]


async def _found(user_id: Awaitable[str | None]) -> str:
    found = await user_id
    if found is None:
        raise NotFound("user not found")
    return found


# τ-bench retail tool name -> the same action on a Commerce backend (the write key last).
GOLD_ACTIONS: dict[str, Callable[[Commerce, Kwargs, str], Awaitable[object]]] = {
    "find_user_id_by_email": lambda b, kw, _: _found(b.find_customer_by_email(kw["email"])),
    "find_user_id_by_name_zip": lambda b, kw, _: _found(
        b.find_customer_by_name_zip(kw["first_name"], kw["last_name"], kw["zip"])),
    "get_user_details": lambda b, kw, _: b.get_customer(kw["user_id"]),
    "get_order_details": lambda b, kw, _: b.get_order(kw["order_id"]),
    "get_product_details": lambda b, kw, _: b.get_product(kw["product_id"]),
    "list_all_product_types": lambda b, kw, _: b.list_products(),
    "cancel_pending_order": lambda b, kw, key: b.cancel_order(
        kw["order_id"], kw["reason"], key=key),
    "modify_pending_order_address": lambda b, kw, key: b.modify_order_address(
        kw["order_id"], _address(kw), key=key),
    "modify_pending_order_payment": lambda b, kw, key: b.modify_order_payment(
        kw["order_id"], kw["payment_method_id"], key=key),
    "modify_pending_order_items": lambda b, kw, key: b.modify_order_items(
        kw["order_id"], list(kw["item_ids"]), list(kw["new_item_ids"]),
        kw["payment_method_id"], key=key),
    "return_delivered_order_items": lambda b, kw, key: b.return_items(
        kw["order_id"], list(kw["item_ids"]), kw["payment_method_id"], key=key),
    "exchange_delivered_order_items": lambda b, kw, key: b.exchange_items(
        kw["order_id"], list(kw["item_ids"]), list(kw["new_item_ids"]),
        kw["payment_method_id"], key=key),
    "modify_user_address": lambda b, kw, key: b.update_default_address(
        kw["user_id"], _address(kw), key=key),
}
NO_STATE_CHANGE = ("calculate", "think", "transfer_to_human_agents")


async def replay_gold(
    backend: Commerce, actions: Sequence[Mapping[str, Any]], key_prefix: str = "gold"
) -> list[str | None]:
    """Run τ-bench actions ({"name", "kwargs"}) against `backend`, in order.

    Returns, per action, None or the CommerceError's message (τ-bench shows it as
    "Error: <message>"). Writes use key f"{key_prefix}-{index}"; calculate, think and
    transfer_to_human_agents are skipped; a failed find_user_id_* counts as an error.
    An unknown action name raises ValueError."""
    errors: list[str | None] = []
    for index, action in enumerate(actions):
        name = action["name"]
        if name in NO_STATE_CHANGE:
            errors.append(None)
            continue
        if name not in GOLD_ACTIONS:
            raise ValueError(f"unknown τ-bench action {name!r}")
        try:
            await GOLD_ACTIONS[name](backend, action.get("kwargs", {}), f"{key_prefix}-{index}")
        except CommerceError as exc:
            errors.append(str(exc))
        else:
            errors.append(None)
    return errors
