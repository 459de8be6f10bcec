"""The demo shop for the conversation suite: one generated file, a fresh copy per case, the
shoppers the cases play (read from that file), and a snapshot of what a case may change.

The shoppers are the demo's own scenarios (omnichannel.commerce.demo.scenarios: the ones
`init --demo` suggests), plus a few the scenarios do not show (two pending orders, a pending
order whose item has another size in stock at the same price, ...), picked first in id order
among customers whose name and zip find only them. The shop is generated for one fixed day
and its dates moved to today, so every run meets the same shoppers.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from omnichannel.commerce.demo import DemoCommerce, generate
from omnichannel.commerce.demo.generate import iso
from omnichannel.commerce.demo.scenarios import scenarios

SEED = 7
RETURN_WINDOW_DAYS = 30
REFUND_CAP = 500.0  # [guardrails] max_refund_per_order, the default


@dataclass(frozen=True)
class Shopper:
    """One demo customer and the order a case is about (`order2`: a second one, if any)."""

    kind: str
    customer_id: str
    first: str
    last: str
    zip: str
    email: str
    order: str
    status: str
    items: tuple[str, ...]
    total: float
    currency: str = "USD"
    order2: str = ""
    items2: tuple[str, ...] = ()
    latest_items: tuple[str, ...] = ()  # the customer's most recent order
    size_item: str = ""  # an item of `order` with another size in stock at the same price
    size: str = ""
    color_item: str = ""  # an item of `order` with another color in stock at the same price
    color: str = ""

    def facts(self) -> dict[str, str]:
        """Placeholders for the cases' lines: {first} {last} {zip} {order} {item} ..."""
        item = self.items[0] if self.items else ""
        return {
            "first": self.first, "last": self.last, "zip": self.zip, "email": self.email,
            "first_l": self.first.lower(), "last_l": self.last.lower(),
            "zip_squashed": self.zip.replace(" ", "").lower(),
            "order": self.order, "order_l": self.order.lstrip("#").lower(),
            "order_digits": "".join(c for c in self.order if c.isdigit()),
            "order2": self.order2, "status": self.status,
            "item": item, "thing": noun(item), "item2": self.items2[0] if self.items2 else "",
            "thing2": noun(self.items2[0]) if self.items2 else "",
            "latest_item": self.latest_items[0] if self.latest_items else "",
            "total": f"{self.total:.2f}", "currency": self.currency,
            "size_item": self.size_item, "size_thing": noun(self.size_item), "size": self.size,
            "color_item": self.color_item, "color_thing": noun(self.color_item),
            "color": self.color,
            "bad_zip": _bad_zip(self.zip),
        }


def noun(name: str) -> str:
    """What a shopper calls an item: "Roamer Duffel" -> "duffel"."""
    return name.split()[-1].lower() if name else ""


def _bad_zip(code: str) -> str:
    """The shopper's code with one digit off (a typo)."""
    digits = [i for i, c in enumerate(code) if c.isdigit()]
    if not digits:
        return code
    i = digits[-1]
    return code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1:]


# --- the file -------------------------------------------------------------------------------


# The day the shop is generated for: always the same rows, so the same shoppers (the demo
# scenarios change from day to day). Its dates are then moved to today, so return windows
# and delivery estimates stay true against the real clock the tool layer reads.
GENERATED_FOR = datetime(2026, 12, 4, tzinfo=UTC)
_DATES = (("orders", "created_at"), ("fulfillments", "shipped_at"),
          ("fulfillments", "estimated_delivery"), ("fulfillments", "delivered_at"),
          ("payments", "created_at"), ("promos", "expires_at"))


