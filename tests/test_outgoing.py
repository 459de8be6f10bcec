"""Nothing addressed to the model reaches the shopper; ordinary replies pass byte for byte.

Every kind of tool result is made for real: a ToolBox over the demo shop, verified as one of
its customers, answers reads, refusals, confirmations, holds, deferrals and a transfer. Each
note is then echoed the ways a sloppy model echoes it.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from omnichannel.agent.guardrails import Policy, Session
from omnichannel.agent.modelnotes import (
    LABELS,
    MARKERS,
    bad_arguments,
    confirmed_note,
    declined_note,
    filtered_note,
    internal_part,
    no_shop,
    rewrite_note,
    shopper_part,
    tool_note,
)
from omnichannel.agent.outgoing import RUN, internal_leak, shopper_text
from omnichannel.agent.tools import DEFERRED, TOOL_NAMES, ToolBox, ToolResult, as_json
from omnichannel.commerce import (
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
)
from omnichannel.commerce.demo import DEFAULT_NOW, DemoCommerce, generate

GREETING = "Hi there! Thanks for waiting."
ORDER_LINE = "I looked at order #W1234567 for you."
PRICE_LINE = "It came to $12.50 in total. Anything else I can help with? 😊"
READS = ("get_order_details", "get_user_details", "get_product_details",
         "list_all_product_types", "search_products", "lookup_promo_code")


@dataclass
class World:
    """Real tool results from the demo shop, by kind, and what the shopper may read."""

    customer: Customer
    pending: Order
    delivered: Order
    notes: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # read tool -> its JSON
    summaries: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {p.id: p.label() for p in self.customer.payment_methods}


class NoRefundsYet:
    async def refunded_for_order(self, order_id: str) -> float:
        return 0.0

    async def refunded_for_customer(self, customer_id: str, days: int) -> float:
        return 0.0

    async def refunded_by_shop(self, days: int) -> float:
        return 0.0


def _pick(path: Path) -> tuple[str, str, str, str]:
    """A customer with a card and another way to pay, a pending and a delivered order paid
    by card or PayPal, and someone else's order."""
    db = sqlite3.connect(path)
    paid_by_card = ("EXISTS (SELECT 1 FROM payments p JOIN payment_methods m ON m.id = "
                    "p.payment_method_id WHERE p.order_id = o.id AND m.source != 'gift_card')")
    try:
        cid = db.execute(
            "SELECT c.id FROM customers c WHERE EXISTS (SELECT 1 FROM payment_methods m WHERE "
            "m.customer_id = c.id AND m.source = 'credit_card') AND (SELECT count(*) FROM "
            "payment_methods m WHERE m.customer_id = c.id AND m.source != 'gift_card') > 1 "
            f"AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status = "
            f"'pending' AND {paid_by_card}) AND EXISTS (SELECT 1 FROM orders o WHERE "
            f"o.customer_id = c.id AND o.status = 'delivered' AND {paid_by_card}) ORDER BY c.id"
        ).fetchone()[0]
        pending, delivered = (db.execute(
            f"SELECT o.id FROM orders o WHERE o.customer_id = ? AND o.status = ? AND "
            f"{paid_by_card} ORDER BY o.id", (cid, status)).fetchone()[0]
            for status in ("pending", "delivered"))
        other = db.execute("SELECT id FROM orders WHERE customer_id != ? ORDER BY id",
                           (cid,)).fetchone()[0]
    finally:
        db.close()
    return cid, pending, delivered, other


async def _build(path: Path) -> World:
    cid, pending_id, delivered_id, other_id = _pick(path)
    shop = DemoCommerce.open(path, clock=lambda: DEFAULT_NOW)
    try:
        return await _results(shop, cid, pending_id, delivered_id, other_id)
    finally:
        shop.close()


