"""Guardrails in code: each refusal leaves the shop unchanged (checked by database hash)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from omnichannel.agent.guardrails import Policy, Session, Verification
from omnichannel.agent.tools import ToolBox
from omnichannel.store import Store
from tests.support import require_taubench

DATA = require_taubench()


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    from omnichannel.commerce.taubench import TaubenchCommerce

    return TaubenchCommerce.load(DATA)


def _pick(base, status: str) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    orders = json.loads((DATA / "orders.json").read_text())
    for oid, order in orders.items():
        if order["status"] == status and len(order["items"]) >= 2 and all(
            p["payment_method_id"].startswith("credit_card") for p in order["payment_history"]
        ):
            return oid, order
    raise AssertionError(status)


@pytest.fixture
async def shop(base, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path)
    store.open()
    backend = base.clone()

    def tools(customer: str | None, policy: Policy | None = None) -> ToolBox:
        session = Session()
        if customer:
            session.verify(customer, Verification.NAME_ZIP)
        return ToolBox(backend, session, policy or Policy(return_window_days=None),
                       conversation_key="c1", ledger=store.ledger(1), recorder=store.ledger(1))

    yield backend, tools, store
    store.close()


async def test_unverified_shopper_sees_no_private_data(shop, base) -> None:  # type: ignore[no-untyped-def]
    backend, tools, _ = shop
    oid, order = _pick(base, "pending")
    t = tools(None)
    for name, args in [("get_order_details", {"order_id": oid}),
                       ("get_user_details", {"user_id": order["user_id"]}),
                       ("cancel_pending_order", {"order_id": oid, "reason": "no longer needed"})]:
        result = await t.call(name, args)
        assert result.error and "verify" in result.error, name
    assert backend.db_hash() == base.db_hash()


async def test_email_alone_is_not_proof_but_email_plus_order_is(shop, base) -> None:  # type: ignore[no-untyped-def]
    _, tools, _ = shop
    oid, order = _pick(base, "pending")
    users = json.loads((DATA / "users.json").read_text())
    t = tools(None)
    await t.call("find_user_id_by_email", {"email": users[order["user_id"]]["email"]})
    assert (await t.call("get_user_details", {"user_id": order["user_id"]})).error
    assert (await t.call("get_order_details", {"order_id": oid})).ok  # the order proves it
    assert t.session.verified_by is Verification.EMAIL_AND_ORDER
    assert (await t.call("get_user_details", {"user_id": order["user_id"]})).ok


async def test_another_customers_order_is_refused(shop, base) -> None:  # type: ignore[no-untyped-def]
    backend, tools, _ = shop
    oid, order = _pick(base, "pending")
    other = next(u for u in json.loads((DATA / "users.json").read_text())
                 if u != order["user_id"])
    t = tools(other)
    result = await t.call("get_order_details", {"order_id": oid})
    assert result.error and "not found among" in result.error
    # the same words as for an order that does not exist: nothing tells that it does
    unknown = await t.call("get_order_details", {"order_id": "#W0000000"})
    assert unknown.error == result.error
    result = await t.call("cancel_pending_order", {"order_id": oid, "reason": "no longer needed"})
    assert result.error and "not found among" in result.error
    assert backend.db_hash() == base.db_hash()
    # one customer per conversation: a second identity is refused, not switched to
    first = json.loads((DATA / "users.json").read_text())[order["user_id"]]["name"]
    zip_code = json.loads((DATA / "users.json").read_text())[order["user_id"]]["address"]["zip"]
    switch = await t.call("find_user_id_by_name_zip", {"first_name": first["first_name"],
                          "last_name": first["last_name"], "zip": zip_code})
    assert switch.error and "another customer" in switch.error
    assert t.session.customer_id == other


async def test_write_needs_confirmation_of_exactly_these_arguments(shop, base) -> None:  # type: ignore[no-untyped-def]
    backend, tools, store = shop
    oid, order = _pick(base, "pending")
    t = tools(order["user_id"], Policy(None, None, None, None))  # no caps in the way
    args = {"order_id": oid, "reason": "no longer needed"}
    first = await t.call("cancel_pending_order", args)
    assert first.confirmation is not None and first.confirmation.irreversible
    assert oid in first.confirmation.summary
    assert backend.db_hash() == base.db_hash()  # nothing ran
    t.confirm(first.confirmation.token)
    changed = await t.call("cancel_pending_order", {**args, "reason": "ordered by mistake"})
    assert changed.confirmation is not None  # a changed argument needs a new yes
    assert changed.confirmation.token != first.confirmation.token
    assert backend.db_hash() == base.db_hash()
    done = await t.call("cancel_pending_order", args)
    assert done.ok and json.loads(done.output)["status"] == "cancelled"
    again = await t.call("cancel_pending_order", args)
    assert again.confirmation is not None or again.error  # the yes was used up

    def rows(conn):  # type: ignore[no-untyped-def]
        return [(r["tool"], r["approved_by"], r["refund"]) for r in conn.execute(
            "SELECT * FROM actions ORDER BY id")]

    recorded = await store.db.read(rows)
    assert ("cancel_pending_order", "shopper", pytest.approx(sum(
        i["price"] for i in order["items"]), abs=0.01)) in recorded
    assert sum(1 for r in recorded if r[1] == "shopper") == 1


async def test_ineligible_status_is_refused_before_asking(shop, base) -> None:  # type: ignore[no-untyped-def]
    backend, tools, _ = shop
    oid, order = _pick(base, "delivered")
    t = tools(order["user_id"])
    result = await t.call("cancel_pending_order", {"order_id": oid, "reason": "no longer needed"})
    assert result.error and "only pending" in result.error and result.confirmation is None
    pending, porder = _pick(base, "pending")
    t2 = tools(porder["user_id"])
    result = await t2.call("return_delivered_order_items", {
        "order_id": pending, "item_ids": [porder["items"][0]["item_id"]],
        "payment_method_id": porder["payment_history"][0]["payment_method_id"]})
    assert result.error and "only delivered" in result.error
    assert backend.db_hash() == base.db_hash()


@pytest.mark.parametrize("cap", ["max_refund_per_order", "max_refund_per_customer_30d",
                                 "max_refund_per_day"])
async def test_refund_over_each_cap_is_held_for_staff(shop, base, cap: str) -> None:  # type: ignore[no-untyped-def]
    backend, tools, _ = shop
    oid, order = _pick(base, "delivered")
    limits = {"max_refund_per_order": None, "max_refund_per_customer_30d": None,
              "max_refund_per_day": None, cap: 1.0}
    t = tools(order["user_id"], Policy(return_window_days=None, **limits))
    args = {"order_id": oid, "item_ids": [order["items"][0]["item_id"]],
            "payment_method_id": order["payment_history"][0]["payment_method_id"]}
    # Held when proposed: the shopper is never asked to confirm what would not run.
    held = await t.call("return_delivered_order_items", args)
    assert held.confirmation is None and held.held and "needs staff approval" in held.held
    assert held.amount == order["items"][0]["price"]
    assert backend.db_hash() == base.db_hash()


async def test_caps_are_checked_again_when_the_confirmed_write_runs(shop, base) -> None:  # type: ignore[no-untyped-def]
    """Another refund between the yes and the run still counts (the ledger moved)."""
    backend, tools, store = shop
    oid, order = _pick(base, "delivered")
    price = order["items"][0]["price"]
    t = tools(order["user_id"], Policy(return_window_days=None, max_refund_per_order=None,
                                       max_refund_per_customer_30d=price + 1,
                                       max_refund_per_day=None))
    args = {"order_id": oid, "item_ids": [order["items"][0]["item_id"]],
            "payment_method_id": order["payment_history"][0]["payment_method_id"]}
    asked = await t.call("return_delivered_order_items", args)
    assert asked.confirmation is not None and f"{price:.2f}" in asked.confirmation.summary
    from omnichannel.conversation import ActionEntry

    await store.ledger(1).record(ActionEntry("refund_order", {}, "ok", "staff",
                                             customer_id=order["user_id"], order_id="#other",
                                             refund=5.0))
    t.confirm(asked.confirmation.token)
    held = await t.call("return_delivered_order_items", args)
    assert held.held and "per-customer cap" in held.held
    assert backend.db_hash() == base.db_hash()


async def test_replayed_idempotency_key_changes_nothing(shop, base) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.commerce import Address

    backend, _, _ = shop
    oid, order = _pick(base, "pending")
    address = Address("1 Pine St", "", "Portland", "OR", "USA", "97201")
    first = await backend.modify_order_address(oid, address, key="k-1")
    after = backend.db_hash()
    other = Address("2 Oak St", "", "Salem", "OR", "USA", "97301")
    second = await backend.modify_order_address(oid, other, key="k-1")
    assert second.replayed and not first.replayed
    assert backend.db_hash() == after


async def test_bad_arguments_and_unknown_tools_are_clear_errors(shop) -> None:  # type: ignore[no-untyped-def]
    _, tools, _ = shop
    t = tools(None)
    assert "unknown tool" in (await t.call("drop_tables", {})).error
    assert "missing argument" in (await t.call("get_order_details", {})).error
    assert "must be a list" in (await t.call("return_delivered_order_items", {
        "order_id": "#W1", "item_ids": "x", "payment_method_id": "p"})).error
    # A verified shopper cannot tell a missing order from another customer's (issue 15).
    missing = (await tools("someone").call("get_order_details", {"order_id": "#W0"})).error
    assert missing and "not found among" in missing
    assert (await t.call("calculate", {"expression": "__import__('os')"})).error


def test_tool_schemas_come_from_signatures(shop) -> None:  # type: ignore[no-untyped-def]
    _, tools, _ = shop
    schemas = {s["function"]["name"]: s["function"] for s in tools(None).schemas()}
    items = schemas["exchange_delivered_order_items"]["parameters"]
    assert items["required"] == ["order_id", "item_ids", "new_item_ids", "payment_method_id"]
    assert items["properties"]["item_ids"] == {"type": "array", "items": {"type": "string"},
                                              "description": "the item ids to exchange"}


async def test_refund_tool_runs_within_caps_and_is_held_above(tmp_path: Path) -> None:
    import sqlite3

    from omnichannel.commerce.demo import DEFAULT_NOW, DemoCommerce, generate

    path = tmp_path / "shop.db"
    generate(path)
    conn = sqlite3.connect(path)
    oid, customer, method = conn.execute(
        "SELECT o.id, o.customer_id, p.payment_method_id FROM orders o JOIN payments p "
        "ON p.order_id = o.id WHERE o.status = 'delivered' AND p.transaction_type = 'payment' "
        "LIMIT 1").fetchone()
    conn.close()
    shop = DemoCommerce.open(path, clock=lambda: DEFAULT_NOW)
    store = Store(tmp_path / "state")
    store.open()
    try:
        session = Session()
        session.verify(customer, Verification.NAME_ZIP)
        policy = Policy(return_window_days=None, max_refund_per_order=20.0,
                        max_refund_per_customer_30d=None, max_refund_per_day=None)
        t = ToolBox(shop, session, policy, conversation_key="c", ledger=store.ledger(1),
                    recorder=store.ledger(1))
        details = await t.call("get_order_details", {"order_id": oid})
        assert details.ok and json.loads(details.output)["fulfillments"][0]["delivered_at"]
        small = {"order_id": oid, "amount": 15.0, "payment_method_id": method}
        asked = await t.call("refund_order", small)
        assert asked.confirmation is not None and "Refund $15.00" in asked.confirmation.summary
        t.confirm(asked.confirmation.token)
        assert (await t.call("refund_order", small)).ok
        more = {**small, "amount": 10.0}  # 15 + 10 is over the per-order cap of 20
        held = await t.call("refund_order", more)  # held when proposed, never confirmed
        assert held.confirmation is None and held.held and "per-order cap" in held.held
        assert held.amount == 10.0
        order = await shop.get_order(oid)
        refunds = [p.amount for p in order.payment_history if p.transaction_type == "refund"]
        assert refunds == [15.0]
    finally:
        store.close()
        shop.close()


async def test_an_uncertain_shop_state_is_held_for_a_person(shop, base) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.commerce import NeedsPerson

    backend, tools, _store = shop
    oid, order = _pick(base, "pending")
    t = tools(order["user_id"], Policy(None, None, None, None))

    async def interrupted(*args: Any, **kw: Any) -> Any:
        raise NeedsPerson("an earlier cancellation of this order was cut off")

    backend.cancel_order = interrupted  # a Shopify write whose outcome is unknown
    args = {"order_id": oid, "reason": "no longer needed"}
    ask = await t.call("cancel_pending_order", args)
    assert ask.confirmation is not None
    t.confirm(ask.confirmation.token)
    result = await t.call("cancel_pending_order", args)
    assert result.held is not None and "cut off" in result.held  # handed to a person
    assert not result.ok and result.error is None


async def test_every_refusal_comes_before_the_confirmation(shop, base) -> None:  # type: ignore[no-untyped-def]
    """A shopper is asked to confirm only what would run: each of these is refused when
    proposed, with a reason, and nothing in the shop changes."""
    backend, tools, _ = shop
    oid, order = _pick(base, "delivered")
    pid, pending = _pick(base, "pending")
    paid = order["payment_history"][0]["payment_method_id"]
    item = order["items"][0]["item_id"]
    users = json.loads((DATA / "users.json").read_text())
    mine = set(users[order["user_id"]]["payment_methods"])
    foreign = next(m for u in users.values() for m in u["payment_methods"] if m not in mine)
    total = round(sum(p["amount"] for p in order["payment_history"]
                      if p["transaction_type"] == "payment"), 2)
    t = tools(order["user_id"], Policy(return_window_days=None))
    cases = [
        ("refund_order", {"order_id": oid, "amount": total + 900, "payment_method_id": paid},
         "more than was paid"),
        ("refund_order", {"order_id": oid, "amount": -5, "payment_method_id": paid},
         "positive"),
        ("refund_order", {"order_id": oid, "amount": 1, "payment_method_id": foreign},
         "not on your account"),
        ("return_delivered_order_items", {"order_id": oid, "item_ids": ["9999999999"],
                                          "payment_method_id": paid}, "not in order"),
        ("return_delivered_order_items", {"order_id": oid, "item_ids": [item],
                                          "payment_method_id": foreign}, "not on your account"),
        ("exchange_delivered_order_items", {"order_id": oid, "item_ids": [item],
                                            "new_item_ids": ["0000000001"],
                                            "payment_method_id": paid}, "not an option"),
        ("cancel_pending_order", {"order_id": oid, "reason": "no longer needed"},
         "only pending orders"),
    ]
    if pending["user_id"] != order["user_id"]:
        cases.append(("cancel_pending_order", {"order_id": pid, "reason": "no longer needed"},
                      "not found among"))
    for name, args, why in cases:
        result = await t.call(name, args)
        assert result.confirmation is None, (name, args)
        assert result.error and why in result.error, (name, args, result.error)
    assert backend.db_hash() == base.db_hash()
