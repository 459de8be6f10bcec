"""Demo shoppers to try, one per thing worth trying, picked from the generated shop.

`scenarios(path)` reads a demo shop file and names, for each `ScenarioKind`, one shopper and
one order that shows it: a pending order (cancel or change it), a shipped one (tracking; it
can no longer be cancelled), a delivered one inside the return window (return or exchange),
a delivered one whose refund would be over the refund cap (staff approve it), and a shopper
in Canada (a postal code instead of a ZIP). The picks depend only on the file and `now`, so
the same seed gives the same shoppers. Each shopper is someone else, and their name and
ZIP identify exactly one customer, so "name + zip" verification finds them.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from omnichannel.commerce.demo.generate import CURRENCY, as_utc, zip_key

DEFAULT_RETURN_WINDOW_DAYS = 30
DEFAULT_REFUND_CAP = 500.0


class ScenarioKind(StrEnum):
    PENDING = "pending"  # cancel it, change its address, payment or items
    SHIPPED = "shipped"  # where is it (tracking); too late to cancel
    RETURN = "return"  # delivered within the return window: return or exchange
    OVER_CAP = "over_cap"  # delivered, total over the refund cap: staff approve the refund
    CANADA = "canada"  # a Canadian shopper who verifies with a postal code


@dataclass(frozen=True, slots=True)
class Scenario:
    kind: ScenarioKind
    first_name: str
    last_name: str
    zip: str  # as stored: "98103" or "T2V 2B0"
    email: str
    order_id: str  # "#JP204119"
    status: str  # the order's OrderStatus value
    items: tuple[str, ...]  # product names, in order
    total: float
    currency: str  # ISO 4217, the shop's

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def message(self) -> str:
        """What to type in the chat to try this scenario."""
        me = f"Hi, I'm {self.name}"
        if self.kind is ScenarioKind.CANADA:
            return f"{me}, postal code {self.zip}. Where is my order {self.order_id}?"
        me += f", zip {self.zip}."
        if self.kind is ScenarioKind.PENDING:
            return f"{me} Please cancel order {self.order_id}, I ordered it by mistake."
        if self.kind is ScenarioKind.SHIPPED:
            return f"{me} Where is my order {self.order_id}?"
        if self.kind is ScenarioKind.RETURN:
            return f"{me} I'd like to return the {self.items[0]} from order {self.order_id}."
        return f"{me} I want to return everything from order {self.order_id} for a refund."


@dataclass(frozen=True, slots=True)
class _Order:
    id: str
    customer: sqlite3.Row
    status: str
    items: tuple[str, ...]
    total: float
    delivered_at: datetime | None
    carriers: frozenset[str]


def scenarios(path: Path, *, now: datetime | None = None,
              return_window_days: int | None = DEFAULT_RETURN_WINDOW_DAYS,
              refund_cap: float | None = DEFAULT_REFUND_CAP) -> list[Scenario]:
    """One scenario per `ScenarioKind` (in that order) that the shop can show.

    `now` decides the return window (default: the "now" the shop was generated at);
    `return_window_days` and `refund_cap` mirror `[guardrails]` (None: no window, no cap;
    without a cap there is no over-cap scenario). A kind with no fitting order is left out.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        meta = {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
        customers = {r["id"]: r for r in conn.execute("SELECT * FROM customers")}
        orders = _orders(conn, customers)
    finally:
        conn.close()
    today = as_utc(now) if now else datetime.fromisoformat(meta["now"])
    currency = meta.get("currency", CURRENCY)
    # Name and zip must identify one customer, or verification could find someone else.
    sharing = Counter(_who(c) for c in customers.values())

    def returnable(o: _Order) -> bool:
        if o.status != "delivered" or o.delivered_at is None:
            return False
        return return_window_days is None or (
            today - o.delivered_at <= timedelta(days=return_window_days))

    def over_cap(o: _Order) -> bool:
        return refund_cap is not None and o.total > refund_cap

    def abroad(o: _Order) -> int:  # US shoppers first: the Canadian one has a kind of its own
        return int(o.customer["country"] == "Canada")

    def latest(o: _Order) -> tuple[int, float, str]:  # most recently delivered first
        assert o.delivered_at is not None
        return abroad(o), -o.delivered_at.timestamp(), o.id

    def by_id(o: _Order) -> tuple[int, str]:
        return abroad(o), o.id

    def canada(o: _Order) -> tuple[int, str]:  # a parcel on its way, by Canada Post if any
        rank = {"shipped": 0, "pending": 2, "delivered": 3}[o.status]
        return rank - ("Canada Post" in o.carriers), o.id

    # The scarcest first, so that a shopper another kind could do without stays free for it.
    wanted = {
        ScenarioKind.OVER_CAP: (lambda o: returnable(o) and over_cap(o), latest),
        ScenarioKind.PENDING: (lambda o: o.status == "pending", by_id),
        ScenarioKind.RETURN: (lambda o: returnable(o) and not over_cap(o), latest),
        ScenarioKind.SHIPPED: (lambda o: o.status == "shipped" and bool(o.carriers), by_id),
        ScenarioKind.CANADA: (lambda o: o.customer["country"] == "Canada"
                              and o.status in ("shipped", "pending", "delivered"), canada),
    }
    used: set[str] = set()
    out = []
    for kind, (fits, order_key) in wanted.items():
        found = sorted((o for o in orders if fits(o) and o.customer["id"] not in used
                        and sharing[_who(o.customer)] == 1), key=order_key)
        if not found:
            continue
        o, c = found[0], found[0].customer
        used.add(c["id"])
        out.append(Scenario(kind, c["first_name"], c["last_name"], c["zip"], c["email"], o.id,
                            o.status, o.items, o.total, currency))
    order = list(ScenarioKind)
    out.sort(key=lambda s: order.index(s.kind))
    return out


def _who(customer: sqlite3.Row) -> tuple[str, str, str]:
    return (customer["first_name"].lower(), customer["last_name"].lower(),
            zip_key(customer["zip"]))


def _orders(conn: sqlite3.Connection, customers: dict[str, sqlite3.Row]) -> list[_Order]:
    items: dict[str, list[tuple[str, float]]] = {}
    for r in conn.execute("SELECT order_id, name, price FROM order_items "
                          "ORDER BY order_id, position"):
        items.setdefault(r["order_id"], []).append((r["name"], r["price"]))
    shipped: dict[str, list[tuple[str, str | None]]] = {}
    for r in conn.execute("SELECT order_id, carrier, delivered_at FROM fulfillments "
                          "ORDER BY order_id, position"):
        shipped.setdefault(r["order_id"], []).append((r["carrier"], r["delivered_at"]))
    out = []
    for r in conn.execute("SELECT id, customer_id, status FROM orders ORDER BY id"):
        lines, parcels = items.get(r["id"], []), shipped.get(r["id"], [])
        dates = [datetime.fromisoformat(at) for _, at in parcels if at]
        out.append(_Order(
            r["id"], customers[r["customer_id"]], r["status"], tuple(n for n, _ in lines),
            round(sum(p for _, p in lines), 2),
            max(dates) if dates and len(dates) == len(parcels) else None,
            frozenset(c for c, _ in parcels if c)))
    return out
