"""The τ-bench backend: raw-shape data, τ-bench's hash, gold-action conformance, idempotency."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from omnichannel.commerce import (
    Address,
    Commerce,
    CommerceError,
    InvalidRequest,
    NotEligible,
    NotFound,
    OrderStatus,
    Payment,
    PaymentSource,
)
from omnichannel.commerce.taubench import TaubenchCommerce, hash_data, replay_gold
from tests.support import require_taubench

DATA = require_taubench()

OMAR = "omar_anderson_3203"
OMAR_ORDER = "#W6067464"  # delivered, paid by credit_card_4190576
OLIVIA = "olivia_lopez_9494"
OLIVIA_ORDER = "#W8955613"  # pending, 585.97 paid by gift_card_6682391 (balance 35, an int)
PROCESSED = "#W2611340"
NEW_ADDRESS = Address("1 Main St", "", "Austin", "TX", "USA", "73301")


@pytest.fixture(scope="module")
def base() -> TaubenchCommerce:
    return TaubenchCommerce.load(DATA)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((DATA / "expected_end_states.json").read_text())
    return result


@pytest.fixture
def shop(base: TaubenchCommerce) -> TaubenchCommerce:
    return base.clone()


def raw_order(shop: TaubenchCommerce, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = shop.export()["orders"][order_id]
    return order


def balance(shop: TaubenchCommerce, user_id: str, method_id: str) -> Any:
    return shop.export()["users"][user_id]["payment_methods"][method_id]["balance"]


async def test_fresh_data_hashes_to_the_initial_hash(
    shop: TaubenchCommerce, expected: dict[str, Any]
) -> None:
    assert shop.db_hash() == expected["initial_db_hash"]
    assert hash_data(shop.export()) == expected["initial_db_hash"]


async def test_export_round_trip_keeps_the_raw_shape(shop: TaubenchCommerce) -> None:
    exported = shop.export()
    for table in ("orders", "products", "users"):
        on_disk = (DATA / f"{table}.json").read_text()
        assert json.dumps(exported[table]) == json.dumps(json.loads(on_disk))  # key order too
    again = TaubenchCommerce.from_data(exported)
    assert again.db_hash() == shop.db_hash()
    exported["orders"][OMAR_ORDER]["status"] = "cancelled"  # a copy: the shop is untouched
    assert (await shop.get_order(OMAR_ORDER)).status is OrderStatus.DELIVERED


async def test_gold_actions_reach_the_expected_end_state(
    base: TaubenchCommerce, expected: dict[str, Any]
) -> None:
    started = time.perf_counter()
    passed, failures, total = 0, [], 0
    for split in ("train", "dev"):
        tasks = json.loads((DATA / f"tasks_{split}.json").read_text())
        for state in expected["splits"][split]:
            index = state["task_index"]
            total += 1
            shop = base.clone()
            actions = tasks[index]["actions"]
            errors = await replay_gold(shop, actions, key_prefix=str(index))
            got = [[a["name"], f"Error: {e}"] for a, e in zip(actions, errors, strict=True)
                   if e is not None]
            if shop.db_hash() == state["final_db_hash"] and got == state["gold_action_errors"]:
                passed += 1
            else:
                failures.append(f"{split}/{index}: {got}")
    elapsed = time.perf_counter() - started
    print(f"\nτ-bench gold replay: {passed}/{total} tasks match in {elapsed:.1f}s")
    assert failures == []
    assert passed == total == 520


async def test_cached_hash_matches_the_recipe_after_writes(shop: TaubenchCommerce) -> None:
    await shop.cancel_order(OLIVIA_ORDER, "no longer needed", key="c")
    await shop.return_items(OMAR_ORDER, ["9624127908", "8917609800"], "credit_card_4190576",
                            key="r")
    await shop.update_default_address(OMAR, NEW_ADDRESS, key="a")
    assert shop.db_hash() == hash_data(shop.export())


async def test_clones_do_not_share_writes(base: TaubenchCommerce) -> None:
    parent = base.clone()
    child = parent.clone()
    await child.cancel_order(OLIVIA_ORDER, "ordered by mistake", key="k")
    assert (await parent.get_order(OLIVIA_ORDER)).status is OrderStatus.PENDING
    await parent.modify_order_address(OLIVIA_ORDER, NEW_ADDRESS, key="k")
    assert (await child.get_order(OLIVIA_ORDER)).address.city != "Austin"
    assert (await base.get_order(OLIVIA_ORDER)).status is OrderStatus.PENDING


async def test_cancel_refunds_gift_card_with_taubench_rounding(shop: TaubenchCommerce) -> None:
    assert balance(shop, OLIVIA, "gift_card_6682391") == 35
    result = await shop.cancel_order(OLIVIA_ORDER, "no longer needed", key="k")
    assert result.order is not None and result.order.status is OrderStatus.CANCELLED
    assert result.order.cancel_reason == "no longer needed"
    assert result.order.payment_history[-1] == Payment("refund", 585.97, "gift_card_6682391")
    after = balance(shop, OLIVIA, "gift_card_6682391")
    assert after == 620.97 and isinstance(after, float)


async def test_modify_items_replaces_in_place_and_refunds_the_difference(
    shop: TaubenchCommerce,
) -> None:
    await shop.modify_order_items(OLIVIA_ORDER, ["2554056026"], ["2860956907"],
                                  "gift_card_6682391", key="k")
    order = raw_order(shop, OLIVIA_ORDER)
    assert order["status"] == "pending (item modified)"
    assert [i["item_id"] for i in order["items"]] == ["2860956907", "6309044598"]
    assert order["items"][0]["price"] == 315.61
    assert order["payment_history"][-1] == {  # unrounded, as τ-bench stores it
        "transaction_type": "refund", "amount": abs(315.61 - 367.38),
        "payment_method_id": "gift_card_6682391"}
    assert balance(shop, OLIVIA, "gift_card_6682391") == 86.77
    view = await shop.get_order(OLIVIA_ORDER)
    assert view.payment_history[-1] == Payment("refund", 51.77, "gift_card_6682391")


async def test_same_key_twice_changes_once(shop: TaubenchCommerce) -> None:
    first = await shop.cancel_order(OLIVIA_ORDER, "no longer needed", key="same")
    after_first = shop.db_hash()
    second = await shop.cancel_order(OLIVIA_ORDER, "no longer needed", key="same")
    assert not first.replayed and second.replayed
    assert second.order == first.order
    assert shop.db_hash() == after_first
    assert len(raw_order(shop, OLIVIA_ORDER)["payment_history"]) == 2
    other = await shop.update_default_address(OMAR, NEW_ADDRESS, key="addr")
    assert (await shop.update_default_address(OMAR, NEW_ADDRESS, key="addr")).replayed
    assert other.customer is not None and other.customer.address == NEW_ADDRESS
    # A different key is a new attempt: the order is no longer pending.
    with pytest.raises(NotEligible, match="non-pending order cannot be cancelled"):
        await shop.cancel_order(OLIVIA_ORDER, "no longer needed", key="again")


async def test_a_refused_key_stays_refused(shop: TaubenchCommerce) -> None:
    before = shop.db_hash()
    for _ in range(2):
        with pytest.raises(InvalidRequest, match="invalid reason"):
            await shop.cancel_order(OLIVIA_ORDER, "too expensive", key="bad")
    assert shop.db_hash() == before


Call = Callable[[Commerce], Awaitable[object]]
REFUSED: list[tuple[str, Call, type[CommerceError], str]] = [
    ("cancel unknown", lambda s: s.cancel_order("#W0", "no longer needed", key="k"),
     NotFound, "order not found"),
    ("cancel delivered", lambda s: s.cancel_order(OMAR_ORDER, "no longer needed", key="k"),
     NotEligible, "non-pending order cannot be cancelled"),
    ("cancel reason", lambda s: s.cancel_order(OLIVIA_ORDER, "changed my mind", key="k"),
     InvalidRequest, "invalid reason"),
    ("address delivered", lambda s: s.modify_order_address(OMAR_ORDER, NEW_ADDRESS, key="k"),
     NotEligible, "non-pending order cannot be modified"),
    ("payment same", lambda s: s.modify_order_payment(OLIVIA_ORDER, "gift_card_6682391",
                                                      key="k"),
     InvalidRequest, "different from the current one"),
    ("payment unknown", lambda s: s.modify_order_payment(OLIVIA_ORDER, "paypal_1", key="k"),
     InvalidRequest, "payment method not found"),
    ("payment processed", lambda s: s.modify_order_payment(PROCESSED, "paypal_1", key="k"),
     NotEligible, "non-pending order cannot be modified"),
    ("items wrong id", lambda s: s.modify_order_items(
        OLIVIA_ORDER, ["8917609800"], ["2860956907"], "gift_card_6682391", key="k"),
     InvalidRequest, "8917609800 not found"),
    ("items count", lambda s: s.modify_order_items(
        OLIVIA_ORDER, ["2554056026"], [], "gift_card_6682391", key="k"),
     InvalidRequest, "number of items"),
    ("items unavailable", lambda s: s.modify_order_items(
        OLIVIA_ORDER, ["2554056026"], ["4920090458"], "gift_card_6682391", key="k"),
     InvalidRequest, "new item 4920090458 not found or available"),
    ("items other product", lambda s: s.modify_order_items(
        OLIVIA_ORDER, ["2554056026"], ["8917609800"], "gift_card_6682391", key="k"),
     InvalidRequest, "not found or available"),
    ("items card", lambda s: s.modify_order_items(
        OLIVIA_ORDER, ["2554056026"], ["2860956907"], "paypal_1", key="k"),
     InvalidRequest, "payment method not found"),
    ("return processed", lambda s: s.return_items(PROCESSED, [], "paypal_1", key="k"),
     NotEligible, "non-delivered order cannot be returned"),
    ("return to paypal", lambda s: s.return_items(
        OMAR_ORDER, ["9624127908"], "paypal_6213278", key="k"),
     InvalidRequest, "original payment method or a gift card"),
    ("return twice", lambda s: s.return_items(
        OMAR_ORDER, ["9624127908", "9624127908"], "credit_card_4190576", key="k"),
     InvalidRequest, "some item not found"),
    ("exchange pending", lambda s: s.exchange_items(
        OLIVIA_ORDER, ["2554056026"], ["2860956907"], "gift_card_6682391", key="k"),
     NotEligible, "non-delivered order cannot be exchanged"),
    ("exchange unknown item", lambda s: s.exchange_items(
        OMAR_ORDER, ["9624127908"], ["123"], "credit_card_4190576", key="k"),
     InvalidRequest, "new item 123 not found or available"),
    ("user unknown", lambda s: s.update_default_address("nobody_1", NEW_ADDRESS, key="k"),
     NotFound, "user not found"),
    ("refund", lambda s: s.refund(OMAR_ORDER, 10.0, "credit_card_4190576", key="k"),
     InvalidRequest, "refunds are not available in this backend"),
]


@pytest.mark.parametrize(("call", "error", "text"), [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
async def test_refused_writes_change_nothing(
    shop: TaubenchCommerce, call: Call, error: type[CommerceError], text: str
) -> None:
    before = shop.db_hash()
    with pytest.raises(error, match=text):
        await call(shop)
    assert shop.db_hash() == before


async def test_reads_return_model_dataclasses(shop: TaubenchCommerce) -> None:
    assert await shop.find_customer_by_email("omar.anderson7675@example.com") == OMAR
    assert await shop.find_customer_by_email("Omar.Anderson7675@EXAMPLE.com") == OMAR
    assert await shop.find_customer_by_email("omar@example.com") is None
    assert await shop.find_customer_by_name_zip("omar", "ANDERSON", "19031") == OMAR
    assert await shop.find_customer_by_name_zip("Omar", "Anderson", "19032") is None
    assert await shop.find_customer_by_phone("+15550100") is None
    assert await shop.get_promo("WELCOME10") is None

    omar = await shop.get_customer(OMAR)
    assert omar.name == "Omar Anderson" and omar.email == "omar.anderson7675@example.com"
    assert omar.address == Address("845 Willow Lane", "Suite 906", "Philadelphia", "PA", "USA",
                                   "19031")
    card = omar.payment("credit_card_4190576")
    assert card is not None and card.source is PaymentSource.CREDIT_CARD
    assert (card.brand, card.last_four, card.balance) == ("mastercard", "4300", None)
    assert omar.order_ids == (OMAR_ORDER,)
    gift = (await shop.get_customer(OLIVIA)).payment("gift_card_6682391")
    assert gift is not None and gift.balance == 35.0

    [order] = await shop.list_orders(OMAR)
    assert order == await shop.get_order(OMAR_ORDER)
    assert order.status is OrderStatus.DELIVERED and order.customer_id == OMAR
    assert [i.item_id for i in order.items] == ["8917609800", "8426249116", "5019835484",
                                                "9624127908"]
    assert order.items[0].options == (("diameter", "10 inches"), ("color", "white"),
                                      ("type", "digital"))
    assert order.total == 982.03
    assert order.payment_history == (Payment("payment", 982.03, "credit_card_4190576"),)
    [shipment] = order.fulfillments
    assert shipment.tracking_ids == ("674931187716",) and len(shipment.item_ids) == 4
    assert shipment.carrier is None and order.created_at is None

    clock = await shop.get_product("2344688344")
    assert clock.name == "Wall Clock" and clock.variant("8917609800") is not None
    assert len(await shop.list_products()) == 50
    for missing in (shop.get_order("#W0"), shop.get_customer("x"), shop.get_product("1"),
                    shop.list_orders("x")):
        with pytest.raises(NotFound):
            await missing


async def test_search_products_ignores_case_and_plurals(shop: TaubenchCommerce) -> None:
    assert [p.name for p in await shop.search_products("t-shirts")] == ["T-Shirt"]
    assert [p.name for p in await shop.search_products("WALL clocks")] == ["Wall Clock"]
    assert [p.name for p in await shop.search_products("sunglass")] == ["Sunglasses"]
    names = [p.name for p in await shop.search_products("camera", limit=10)]
    assert set(names) == {"Action Camera", "Indoor Security Camera", "Digital Camera"}
    assert await shop.search_products("spaceship") == []
    assert len(await shop.search_products("kettle", limit=1)) == 1
