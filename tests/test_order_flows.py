"""The built-in engine's order flows end to end, through loopback and the tool layer."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from omnichannel.agent import slots
from omnichannel.agent.understanding import confirm, entities
from omnichannel.conversation import Role
from tests.support import require_taubench

DATA = require_taubench()
NO_CAPS = ("[guardrails]\nmax_refund_per_order = 0\nmax_refund_per_customer_30d = 0\n"
           "max_refund_per_day = 0\nreturn_window_days = 0\n")


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    from omnichannel.commerce.taubench import TaubenchCommerce

    return TaubenchCommerce.load(DATA)


@pytest.fixture
async def shop(gateway_factory, base):  # type: ignore[no-untyped-def]
    gw = await gateway_factory(NO_CAPS, engine="builtin")
    gw.rt.router.commerce = base.clone()
    return gw


async def _turn(gw, text: str, value: str | None = None, chat: str = "s") -> list:  # type: ignore[no-untyped-def,type-arg]
    await gw.loopback.say(text, chat_id=chat, button_value=value)
    out = [await gw.loopback.reply(chat, timeout=5)]
    while True:
        try:
            out.append(await gw.loopback.reply(chat, timeout=0.3))
        except TimeoutError:
            return out


def _expected(split: str, index: int) -> str:
    states = json.loads((DATA / "expected_end_states.json").read_text())
    return states["splits"][split][index]["final_db_hash"]  # type: ignore[no-any-return]


async def test_everything_in_one_message_gets_the_summary_in_one_reply(shop) -> None:  # type: ignore[no-untyped-def]
    (reply,) = await _turn(shop, "Hi, I'm Omar Anderson, zip code 19031. I'd like to return the "
                           "Electric Kettle and the Wall Clock from order #W6067464. Please "
                           "refund it to my mastercard ending in 4300.")
    assert "Return from order #W6067464" in reply.text and reply.text.endswith("Shall I go ahead?")
    assert "Electric Kettle" in reply.text and "Mastercard ending 4300" in reply.text
    assert [b.value for b in reply.buttons] == ["yes", "no"]
    before = shop.rt.router.commerce.db_hash()
    (done,) = await _turn(shop, "Yes, go ahead", "yes")
    assert done.text.startswith("Done")
    assert shop.rt.router.commerce.db_hash() == _expected("train", 0) != before


async def test_missing_details_are_asked_one_at_a_time(shop, base) -> None:  # type: ignore[no-untyped-def]
    (ask_id,) = await _turn(shop, "I want to cancel an order")
    assert "name and zip code" in ask_id.text
    (ask_order,) = await _turn(shop, "My name is Olivia Ito and my zip code is 80218")
    assert "Which order" in ask_order.text and ask_order.buttons
    (ask_reason,) = await _turn(shop, "#W5442520")
    assert "Why" in ask_reason.text
    assert {b.value for b in ask_reason.buttons} == {"no longer needed", "ordered by mistake"}
    (confirm,) = await _turn(shop, "I no longer need it", "no longer needed")
    assert "cannot be undone" in confirm.text
    (declined,) = await _turn(shop, "No", "no")
    assert "haven't changed anything" in declined.text
    assert shop.rt.router.commerce.db_hash() == base.db_hash()


async def test_email_needs_an_order_number_before_private_data(shop) -> None:  # type: ignore[no-untyped-def]
    (reply,) = await _turn(shop, "my email is omar.lopez1868@example.com, what did I order?")
    # An email alone proves nothing: an order number of that email is asked for.
    assert "number of one of your orders" in reply.text and "Gaming Mouse" not in reply.text
    (items,) = await _turn(shop, "It's order #W7273336")
    assert "Gaming Mouse" in items.text and "Bookshelf" in items.text


async def test_another_customers_order_is_refused_in_conversation(shop, base) -> None:  # type: ignore[no-untyped-def]
    await _turn(shop, "Hi, I'm Omar Anderson, zip code 19031.")
    (reply,) = await _turn(shop, "Please cancel order #W5442520, I no longer need it.")
    assert "not found among" in reply.text
    assert shop.rt.router.commerce.db_hash() == base.db_hash()


async def test_exchange_with_new_options_and_price_difference(shop) -> None:  # type: ignore[no-untyped-def]
    (reply,) = await _turn(
        shop, "Hello, my email is omar.lopez1868@example.com. From order #W7273336 I'd like to "
        "exchange the Gaming Mouse for one with color white, sensor type optical, connectivity "
        "wired, and the Bookshelf for one with material glass, color brown, height 5 ft. Any "
        "price difference goes to my PayPal.")
    assert "for Gaming Mouse (color white, sensor type optical" in reply.text
    await _turn(shop, "yes", "yes")
    assert shop.rt.router.commerce.db_hash() == _expected("dev", 1)


async def test_tool_calls_are_recorded_with_who_confirmed(shop) -> None:  # type: ignore[no-untyped-def]
    await _turn(shop, "I'm Olivia Ito, zip 80218. Please cancel order #W5442520, I no longer "
                "need it.")
    await _turn(shop, "yes", "yes")

    def rows(conn):  # type: ignore[no-untyped-def]
        return [(r["tool"], r["approved_by"]) for r in conn.execute(
            "SELECT tool, approved_by FROM actions ORDER BY id")]

    recorded = await shop.store.db.read(rows)
    assert ("cancel_pending_order", "shopper") in recorded
    assert ("find_user_id_by_name_zip", None) in recorded


async def test_status_with_tracking_and_an_honest_late_notice(gateway_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory('[commerce]\nbackend = "demo"\n', engine="builtin")
    shop = gw.rt.commerce
    await shop.list_products()  # the shop has generated its file
    conn = sqlite3.connect(shop.path)
    conn.row_factory = sqlite3.Row
    now = datetime.now(UTC).isoformat()
    late = None
    for row in conn.execute("SELECT id, customer_id FROM orders WHERE status = 'shipped'"):
        order = await shop.get_order(row["id"])
        f = order.fulfillments[0] if order.fulfillments else None
        if f and f.estimated_delivery and f.estimated_delivery.isoformat() < now and (
                f.delivered_at is None):
            late = order
            break
    conn.close()
    assert late is not None, "the demo shop has late parcels"
    who = await shop.get_customer(late.customer_id)
    (reply,) = await _turn(gw, f"Hi, I'm {who.first_name} {who.last_name}, zip "
                           f"{who.address.zip}. Where is my order {late.id}?")
    assert late.id in reply.text and "running late" in reply.text
    assert late.fulfillments[0].tracking_url in reply.text
    assert reply.role is Role.AGENT


def test_slot_readers() -> None:
    assert entities.order_ids("orders #W1234567 and jp204119") == ["#W1234567", "#JP204119"]
    assert entities.name_and_postcode("I'm Ann Lee, zip 12345, order #W1234567")[0] == (
        "Ann", "Lee", "12345")
    addr = slots.address("ship order #W1234567 to 123 Main St, Suite 4, Springfield, IL 62704, "
                         "USA.")
    assert addr is not None and (addr.address1, addr.address2, addr.zip) == (
        "123 Main St", "Suite 4", "62704")
    assert entities.cancel_reason("oops, I ordered it by mistake") == "ordered by mistake"
    assert entities.cancel_reason("I don't need it anymore") == "no longer needed"
    assert confirm.is_yes("Yes please") and confirm.is_no("no thanks")


def test_items_by_partial_names_options_and_plurals() -> None:
    from omnichannel.commerce import OrderItem

    boots_black = OrderItem("Bearclaw Hiking Boots", "p1", "i1", 189.0,
                            (("size", "9"), ("color", "black"), ("material", "leather")))
    boots_brown = OrderItem("Bearclaw Hiking Boots", "p1", "i2", 189.0,
                            (("size", "10"), ("color", "brown"), ("material", "leather")))
    tent = OrderItem("Starwatch Backpacking Tent", "p2", "i3", 349.0, (("capacity", "2-person"),))
    items = [boots_brown, boots_black, tent]
    found = slots.mentioned_items("return the black leather boots in 9 and both tents", items)
    assert [m.item.item_id for m in found] == ["i1", "i3"]
    # an item name inside another item's option phrase is not a mention of that item
    laptop = OrderItem("Laptop", "p3", "i4", 999.0, (("ram", "8GB"),))
    pack = OrderItem("Backpack", "p4", "i5", 80.0, (("compartment", "hydration"),))
    text = ("change the Backpack to one with compartment laptop, and the Laptop to one with "
            "ram 16GB")
    assert [m.item.item_id for m in slots.mentioned_items(text, [laptop, pack])] == ["i5", "i4"]


async def test_catalog_questions_and_promo_codes(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory('[commerce]\nbackend = "demo"\n', engine="builtin")
    shop = gw.rt.commerce
    products = await shop.list_products()
    boots = next(p for p in products if p.name.endswith("Hiking Boots"))
    (reply,) = await _turn(gw, "Do you have hiking boots?")
    assert boots.name in reply.text and "In stock" in reply.text
    (shipping,) = await _turn(gw, "how much is shipping?")
    assert "(From our help center: Shipping)" in shipping.text  # not a product question
    (valid,) = await _turn(gw, "does the promo code WELCOME10 work?")
    assert "Code WELCOME10: 10% off" in valid.text
    (gone,) = await _turn(gw, "what about code FRIENDS20")
    assert "no longer active" in gone.text
    (unknown,) = await _turn(gw, "promo code NOPE123")
    assert "can't find a promo code NOPE123" in unknown.text


MIXED = ("ok so no wait that's wrong", "yes but change the size", "ok wait", "hmm not sure",
         "sure, but the other order", "yes? what does it cost", "okay no", "yeah wait no",
         "hold on", "what", "I'm not sure yet", "maybe later", "ok so")


@pytest.mark.parametrize("reply", MIXED)
async def test_no_write_without_a_clear_yes(shop, base, reply: str) -> None:  # type: ignore[no-untyped-def]
    (confirm,) = await _turn(shop, "Hi, I'm Olivia Ito, zip 80218. Please cancel order "
                             "#W5442520, I no longer need it.")
    assert confirm.text.endswith("Shall I go ahead?")
    answer = (await _turn(shop, reply))[0].text
    assert shop.rt.router.commerce.db_hash() == base.db_hash(), answer
    # Asked again in plain words, or taken as a no; either way nothing ran.
    assert "Shall I go ahead?" in answer or "haven't changed anything" in answer, answer