async def _results(shop: DemoCommerce, cid: str, pending_id: str, delivered_id: str,
                   other_id: str) -> World:
    policy = Policy(return_window_days=None)

    def box() -> ToolBox:
        return ToolBox(shop, Session(), policy, conversation_key="outgoing")

    customer = await shop.get_customer(cid)
    world = World(customer, await shop.get_order(pending_id), await shop.get_order(delivered_id))
    tools = box()
    notes = world.notes

    async def run(kind: str, name: str, toolbox: ToolBox = tools, **args: Any) -> ToolResult:
        result = await toolbox.call(name, dict(args))
        notes[kind] = tool_note(name, dict(args), result)
        return result

    unverified = box()
    await run("error_unverified", "get_order_details", unverified, order_id=pending_id)
    found = await run("plain_find_user_id", "find_user_id_by_name_zip",
                      first_name=customer.first_name, last_name=customer.last_name,
                      zip=customer.address.zip)
    assert found.output == cid and tools.session.verified
    payer = world.delivered.payment_history[0].payment_method_id
    p_payer = world.pending.payment_history[0].payment_method_id
    other_pay = next(p for p in customer.payment_methods
                     if p.id != p_payer and p.source.value != "gift_card")
    item = world.delivered.items[0]
    product = await shop.get_product(item.product_id)
    swap = next(v for v in product.variants if v.item_id != item.item_id and v.available)
    p_item = world.pending.items[0]
    p_product = await shop.get_product(p_item.product_id)
    p_swap = next(v for v in p_product.variants if v.item_id != p_item.item_id and v.available)
    home = customer.address
    address = {"address1": "12 Birch Lane", "address2": "Apt 3", "city": home.city,
               "state": home.state, "country": home.country, "zip": home.zip}
    writes: dict[str, tuple[str, dict[str, Any]]] = {
        "confirm_cancel": ("cancel_pending_order",
                           {"order_id": pending_id, "reason": "no longer needed"}),
        "confirm_return": ("return_delivered_order_items", {
            "order_id": delivered_id, "item_ids": [item.item_id], "payment_method_id": payer}),
        "confirm_exchange": ("exchange_delivered_order_items", {
            "order_id": delivered_id, "item_ids": [item.item_id],
            "new_item_ids": [swap.item_id], "payment_method_id": payer}),
        "confirm_modify_items": ("modify_pending_order_items", {
            "order_id": pending_id, "item_ids": [p_item.item_id],
            "new_item_ids": [p_swap.item_id], "payment_method_id": p_payer}),
        "confirm_payment": ("modify_pending_order_payment",
                            {"order_id": pending_id, "payment_method_id": other_pay.id}),
        "confirm_address": ("modify_pending_order_address", {"order_id": pending_id, **address}),
        "confirm_user_address": ("modify_user_address", {"user_id": cid, **address}),
        "confirm_refund": ("refund_order", {"order_id": delivered_id, "amount": 20.0,
                                            "payment_method_id": payer}),
    }
    for kind, (name, args) in writes.items():
        result = await run(kind, name, **args)
        assert result.confirmation is not None, (kind, result)
        world.summaries.append(result.confirmation.summary)
    pending_confirm = notes["confirm_cancel"]
    summary = shopper_part(pending_confirm)
    name, args = writes["confirm_cancel"]
    notes["system_confirmed"] = confirmed_note(summary, name, args)
    notes["system_declined"] = declined_note(summary)

    capped = ToolBox(shop, Session(), Policy(return_window_days=None, max_refund_per_order=1.0),
                     conversation_key="outgoing", ledger=NoRefundsYet())
    await capped.call("find_user_id_by_name_zip", {"first_name": customer.first_name,
                                                   "last_name": customer.last_name,
                                                   "zip": customer.address.zip})
    name, args = writes["confirm_refund"]
    held = await run("held_cap", name, capped, **args)
    if held.confirmation is not None:  # caps checked when the write runs
        capped.confirm(held.confirmation.token)
        held = await run("held_cap", name, capped, **args)
    assert held.held is not None and "cap" in held.held
    notes["held_person"] = tool_note("cancel_pending_order", dict(writes["confirm_cancel"][1]),
                                     ToolResult("", held="the shop needs a person to check: the "
                                                "payment provider timed out mid-refund"))

    await run("error_refusal", "cancel_pending_order", order_id=delivered_id,
              reason="no longer needed")
    await run("error_not_owner", "get_order_details", order_id=other_id)
    await run("error_reason", "cancel_pending_order", order_id=pending_id, reason="too slow")
    await run("error_unknown_tool", "drop_all_tables")
    await run("error_bad_args", "cancel_pending_order", order_id=pending_id)
    await run("error_promo", "lookup_promo_code", code="FREESTUFF")
    await run("error_calculate", "calculate", expression="1/0")
    assert "Please verify" in notes["error_unverified"]
    assert "not found among" in notes["error_not_owner"]
    assert "unknown tool" in notes["error_unknown_tool"]

    deferring = ToolBox(shop, tools.session, policy, conversation_key="outgoing",
                        defer=lambda _tool: True)
    name, args = writes["confirm_cancel"]
    deferring.confirm(str(await _token(deferring, name, args)))
    deferred = await run("deferred", name, deferring, **args)
    assert deferred.output == DEFERRED
    transfer = await run("transfer", "transfer_to_human_agents",
                         summary="wants a person about a late parcel")
    assert transfer.handoff

    read_args: dict[str, dict[str, Any]] = {
        "get_order_details": {"order_id": pending_id}, "get_user_details": {"user_id": cid},
        "get_product_details": {"product_id": item.product_id},
        "search_products": {"query": "jacket"}, "lookup_promo_code": {"code": "WELCOME10"}}
    for name in READS:
        args = read_args.get(name, {})
        result = await run(f"plain_{name}", name, **args)
        assert result.ok and result.output.startswith(("{", "[")), (name, result)
        world.outputs[name] = result.output
    await run("plain_calculate", "calculate", expression="(49.99 - 12.5) * 2")
    await run("plain_think", "think", thought="the shopper wants the pending order cancelled")
    assert notes["plain_think"] == "ok"

    name, args = writes["confirm_cancel"]
    tools.confirm(str(await _token(tools, name, args)))
    done = await run("done_cancel", name, **args)
    assert done.ok and notes["done_cancel"].startswith("DONE")

    notes["system_rewrite"] = rewrite_note(["I'll refund you today", "I've emailed a label"])
    notes["system_filtered"] = filtered_note()
    notes["system_no_shop"] = no_shop()
    notes["system_bad_json"] = bad_arguments(
        "the arguments are not valid JSON (Expecting value: line 1 column 2 (char 1))")
    notes["system_not_object"] = bad_arguments("the arguments must be a JSON object")
    return world


