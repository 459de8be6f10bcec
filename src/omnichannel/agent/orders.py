"""The built-in engine's order flows: status, cancel, return, exchange, modify, addresses.

A request becomes a task with slots (order, items, new options, payment method, reason,
address). Missing slots are asked for one at a time; a complete task goes to the tool
layer, whose confirmation summary is shown with Yes/No buttons. Guardrails are the tool
layer's: this module only asks.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from omnichannel.agent import catalog, slots
from omnichannel.agent.tools import ToolBox, ToolError
from omnichannel.agent.turn import Handoff, HandoffReason, Turn
from omnichannel.commerce import CommerceError, Customer, Order, OrderStatus
from omnichannel.conversation import Button

YES_NO = (Button("Yes, go ahead", "yes"), Button("No", "no"))
WRITE_TOOLS = {
    "cancel": "cancel_pending_order",
    "return": "return_delivered_order_items",
    "exchange": "exchange_delivered_order_items",
    "modify_items": "modify_pending_order_items",
    "modify_address": "modify_pending_order_address",
    "modify_payment": "modify_pending_order_payment",
    "default_address": "modify_user_address",
}
_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    ("default_address", re.compile(r"default address|address on (file|my account)|"
                                   r"my (home|account) address|update my address", re.I)),
    ("modify_address", re.compile(r"shipping address|delivery address|address (of|for) "
                                  r"(my |the )?order|ship (it|the order|order \S+) to", re.I)),
    ("modify_payment", re.compile(r"\bpay (for )?(order \S+ |it |the order )?with\b.*\binstead|"
                                  r"change (the )?payment|switch (the )?payment|"
                                  r"payment method (of|for|on) (my |the )?order", re.I)),
    ("cancel", re.compile(r"\bcancel", re.I)),
    ("exchange", re.compile(r"\bexchange|\bswap\b", re.I)),
    ("modify_items", re.compile(r"\b(change|modify|switch|replace)\b.*\b(to|for|with) "
                                r"(one|the one|an?\b)", re.I)),
    ("return", re.compile(r"\breturn\b|send (it|them) back|\brefund\b", re.I)),
    ("status", re.compile(r"where('s| is) my|\btrack|status of|order status|when will .*"
                          r"(arrive|come|ship)|has .* shipped|not (arrived|received)", re.I)),
    ("what_ordered", re.compile(r"what did i (order|buy)|my (recent |past )?orders\b|"
                                r"which orders", re.I)),
]
VERIFY_ASK = ("To help with an order I first need to confirm who you are: please tell me "
              "your name and zip code, or your email and the order number.")


@dataclass
class Task:
    intent: str
    order_id: str | None = None
    item_ids: list[str] = field(default_factory=list)
    new_item_ids: list[str] = field(default_factory=list)
    payment_method_id: str | None = None
    reason: str | None = None
    address: dict[str, str] | None = None


@dataclass
class State:
    tasks: list[Task] = field(default_factory=list)
    pending: dict[str, Any] | None = None  # {"tool", "args", "token"}

    def to_json(self) -> str | None:
        if not self.tasks and not self.pending:
            return None
        return json.dumps({"tasks": [asdict(t) for t in self.tasks], "pending": self.pending})

    @classmethod
    def from_json(cls, text: str | None) -> State:
        if not text:
            return cls()
        raw = json.loads(text)
        if not isinstance(raw, dict):
            return cls()
        return cls([Task(**t) for t in raw.get("tasks", [])], raw.get("pending"))


def detect(text: str) -> str | None:
    for name, pattern in _INTENTS:
        if pattern.search(text):
            return name
    return None


class OrderFlow:
    """One turn of the order dialogue over a conversation's tool box."""

    def __init__(self, tools: ToolBox, state: State, sign: Any) -> None:
        self.tools = tools
        self.state = state
        self.sign = sign
        self.notes: list[str] = []

    async def handle(self, text: str, button: str | None) -> Turn | None:
        """A reply when the turn is about orders (or answers an open question), else None."""
        if self.state.pending is not None:
            if button == "yes" or (button is None and slots.is_yes(text)):
                return await self._execute()
            if button == "no" or (button is None and slots.is_no(text)):
                self.state.pending = None
                if self.state.tasks:
                    self.state.tasks.pop(0)
                return self._reply("All right, I haven't changed anything. Anything else I can "
                                   "help with?", intent="orders.declined")
            self.state.pending = None  # anything else replaces the question
        intent = detect(text)
        await self._identify(text)
        if intent is not None:
            self.state.tasks.append(Task(intent))
        elif not self.state.tasks:
            if slots.order_ids(text) and self.tools.session.verified:
                self.state.tasks.append(Task("status"))
            elif (code := catalog.promo_code(text)) is not None:
                return self._reply(await catalog.answer_promo(self.tools, code),
                                   intent="catalog.promo")
            elif catalog.is_product_question(text) and (
                    answer := await catalog.answer_product(self.tools, text)):
                return self._reply(answer, intent="catalog.product")
            elif self.notes:
                return self._reply(" ".join(self.notes) + " How can I help with your order?",
                                   intent="orders.verified")
            else:
                return None
        return await self._advance(text)

    async def _identify(self, text: str) -> None:
        session = self.tools.session
        if session.verified:
            return
        nz = slots.name_and_zip(text)
        if nz is not None:
            result = await self.tools.call("find_user_id_by_name_zip", {
                "first_name": nz[0], "last_name": nz[1], "zip": nz[2]})
            if result.ok:
                self.notes.append(f"Thanks, {nz[0]}, you're verified.")
                return
        mail = slots.email(text)
        if mail is not None:
            await self.tools.call("find_user_id_by_email", {"email": mail})
        if session.claimed_customer_id is not None:
            for oid in slots.order_ids(text):
                try:
                    await self.tools.order(oid)
                except (ToolError, CommerceError):
                    continue
                if session.verified:
                    return

    async def _advance(self, text: str) -> Turn:
        task = self.state.tasks[0]
        if not self.tools.session.verified:
            return self._reply(VERIFY_ASK, intent="orders.verify")
        customer = await self.tools.customer()
        try:
            order = await self._order(task, text, customer)
        except (ToolError, CommerceError) as exc:
            self.state.tasks.pop(0)
            return self._reply(f"I couldn't find that order for you: {exc}. Could you check the "
                               "order number?", intent="orders.not_found")
        if order is None:
            if task.intent == "what_ordered":
                self.state.tasks.pop(0)
                return await self._what_ordered(customer)
            if task.intent != "default_address":
                return self._ask_order(customer, task)
        if task.intent == "status":
            self.state.tasks.pop(0)
            assert order is not None
            return self._reply(status_text(order), intent="orders.status")
        if task.intent == "what_ordered":
            self.state.tasks.pop(0)
            assert order is not None
            return self._reply(items_text(order), intent="orders.items")
        if order is not None and task.intent in ("exchange", "modify_items"):
            task.intent = "modify_items" if order.status is OrderStatus.PENDING else "exchange"
        missing = await self._fill(task, text, customer, order)
        if missing is not None:
            return missing
        return await self._propose(task)

    async def _order(self, task: Task, text: str, customer: Customer) -> Order | None:
        ids = slots.order_ids(text)
        if ids and task.order_id is None:
            task.order_id = ids[0]
        if task.order_id is None and task.intent == "default_address":
            return None
        if task.order_id is None:
            return None
        return await self.tools.order(task.order_id)

    def _ask_order(self, customer: Customer, task: Task) -> Turn:
        orders = list(customer.order_ids)[-6:]
        return self._reply("Which order is it? Please give me the order number"
                           + (f" (yours are {', '.join(orders)})." if orders else "."),
                           buttons=tuple(Button(o, o) for o in orders[-4:]),
                           intent=f"orders.ask_order.{task.intent}")

    async def _fill(self, task: Task, text: str, customer: Customer, order: Order | None
                    ) -> Turn | None:
        """Take what the text gives; ask for the first slot still missing."""
        if task.intent == "cancel":
            task.reason = slots.cancel_reason(text) or task.reason
            if task.reason is None:
                return self._reply("Why would you like to cancel it?", buttons=(
                    Button("I no longer need it", "no longer needed"),
                    Button("I ordered it by mistake", "ordered by mistake")),
                    intent="orders.ask_reason")
            return None
        if task.intent in ("modify_address", "default_address"):
            found = slots.address(text)
            if found is not None:
                task.address = asdict(found)
            if task.address is None:
                return self._reply("What's the new address? Please write it as street, "
                                   "apartment or suite (if any), city, state, zip code.",
                                   intent="orders.ask_address")
            return None
        if task.intent in ("return", "exchange", "modify_items"):
            assert order is not None
            mentions = slots.mentioned_items(text, order.items)
            if mentions and not task.item_ids:
                task.item_ids = [m.item.item_id for m in mentions]
            if not task.item_ids:
                names = "; ".join(f"{i.name} ({i.options_text()})" for i in order.items)
                return self._reply(f"Which items from {order.id}? It has: {names}.",
                                   intent="orders.ask_items")
            if task.intent != "return":
                asked = await self._new_items(task, text, order)
                if asked is not None:
                    return asked
        if task.intent in ("return", "exchange", "modify_items", "modify_payment"):
            pm = slots.payment_method(text, customer)
            if pm is not None:
                task.payment_method_id = pm.id
            if task.payment_method_id is None:
                what = {"return": "Where should the refund go",
                        "modify_payment": "Which payment method should pay for the order"}.get(
                    task.intent, "Which payment method should pay or receive the price "
                                 "difference")
                return self._reply(f"{what}?", buttons=tuple(
                    Button(pm.label(), pm.label()) for pm in customer.payment_methods[:4]),
                    intent="orders.ask_payment")
        return None

    async def _new_items(self, task: Task, text: str, order: Order) -> Turn | None:
        """Fill the new variant of each item from "for one with ..." phrases; ask for the rest.

        A phrase belongs to the item named just before it, else to the first item still
        without one. The same variant as before is allowed (a no-op swap).
        """
        by_id = {i.item_id: i for i in order.items}
        if len(task.new_item_ids) != len(task.item_ids):
            task.new_item_ids = [""] * len(task.item_ids)
        for item, phrase in slots.item_option_pairs(text, order.items):
            slot = None
            if item is not None:
                slot = next((k for k, iid in enumerate(task.item_ids)
                             if iid == item.item_id and not task.new_item_ids[k]), None)
            if slot is None:
                slot = next((k for k, v in enumerate(task.new_item_ids) if not v), None)
            if slot is None:
                break
            product = await self.tools.product(by_id[task.item_ids[slot]].product_id)
            variant = slots.match_variant(phrase, product.variants)
            if variant is not None:
                task.new_item_ids[slot] = variant.item_id
        missing = [k for k, v in enumerate(task.new_item_ids) if not v]
        if not missing:
            return None
        first = by_id[task.item_ids[missing[0]]]
        return self._reply(f"Which options would you like instead of the {first.name} "
                           f"({first.options_text()})? Say \"for one with\" and the options.",
                           intent="orders.ask_options")

    async def _propose(self, task: Task) -> Turn:
        tool, args = self._call(task)
        result = await self.tools.call(tool, args)
        if result.confirmation is not None:
            self.state.pending = {"tool": tool, "args": args, "token": result.confirmation.token}
            return self._reply(f"{result.confirmation.summary} Shall I go ahead?",
                               buttons=YES_NO, intent=f"orders.confirm.{task.intent}")
        return self._outcome(task, result.error, result.held, result.output)

    def _call(self, task: Task) -> tuple[str, dict[str, Any]]:
        tool = WRITE_TOOLS[task.intent]
        args: dict[str, Any]
        if task.intent == "cancel":
            args = {"order_id": task.order_id, "reason": task.reason}
        elif task.intent == "return":
            args = {"order_id": task.order_id, "item_ids": task.item_ids,
                    "payment_method_id": task.payment_method_id}
        elif task.intent in ("exchange", "modify_items"):
            args = {"order_id": task.order_id, "item_ids": task.item_ids,
                    "new_item_ids": task.new_item_ids,
                    "payment_method_id": task.payment_method_id}
        elif task.intent == "modify_payment":
            args = {"order_id": task.order_id, "payment_method_id": task.payment_method_id}
        else:
            assert task.address is not None
            args = dict(task.address)
            if task.intent == "modify_address":
                args = {"order_id": task.order_id, **args}
            else:
                args = {"user_id": self.tools.session.customer_id, **args}
        return tool, args

    async def _execute(self) -> Turn:
        pending = self.state.pending
        assert pending is not None
        self.state.pending = None
        self.tools.confirm(pending["token"])
        result = await self.tools.call(pending["tool"], pending["args"])
        task = self.state.tasks[0] if self.state.tasks else Task("unknown")
        return self._outcome(task, result.error, result.held, result.output)

    def _outcome(self, task: Task, error: str | None, held: str | None, output: str) -> Turn:
        if self.state.tasks:
            self.state.tasks.pop(0)
        if held is not None:
            return Turn(text=self.sign("This needs a quick approval from our team, so I've "
                                       "passed it on with all the details."),
                        handoff=Handoff(HandoffReason.OVER_CAP, held),
                        intent=f"orders.held.{task.intent}", state=self.state.to_json())
        if error is not None:
            reason = error.removeprefix("Error: ")
            return self._reply(f"I couldn't do that: {reason}. Anything else I can help with?",
                               intent=f"orders.refused.{task.intent}")
        done = {
            "cancel": "Done: the order is cancelled. The refund goes back to the original "
                      "payment method (gift cards at once, cards and PayPal in 5-7 business "
                      "days).",
            "return": "Done: your return is registered. You'll get an email with how to send "
                      "the items back; the refund follows once they arrive.",
            "exchange": "Done: your exchange is registered. You'll get an email with how to "
                        "send the items back; no new order is needed.",
            "modify_items": "Done: the items in your order are changed.",
            "modify_address": "Done: the order will ship to the new address.",
            "modify_payment": "Done: the order is now paid with the new method.",
            "default_address": "Done: your default address is updated.",
        }.get(task.intent, "Done.")
        return self._reply(f"{done} Anything else I can help with?",
                           intent=f"orders.done.{task.intent}")

    async def _what_ordered(self, customer: Customer) -> Turn:
        lines = []
        for oid in list(customer.order_ids)[-5:]:
            order = await self.tools.order(oid)
            lines.append(f"{order.id} ({order.status.value}): "
                         + ", ".join(i.name for i in order.items))
        text = "Your recent orders:\n" + "\n".join(lines) if lines else "I see no orders yet."
        return self._reply(text, intent="orders.list")

    def _reply(self, text: str, *, buttons: tuple[Button, ...] = (), intent: str) -> Turn:
        if self.notes and not text.startswith(self.notes[0]):
            text = " ".join(self.notes) + " " + text
        return Turn(text=self.sign(text), buttons=buttons, intent=intent,
                    state=self.state.to_json())


