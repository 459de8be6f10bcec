"""One backend contract suite: every commerce backend answers and refuses alike.

Each backend gets a fixture that opens a fresh copy and names sample records (found in its
own data, the way a test knows a fixture); the checks only use the Commerce protocol.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from omnichannel.commerce import (
    Address,
    Commerce,
    CommerceError,
    Customer,
    NotEligible,
    NotFound,
    Order,
    OrderStatus,
    Product,
)
from tests.support import require_taubench

HOME = Address("12 Birch Lane", "Apt 3", "Boise", "ID", "USA", "83702")


@dataclass
class Sample:
    shop: Commerce
    fingerprint: Callable[[], str]
    customer_id: str
    email: str
    first: str
    last: str
    zip: str
    pending: str  # a pending order of customer_id
    delivered: str  # a delivered order (of delivered_owner), inside any return window
    delivered_owner: str
    delivered_payment: str


async def _taubench(tmp: Path) -> AsyncIterator[Sample]:
    from omnichannel.commerce.taubench import TaubenchCommerce

    data = require_taubench()
    shop = TaubenchCommerce.load(data)
    users = json.loads((data / "users.json").read_text())
    orders = json.loads((data / "orders.json").read_text())
    pending = next(o for o in orders.values() if o["status"] == "pending")
    delivered = next(o for o in orders.values() if o["status"] == "delivered")
    user = users[pending["user_id"]]
    yield Sample(shop, shop.db_hash, pending["user_id"], user["email"],
                 user["name"]["first_name"], user["name"]["last_name"], user["address"]["zip"],
                 pending["order_id"], delivered["order_id"], delivered["user_id"],
                 delivered["payment_history"][0]["payment_method_id"])


async def _demo(tmp: Path) -> AsyncIterator[Sample]:
    from omnichannel.commerce.demo import DEFAULT_NOW, DemoCommerce, content_hash, generate

    path = tmp / "shop.db"
    generate(path)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    pending = conn.execute("SELECT * FROM orders WHERE status = 'pending' LIMIT 1").fetchone()
    recent = (DEFAULT_NOW - timedelta(days=10)).isoformat()
    delivered = conn.execute(
        "SELECT o.* FROM orders o JOIN fulfillments f ON f.order_id = o.id "
        "WHERE o.status = 'delivered' AND f.delivered_at > ? LIMIT 1", (recent,)).fetchone()
    pay = conn.execute("SELECT payment_method_id FROM payments WHERE order_id = ? "
                       "AND transaction_type = 'payment'", (delivered["id"],)).fetchone()[0]
    who = conn.execute("SELECT * FROM customers WHERE id = ?",
                       (pending["customer_id"],)).fetchone()
    conn.close()
    shop = DemoCommerce.open(path, clock=lambda: DEFAULT_NOW)
    yield Sample(shop, lambda: content_hash(path), who["id"], who["email"], who["first_name"],
                 who["last_name"], who["zip"], pending["id"], delivered["id"],
                 delivered["customer_id"], pay)
    shop.close()


async def _shopify(tmp: Path) -> AsyncIterator[Sample]:
    from tests.fake_shopify import running_shop

    async with running_shop(tmp) as (fake, shop):
        yield Sample(shop, fake.fingerprint, **fake.contract_sample())


BACKENDS = {"taubench": _taubench, "demo": _demo, "shopify": _shopify}


@pytest.fixture(params=sorted(BACKENDS))
async def sample(request, tmp_path: Path) -> AsyncIterator[Sample]:  # type: ignore[no-untyped-def]
    gen = BACKENDS[request.param](tmp_path)
    yield await gen.__anext__()
    with pytest.raises(StopAsyncIteration):
        await gen.__anext__()


async def test_lookups(sample: Sample) -> None:
    shop = sample.shop
    assert await shop.find_customer_by_email(sample.email) == sample.customer_id
    assert await shop.find_customer_by_email("nobody@nowhere.example") is None
    assert await shop.find_customer_by_name_zip(sample.first, sample.last,
                                                sample.zip) == sample.customer_id
    assert await shop.find_customer_by_name_zip(sample.first, sample.last, "00000") is None
    customer = await shop.get_customer(sample.customer_id)
    assert isinstance(customer, Customer) and customer.email.lower() == sample.email.lower()
    assert sample.pending in customer.order_ids
    orders = await shop.list_orders(sample.customer_id)
    assert orders and all(isinstance(o, Order) and o.customer_id == sample.customer_id
                          for o in orders)
    order = await shop.get_order(sample.pending)
    assert order.status is OrderStatus.PENDING and order.items and order.total > 0
    product = await shop.get_product(order.items[0].product_id)
    assert isinstance(product, Product) and product.variant(order.items[0].item_id)
    found = await shop.search_products(product.name.split()[-1] + "s")  # plurals tolerated
    assert product.id in [p.id for p in found]
    assert len(await shop.list_products()) >= 50


async def test_unknown_ids_raise_not_found(sample: Sample) -> None:
    for call in (sample.shop.get_order("#NOPE000"), sample.shop.get_customer("nobody_0"),
                 sample.shop.get_product("0")):
        with pytest.raises(NotFound):
            await call


async def test_status_rules_refuse_and_change_nothing(sample: Sample) -> None:
    shop, before = sample.shop, sample.fingerprint()
    with pytest.raises(NotEligible):
        await shop.cancel_order(sample.delivered, "no longer needed", key="k1")
    order = await shop.get_order(sample.pending)
    with pytest.raises(NotEligible):
        await shop.return_items(sample.pending, [order.items[0].item_id],
                                order.payment_history[0].payment_method_id, key="k2")
    with pytest.raises(CommerceError):
        await shop.cancel_order(sample.pending, "because", key="k3")
    with pytest.raises(CommerceError):
        await shop.modify_order_payment(sample.pending, "no_such_method", key="k4")
    assert sample.fingerprint() == before


async def test_cancel_is_idempotent(sample: Sample) -> None:
    shop = sample.shop
    first = await shop.cancel_order(sample.pending, "no longer needed", key="cancel-1")
    assert first.order is not None and first.order.status is OrderStatus.CANCELLED
    assert not first.replayed
    after = sample.fingerprint()
    again = await shop.cancel_order(sample.pending, "no longer needed", key="cancel-1")
    assert again.replayed and sample.fingerprint() == after


async def test_return_and_addresses(sample: Sample) -> None:
    shop = sample.shop
    order = await shop.get_order(sample.delivered)
    done = await shop.return_items(sample.delivered, [order.items[0].item_id],
                                   sample.delivered_payment, key="ret-1")
    assert done.order is not None and done.order.status is OrderStatus.RETURN_REQUESTED
    moved = await shop.modify_order_address(sample.pending, HOME, key="addr-1")
    assert moved.order is not None and moved.order.address.address1 == HOME.address1
    home = await shop.update_default_address(sample.customer_id, HOME, key="home-1")
    assert home.customer is not None and home.customer.address.zip == HOME.zip