async def _token(tools: ToolBox, name: str, args: dict[str, Any]) -> str:
    result = await tools.call(name, dict(args))
    assert result.confirmation is not None
    return result.confirmation.token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("outgoing") / "shop.db"
    generate(path)
    return asyncio.run(_build(path))


KINDS = (
    "confirm_cancel", "confirm_return", "confirm_exchange", "confirm_modify_items",
    "confirm_payment", "confirm_address", "confirm_user_address", "confirm_refund",
    "held_cap", "held_person", "error_unverified", "error_refusal", "error_not_owner",
    "error_reason", "error_unknown_tool", "error_bad_args", "error_promo", "error_calculate",
    "deferred", "transfer", "done_cancel", "plain_find_user_id", "plain_calculate",
    "plain_think", *(f"plain_{name}" for name in READS),
    "system_confirmed", "system_declined", "system_rewrite", "system_filtered",
    "system_no_shop", "system_bad_json", "system_not_object",
)
def test_raw_data_has_no_instruction(world: World) -> None:
    assert all(internal_part(world.notes[kind]) == "" for kind in RAW)


SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def assert_clean(out: str, world: World, *notes: str) -> None:
    """Nothing of the notes' instructions, no engine vocabulary, no ids, no JSON."""
    low = out.lower()
    for phrase in (*MARKERS, *(label.lower() for label in LABELS)):
        assert phrase not in low, (phrase, out)
    for name in TOOL_NAMES:
        assert name not in out, (name, out)
    assert not SNAKE.search(out), out
    assert world.customer.id not in out
    for method in world.customer.payment_methods:
        assert method.id not in out, out
    assert not re.search(r"[{}]|\"\w+\"\s*:|^error:", low, re.M), out
    words = re.findall(r"\w+(?:['’.,]\w+)*", low)
    said = {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}
    for note in notes:
        inner = re.findall(r"\w+(?:['’.,]\w+)*", internal_part(note).lower())
        for i in range(len(inner) - RUN + 1):
            assert tuple(inner[i:i + RUN]) not in said, (inner[i:i + RUN], out)


