"""The demo shop: deterministic generation, lookups, and every write with its refusals."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from omnichannel.commerce import (
    Address,
    InvalidRequest,
    NotEligible,
    NotFound,
    OrderStatus,
    PaymentSource,
)
from omnichannel.commerce.demo import DEFAULT_NOW, DemoCommerce, content_hash, generate

NOW = DEFAULT_NOW
TRACKING = {
    "UPS": r"1Z[0-9A-Z]{16}",
    "USPS": r"9400\d{18}",
    "FedEx": r"\d{12}",
    "Canada Post": r"\d{16}",
}
HOME = Address("12 Birch Lane", "", "Boise", "id", "US", "83702")


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "shop.db"
    generate(path)
    return path


@pytest.fixture
async def shop(pristine: Path, tmp_path: Path) -> AsyncIterator[DemoCommerce]:
    path = tmp_path / "shop.db"
    shutil.copy(pristine, path)
    demo = DemoCommerce.open(path, clock=lambda: NOW)
    yield demo
    demo.close()


def rows(path: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def one(path: Path, sql: str, *args: Any) -> Any:
    found = rows(path, sql, *args)
    assert found, sql
    return found[0][0]


@contextmanager
def unchanged(path: Path) -> Iterator[None]:
    before = content_hash(path)
    yield
    assert content_hash(path) == before


def order_paid_with(path: Path, status: str, source: str) -> str:
    return str(one(path, "SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id "
                   "JOIN payment_methods m ON m.id = p.payment_method_id WHERE o.status = ? "
                   "AND m.source = ? ORDER BY o.id", status, source))


def recently_delivered(path: Path, days: int = 20) -> str:
    since = (NOW - timedelta(days=days)).isoformat()
    return str(one(path, "SELECT order_id FROM fulfillments f JOIN orders o ON o.id = f.order_id "
                   "WHERE o.status = 'delivered' GROUP BY order_id HAVING max(delivered_at) > ? "
                   "ORDER BY order_id", since))


def other_variant(path: Path, item_id: str, *, pricier: bool | None = None) -> str:
    """Another in-stock variant of the same product (optionally dearer or cheaper)."""
    price_rule = {None: "", True: "AND v.price > o.price", False: "AND v.price < o.price"}
    return str(one(path, "SELECT v.item_id FROM variants v JOIN variants o ON o.item_id = ? "
                   "AND v.product_id = o.product_id WHERE v.item_id != o.item_id AND v.listed "
                   f"AND v.stock > 0 {price_rule[pricier]} ORDER BY v.item_id", item_id))


# --- generation ---------------------------------------------------------------------------

def test_generation_is_deterministic_and_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    generate(tmp_path / "a.db")
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0
    generate(tmp_path / "b.db")
    generate(tmp_path / "c.db", seed=8)
    generate(tmp_path / "d.db", now=NOW + timedelta(days=1))
    first = content_hash(tmp_path / "a.db")
    assert content_hash(tmp_path / "b.db") == first
    assert content_hash(tmp_path / "c.db") != first
    assert content_hash(tmp_path / "d.db") != first
    assert not (tmp_path / "a.db.tmp").exists()


def test_customers_and_payment_methods(pristine: Path) -> None:
    customers = rows(pristine, "SELECT * FROM customers")
    assert len(customers) == 300
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.com", c["email"]) for c in customers)
    phones = [c["phone"] for c in customers if c["phone"]]
    assert 100 < len(phones) < 300
    assert all(re.fullmatch(r"\+1[2-9]\d{9}", p) for p in phones)
    assert {c["country"] for c in customers} == {"USA", "Canada"}
    for c in customers:
        pattern = r"\d{5}" if c["country"] == "USA" else r"[A-Z]\d[A-Z] \d[A-Z]\d"
        assert re.fullmatch(pattern, c["zip"]), c["zip"]
    counts = rows(pristine, "SELECT customer_id, count(*) AS n, group_concat(source) AS s "
                  "FROM payment_methods GROUP BY customer_id")
    assert len(counts) == 300 and {r["n"] for r in counts} == {1, 2, 3}
    cards = rows(pristine, "SELECT * FROM payment_methods")
    assert {m["source"] for m in cards} == {"credit_card", "paypal", "gift_card"}
    for m in cards:
        if m["source"] == "credit_card":
            assert m["brand"] in ("visa", "mastercard", "amex")
            assert re.fullmatch(r"\d{4}", m["last_four"])
        assert (m["balance"] is not None) == (m["source"] == "gift_card")


def test_canadian_shoppers_have_real_postal_codes(pristine: Path) -> None:
    canadians = rows(pristine, "SELECT * FROM customers WHERE country = 'Canada'")
    assert len(canadians) >= 30
    first_letter = {"BC": "V", "AB": "T", "ON": "KLMNP", "QC": "GHJ", "NS": "B", "MB": "R",
                    "YT": "Y"}
    for c in canadians:
        # A1A 1A1, the first letter the province's, no D F I O Q U anywhere.
        assert re.fullmatch(r"[A-Z]\d[A-Z] \d[A-Z]\d", c["zip"]), c["zip"]
        assert c["zip"][0] in first_letter[c["state"]], (c["state"], c["zip"])
        assert not set(c["zip"]) & set("DFIOQU"), c["zip"]
        assert c["zip_key"] == c["zip"].replace(" ", "")


async def test_canadian_postal_code_in_any_case_or_spacing(shop: DemoCommerce) -> None:
    ca = rows(shop.path, "SELECT * FROM customers WHERE country = 'Canada' ORDER BY id")[0]
    code = ca["zip"]
    for typed in (code, code.lower(), code.replace(" ", ""), code.replace(" ", "").lower(),
                  f"  {code[:3]}   {code[4:]} "):
        assert await shop.find_customer_by_name_zip(
            ca["first_name"].lower(), ca["last_name"].upper(), typed) == ca["id"], typed
    assert await shop.find_customer_by_name_zip(ca["first_name"], ca["last_name"],
                                                code[:3]) is None


def test_currency_and_a_recent_delivery_over_the_refund_cap(pristine: Path) -> None:
    assert one(pristine, "SELECT value FROM meta WHERE key = 'currency'") == "USD"
    since = (NOW - timedelta(days=14)).isoformat()
    big = rows(pristine, "SELECT o.id FROM orders o WHERE o.status = 'delivered' AND "
               "(SELECT sum(price) FROM order_items i WHERE i.order_id = o.id) > 500 AND "
               "(SELECT max(delivered_at) FROM fulfillments f WHERE f.order_id = o.id) > ?",
               since)
    assert big


def test_products(pristine: Path) -> None:
    products = rows(pristine, "SELECT p.*, count(v.item_id) AS n, sum(v.stock) AS stock "
                    "FROM products p JOIN variants v ON v.product_id = p.id GROUP BY p.id")
    assert len(products) >= 50
    assert len({p["name"] for p in products}) == len(products)
    for p in products:
        assert 4 <= p["n"] <= 12 and len(p["description"]) > 30
        assert 2 <= len(json.loads(p["option_names"])) <= 3
    assert any(p["stock"] == 0 for p in products)  # whole products sold out
    variants = rows(pristine, "SELECT * FROM variants")
    assert sum(v["stock"] == 0 for v in variants) > 10
    assert all(v["price"] > 0 for v in variants)


def test_orders_statuses_and_ages(pristine: Path) -> None:
    orders = rows(pristine, "SELECT * FROM orders")
    assert 950 <= len(orders) <= 1050
    statuses = {o["status"] for o in orders}
    assert statuses == {s.value for s in OrderStatus} - {"pending (item modified)"}
    for o in orders:
        age = NOW - datetime.fromisoformat(o["created_at"])
        assert timedelta(0) <= age <= timedelta(days=90)
        if o["status"] == "pending":
            assert age < timedelta(days=2)
        if o["status"] in ("delivered", "return requested", "exchange requested"):
            assert age > timedelta(days=1)
    by_status = {s: sum(o["status"] == s for o in orders) for s in statuses}
    assert by_status["delivered"] > 600 and by_status["cancelled"] > 20
    assert by_status["pending"] >= 5 and by_status["shipped"] >= 10
    assert 0 < by_status["return requested"] < 40
    cancelled = rows(pristine, "SELECT o.cancel_reason, p.amount, o.id FROM orders o JOIN "
                     "payments p ON p.order_id = o.id AND p.transaction_type = 'refund' "
                     "WHERE o.status = 'cancelled'")
    assert {c["cancel_reason"] for c in cancelled} == {"no longer needed", "ordered by mistake"}
    totals = rows(pristine, "SELECT o.id, (SELECT round(sum(price), 2) FROM order_items i "
                  "WHERE i.order_id = o.id) AS total, p.amount FROM orders o JOIN payments p "
                  "ON p.order_id = o.id AND p.position = 0 AND p.transaction_type = 'payment'")
    assert len(totals) == len(orders)
    assert all(abs(t["total"] - t["amount"]) < 0.005 for t in totals)


def test_fulfillments_tracking_and_lateness(pristine: Path) -> None:
    shipped = rows(pristine, "SELECT o.status, f.* FROM orders o JOIN fulfillments f "
                   "ON f.order_id = o.id")
    assert {f["carrier"] for f in shipped} == set(TRACKING)
    for f in shipped:
        (tracking,) = json.loads(f["tracking_ids"])
        assert re.fullmatch(TRACKING[f["carrier"]], tracking), (f["carrier"], tracking)
        assert f["tracking_url"].startswith("https://") and tracking in f["tracking_url"]
        assert f["shipped_at"] < f["estimated_delivery"]
        if f["delivered_at"]:
            assert f["shipped_at"] < f["delivered_at"] <= NOW.isoformat()
    assert {f["status"] for f in shipped} == {
        "shipped", "delivered", "return requested", "exchange requested"}
    every = rows(pristine, "SELECT id FROM orders WHERE status IN ('shipped', 'delivered') AND "
                 "id NOT IN (SELECT order_id FROM fulfillments)")
    assert every == []
    late = [f for f in shipped if f["delivered_at"] and f["delivered_at"] > f[
        "estimated_delivery"]]
    assert len(late) >= 20
    delayed = [f for f in shipped if f["status"] == "shipped" and not f["delivered_at"]
               and f["estimated_delivery"] < NOW.isoformat()]
    assert delayed
    canada_post = rows(pristine, "SELECT o.country FROM orders o JOIN fulfillments f ON "
                       "f.order_id = o.id WHERE f.carrier = 'Canada Post'")
    assert {r["country"] for r in canada_post} == {"Canada"}


def test_promos(pristine: Path) -> None:
    promos = rows(pristine, "SELECT * FROM promos")
    assert 4 <= len(promos) <= 6
    assert any(p["expires_at"] and p["expires_at"] < NOW.isoformat() for p in promos)
    assert sum(not p["active"] for p in promos) == 1
    assert all(bool(p["percent_off"]) != bool(p["amount_off"]) for p in promos)


# --- lookups -------------------------------------------------------------------------------

async def test_lookups(shop: DemoCommerce) -> None:
    us = rows(shop.path, "SELECT * FROM customers WHERE country = 'USA' AND phone IS NOT NULL "
              "AND id IN (SELECT customer_id FROM orders)")[0]
    ca = rows(shop.path, "SELECT * FROM customers WHERE country = 'Canada'")[0]
    assert await shop.find_customer_by_email(f"  {us['email'].upper()} ") == us["id"]
    assert await shop.find_customer_by_email("nobody@example.com") is None
    assert await shop.find_customer_by_name_zip(
        us["first_name"].upper(), us["last_name"].lower(), us["zip"]) == us["id"]
    assert await shop.find_customer_by_name_zip(
        ca["first_name"], ca["last_name"], ca["zip"].replace(" ", "").lower()) == ca["id"]
    assert await shop.find_customer_by_name_zip(us["first_name"], us["last_name"], "00000") is None
    digits = us["phone"][2:]
    pretty = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    assert await shop.find_customer_by_phone(pretty) == us["id"]
    assert await shop.find_customer_by_phone(us["phone"]) == us["id"]
    assert await shop.find_customer_by_phone("+1 (999) 555-0000") is None

    customer = await shop.get_customer(us["id"])
    assert customer.email == us["email"] and customer.phone == us["phone"]
    assert customer.address.zip == us["zip"] and customer.payment_methods
    orders = await shop.list_orders(us["id"])
    assert [o.id for o in orders] == list(customer.order_ids)
    created = [o.created_at.isoformat() for o in orders if o.created_at]
    assert created == sorted(created, reverse=True) and len(created) == len(orders)
    order = await shop.get_order(orders[0].id.lower().lstrip("#"))
    assert order == orders[0] and order.created_at and order.created_at.tzinfo
    assert order.total == round(sum(i.price for i in order.items), 2)
    with pytest.raises(NotFound):
        await shop.get_customer("nobody_0000")
    with pytest.raises(NotFound):
        await shop.list_orders("nobody_0000")
    with pytest.raises(NotFound):
        await shop.get_order("#JP1")
    with pytest.raises(NotFound):
        await shop.get_product("123")


async def test_order_dates_are_datetimes(shop: DemoCommerce) -> None:
    oid = one(shop.path, "SELECT order_id FROM fulfillments WHERE delivered_at > "
              "estimated_delivery")
    order = await shop.get_order(oid)
    (first,) = [f for f in order.fulfillments if f.delivered_at and f.estimated_delivery
                and f.delivered_at > f.estimated_delivery][:1]
    assert first.shipped_at and first.tracking_url and first.carrier
    assert order.delivered_at and order.delivered_at.tzinfo is not None


async def test_products_search_and_promos(shop: DemoCommerce) -> None:
    products = await shop.list_products()
    assert len(products) >= 50
    boots = await shop.search_products("hiking boots")
    assert boots and "Boots" in boots[0].name
    assert all("Tent" in p.name for p in await shop.search_products("Tents", limit=2))
    assert len(await shop.search_products("tents", limit=2)) == 2
    bags = await shop.search_products("sleeping bags")
    assert {"Alpine Down Sleeping Bag", "Campfire Synthetic Sleeping Bag"} <= {
        p.name for p in bags}
    assert "Glove" in (await shop.search_products("GLOVES"))[0].name
    assert (await shop.search_products("water bottles"))[0].name == "Insulated Trail Bottle"
    assert await shop.search_products("xylophone") == []
    product = await shop.get_product(boots[0].id)
    assert product == boots[0] and product.variant(product.variants[0].item_id)
    sold_out = [v for p in products for v in p.variants if v.stock == 0]
    assert sold_out and not any(v.available for v in sold_out)
    promo = await shop.get_promo(" welcome10 ")
    assert promo and promo.code == "WELCOME10" and promo.percent_off == 10 and promo.active
    expired = await shop.get_promo("summit30")
    assert expired and expired.expires_at and expired.expires_at < NOW
    inactive = await shop.get_promo("FRIENDS20")
    assert inactive and not inactive.active
    assert await shop.get_promo("FREESTUFF") is None


# --- cancel --------------------------------------------------------------------------------

async def test_cancel_refunds_gift_card_at_once(shop: DemoCommerce) -> None:
    oid = order_paid_with(shop.path, "pending", "gift_card")
    order = await shop.get_order(oid)
    (paid,) = order.payment_history
    before = (await shop.get_customer(order.customer_id)).payment(paid.payment_method_id)
    result = await shop.cancel_order(oid, "Ordered by mistake", key="c1")
    assert result.order and result.order.status is OrderStatus.CANCELLED
    assert result.order.cancel_reason == "ordered by mistake"
    assert result.order.payment_history[-1].transaction_type == "refund"
    assert result.order.payment_history[-1].amount == paid.amount
    after = (await shop.get_customer(order.customer_id)).payment(paid.payment_method_id)
    assert before and after and before.balance is not None and after.balance is not None
    assert round(after.balance - before.balance, 2) == paid.amount
    assert "right away" in result.detail and not result.replayed


async def test_cancel_refusals(shop: DemoCommerce) -> None:
    pending = one(shop.path, "SELECT id FROM orders WHERE status = 'pending'")
    with unchanged(shop.path):
        for status in ("processed", "shipped", "delivered", "cancelled"):
            oid = one(shop.path, "SELECT id FROM orders WHERE status = ?", status)
            with pytest.raises(NotEligible, match=oid):
                await shop.cancel_order(oid, "no longer needed", key=f"x-{status}")
        with pytest.raises(InvalidRequest, match="reason"):
            await shop.cancel_order(pending, "found it cheaper", key="x-reason")
        with pytest.raises(NotFound):
            await shop.cancel_order("#JP1", "no longer needed", key="x-missing")
        with pytest.raises(InvalidRequest):
            await shop.cancel_order(pending, "no longer needed", key="")


# --- modify pending orders -----------------------------------------------------------------

async def test_modify_address(shop: DemoCommerce) -> None:
    oid = one(shop.path, "SELECT id FROM orders WHERE status = 'pending'")
    result = await shop.modify_order_address(oid, HOME, key="a1")
    assert result.order and result.order.address == Address(
        "12 Birch Lane", "", "Boise", "ID", "USA", "83702")
    shipped = one(shop.path, "SELECT id FROM orders WHERE status = 'shipped'")
    with unchanged(shop.path):
        with pytest.raises(NotEligible, match="shipped"):
            await shop.modify_order_address(shipped, HOME, key="a2")
        for bad in (Address("1 Rue", "", "Paris", "", "France", "75001"),
                    Address("1 Main St", "", "Boise", "ID", "USA", "8370"),
                    Address("1 Main St", "", "Toronto", "ON", "Canada", "M5V"),
                    Address("", "", "Boise", "ID", "USA", "83702")):
            with pytest.raises(InvalidRequest):
                await shop.modify_order_address(oid, bad, key="a3")


async def test_modify_payment(shop: DemoCommerce) -> None:
    oid = one(shop.path, "SELECT o.id FROM orders o WHERE o.status = 'pending' AND (SELECT "
              "count(*) FROM payment_methods m WHERE m.customer_id = o.customer_id AND "
              "m.source != 'gift_card') >= 2")
    order = await shop.get_order(oid)
    customer = await shop.get_customer(order.customer_id)
    old = order.payment_history[0].payment_method_id
    new = next(m for m in customer.payment_methods
               if m.id != old and m.source is not PaymentSource.GIFT_CARD)
    with unchanged(shop.path):
        with pytest.raises(InvalidRequest, match="already paid"):
            await shop.modify_order_payment(oid, old, key="p0")
        with pytest.raises(InvalidRequest, match="isn't on your account"):
            await shop.modify_order_payment(oid, "credit_card_0000000", key="p0")
    result = await shop.modify_order_payment(oid, new.id, key="p1")
    assert result.order and result.order.status is OrderStatus.PENDING
    assert [(p.transaction_type, p.payment_method_id) for p in result.order.payment_history] == [
        ("payment", old), ("payment", new.id), ("refund", old)]


async def test_modify_payment_gift_card_balance(shop: DemoCommerce) -> None:
    row = rows(shop.path, "SELECT o.id, m.id AS gift, m.balance FROM orders o JOIN "
               "payment_methods m ON m.customer_id = o.customer_id AND m.source = 'gift_card' "
               "JOIN payments p ON p.order_id = o.id AND p.position = 0 AND p.amount > m.balance "
               "WHERE o.status = 'pending'")
    assert row
    with unchanged(shop.path), pytest.raises(InvalidRequest, match="gift card"):
        await shop.modify_order_payment(row[0]["id"], row[0]["gift"], key="g1")


async def test_modify_items(shop: DemoCommerce) -> None:
    oid = one(shop.path, "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id "
              "JOIN variants v ON v.product_id = i.product_id AND v.item_id != i.item_id AND "
              "v.price > i.price AND v.stock > 0 AND v.listed WHERE o.status = 'pending' "
              "AND (SELECT count(*) FROM payment_methods m WHERE m.customer_id = o.customer_id "
              "AND m.source != 'gift_card') >= 1 ORDER BY o.id")
    order = await shop.get_order(oid)
    customer = await shop.get_customer(order.customer_id)
    card = next(m for m in customer.payment_methods if m.source is not PaymentSource.GIFT_CARD)
    item = next(i for i in order.items if rows(
        shop.path, "SELECT 1 FROM variants v JOIN variants o ON o.item_id = ? AND v.product_id = "
        "o.product_id AND v.item_id != o.item_id AND v.price > o.price AND v.stock > 0 AND "
        "v.listed", i.item_id))
    new_id = other_variant(shop.path, item.item_id, pricier=True)
    stock = one(shop.path, "SELECT stock FROM variants WHERE item_id = ?", new_id)
    other_product = one(shop.path, "SELECT item_id FROM variants WHERE product_id != ? AND "
                        "stock > 0 AND listed", item.product_id)
    sold_out = rows(shop.path, "SELECT item_id FROM variants WHERE product_id = ? AND "
                    "stock = 0", item.product_id)
    with unchanged(shop.path):
        with pytest.raises(InvalidRequest, match="different product"):
            await shop.modify_order_items(oid, [item.item_id], [other_product], card.id, key="m0")
        with pytest.raises(InvalidRequest, match="isn't in order"):
            await shop.modify_order_items(oid, ["0000000000"], [new_id], card.id, key="m0")
        with pytest.raises(InvalidRequest, match="already that option"):
            await shop.modify_order_items(oid, [item.item_id], [item.item_id], card.id, key="m0")
        with pytest.raises(InvalidRequest, match="isn't on your account"):
            await shop.modify_order_items(oid, [item.item_id], [new_id], "paypal_1", key="m0")
        if sold_out:
            with pytest.raises(InvalidRequest, match="sold out"):
                await shop.modify_order_items(oid, [item.item_id], [sold_out[0][0]], card.id,
                                              key="m0")
    result = await shop.modify_order_items(oid, [item.item_id], [new_id], card.id, key="m1")
    new = result.order
    assert new and new.status is OrderStatus.PENDING_ITEMS_MODIFIED
    assert new_id in [i.item_id for i in new.items]
    diff = round(new.total - order.total, 2)
    assert diff > 0 and new.payment_history[-1] == type(new.payment_history[-1])(
        "payment", diff, card.id)
    assert one(shop.path, "SELECT stock FROM variants WHERE item_id = ?", new_id) == stock - 1
    with unchanged(shop.path):
        with pytest.raises(NotEligible, match="already had its items changed"):
            await shop.modify_order_items(oid, [new_id], [item.item_id], card.id, key="m2")
        with pytest.raises(NotEligible):
            await shop.cancel_order(oid, "no longer needed", key="m3")
        with pytest.raises(NotEligible):
            await shop.modify_order_address(oid, HOME, key="m4")


async def test_modify_items_gift_card_too_small(shop: DemoCommerce) -> None:
    f = rows(shop.path, "SELECT o.id, i.item_id, v.item_id AS new, m.id AS gift, "
             "v.price - i.price AS diff FROM orders o JOIN order_items i ON i.order_id = o.id "
             "JOIN variants v ON v.product_id = i.product_id AND v.price > i.price AND "
             "v.stock > 0 AND v.listed JOIN payment_methods m ON m.customer_id = o.customer_id "
             "AND m.source = 'gift_card' WHERE o.status = 'pending' ORDER BY o.id")[0]
    conn = sqlite3.connect(shop.path)  # leave less on the card than the difference
    with conn:
        conn.execute("UPDATE payment_methods SET balance = ? WHERE id = ?",
                     (round(f["diff"] - 0.01, 2), f["gift"]))
    conn.close()
    with unchanged(shop.path), pytest.raises(InvalidRequest, match="gift card"):
        await shop.modify_order_items(f["id"], [f["item_id"]], [f["new"]], f["gift"], key="m5")
    conn = sqlite3.connect(shop.path)
    with conn:
        conn.execute("UPDATE payment_methods SET balance = ? WHERE id = ?", (f["diff"], f["gift"]))
    conn.close()
    result = await shop.modify_order_items(f["id"], [f["item_id"]], [f["new"]], f["gift"],
                                           key="m6")
    assert result.order and result.order.payment_history[-1].payment_method_id == f["gift"]
    card = (await shop.get_customer(result.order.customer_id)).payment(f["gift"])
    assert card and card.balance == 0


# --- returns, exchanges, refunds -----------------------------------------------------------

async def test_return_happy_path_and_refusals(shop: DemoCommerce) -> None:
    oid = recently_delivered(shop.path)
    order = await shop.get_order(oid)
    customer = await shop.get_customer(order.customer_id)
    paid = order.payment_history[0].payment_method_id
    stranger = next((m.id for m in customer.payment_methods
                     if m.id != paid and m.source is not PaymentSource.GIFT_CARD), None)
    with unchanged(shop.path):
        with pytest.raises(InvalidRequest, match="isn't in order"):
            await shop.return_items(oid, ["0000000000"], paid, key="r0")
        with pytest.raises(InvalidRequest):
            await shop.return_items(oid, [], paid, key="r0")
        with pytest.raises(InvalidRequest, match="isn't on your account"):
            await shop.return_items(oid, [order.items[0].item_id], "gift_card_1", key="r0")
        if stranger:
            with pytest.raises(InvalidRequest, match="original payment method"):
                await shop.return_items(oid, [order.items[0].item_id], stranger, key="r0")
        for status in ("pending", "processed", "shipped", "cancelled", "return requested"):
            other = one(shop.path, "SELECT id FROM orders WHERE status = ?", status)
            with pytest.raises(NotEligible):
                await shop.return_items(other, ["x"], paid, key=f"r-{status}")
    result = await shop.return_items(oid, [order.items[0].item_id], paid, key="r1")
    assert result.order and result.order.status is OrderStatus.RETURN_REQUESTED
    assert result.order.return_items == (order.items[0].item_id,)
    assert result.order.payment_history == order.payment_history


async def test_return_window(shop: DemoCommerce, tmp_path: Path) -> None:
    old = one(shop.path, "SELECT order_id FROM fulfillments f JOIN orders o ON o.id = "
              "f.order_id WHERE o.status = 'delivered' GROUP BY order_id HAVING "
              "max(delivered_at) < ?", (NOW - timedelta(days=40)).isoformat())
    order = await shop.get_order(old)
    paid = order.payment_history[0].payment_method_id
    item = order.items[0].item_id
    with unchanged(shop.path), pytest.raises(NotEligible, match="30 days"):
        await shop.return_items(old, [item], paid, key="w1")
    with unchanged(shop.path), pytest.raises(NotEligible, match="30 days"):
        await shop.exchange_items(old, [item], [other_variant(shop.path, item)], paid, key="w2")
    shop.close()
    lenient = DemoCommerce.open(shop.path, clock=lambda: NOW, return_window_days=None)
    try:
        result = await lenient.return_items(old, [item], paid, key="w3")
        assert result.order and result.order.status is OrderStatus.RETURN_REQUESTED
    finally:
        lenient.close()


async def test_exchange(shop: DemoCommerce) -> None:
    oid = recently_delivered(shop.path, days=10)
    order = await shop.get_order(oid)
    paid = order.payment_history[0].payment_method_id
    item = order.items[0]
    new_id = other_variant(shop.path, item.item_id)
    other_product = one(shop.path, "SELECT item_id FROM variants WHERE product_id != ? AND "
                        "stock > 0 AND listed", item.product_id)
    stock = one(shop.path, "SELECT stock FROM variants WHERE item_id = ?", new_id)
    with unchanged(shop.path):
        with pytest.raises(InvalidRequest, match="different product"):
            await shop.exchange_items(oid, [item.item_id], [other_product], paid, key="e0")
        with pytest.raises(InvalidRequest):
            await shop.exchange_items(oid, [item.item_id], [], paid, key="e0")
        with pytest.raises(InvalidRequest, match="isn't on your account"):
            await shop.exchange_items(oid, [item.item_id], [new_id], "paypal_0", key="e0")
        shipped = one(shop.path, "SELECT id FROM orders WHERE status = 'shipped'")
        with pytest.raises(NotEligible, match="isn't delivered yet"):
            await shop.exchange_items(shipped, [item.item_id], [new_id], paid, key="e0")
    result = await shop.exchange_items(oid, [item.item_id], [new_id], paid, key="e1")
    assert result.order and result.order.status is OrderStatus.EXCHANGE_REQUESTED
    assert result.order.exchange_items == (item.item_id,)
    assert result.order.exchange_new_items == (new_id,)
    assert one(shop.path, "SELECT stock FROM variants WHERE item_id = ?", new_id) == stock - 1
    with unchanged(shop.path), pytest.raises(NotEligible, match="exchange in progress"):
        await shop.exchange_items(oid, [item.item_id], [new_id], paid, key="e2")


async def test_exchange_gift_card_balance(shop: DemoCommerce) -> None:
    since = (NOW - timedelta(days=25)).isoformat()
    found = rows(shop.path, "SELECT o.id, i.item_id, v.item_id AS new, m.id AS gift FROM orders o "
                 "JOIN order_items i ON i.order_id = o.id JOIN variants v ON v.product_id = "
                 "i.product_id AND v.price - i.price > 0 AND v.stock > 0 AND v.listed JOIN "
                 "payment_methods m ON m.customer_id = o.customer_id AND m.source = 'gift_card' "
                 "AND m.balance < v.price - i.price JOIN fulfillments f ON f.order_id = o.id "
                 "WHERE o.status = 'delivered' AND f.delivered_at > ?", since)
    assert found
    f = found[0]
    with unchanged(shop.path), pytest.raises(InvalidRequest, match="gift card"):
        await shop.exchange_items(f["id"], [f["item_id"]], [f["new"]], f["gift"], key="eg")


async def test_refund(shop: DemoCommerce) -> None:
    oid = recently_delivered(shop.path)
    order = await shop.get_order(oid)
    paid = order.payment_history[0]
    with unchanged(shop.path):
        with pytest.raises(InvalidRequest, match="at most"):
            await shop.refund(oid, paid.amount + 1, paid.payment_method_id, key="f0")
        with pytest.raises(InvalidRequest, match="positive"):
            await shop.refund(oid, 0, paid.payment_method_id, key="f0")
        with pytest.raises(InvalidRequest, match="isn't on your account"):
            await shop.refund(oid, 1, "credit_card_1", key="f0")
    result = await shop.refund(oid, 5, paid.payment_method_id, key="f1")
    assert result.order and result.order.payment_history[-1].amount == 5
    assert result.order.status is order.status
    rest = round(paid.amount - sum(p.amount for p in result.order.payment_history[1:]), 2)
    with unchanged(shop.path), pytest.raises(InvalidRequest, match="at most"):
        await shop.refund(oid, rest + 0.01, paid.payment_method_id, key="f2")
    await shop.refund(oid, rest, paid.payment_method_id, key="f3")
    cancelled = one(shop.path, "SELECT id FROM orders WHERE status = 'cancelled'")
    method = (await shop.get_order(cancelled)).payment_history[0].payment_method_id
    with unchanged(shop.path), pytest.raises(InvalidRequest, match=r"at most \$0\.00"):
        await shop.refund(cancelled, 1, method, key="f4")


async def test_refund_to_gift_card_is_immediate(shop: DemoCommerce) -> None:
    row = rows(shop.path, "SELECT o.id, m.id AS gift, m.balance FROM orders o JOIN "
               "payment_methods m ON m.customer_id = o.customer_id AND m.source = 'gift_card' "
               "WHERE o.status = 'delivered'")[0]
    result = await shop.refund(row["id"], 7.5, row["gift"], key="fg")
    assert result.order and result.order.payment_history[-1].payment_method_id == row["gift"]
    customer = await shop.get_customer(result.order.customer_id)
    card = customer.payment(row["gift"])
    assert card and card.balance == round(row["balance"] + 7.5, 2)


async def test_update_default_address(shop: DemoCommerce) -> None:
    cid = one(shop.path, "SELECT id FROM customers ORDER BY id")
    new = Address("9 Lakeview Drive", "Apt 2", "Toronto", "on", "Canada", "m5v2t6")
    result = await shop.update_default_address(cid, new, key="u1")
    assert result.customer and result.customer.address == Address(
        "9 Lakeview Drive", "Apt 2", "Toronto", "ON", "Canada", "M5V 2T6")
    first, last = result.customer.first_name, result.customer.last_name
    assert await shop.find_customer_by_name_zip(first, last, "M5V 2T6") == cid
    with unchanged(shop.path):
        with pytest.raises(NotFound):
            await shop.update_default_address("nobody_1", new, key="u2")
        with pytest.raises(InvalidRequest, match="US and Canada"):
            await shop.update_default_address(cid, Address("1", "", "Berlin", "BE", "DE", "10115"),
                                              key="u3")


# --- idempotency and plumbing --------------------------------------------------------------

async def test_idempotent_writes_replay_the_first_result(shop: DemoCommerce) -> None:
    oid = one(shop.path, "SELECT id FROM orders WHERE status = 'pending'")
    first = await shop.cancel_order(oid, "no longer needed", key="same")
    with unchanged(shop.path):
        again = await shop.cancel_order(oid, "no longer needed", key="same")
    assert again.replayed and not first.replayed
    assert again.order == first.order and again.detail == first.detail
    with unchanged(shop.path), pytest.raises(InvalidRequest, match="conflicts"):
        await shop.cancel_order(oid, "ordered by mistake", key="same")
    cid = one(shop.path, "SELECT id FROM customers ORDER BY id")
    done = await shop.update_default_address(cid, HOME, key="addr")
    await shop.update_default_address(cid, Address("5 Elm Street", "", "Austin", "TX", "USA",
                                                    "78701"), key="addr2")
    replay = await shop.update_default_address(cid, HOME, key="addr")
    assert replay.replayed and replay.customer == done.customer  # the first outcome, as it was
    assert (await shop.get_customer(cid)).address.city == "Austin"
    # A refused write doesn't burn its key.
    shipped = one(shop.path, "SELECT id FROM orders WHERE status = 'shipped'")
    with pytest.raises(NotEligible):
        await shop.modify_order_address(shipped, HOME, key="retry")
    pending = one(shop.path, "SELECT id FROM orders WHERE status = 'pending' AND id != ?", oid)
    assert not (await shop.modify_order_address(pending, HOME, key="retry")).replayed


async def test_open_generates_a_missing_file_and_runs_off_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "shop.db"
    shop = DemoCommerce.open(path, seed=3, now=NOW, clock=lambda: NOW)
    try:
        assert shop.name == "demo"
        assert len(await shop.list_products()) >= 50
        assert path.exists()
        seen: list[str] = []
        await shop._run(lambda conn: seen.append(threading.current_thread().name))
        assert seen[0].startswith("demo-shop") and seen[0] != threading.current_thread().name
    finally:
        shop.close()
    shop.close()  # twice is fine
    with pytest.raises(RuntimeError):
        await shop.list_products()
    generate(tmp_path / "same.db", seed=3, now=NOW)
    assert content_hash(path) == content_hash(tmp_path / "same.db")