def today() -> datetime:
    """The start of the day (UTC): the shop's "now" after its dates are moved."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def make_template(folder: Path, now: datetime | None = None) -> Path:
    """The demo shop generated once, its dates moved by whole days to end at `now`."""
    path = folder / "demo-shop-template.db"
    if not path.exists():
        generate(path, SEED, GENERATED_FOR)
        shift = (now or today()) - GENERATED_FOR
        with closing(sqlite3.connect(path)) as conn, conn:
            for table, column in _DATES:
                rows = conn.execute(f"SELECT rowid, {column} FROM {table} "
                                    f"WHERE {column} IS NOT NULL").fetchall()
                conn.executemany(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", [
                    (iso(datetime.fromisoformat(at) + shift), rowid) for rowid, at in rows])
            conn.execute("UPDATE meta SET value = ? WHERE key = 'now'",
                         (iso(GENERATED_FOR + shift),))
    return path


def open_copy(template: Path, path: Path) -> DemoCommerce:
    """A fresh copy of the shop for one case."""
    shutil.copyfile(template, path)
    return DemoCommerce.open(path, seed=SEED, return_window_days=RETURN_WINDOW_DAYS)


def snapshot(path: Path) -> dict[str, str]:
    """Every order and customer as one comparable string, keyed by id."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        out: dict[str, str] = {}
        for table, key in (("orders", "id"), ("order_items", "order_id"),
                           ("payments", "order_id"), ("fulfillments", "order_id"),
                           ("customers", "id"), ("payment_methods", "customer_id")):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            at = [d[0] for d in cursor.description].index(key)
            for row in cursor:
                out[row[at]] = out.get(row[at], "") + json.dumps([table, *row]) + "\n"
        return out


def status_of(path: Path, order_id: str) -> str | None:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT status FROM orders WHERE id = ?", (order_id,)).fetchone()
        return str(row[0]) if row else None


# --- the shoppers ---------------------------------------------------------------------------


@dataclass
class _Order:
    id: str
    customer: str
    status: str
    created: str
    delivered: datetime | None
    items: list[tuple[str, str, float, dict[str, str]]]  # name, product id, price, options

    @property
    def total(self) -> float:
        return round(sum(price for _, _, price, _ in self.items), 2)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for name, *_ in self.items))


def _orders(conn: sqlite3.Connection) -> dict[str, list[_Order]]:
    """Each customer's orders, most recent first."""
    items: dict[str, list[tuple[str, str, float, dict[str, str]]]] = {}
    for oid, name, pid, price, opts in conn.execute(
            "SELECT order_id, name, product_id, price, options FROM order_items "
            "ORDER BY order_id, position"):
        items.setdefault(oid, []).append((name, pid, price, dict(json.loads(opts))))
    delivered = {oid: datetime.fromisoformat(at) for oid, at in conn.execute(
        "SELECT order_id, max(delivered_at) FROM fulfillments WHERE delivered_at IS NOT NULL "
        "GROUP BY order_id")}
    out: dict[str, list[_Order]] = {}
    for oid, cid, status, created in conn.execute(
            "SELECT id, customer_id, status, created_at FROM orders "
            "ORDER BY created_at DESC, id DESC"):
        out.setdefault(cid, []).append(
            _Order(oid, cid, status, created, delivered.get(oid), items.get(oid, [])))
    return out


def _swap(conn: sqlite3.Connection, order: _Order, dimension: str) -> tuple[str, str]:
    """An item of the order and another value of `dimension` for it, listed, in stock, at
    the same price and the same other options; ("", "") if none."""
    for name, pid, price, opts in order.items:
        if dimension not in opts:
            continue
        for vopts, vprice, stock, listed in conn.execute(
                "SELECT options, price, stock, listed FROM variants WHERE product_id = ? "
                "ORDER BY position", (pid,)):
            other = dict(json.loads(vopts))
            if (listed and stock > 1 and vprice == price and other[dimension] != opts[dimension]
                    and all(other[k] == v for k, v in opts.items() if k != dimension)
                    and sum(n == name for n, *_ in order.items) == 1):
                return name, other[dimension]
    return "", ""


def _unique_first(order: _Order, others: list[_Order]) -> tuple[str, ...]:
    """The order's item names, one found in no other order of the customer first."""
    seen = {n for o in others if o.id != order.id for n in o.names}
    names = order.names
    return tuple(sorted(names, key=lambda n: n in seen))