def assert_kept(out: str, *parts: str) -> None:
    for part in parts:
        assert part in out, (part, out)


@pytest.mark.parametrize("kind", KINDS)
def test_a_note_echoed_verbatim_leaves_only_its_words_for_the_shopper(
        world: World, kind: str) -> None:
    note = world.notes[kind]
    for internal in ([note], []):
        out = shopper_text(note, internal)
        assert_clean(out, world, note)
        if kind in ("plain_calculate", "plain_think"):
            assert out == note  # a number and "ok" say nothing internal
        else:
            assert out == shopper_part(note), (kind, out)
        assert internal_leak(note) is (out != note)


@pytest.mark.parametrize("kind", KINDS)
def test_a_note_inside_a_good_reply_leaves_the_reply(world: World, kind: str) -> None:
    note = world.notes[kind]
    shopper = shopper_part(note)
    stopped = note if note.endswith((".", "}", "]")) else f"{note}."  # a sentence of its own
    for reply in (f"{GREETING}\n{ORDER_LINE}\n{note}\n{PRICE_LINE}",
                  f"{GREETING} {ORDER_LINE} {stopped} {PRICE_LINE}".replace("\n", " "),
                  f"{GREETING}\n\n{ORDER_LINE}\n\n{note}\n\n{PRICE_LINE}"):
        for internal in ([note], list(world.notes.values()), []):
            out = shopper_text(reply, internal, world.labels)
            assert_clean(out, world, note)
            assert_kept(out, GREETING, ORDER_LINE, "$12.50", "😊", shopper)
            if kind in ("plain_calculate", "plain_think"):
                continue
            expected = [GREETING, ORDER_LINE, shopper, PRICE_LINE] if shopper else [
                GREETING, ORDER_LINE, PRICE_LINE]
            if "\n\n" in reply:
                assert out == "\n\n".join(expected)
            elif "\n" in reply:
                assert out == "\n".join(expected)
            else:
                assert out == " ".join(expected)


RAW = ("plain_calculate", "plain_think", *(f"plain_{name}" for name in READS))


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in RAW])
def test_an_echoed_instruction_alone_leaves_nothing(world: World, kind: str) -> None:
    instruction = internal_part(world.notes[kind])
    assert instruction
    assert shopper_text(instruction, [world.notes[kind]]) == ""
    assert shopper_text(instruction) == ""  # the markers alone catch it
    for line in instruction.splitlines():
        assert shopper_text(f"Sure! {line}") == "Sure!"


def test_each_kind_has_its_own_words_for_the_shopper(world: World) -> None:
    """Confirmations carry the real summary, holds and hand-offs plain words, refusals why."""
    notes = world.notes
    assert shopper_part(notes["confirm_cancel"]).startswith(f"Cancel order {world.pending.id}")
    for kind, summary in zip(KINDS[:8], world.summaries, strict=True):
        assert shopper_part(notes[kind]) == summary
    assert "our team" in shopper_part(notes["held_cap"])
    assert "500" not in shopper_part(notes["held_cap"]) and "cap" in notes["held_cap"]
    assert "timed out" not in shopper_part(notes["held_person"])
    assert shopper_part(notes["deferred"]) == DEFERRED
    assert "a person will reply here" in shopper_part(notes["transfer"])
    assert shopper_part(notes["error_refusal"]).startswith(f"Order {world.delivered.id} is")
    assert "verify your identity" in shopper_part(notes["error_unverified"])
    for kind in ("error_unknown_tool", "error_bad_args", "error_calculate", "done_cancel",
                 "system_rewrite", "system_filtered", "system_no_shop", "system_bad_json"):
        assert shopper_part(notes[kind]) == "", kind
    assert notes["plain_think"] == "ok" and notes["plain_calculate"] == "74.98"
    assert notes["plain_find_user_id"] == world.customer.id
    assert all(n.startswith("Error") for k, n in notes.items() if k.startswith("error_"))
    assert "call cancel_pending_order again" in notes["confirm_cancel"]
    assert '"reason": "no longer needed"' in notes["system_confirmed"]