def status_text(order: Order) -> str:
    parts = [f"Order {order.id} is {order.status.value}."]
    now = datetime.now(UTC)
    for f in order.fulfillments:
        line = []
        if f.carrier:
            line.append(f"It ships with {f.carrier}")
        if f.tracking_ids:
            line.append(f"tracking number {', '.join(f.tracking_ids)}")
        if f.tracking_url:
            line.append(f"track it at {f.tracking_url}")
        if line:
            parts.append(", ".join(line) + ".")
        if f.delivered_at:
            parts.append(f"It was delivered on {f.delivered_at:%B %-d}.")
        elif f.estimated_delivery:
            eta = f.estimated_delivery
            if eta.tzinfo is None:
                eta = eta.replace(tzinfo=UTC)
            if eta < now:
                parts.append(f"It was expected by {eta:%B %-d} and is running late; I'm sorry. "
                             "Carriers usually catch up within a few days; if it hasn't "
                             "arrived in 3 business days, tell me and our team will chase it.")
            else:
                parts.append(f"It should arrive by {eta:%B %-d}.")
    if order.status is OrderStatus.PENDING:
        parts.append("It hasn't shipped yet, so it can still be changed or cancelled.")
    return " ".join(parts)


def items_text(order: Order) -> str:
    items = "; ".join(f"{i.name} ({i.options_text()}) {i.price:.2f}" for i in order.items)
    return f"Order {order.id} ({order.status.value}) has: {items}. Total {order.total:.2f}."