# The demo's own scenarios (what `omnichannel init --demo` suggests), by the suite's names.
SCENARIO_KINDS = {"pending": "pending", "shipped": "shipped", "return": "delivered",
                  "over_cap": "over_cap", "canada": "canadian"}


def pick_shoppers(path: Path, now: datetime | None = None) -> dict[str, Shopper]:
    """The demo scenarios' shoppers (pending, shipped, delivered, over_cap, canadian), then
    shoppers for what they do not show: resize (a pending order with a size and a color in
    stock), two_pending, canadian_pending and old_delivered (outside the return window)."""
    now = now or today()
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        people = {cid: (first, last, zip_code, email, country) for cid, first, last, zip_code,
                  email, country in conn.execute(
                      "SELECT id, first_name, last_name, zip, email, country FROM customers "
                      "ORDER BY id")}
        orders = _orders(conn)
        by_id = {o.id: o for mine in orders.values() for o in mine}
        # name + zip must find one customer: verification takes the first match
        sharing = Counter((f.lower(), la.lower(), z.replace(" ", "").upper())
                          for f, la, z, _, _ in people.values())
        used = {cid for cid, (f, la, z, _, _) in people.items()
                if sharing[(f.lower(), la.lower(), z.replace(" ", "").upper())] > 1}

        def make(kind: str, order: _Order, second: _Order | None = None, **kw: str) -> Shopper:
            first, last, zip_code, email, _country = people[order.customer]
            used.add(order.customer)
            mine = orders[order.customer]
            return Shopper(kind, order.customer, first, last, zip_code, email, order.id,
                           order.status, _unique_first(order, mine), order.total,
                           order2=second.id if second else "",
                           items2=_unique_first(second, mine) if second else (),
                           latest_items=_unique_first(mine[0], mine), **kw)  # type: ignore[arg-type]

        out: dict[str, Shopper] = {}
        for sc in scenarios(path, now=now, return_window_days=RETURN_WINDOW_DAYS,
                            refund_cap=REFUND_CAP):
            kind = SCENARIO_KINDS[sc.kind.value]
            out[kind] = replace(make(kind, by_id[sc.order_id]), currency=sc.currency)

        def candidates(status: str, country: str) -> Iterator[_Order]:
            for cid in sorted(orders):
                if cid not in used and people[cid][4] == country:
                    yield from (o for o in sorted(orders[cid], key=lambda o: o.id)
                                if o.status == status and o.items)

        def pending_count(o: _Order) -> int:
            return sum(x.status == "pending" for x in orders[o.customer])

        # resize: the customer's only pending order, with a size and a color swap in stock
        best: tuple[int, _Order] | None = None
        for o in candidates("pending", "USA"):
            score = bool(_swap(conn, o, "size")[0]) * 2 + bool(_swap(conn, o, "color")[0])
            if pending_count(o) == 1 and (best is None or score > best[0]):
                best = (score, o)
        if best is not None:
            o = best[1]
            size_item, size = _swap(conn, o, "size")
            color_item, color = _swap(conn, o, "color")
            out["resize"] = make("resize", o, size_item=size_item, size=size,
                                 color_item=color_item, color=color)
        for o in candidates("pending", "USA"):  # two pending orders with different items
            pend = [x for x in orders[o.customer] if x.status == "pending"]
            if len(pend) == 2 and not set(pend[0].names) & set(pend[1].names):
                out["two_pending"] = make("two_pending", pend[0], pend[1])
                break
        for o in candidates("pending", "Canada"):  # a write after a postal code
            if pending_count(o) == 1:
                out["canadian_pending"] = make("canadian_pending", o)
                break
        for o in candidates("delivered", "USA"):  # outside the return window
            if o.delivered is not None and o.delivered < now - timedelta(
                    days=RETURN_WINDOW_DAYS + 5):
                out["old_delivered"] = make("old_delivered", o)
                break
    missing = set(KINDS) - set(out)
    assert not missing, f"the demo shop has no shopper for {missing}"
    return out


KINDS = ("pending", "shipped", "delivered", "over_cap", "canadian", "resize", "two_pending",
         "canadian_pending", "old_delivered")
