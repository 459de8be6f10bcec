"""The Shopify backend against a loopback fake of the Admin GraphQL endpoint (fake_shopify).

Most tests share one virtual clock between the fake's cost bucket and the client, so a wait
for the bucket to refill is measured exactly and costs no real time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from omnichannel.agent.guardrails import Policy, Session, Verification
from omnichannel.agent.tools import ToolBox
from omnichannel.commerce import (
    Address,
    CommerceError,
    InvalidRequest,
    NotEligible,
    NotFound,
    OrderStatus,
)
from omnichannel.commerce.backends import BackendError, open_backend
from omnichannel.commerce.shopify import ShopifyCommerce
from omnichannel.commerce.shopify.client import GraphQLClient
from omnichannel.commerce.shopify.errors import (
    NotApplied,
    ShopifyAccessDenied,
    ShopifyNotEligible,
    ShopifyRefused,
    ShopifyUnavailable,
    StillProcessing,
    UncertainWrite,
)
from omnichannel.commerce.shopify.ledger import Ledger
from tests.fake_shopify import (
    SHOP,
    TOKEN,
    VERSION,
    WEBHOOK_SECRET,
    Clock,
    FakeShopify,
    config,
    running_shop,
    sign,
)

NEW = Address("77 Harbor Way", "", "Portland", "OR", "USA", "97201")


@asynccontextmanager
async def shop_on(tmp: Path, fake: FakeShopify | None = None, *, token: str = TOKEN,
                  **options: Any) -> AsyncIterator[tuple[FakeShopify, ShopifyCommerce]]:
    fake = fake or FakeShopify(Clock(1000.0))
    base = await fake.start()
    clock = fake.clock
    client = GraphQLClient(f"{base}/admin/api/{VERSION}/graphql.json", token,
                           sleep=clock.sleep, clock=clock.now)
    options.setdefault("api_version", VERSION)
    shop = ShopifyCommerce(client, Ledger(tmp / "shopify-writes.json"), shop_domain=SHOP,
                           webhook_secret=WEBHOOK_SECRET.encode(), sleep=clock.sleep,
                           clock=clock.now, **options)
    try:
        yield fake, shop
    finally:
        await shop.close()
        await fake.stop()


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[tuple[FakeShopify, ShopifyCommerce]]:
    async with shop_on(tmp_path) as pair:
        yield pair


# --- the client: cost bucket, retries, access ---------------------------------------------------


async def test_throttled_request_waits_exactly_the_refill_time(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    fake.set_bucket(10, maximum=1000, rate=50)
    order = await backend.get_order("#1002")  # OrdersByQuery costs 62 points
    assert order.id == "#1002"
    assert fake.calls == ["OrdersByQuery", "OrdersByQuery"]  # THROTTLED, then answered
    assert fake.clock.slept == [pytest.approx((62 - 10) / 50, abs=0.01)]
    # Now the client knows the cost and that the bucket is empty: it waits *before*
    # sending, so Shopify never has to throttle it.
    await backend.get_order("#1003")
    assert fake.calls[2:] == ["OrdersByQuery"]
    assert fake.clock.slept[1:] == [pytest.approx(62 / 50, abs=0.01)]
    assert backend.client.stats.throttled == 1


async def test_reads_are_retried_on_5xx_writes_never(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    fake.knobs.fail_next = [502, 503]
    assert (await backend.get_order("1001")).id == "#1001"
    assert fake.calls == ["HTTP 502", "HTTP 503", "OrdersByQuery"]
    assert len(fake.clock.slept) == 2 and fake.clock.slept[1] > fake.clock.slept[0]
    before = fake.fingerprint()
    fake.knobs.fail_next = [None, 502]  # the fresh read passes, the mutation fails
    with pytest.raises(UncertainWrite):
        await backend.modify_order_address("#1001", NEW, key="addr-5xx")
    # Shopify may or may not have applied it: the same key is not sent again.
    with pytest.raises(UncertainWrite):
        await backend.modify_order_address("#1001", NEW, key="addr-5xx")
    assert fake.calls.count("OrderUpdate") == 0 and fake.fingerprint() == before


async def test_an_unreachable_shop_is_retried_for_reads_and_not_uncertain_for_writes() -> None:
    clock = Clock(0.0)
    client = GraphQLClient("http://127.0.0.1:1/admin/api/2025-07/graphql.json", TOKEN,
                           sleep=clock.sleep, clock=clock.now)
    try:
        with pytest.raises(ShopifyUnavailable) as read:
            await client.read("Order", "query Order { shop { id } }")
        assert len(clock.slept) == 3 and not read.value.uncertain
        with pytest.raises(ShopifyUnavailable) as write:  # refused before it was sent
            await client.write("OrderUpdate", "mutation OrderUpdate { x }")
        assert not write.value.uncertain and len(clock.slept) == 3
    finally:
        await client.close()


async def test_a_refused_token_is_a_typed_error(tmp_path: Path) -> None:
    async with shop_on(tmp_path, token="shpat_wrong") as (_fake, backend):
        with pytest.raises(ShopifyAccessDenied):
            await backend.get_order("#1001")


# --- lookups ---------------------------------------------------------------------------------


async def test_order_lookup_by_name_with_tracking_and_status(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    shipped = await backend.get_order("1002")
    assert shipped.status is OrderStatus.SHIPPED and shipped.customer_id == "7001"
    (f,) = shipped.fulfillments
    assert (f.carrier, f.tracking_ids) == ("UPS", ("1Z999AA10123456784",))
    assert f.tracking_url and f.estimated_delivery and f.shipped_at and f.delivered_at is None
    delivered = await backend.get_order("#1003")
    assert delivered.status is OrderStatus.DELIVERED and delivered.delivered_at is not None
    assert [i.options for i in delivered.items][0] == (("Size", "Small"), ("Color", "White"))
    assert len(delivered.items) == 3  # two units of the clock are two items
    assert delivered.payment_history[0].payment_method_id == "credit_card_4300"
    assert (await backend.get_order("#1005")).status is OrderStatus.CANCELLED
    with pytest.raises(NotFound):
        await backend.get_order("#9999")
    customer = await backend.get_customer("7002")
    assert customer.order_ids == ("#1004", "#1003")
    assert {m.id for m in customer.payment_methods} == {"credit_card_4300", "paypal"}
    assert [o.id for o in await backend.list_orders("7002")] == ["#1004", "#1003"]


async def test_customer_lookups_and_phone_is_best_effort(shop) -> None:  # type: ignore[no-untyped-def]
    _fake, backend = shop
    assert await backend.find_customer_by_email("Omar.Anderson@example.com") == "7002"
    assert await backend.find_customer_by_name_zip("omar", "anderson", "19031") == "7002"
    assert await backend.find_customer_by_phone("(208) 555-0101") == "7001"
    assert await backend.find_customer_by_phone("+1 999 555 0000") is None
    assert await backend.find_customer_by_phone("12") is None


async def test_products_and_discount_codes(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    kettle = next(p for p in await backend.list_products() if p.name == "Electric Kettle")
    sold_out = [v for v in kettle.variants if not v.available]
    assert sold_out and sold_out[0].stock == 0
    calls = len(fake.calls)
    assert kettle.id in [p.id for p in await backend.search_products("electric kettles")]
    assert len(fake.calls) == calls  # the catalog is cached
    welcome = await backend.get_promo("welcome10")
    assert welcome is not None and welcome.percent_off == 10 and welcome.min_subtotal == 50
    assert welcome.once_per_customer and welcome.active
    expired = await backend.get_promo("SHIPFREE")
    assert expired is not None and not expired.active
    assert await backend.get_promo("NOPE") is None


# --- writes ----------------------------------------------------------------------------------


async def test_order_update_that_did_not_change_the_address_is_caught(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    fake.knobs.address_update_noop = True
    with pytest.raises(NotApplied, match="did not go through"):
        await backend.modify_order_address("#1001", NEW, key="addr-1")
    assert fake.order("#1001")["shippingAddress"]["address1"] == "40 Elm Street"
    assert (await backend.get_order("#1001")).address.address1 == "40 Elm Street"
    # Nothing happened, so the same key may try again.
    fake.knobs.address_update_noop = False
    moved = await backend.modify_order_address("#1001", NEW, key="addr-1")
    assert moved.order is not None and moved.order.address.zip == "97201"
    sent = fake.requests[-2]["variables"]["input"]["shippingAddress"]
    assert sent["countryCode"] == "US" and sent["provinceCode"] == "OR"
    assert sent["firstName"] == "Ava"  # the recipient is kept


async def test_cancel_polls_its_job_to_completion(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    fake.knobs.cancel_job_polls = 3
    done = await backend.cancel_order("#1001", "ordered by mistake", key="c-1")
    assert done.order is not None and done.order.status is OrderStatus.CANCELLED
    assert fake.calls.count("Job") == 4 and fake.clock.slept == [0.25, 0.5, 1.0]
    sent = next(r for r in fake.requests if r["operationName"] == "OrderCancel")["variables"]
    assert sent["refundMethod"] == {"originalPaymentMethodsRefund": True}
    assert sent["reason"] == "CUSTOMER" and sent["restock"] is True
    refunds = [p for p in done.order.payment_history if p.transaction_type == "refund"]
    assert refunds and refunds[0].amount == done.order.total


async def test_cancel_job_timeout_resumes_with_the_same_key(tmp_path: Path) -> None:
    async with shop_on(tmp_path, job_timeout=1.0) as (fake, backend):
        fake.knobs.cancel_job_polls = 50
        with pytest.raises(StillProcessing):
            await backend.cancel_order("#1004", "no longer needed", key="c-2")
        fake.jobs[next(iter(fake.jobs))]["polls"] = 0
        done = await backend.cancel_order("#1004", "no longer needed", key="c-2")
        assert done.order is not None and done.order.status is OrderStatus.CANCELLED
        assert fake.calls.count("OrderCancel") == 1  # resumed by polling, never resent


async def test_the_idempotency_ledger_survives_a_restart(tmp_path: Path) -> None:
    fake = FakeShopify(Clock(0.0))
    async with shop_on(tmp_path, fake) as (_, backend):
        first = await backend.refund("#1003", 10.0, "credit_card_4300", key="r-1")
        assert not first.replayed
    after = fake.fingerprint()
    async with shop_on(tmp_path, fake) as (_, backend):
        again = await backend.refund("#1003", 10.0, "credit_card_4300", key="r-1")
        assert again.replayed and fake.fingerprint() == after
        with pytest.raises(InvalidRequest, match="different change"):
            await backend.refund("#1003", 12.0, "credit_card_4300", key="r-1")
    assert fake.calls.count("RefundCreate") == 1


async def test_refunds_stay_within_what_the_method_paid(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    with pytest.raises(InvalidRequest, match="original|way it was paid"):
        await backend.refund("#1003", 5.0, "paypal", key="r-2")
    with pytest.raises(InvalidRequest, match="at most"):
        await backend.refund("#1003", 10_000.0, "credit_card_4300", key="r-3")
    done = await backend.refund("#1003", 20.0, "credit_card_4300", key="r-4")
    assert done.order is not None and "Mastercard ending 4300" in done.detail
    sent = next(r for r in fake.requests if r["operationName"] == "RefundCreate")
    (tx,) = sent["variables"]["input"]["transactions"]
    assert tx["amount"] == "20.00" and tx["kind"] == "REFUND" and tx["parentId"]
    assert fake.calls.count("RefundCreate") == 1


async def test_returns_request_or_create_by_mode(tmp_path: Path) -> None:
    async with shop_on(tmp_path / "a") as (fake, backend):
        order = await backend.get_order("#1003")
        done = await backend.return_items("#1003", [order.items[1].item_id] * 2,
                                          "credit_card_4300", key="ret-1")
        assert done.order is not None and done.order.status is OrderStatus.RETURN_REQUESTED
        assert "ReturnRequest" in fake.calls and "ReturnCreate" not in fake.calls
        sent = next(r for r in fake.requests if r["operationName"] == "ReturnRequest")
        (line,) = sent["variables"]["input"]["returnLineItems"]
        assert line["quantity"] == 2 and line["returnReason"] == "OTHER"
    async with shop_on(tmp_path / "b", returns_autonomous=True) as (fake, backend):
        order = await backend.get_order("#1003")
        await backend.return_items("#1003", [order.items[0].item_id], "credit_card_4300",
                                   key="ret-2")
        assert "ReturnCreate" in fake.calls and "ReturnRequest" not in fake.calls
        assert fake.order("#1003")["returns"]["nodes"][0]["status"] == "OPEN"


async def test_exchanges_use_exchange_line_items_where_supported(tmp_path: Path) -> None:
    async with shop_on(tmp_path / "a", returns_autonomous=True) as (fake, backend):
        order = await backend.get_order("#1003")
        kettle = order.items[0]
        product = await backend.get_product(kettle.product_id)
        other = next(v for v in product.variants if v.available and v.item_id != kettle.item_id)
        sold_out = next(v for v in product.variants if not v.available)
        with pytest.raises(InvalidRequest, match="sold out"):
            await backend.exchange_items("#1003", [kettle.item_id], [sold_out.item_id],
                                         "credit_card_4300", key="x-2")
        done = await backend.exchange_items("#1003", [kettle.item_id], [other.item_id],
                                            "credit_card_4300", key="x-1")
        assert done.order is not None and done.order.status is OrderStatus.EXCHANGE_REQUESTED
        sent = next(r for r in fake.requests if r["operationName"] == "ReturnCreate")
        assert sent["variables"]["returnInput"]["exchangeLineItems"] == [
            {"variantId": f"gid://shopify/ProductVariant/{other.item_id}", "quantity": 1}]
    async with shop_on(tmp_path / "b", returns_autonomous=True,
                       api_version="2024-04") as (fake, backend):
        with pytest.raises(NotEligible, match="2024-07"):
            await backend.exchange_items("#1003", [kettle.item_id], [other.item_id],
                                         "credit_card_4300", key="x-3")
    async with shop_on(tmp_path / "c") as (fake, backend):
        await backend.exchange_items("#1003", [kettle.item_id], [other.item_id],
                                     "credit_card_4300", key="x-4")
        sent = next(r for r in fake.requests if r["operationName"] == "ReturnRequest")
        (line,) = sent["variables"]["input"]["returnLineItems"]
        assert f"variant {other.item_id}" in line["customerNote"]


async def test_user_errors_become_typed_errors_the_agent_can_explain(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    order = await backend.get_order("#1003")
    fake.knobs.user_errors["ReturnRequest"] = [{
        "field": ["input", "returnLineItems", "0", "quantity"],
        "message": "Quantity is greater than the returnable quantity", "code": "INVALID"}]
    with pytest.raises(ShopifyRefused) as refused:
        await backend.return_items("#1003", [order.items[0].item_id], "credit_card_4300",
                                   key="ret-9")
    assert isinstance(refused.value, InvalidRequest)
    assert refused.value.field == ("input", "returnLineItems", "0", "quantity")
    assert refused.value.code == "INVALID"
    assert "returnable quantity" in str(refused.value) and "code INVALID" in str(refused.value)
    fake.knobs.user_errors["OrderCancel"] = [{
        "field": ["orderId"], "message": "Order cannot be cancelled", "code": "INVALID_STATE"}]
    with pytest.raises(ShopifyNotEligible):
        await backend.cancel_order("#1004", "no longer needed", key="c-9")
    # The tool layer shows the message to the agent as the tool's error.
    tools = ToolBox(backend, Session("7002", Verification.NAME_ZIP, auto_confirm=True),
                    Policy(return_window_days=None), conversation_key="conv-1")
    fake.knobs.user_errors["ReturnRequest"] = [{
        "field": None, "message": "Return window has expired", "code": "INVALID_STATE"}]
    result = await tools.call("return_delivered_order_items", {
        "order_id": "#1003", "item_ids": [order.items[0].item_id],
        "payment_method_id": "credit_card_4300"})
    assert result.error is not None and "Return window has expired" in result.error


# --- protected customer data -----------------------------------------------------------------


async def test_protected_customer_data_degrades_with_a_log_line(
        shop, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    fake.knobs.protected = True
    with caplog.at_level(logging.WARNING, logger="omnichannel.commerce.shopify"):
        customer = await backend.get_customer("7001")
        order = await backend.get_order("#1002")
        assert await backend.find_customer_by_email("ava.brooks@example.com") is None
    assert (customer.email, customer.first_name, customer.address.zip) == ("", "", "")
    assert customer.order_ids == ("#1001", "#1002")
    assert order.items and order.fulfillments and order.address.address1 == ""
    lines = [r for r in caplog.records if "protected customer data" in r.getMessage()]
    assert lines and {getattr(r, "field", None) for r in lines} >= {
        "customer.defaultEmailAddress", "orders.nodes.0.shippingAddress"}


# --- webhooks and the cache ------------------------------------------------------------------


async def _post(client: TestClient, topic: str, payload: dict[str, Any], *,
                signature: str | None = None, delivery: str = "d-1") -> int:
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": SHOP,
               "X-Shopify-Webhook-Id": delivery, "Content-Type": "application/json"}
    if signature != "":
        headers["X-Shopify-Hmac-Sha256"] = signature or sign(body)
    resp = await client.post("/shopify/webhooks", data=body, headers=headers)
    return resp.status


@asynccontextmanager
async def receiver(backend: ShopifyCommerce) -> AsyncIterator[TestClient]:
    app = web.Application()
    for method, path, handler in backend.routes():
        app.router.add_route(method, path, handler)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_webhook_hmac_is_checked(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    payload = fake.order_webhook("#1002")
    async with receiver(backend) as client:
        assert await _post(client, "orders/updated", payload, signature="AAAA") == 401
        assert await _post(client, "orders/updated", payload, signature="") == 401
        wrong = sign(json.dumps(payload).encode(), "another-secret")
        assert await _post(client, "orders/updated", payload, signature=wrong) == 401
        assert await _post(client, "orders/updated", payload) == 200


async def test_a_valid_webhook_refreshes_the_cache_without_a_graphql_call(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    assert (await backend.get_order("#1002")).status is OrderStatus.SHIPPED
    # The carrier delivers; Shopify sends fulfillments/update.
    stored = fake.order("#1002")
    stored["fulfillments"][0]["displayStatus"] = "DELIVERED"
    fake.touch(stored)
    calls = len(fake.calls)
    async with receiver(backend) as client:
        assert await _post(client, "fulfillments/update", fake.fulfillment_webhook("#1002"),
                           delivery="f-1") == 200
        order = await backend.get_order("#1002")
        assert order.status is OrderStatus.DELIVERED and order.delivered_at is not None
        assert len(fake.calls) == calls  # answered from the cache
        # orders/updated: the merchant changes the address; a redelivery is a no-op.
        stored["shippingAddress"]["address1"] = "1 New Street"
        fake.touch(stored)
        assert await _post(client, "orders/updated", fake.order_webhook("#1002"),
                           delivery="o-1") == 200
        assert (await backend.get_order("#1002")).address.address1 == "1 New Street"
        stale = fake.order_webhook("#1002")
        stored["shippingAddress"]["address1"] = "2 Other Street"
        fake.touch(stored)
        fresh = fake.order_webhook("#1002")
        assert await _post(client, "orders/updated", fresh, delivery="o-2") == 200
        assert await _post(client, "orders/updated", stale, delivery="o-3") == 200
        assert (await backend.get_order("#1002")).address.address1 == "2 Other Street"
        stored["shippingAddress"]["address1"] = "3 Ignored Street"
        fake.touch(stored)
        assert await _post(client, "orders/updated", fake.order_webhook("#1002"),
                           delivery="o-2") == 200  # same delivery id: deduplicated
        assert (await backend.get_order("#1002")).address.address1 == "2 Other Street"
        assert len(fake.calls) == calls
    # Past cache_seconds the order is read from Shopify again.
    await fake.clock.sleep(backend.cache_seconds + 1)
    assert (await backend.get_order("#1002")).address.address1 == "3 Ignored Street"
    assert len(fake.calls) == calls + 1


async def test_a_webhook_that_changes_line_items_drops_the_entry(shop) -> None:  # type: ignore[no-untyped-def]
    fake, backend = shop
    await backend.get_order("#1001")
    stored = fake.order("#1001")
    stored["lineItems"]["nodes"][1]["currentQuantity"] = 0  # an order edit removed it
    fake.touch(stored)
    calls = len(fake.calls)
    async with receiver(backend) as client:
        assert await _post(client, "orders/updated", fake.order_webhook("#1001")) == 200
    assert len((await backend.get_order("#1001")).items) == 1
    assert len(fake.calls) == calls + 1


async def test_an_api_version_older_than_the_queries_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="2025-04"):
        open_backend("shopify", None, tmp_path, shopify=config("http://127.0.0.1:1",
                                                               api_version="2024-10"))


async def test_the_daemon_path_mounts_the_receiver(tmp_path: Path) -> None:
    async with running_shop(tmp_path) as (fake, backend):
        assert [(m, p) for m, p, _h in backend.routes()] == [("POST", "/shopify/webhooks")]
        assert "shpat" not in repr(backend) + repr(backend.client)
        assert (await backend.get_order("#1001")).status is OrderStatus.PENDING
        with pytest.raises(CommerceError):
            await backend.modify_order_payment("#1001", "paypal", key="p-1")


async def test_the_gateway_serves_the_receiver_on_its_own_port(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    fake = FakeShopify()
    base = await fake.start()
    try:
        gw = await gateway_factory(f"""
[commerce]
backend = "shopify"
[commerce.shopify]
shop_domain = "{SHOP}"
access_token = "{TOKEN}"
webhook_secret = "{WEBHOOK_SECRET}"
api_base = "{base}"
""")
        assert isinstance(gw.rt.commerce, ShopifyCommerce)
        assert (await gw.rt.commerce.get_order("#1002")).status is OrderStatus.SHIPPED
        assert await _post(gw.client, "orders/updated", fake.order_webhook("#1002"),
                           signature="bm9wZQ==") == 401
        assert await _post(gw.client, "orders/updated", fake.order_webhook("#1002")) == 200
    finally:
        await fake.stop()