PARAPHRASES = {
    "held_cap": "A refund of $20.00 is more than I can approve on my own, so a person from our "
                "team will check it and reply here.",
    "held_person": "Something needs a second look, so a person from our team will check it and "
                   "reply here.",
    "deferred": "Thanks! I've submitted that; a member of our team approves it first, and it "
                "takes effect as soon as they do.",
    "transfer": "I've passed this to our team. A person will reply here soon.",
    "error_refusal": "Sorry, that order has already been delivered, so it can't be cancelled. "
                     "You could start a return instead.",
    "error_unverified": "Before I can look at an order, could you verify your identity? Your "
                        "email and an order number, or your name and zip code, will do.",
    "confirm_cancel": "Just to be sure: once you say yes, the order is cancelled and this "
                      "cannot be undone. Shall I go ahead?",
    "system_confirmed": "Done! The order is cancelled, and the refund goes back to your card.",
    "system_declined": "Okay, I've left it as it is. Is there anything else I can help with?",
    "system_rewrite": "You can start a return from your order page whenever you like.",
    "system_no_shop": "I can't see orders right now, but our help center says returns are free "
                      "within 30 days.",
}


@pytest.mark.parametrize("kind", sorted(PARAPHRASES))
def test_a_reply_in_its_own_words_passes(world: World, kind: str) -> None:
    """The instructions hold no phrase a good reply would copy: what to say is labelled."""
    reply = PARAPHRASES[kind]
    assert shopper_text(reply, [world.notes[kind]], world.labels) == reply
    both = f"{reply}\n\n{shopper_part(world.notes[kind])}".strip()
    assert shopper_text(both, [world.notes[kind]]) == both


def test_json_of_the_commerce_model_written_by_as_json() -> None:
    """τ-bench shapes: "#W" order numbers, user ids and payment ids inside the JSON."""
    address = Address("445 Maple Drive", "Suite 394", "Fort Worth", "TX", "USA", "76165")
    card = PaymentMethod("credit_card_1234567", PaymentSource.CREDIT_CARD, "visa", "4242")
    gift = PaymentMethod("gift_card_7654321", PaymentSource.GIFT_CARD, balance=62.0)
    customer = Customer("omar_anderson_3203", "Omar", "Anderson", "omar.anderson@example.com",
                        address, (card, gift), ("#W1234567",))
    item = OrderItem("Water Bottle", "8310926033", "2366567022", 54.04,
                     (("capacity", "1000ml"), ("material", "stainless steel")))
    order = Order("#W1234567", customer.id, address, (item,), (Fulfillment(
        ("843053632392",), (item.item_id,), "UPS"),), OrderStatus.DELIVERED,
        (Payment("payment", 54.04, card.id),))
    product = Product(item.product_id, "Water Bottle", (Variant(
        item.item_id, item.options, True, 54.04),), "Keeps drinks cold for a day.")
    promo = Promo("WELCOME10", "10% off your first order", percent_off=10.0)
    labels = {card.id: card.label(), gift.id: gift.label()}
    for value in (customer, order, product, [product], promo):
        data = as_json(value)
        reply = (f"Hi Omar! Order #W1234567 has been delivered. {data}\nThe Water Bottle "
                 "(capacity 1000ml, material stainless steel) was $54.04. 😊")
        out = shopper_text(reply, [data], labels)
        assert out == ("Hi Omar! Order #W1234567 has been delivered.\nThe Water Bottle "
                       "(capacity 1000ml, material stainless steel) was $54.04. 😊"), out
        assert "omar_anderson_3203" not in out and "{" not in out


@pytest.mark.parametrize("tool", READS)
def test_the_json_of_every_read_tool_is_taken_out(world: World, tool: str) -> None:
    data = world.outputs[tool]
    pretty = json.dumps(json.loads(data), indent=2)
    replies = {
        data: "",
        f"{GREETING} Here is what I found: {data} {PRICE_LINE}": f"{GREETING} {PRICE_LINE}",
        f"{GREETING}\n{ORDER_LINE}\n{data}\n{PRICE_LINE}":
            f"{GREETING}\n{ORDER_LINE}\n{PRICE_LINE}",
        f"{GREETING}\n\n```json\n{pretty}\n```\n\n{ORDER_LINE}":
            f"{GREETING}\n\n{ORDER_LINE}",
        f"{ORDER_LINE}\n{pretty}\n{PRICE_LINE}": f"{ORDER_LINE}\n{PRICE_LINE}",
        f"{GREETING} {data[:120]}\n{PRICE_LINE}": f"{GREETING}\n{PRICE_LINE}",  # cut off
    }
    for reply, expected in replies.items():
        out = shopper_text(reply, [world.notes[f"plain_{tool}"]], world.labels)
        assert out == expected, (reply[:200], out)
        assert_clean(out, world)
        assert internal_leak(reply)


def test_key_value_fragments_and_python_reprs(world: World) -> None:
    order = world.pending
    for fragment in (f'"status": "{order.status.value}"', f"'order_id': '{order.id}'",
                     '"price": 109.0', f'["{order.id}", "#W7654321"]',
                     "{'status': 'pending'}"):
        out = shopper_text(f"{GREETING} The record says {fragment}. {PRICE_LINE}")
        assert out == f"{GREETING} {PRICE_LINE}", out


def test_the_summaries_of_every_write_pass_unchanged(world: World) -> None:
    internal = list(world.notes.values())
    for summary in world.summaries:
        for reply in (summary, f"Please confirm: {summary} Shall I go ahead?",
                      f"Here's the change:\n\n{summary}\n\nReply yes to go ahead."):
            assert shopper_text(reply, internal, world.labels) == reply
            assert not internal_leak(reply, internal)


def test_ids_become_labels_or_their_sentence_goes(world: World) -> None:
    card = next(p for p in world.customer.payment_methods if p.source.value == "credit_card")
    reply = (f"Thanks {world.customer.first_name}! The refund goes to {card.id}. "
             f"Your account {world.customer.id} is verified. {PRICE_LINE}")
    out = shopper_text(reply, (), world.labels | {world.customer.id: "your account"})
    assert out == (f"Thanks {world.customer.first_name}! The refund goes to {card.label()}. "
                   f"Your account your account is verified. {PRICE_LINE}")
    assert shopper_text(f"I'll use {card.label()} ({card.id}). Okay?", (), world.labels) == (
        f"I'll use {card.label()}. Okay?")
    assert shopper_text(reply) == f"Thanks {world.customer.first_name}! {PRICE_LINE}"
    for raw in ("gift_card_7654321", "paypal_1234567", "credit_card_1234567",
                "omar_anderson_3203"):
        assert shopper_text(f"{GREETING} I found {raw} on file. {PRICE_LINE}") == (
            f"{GREETING} {PRICE_LINE}")


@pytest.mark.parametrize("leak", [
    "I called get_order_details and it shows the parcel left.",
    "Let me make a tool call to check that.",
    "The tool_call failed, sorry.",
    "I'll run a function call now.",
    "My system prompt says I can't share that.",
    "As an AI language model, I can't see your parcel.",
    "Error: order #W1234567 could not be loaded by the backend idempotency key check.",
    "Traceback (most recent call last):\n  File \"tools.py\", line 12, in call\n    raise "
    "ToolError(x)\nomnichannel.agent.tools.ToolError: boom",
    "KeyError: 'order_id'",
    "<tool>get_order_details {\"order_id\": \"#W1234567\"}</tool>",
    "<think>The shopper seems upset; check the order first.</think>",
    "<|im_start|>system",
    "System: the shopper is verified.",
    "Thought: I should look the order up first.",
    '[TOOL_CALLS] [{"name": "lookup", "arguments": {"code": "WELCOME10"}}]',
    "According to the tool, it shipped.",
    "refund of 612.00 on order #W1234567 is over the per-order cap of 500.00",
])
def test_engine_talk_is_taken_out(world: World, leak: str) -> None:
    reply = f"{GREETING}\n{leak}\n{PRICE_LINE}"
    out = shopper_text(reply)
    assert out == f"{GREETING}\n{PRICE_LINE}", out
    assert internal_leak(reply)
    assert shopper_text(leak) == ""


def test_prefixes_go_and_the_words_after_them_stay() -> None:
    assert shopper_text("Assistant: Hi there! How can I help?") == "Hi there! How can I help?"
    assert shopper_text("Error: that order does not belong to you.") == (
        "That order does not belong to you.")
    assert shopper_text("<tool>x</tool> Your parcel is on its way!") == (
        "Your parcel is on its way!")
    assert shopper_text("[TOOL_CALLS] Let me look.") == "Let me look."
    assert shopper_text("<|im_start|>assistant Your parcel is on its way!") == (
        "Your parcel is on its way!")
    assert shopper_text("Please confirm: Summary for the shopper: Cancel order #W1234567. "
                        "Yes or no?") == "Please confirm: Cancel order #W1234567. Yes or no?"
    # a payment error in the shopper's own words is not an "Error:" prefix
    good = "There was a payment error: the card was declined, so nothing was charged."
    assert shopper_text(good) == good


GOOD = [
    "Hi! How can I help you today?",
    "Your order #W1234567 has shipped and should arrive on Thursday.",
    "The Summit Rain Pants (color black, size M) cost $109.00, and the navy ones are $99.50.",
    "You can track it here: https://www.ups.com/track?tracknum=1Z999AA10123456784&loc=en_US",
    "Here's the link: https://shop.example.com/pages/returns_policy#window_30_days",
    "I've sent the label to omar_anderson@example.com; it can take a few minutes to arrive.",
    "Here is what's in the order:\n- Alder Insulated Parka (color ochre, size S): $229.00\n"
    "- Trail Socks (size L): $14.00\n\nTotal: $243.00",
    "1. Pack the item in its original box.\n2. Print the label.\n3. Drop it at any UPS store.",
    "Thanks for your patience! 🙏 Your refund of $49.99 went back to your Visa ending 4242.",
    "¡Hola! Tu pedido #W1234567 llegará el jueves. ¿Algo más?",
    "Bonjour ! Votre commande #W7654321 a été livrée. Bonne journée ☀️",
    "Ihre Bestellung wurde storniert; die Rückerstattung über 12,50 € erfolgt in 5–7 Tagen.",
    "ご注文 #W1234567 は発送済みです。ありがとうございます！",
    "Заказ #W1234567 уже в пути. Спасибо!",
    "Sorry, I can't change an order once it has shipped. You can return it after delivery.",
    "The WELCOME10 code gives 10% off your first order. TRAIL25 takes $25 off orders of $150.",
    "Your tracking number is 0199005304032535 (Canada Post).",
    "That order isn't pending any more, so it can't be cancelled here. Would you like to "
    "start a return instead?",
    "Could you tell me your name and zip code, please? Or your email and an order number.",
    "Done! Order #W1234567 is cancelled, and $89.00 goes back to your PayPal within 5 days.",
    "You're welcome, have a great day!\n\n— Juniper & Pine support",
    "I'm an AI assistant for Juniper & Pine. A person from our team can also help: just ask.",
    "**Good news:** your exchange is approved. The new jacket (color navy, size L) ships "
    "tomorrow.",
    "Our store hours are 9 a.m. to 5 p.m. (Mon–Fri). E.g. orders placed by 2 p.m. ship "
    "the same day.",
    "A refund of this size needs a quick approval from our team; a person will look at it "
    "and reply here.",
    "There was a payment error: the card was declined, so nothing was charged.",
    "Okay, I've left it as it is. Is there anything else I can help with?",
    "Prices: $12.50, CA$19.99, €5,00 and £7.25; that's 3 items in all.",
    "   Hi!  Two spaces here.  \n",
    "Your label is attached as return_label.pdf. Share your look with #summer_sale!",
    "Just a thought: the [Photo] guide in our help center shows how to measure.",
    "😊",
]


@pytest.mark.parametrize("reply", GOOD)
def test_good_replies_pass_byte_for_byte(world: World, reply: str) -> None:
    internal = list(world.notes.values())
    assert shopper_text(reply) == reply
    assert shopper_text(reply, internal, world.labels) == reply
    assert not internal_leak(reply, internal)


def test_nothing_left_is_empty() -> None:
    assert shopper_text("") == ""
    assert shopper_text("   \n ") == ""
    assert shopper_text('{"order_id": "#W1234567"}') == ""
    assert shopper_text(no_shop()) == ""
