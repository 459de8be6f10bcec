"""The built-in engine's order tasks: status, contents, refunds, cancel, return, exchange,
change items, address or payment.

A request becomes a task with slots (order, items, new options, payment method, reason,
address). Everything the shopper said while a task is open is kept and used once it can be
(an order number given before verification, items named before the order is known). Missing
slots are asked for one at a time; a second miss lists the choices as buttons, a third hands
off. A complete task goes to the tool layer, whose confirmation summary is shown with Yes/No
buttons. Guardrails are the tool layer's: this module only asks.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import omnichannel.i18n as i18n
from omnichannel.agent import orderrefs, ordertext, slots
from omnichannel.agent.dialogue import SAID_KEPT, State, Task
from omnichannel.agent.tools import ToolBox, ToolError
from omnichannel.agent.turn import Handoff, HandoffReason, Turn
from omnichannel.agent.understanding import confirm, entities
from omnichannel.commerce import CommerceError, Customer, Order, OrderStatus
from omnichannel.conversation import Button

_ = i18n.translator("orders")
ngettext = i18n.plural_translator("orders")


def yes_no() -> tuple[Button, ...]:
    """The Yes/No buttons of a confirmation, labelled in the turn's language."""
    return (Button(_("Yes, go ahead"), "yes"), Button(_("No"), "no"))


WRITE_TOOLS = {
    "cancel": "cancel_pending_order",
    "return": "return_delivered_order_items",
    "exchange": "exchange_delivered_order_items",
    "modify_items": "modify_pending_order_items",
    "modify_address": "modify_pending_order_address",
    "modify_payment": "modify_pending_order_payment",
    "default_address": "modify_user_address",
}
# Classifier intent -> task.
TASKS = {
    "order_status": "status", "order_items": "what_ordered", "cancel_order": "cancel",
    "return_items": "return", "exchange_items": "exchange", "modify_items": "modify_items",
    "modify_order_address": "modify_address", "modify_default_address": "default_address",
    "modify_payment": "modify_payment", "refund_status": "refund_status",
}
READ_TASKS = {"status", "what_ordered", "refund_status"}
MAX_MISSES = 2
ONLY_NOT = "order:another"  # "No, another one" when one order fits
SHIP_TO = ("the United States", "Canada", "Hawaii", "Alaska", "Puerto Rico")
_ASKS_BACK = re.compile(r"\?\s*$|^\W*(hold on|wait|hang on|what|how|why|when|where|do you|"
                        r"can you|is there|are you)\b", re.I)
_EVERYTHING = re.compile(r"\b(everything|all of it|all of them|all the items|all items|"
                         r"the whole (order|thing)|the entire order|whole order)\b", re.I)
_THAT_ORDER = re.compile(r"\b(it|that one|this one|that order|this order|the same order)\b",
                         re.I)
_AGAIN = re.compile(r"\b(too|as well|also|same|again|the other one|other order|that one)\b",
                    re.I)


def _anything_else() -> str:
    return _(" Anything else I can help with?")


class OrderFlow:
    """One turn of the order dialogue over a conversation's tool box."""

    def __init__(self, tools: ToolBox, state: State, sign: Any,
                 return_days: int | None = 30) -> None:
        self.tools = tools
        self.state = state
        self.sign = sign
        self.return_days = return_days
        self.notes: list[str] = []
        self.progress = False  # this turn filled something (a slot, the identity, the order)
        self.unmatched = False  # a name and postcode were given and matched nobody
        # The engine read this message as another request (a question in the middle of the
        # task): it fills no free-text slot.
        self.elsewhere = False

    # entry points ------------------------------------------------------------------------
    def remember(self, text: str) -> None:
        if text and (not self.state.said or self.state.said[-1] != text):
            self.state.said = [*self.state.said, text][-SAID_KEPT:]

    async def start(self, tasks: list[str], text: str) -> Turn:
        """New requests (the first is worked on, the rest wait their turn)."""
        self.state.pending = None
        self.state.offer = None
        current = {t.intent for t in self.state.tasks}
        fresh = [Task(t) for t in tasks if t not in current]
        self.state.tasks = fresh + [t for t in self.state.tasks if t.intent not in tasks]
        self.state.asking, self.state.misses = None, 0
        self.remember(text)
        await self.identify(text)
        return await self._advance(text)

    async def again(self, text: str) -> Turn | None:
        """ "and the other one too, same reason": the last task again, on another order."""
        last = self.state.last
        if last is None or not _AGAIN.search(text) or not self.tools.session.verified:
            return None
        customer = await self.tools.customer()
        orders = await self._orders(customer)
        named = orderrefs.resolve(text, orders, listed=self.state.listed, focus=self.state.focus)
        named = [o for o in named if o.id != last.get("order_id")]
        if not named:
            return None
        same = bool(re.search(r"\bsame\b", text, re.I))
        self.state.tasks = [Task(last["intent"], order_id=o.id,
                                 reason=last.get("reason") if same else None,
                                 payment_method_id=last.get("payment_method_id") if same
                                 else None) for o in named]
        self.remember(text)
        return await self._advance(text)

    async def pick(self, text: str) -> Turn | None:
        """ "the second one" after a list of orders: that order, shown."""
        if not self.state.listed or not self.tools.session.verified or len(text.split()) > 8:
            return None
        customer = await self.tools.customer()
        orders = await self._orders(customer)
        named = orderrefs.resolve(text, orders, listed=self.state.listed, focus=self.state.focus)
        if len(named) != 1:
            return None
        order = named[0]
        self.state.focus = order.id
        status = ordertext.status_text(order).split(". ", 1)
        more = f" {status[1]}" if len(status) > 1 else ""
        return self._reply(ordertext.items_text(order, self.tools.money) + more,
                           intent="orders.items")

    async def resume(self, text: str, button: str | None = None) -> Turn:
        """An answer to the question asked last."""
        if self.state.asking == "order" and len(self.state.listed) == 1 and self.state.tasks:
            answer = confirm.decide(text, None)
            if button == ONLY_NOT or answer is confirm.Answer.NO:
                task = self.state.tasks[0]
                self._finish()
                return self._reply(ordertext.none_eligible(task.intent, self.return_days,
                                                           others=True) + _anything_else(),
                                   intent=f"orders.refused.{task.intent}")
            elif answer is confirm.Answer.YES or not (
                    entities.order_ids(text) or self.elsewhere or _ASKS_BACK.search(text)):
                # A yes, or already the answer to the next question ("ordered by mistake").
                self.state.tasks[0].order_id = self.state.listed[0]
                self.progress = True
        self.remember(text)
        await self.identify(text)
        return await self._advance(text)

    async def identify(self, text: str) -> None:
        session = self.tools.session
        if session.verified:
            return
        memory = [text, *reversed(self.state.said)]
        earlier = [t for t in self.state.said if t != text]
        for first, last, code in entities.identity_guesses(text, earlier):
            result = await self.tools.call("find_user_id_by_name_zip", {
                "first_name": first, "last_name": last, "zip": code})
            if result.ok:
                self.notes.append(_("Thanks, {name}, you're verified.").format(name=first))
                self.progress = True
                return
            self.unmatched = True
        for said in memory:
            mail = entities.email(said)
            if mail is not None and session.claimed_customer_id is None:
                await self.tools.call("find_user_id_by_email", {"email": mail})
        if session.claimed_customer_id is not None:
            for said in memory:
                for oid in entities.order_ids(said):
                    try:
                        await self.tools.order(oid)
                    except (ToolError, CommerceError):
                        continue
                    if session.verified:
                        self.progress = True
                        return

    # the task ---------------------------------------------------------------------------
    async def _advance(self, text: str) -> Turn:
        if not self.state.tasks:
            return self._reply(_("What can I help you with?"), intent="orders.idle")
        task = self.state.tasks[0]
        if not self.tools.session.verified:
            if self.unmatched and entities.postcodes(text):
                return self._ask("identity", _("I couldn't find an account with that name "
                                               "and zip code. Could you check the spelling and "
                                               "the code? Your email and an order number work "
                                               "too."),
                                 intent=f"orders.verify.{task.intent}")
            if self.tools.session.claimed_customer_id is not None:
                # An email is known: one of its order numbers proves it.
                self.progress = self.progress or bool(entities.email(text))
                return self._ask("identity", _("Thanks. To confirm it's you, please give me "
                                               "the number of one of your orders (it's in the "
                                               "confirmation email), or your name and zip "
                                               "code."),
                                 intent=f"orders.verify.{task.intent}")
            if self.state.asking == "identity" and not entities.postcodes(text) and \
                    entities.names(text) and len(text.split()) <= 4:
                self.progress = True  # a name: the postcode is what is missing
                return self._ask("identity", _("Thanks. And the zip or postal code on your "
                                               "account?"), intent=f"orders.verify.{task.intent}")
            return self._ask("identity", _("To help with an order I first need to confirm who "
                                           "you are: please tell me your name and zip code, or "
                                           "your email and the order number (a Canadian or UK "
                                           "postal code works too)."),
                             intent=f"orders.verify.{task.intent}")
        customer = await self.tools.customer()
        if task.intent == "default_address":
            return await self._fill_and_propose(task, text, customer, None)
        orders = await self._orders(customer)
        try:
            chosen = await self._choose(task, text, orders)
        except (ToolError, CommerceError) as exc:
            self.state.tasks.pop(0)
            return self._reply(_("I couldn't find that order for you: {problem}. Could you "
                                 "check the order number?").format(problem=exc),
                               intent="orders.not_found")
        if not chosen:
            if task.intent == "what_ordered":
                self._finish()
                return self._list(orders, intent="orders.list")
            able = [o for o in orders if self._can(task.intent, o)]
            if task.intent == "refund_status":
                refunds = [o for o in orders if ordertext.has_refund(o)]
                if not refunds:
                    self._finish()
                    return self._reply(_("I don't see a refund, cancellation or return on any "
                                         "of your orders. If you'd like to return something, I "
                                         "can start that for you."),
                                       intent="orders.refund_status")
                if len(refunds) == 1:
                    orders = refunds
                else:
                    return self._ask_order(refunds, task)
            if len(orders) == 1:
                chosen = orders
            elif task.intent in READ_TASKS:
                return self._ask_order(orders, task)
            elif not able:
                # Eligibility before details: say at once that nothing can be done, and what can.
                self._finish()
                return self._reply(ordertext.none_eligible(task.intent, self.return_days) +
                                   _anything_else(),
                                   intent=f"orders.refused.{task.intent}")
            elif len(able) == 1:
                return self._ask_only(able[0], task)
            else:
                return self._ask_order(able, task)
        if len(chosen) > 1 and not orderrefs.says_all(text):
            chosen = orderrefs.eligible(task.intent, text, chosen)
            if len(chosen) > 1 and task.intent not in READ_TASKS:
                return self._ask_order(chosen, task)
        if len(chosen) > 1:
            if task.intent in READ_TASKS:
                return self._read_many(task, chosen)
            # "both of them": one task per order, in the order named.
            task.order_id = chosen[0].id
            extra = [Task(task.intent, order_id=o.id, reason=task.reason,
                          payment_method_id=task.payment_method_id) for o in chosen[1:]]
            self.state.tasks[1:1] = extra
        order = chosen[0]
        task.order_id = order.id
        self.state.focus = order.id
        if task.intent in READ_TASKS:
            self._finish()
            read = self._read_one(task, order)
            if not self.state.tasks:
                return read
            nxt = await self._advance(text)  # the other request of the same message
            return Turn(text=f"{read.text}\n\n{nxt.text}", buttons=nxt.buttons,
                        intent=nxt.intent, handoff=nxt.handoff, state=nxt.state)
        if order is not None and task.intent in ("exchange", "modify_items"):
            task.intent = "modify_items" if order.status is OrderStatus.PENDING else "exchange"
        problem = ordertext.ineligible(task.intent, order, self.return_days)
        if problem is not None:
            self._finish()
            return self._reply(problem + _anything_else(),
                               intent=f"orders.refused.{task.intent}")
        return await self._fill_and_propose(task, text, customer, order)

    async def _orders(self, customer: Customer) -> list[Order]:
        out = []
        for oid in customer.order_ids:
            try:
                out.append(await self.tools.order(oid))
            except (ToolError, CommerceError):
                continue
        return orderrefs.newest_first(out)

    async def _choose(self, task: Task, text: str, orders: list[Order]) -> list[Order]:
        if task.order_id is not None:
            match = [o for o in orders if o.id == task.order_id]
            if match:
                return match
        named = orderrefs.resolve(text, orders, listed=self.state.listed, focus=self.state.focus)
        if named:
            return named
        for said in reversed(self.state.said[:-1] if self.state.said else []):
            named = orderrefs.resolve(said, orders, listed=self.state.listed,
                                      focus=self.state.focus)
            if named:
                return named
        if self.state.focus and _THAT_ORDER.search(text):
            match = [o for o in orders if o.id == self.state.focus]
            if match:
                return match  # "what's in it", "cancel that one"
        ids = [i for s in self.state.said for i in entities.order_ids(s)]
        if ids and not any(o.id in ids for o in orders):
            await self.tools.order(ids[-1])  # the tool layer says why (unknown, not yours)
            raise ToolError(_("order {order_id} is not one of yours").format(order_id=ids[-1]))
        return []

    def _read_one(self, task: Task, order: Order) -> Turn:
        if task.intent == "status":
            return self._reply(ordertext.status_text(order), intent="orders.status")
        if task.intent == "refund_status":
            return self._reply(ordertext.refund_text(order, self.tools.money),
                               intent="orders.refund_status")
        return self._reply(ordertext.items_text(order, self.tools.money), intent="orders.items")

    def _read_many(self, task: Task, orders: list[Order]) -> Turn:
        self._finish()
        def render(order: Order) -> str:
            if task.intent == "status":
                return ordertext.status_text(order)
            if task.intent == "refund_status":
                return ordertext.refund_text(order, self.tools.money)
            return ordertext.items_text(order, self.tools.money)

        intent = {"status": "orders.status", "refund_status": "orders.refund_status"}.get(
            task.intent, "orders.items")
        return self._reply("\n".join(render(o) for o in orders), intent=intent)

    def _ask_only(self, order: Order, task: Task) -> Turn:
        """One order fits the request: ask whether it is the one rather than assume it."""
        self.state.listed = [order.id]
        verb = {"cancel": _("cancel"), "return": _("return items from"),
                "exchange": _("exchange items from"), "modify_items": _("change"),
                "modify_address": _("send elsewhere"),
                "modify_payment": _("pay another way")}.get(task.intent) or _("change")
        return self._ask("order", _("The only order I can {verb} now is {order}. Is it that "
                                    "one?").format(verb=verb, order=orderrefs.describe(order)),
                         buttons=(Button(_("Yes, that one"), order.id),
                                  Button(_("No, another one"), ONLY_NOT)),
                         intent=f"orders.ask_order.{task.intent}")

    def _can(self, task: str, order: Order) -> bool:
        if task in ("exchange", "modify_items"):  # the order's status picks which of the two
            return any(ordertext.ineligible(t, order, self.return_days) is None
                       for t in ("exchange", "modify_items"))
        return ordertext.ineligible(task, order, self.return_days) is None

    def _ask_order(self, orders: list[Order], task: Task) -> Turn:
        shown = orders[:5]
        self.state.listed = [o.id for o in shown]
        lines = "\n".join(f"- {orderrefs.describe(o)}" for o in shown)
        return self._ask("order", _("Which order is it? Your most recent ones:\n{lines}\nYou "
                                    "can give the number or describe it (\"the one with the "
                                    "boots\").").format(lines=lines),
                         buttons=tuple(Button(o.id, o.id) for o in shown[:4]),
                         intent=f"orders.ask_order.{task.intent}")

    def _list(self, orders: list[Order], *, intent: str) -> Turn:
        shown = orders[:5]
        self.state.listed = [o.id for o in shown]
        if not shown:
            return self._reply(_("I see no orders on your account yet."), intent=intent)
        lines = "\n".join(f"- {orderrefs.describe(o)}" for o in shown)
        older = len(orders) - 5
        more = ngettext(" (and {n} older)", " (and {n} older)", older).format(
            n=older) if older > 0 else ""
        return self._reply(_("Your most recent orders{more}:\n{lines}").format(
            more=more, lines=lines), intent=intent)

    async def _fill_and_propose(self, task: Task, text: str, customer: Customer,
                                order: Order | None) -> Turn:
        missing = await self._fill(task, text, customer, order)
        if missing is not None:
            return missing
        return await self._propose(task)

    def _texts(self, text: str) -> list[str]:
        """The current message first, then what was said before, newest first."""
        rest = [s for s in reversed(self.state.said) if s != text]
        return [text, *rest]

    async def _fill(self, task: Task, text: str, customer: Customer, order: Order | None
                    ) -> Turn | None:
        """Take what the shopper's words give; ask for the first slot still missing."""
        texts = self._texts(text)
        if task.intent == "cancel":
            if task.reason is None:
                task.reason = next((r for t in texts if (r := entities.cancel_reason(t))), None)
            if task.reason is None and self.state.asking == "reason" and len(
                    text.split()) >= 2 and not self.elsewhere and not _ASKS_BACK.search(
                    text) and confirm.decide(text, None) is confirm.Answer.UNCLEAR:
                task.reason = "no longer needed"  # any other reason the shopper gives
            if task.reason is None:
                return self._ask("reason", _("Why would you like to cancel order {order_id}?"
                                             ).format(order_id=order.id)
                                 if order is not None else _("Why would you like to cancel it?"),
                                 buttons=(Button(_("I no longer need it"), "no longer needed"),
                                          Button(_("I ordered it by mistake"),
                                                 "ordered by mistake")),
                                 intent="orders.ask_reason")
            return None
        if task.intent in ("modify_address", "default_address"):
            abroad = [c for c in entities.countries(text) if c not in SHIP_TO]
            if abroad and task.address is None:
                self._finish()
                return self._reply(_("I'm sorry, we ship only to the United States and "
                                     "Canada, so I can't send it to {country}. Anything else I "
                                     "can help with?").format(country=abroad[0]),
                                   intent=f"orders.refused.{task.intent}")
            if task.address is None:
                found = next((a for t in texts if (a := slots.address(t))), None)
                if found is not None:
                    task.address = asdict(found)
            if task.address is None:
                return self._ask("address", _("What's the new address? Please write it as "
                                              "street, apartment or suite (if any), city, "
                                              "state, zip code."),
                                 intent="orders.ask_address")
            return None
        if task.intent in ("return", "exchange", "modify_items"):
            assert order is not None
            if not task.item_ids and any(_EVERYTHING.search(t) for t in texts[:2]):
                task.item_ids = [i.item_id for i in order.items]
            if not task.item_ids:
                for t in texts:
                    mentions = slots.mentioned_items(orderrefs.without_description(t),
                                                     order.items)
                    if mentions:
                        task.item_ids = list(dict.fromkeys(m.item.item_id for m in mentions))
                        break
            if not task.item_ids and len(order.items) == 1:
                task.item_ids = [order.items[0].item_id]
            if not task.item_ids:
                names = "; ".join(ordertext.item_text(i.name, i.options_text())
                                  for i in order.items)
                return self._ask("items", _("Which items from {order_id}? It has: {items}."
                                            ).format(order_id=order.id, items=names),
                                 buttons=tuple(Button(i.name, f"the {i.name}")
                                               for i in order.items[:4])
                                 if len({i.name for i in order.items}) == len(order.items)
                                 else (),
                                 intent="orders.ask_items")
            if task.intent != "return":
                asked = await self._new_items(task, texts, order)
                if asked is not None:
                    return asked
        if task.intent in ("return", "exchange", "modify_items", "modify_payment"):
            if task.payment_method_id is None:
                for t in texts:
                    pm = slots.payment_method(t, customer, order)
                    if pm is not None:
                        task.payment_method_id = pm.id
                        break
            if task.payment_method_id is None and task.intent != "modify_payment":
                # Refunds and price differences go back to the method that paid the order
                # unless the shopper names another; the confirmation names it.
                original = slots.original_method(order, customer) if order else None
                if original is not None:
                    task.payment_method_id = original.id
            if task.payment_method_id is None:
                if task.intent == "return":
                    what = _("Where should the refund go (the original payment method, or a "
                             "gift card)?")
                elif task.intent == "modify_payment":
                    what = _("Which payment method should pay for the order?")
                else:
                    what = _("Which payment method should pay or receive the price "
                             "difference?")
                return self._ask("payment", what, buttons=tuple(
                    Button(pm.label(), pm.label()) for pm in customer.payment_methods[:4]),
                    intent="orders.ask_payment")
        return None

    async def _new_items(self, task: Task, texts: list[str], order: Order) -> Turn | None:
        """The new variant of each item, from "for one with ...", "size L", "in red" phrases.

        A phrase belongs to the item named just before it, else to the first item still
        without one. The same variant as before is allowed (a no-op swap).
        """
        by_id = {i.item_id: i for i in order.items}
        if len(task.new_item_ids) != len(task.item_ids):
            task.new_item_ids = [""] * len(task.item_ids)
        for text in reversed(texts):  # older first: newer words override
            for item, phrase in slots.item_option_pairs(text, order.items):
                slot = None
                if item is not None:
                    slot = next((k for k, iid in enumerate(task.item_ids)
                                 if iid == item.item_id and not task.new_item_ids[k]), None)
                if slot is None:
                    slot = next((k for k, v in enumerate(task.new_item_ids) if not v), None)
                if slot is None:
                    break
                old = by_id[task.item_ids[slot]]
                product = await self.tools.product(old.product_id)
                variant = slots.match_variant(phrase, product.variants, current=old.options)
                if variant is not None and not variant.available:
                    sold_out = ", ".join(f"{k} {v}" for k, v in variant.options)
                    choices = slots.option_choices(product.variants, old.options)
                    return self._ask("options", _("The {item} in {options} is sold out, I'm "
                                                  "afraid. In stock: {choices}. Which would you "
                                                  "like?").format(item=old.name,
                                                                  options=sold_out,
                                                                  choices=choices),
                                     intent="orders.ask_options")
                if variant is not None:
                    task.new_item_ids[slot] = variant.item_id
                    self.progress = True
        missing = [k for k, v in enumerate(task.new_item_ids) if not v]
        if not missing:
            return None
        first = by_id[task.item_ids[missing[0]]]
        product = await self.tools.product(first.product_id)
        choices = slots.option_choices(product.variants, first.options)
        hint = _(" For example: {choices}.").format(choices=choices) if choices else ""
        return self._ask("options", _("What would you like instead of the {item}?{hint}").format(
            item=ordertext.item_text(first.name, first.options_text()), hint=hint),
            intent="orders.ask_options")

    async def _propose(self, task: Task) -> Turn:
        tool, args = self._call(task)
        result = await self.tools.call(tool, args)
        if result.confirmation is not None:
            self.state.pending = {"tool": tool, "args": args, "token": result.confirmation.token,
                                  "summary": result.confirmation.summary}
            summaries = [result.confirmation.summary]
            # "Cancel both": the same request on other orders, complete, is asked at once.
            more = []
            for other in self.state.tasks[1:]:
                if other.intent != task.intent:
                    break
                other.reason = other.reason or task.reason
                if not self._complete(other):
                    break
                o_tool, o_args = self._call(other)
                o_result = await self.tools.call(o_tool, o_args)
                if o_result.confirmation is None:
                    break
                more.append({"tool": o_tool, "args": o_args,
                             "token": o_result.confirmation.token,
                             "summary": o_result.confirmation.summary})
                summaries.append(o_result.confirmation.summary)
            if more:
                self.state.pending["more"] = more
                self.state.pending["summary"] = " ".join(summaries)
            self.state.asking, self.state.misses = "confirm", 0
            ask = _("Shall I go ahead with both?") if len(summaries) == 2 else (
                ngettext("Shall I go ahead with all {n}?", "Shall I go ahead with all {n}?",
                         len(summaries)).format(n=len(summaries)) if more else
                _("Shall I go ahead?"))
            return self._reply(f"{' '.join(summaries)} {ask}",
                               buttons=yes_no(), intent=f"orders.confirm.{task.intent}")
        return self._outcome(task, result.error, result.held, result.output, result.amount)

    @staticmethod
    def _complete(task: Task) -> bool:
        if task.order_id is None:
            return False
        if task.intent == "cancel":
            return task.reason is not None
        if task.intent == "modify_payment":
            return task.payment_method_id is not None
        return False

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

    # confirmation -----------------------------------------------------------------------
    async def execute(self) -> Turn:
        pending = self.state.pending
        assert pending is not None
        self.state.pending = None
        texts = []
        done = None
        for call in [pending, *pending.get("more", [])]:
            self.tools.confirm(call["token"])
            result = await self.tools.call(call["tool"], call["args"])
            task = self.state.tasks[0] if self.state.tasks else Task("unknown")
            done = self._outcome(task, result.error, result.held, result.output,
                                 result.amount)
            texts.append(done.text)
            if done.handoff is not None:
                break
        assert done is not None
        if len(texts) > 1:
            done = Turn(text="\n".join(texts), buttons=done.buttons, handoff=done.handoff,
                        intent=done.intent, state=done.state)
        if done.handoff is not None or not self.state.tasks:
            return done
        nxt = await self._advance("")  # the next request waits no longer than this answer
        return Turn(text=f"{done.text}\n\n{nxt.text}", buttons=nxt.buttons, intent=nxt.intent,
                    handoff=nxt.handoff, state=nxt.state)

    def decline(self) -> Turn:
        self.state.pending = None
        if self.state.tasks:
            self.state.tasks.pop(0)
        self.state.said.clear()
        self.state.asking, self.state.misses = None, 0
        return self._reply(_("All right, I haven't changed anything. Anything else I can "
                             "help with?"), intent="orders.declined")

    def ask_again(self) -> Turn:
        """A reply to "shall I?" that is not a clear yes or no: nothing runs."""
        pending = self.state.pending
        assert pending is not None
        self.state.misses += 1
        summary = pending.get("summary") or _("make this change")
        return self._reply(_("I haven't done anything yet. Just to be sure: {summary} Shall I "
                             "go ahead? Please answer yes or no (or tell me what to "
                             "change).").format(summary=summary),
                           buttons=yes_no(), intent="orders.confirm_again")

    async def correct(self, text: str) -> Turn:
        """A correction while confirming: the slots it names are replaced, then asked again."""
        self.state.pending = None
        if not self.state.tasks:
            return self._reply(_("What would you like instead?"), intent="orders.idle")
        task = self.state.tasks[0]
        changed = False
        if entities.cancel_reason(text) and task.intent == "cancel":
            task.reason, changed = entities.cancel_reason(text), True
        if (a := slots.address(text)) is not None and task.address is not None:
            task.address, changed = asdict(a), True
        customer = await self.tools.customer()
        order = None
        if task.order_id:
            order = await self.tools.order(task.order_id)
        if order is not None and task.item_ids:
            named = slots.mentioned_items(text, order.items)
            if named and task.intent == "return":
                task.item_ids, changed = [m.item.item_id for m in named], True
            if task.intent in ("exchange", "modify_items") and (
                    slots.option_words(text) or slots.item_option_pairs(text, order.items)):
                task.new_item_ids, changed = [], True
        pm = slots.payment_method(text, customer, order)
        if pm is not None and task.payment_method_id is not None:
            task.payment_method_id, changed = pm.id, True
        other = [o for o in entities.order_ids(text) if o != task.order_id]
        if other:
            self.state.tasks[0] = Task(task.intent, order_id=other[0])
            changed = True
        self.remember(text)
        if not changed:
            self.state.asking = None
            return self._reply(_("No problem, I haven't changed anything. What should be "
                                 "different?"), intent="orders.correction")
        return await self._advance(text)

    # helpers ----------------------------------------------------------------------------
    def _finish(self) -> None:
        if self.state.tasks:
            self.state.tasks.pop(0)
        self.state.asking, self.state.misses = None, 0
        if not self.state.tasks:
            self.state.said.clear()

    def _outcome(self, task: Task, error: str | None, held: str | None, output: str,
                 amount: float = 0.0) -> Turn:
        self._finish()
        if held is not None:  # the router's handoff notice follows: this says why
            why = (_("A refund of {amount} is more than I can approve on my own, so a person "
                     "from our team needs to check it.").format(amount=self.tools.money(amount))
                   if amount > 0 else _("This is something I can't approve on my own, so a "
                                        "person from our team needs to check it."))
            return Turn(text=self.sign(why),
                        handoff=Handoff(HandoffReason.OVER_CAP, held),
                        intent=f"orders.held.{task.intent}", state=self.state.to_json())
        if error is not None:
            reason = error.removeprefix("Error: ")
            return self._reply(_("I couldn't do that: {reason}. Anything else I can help "
                                 "with?").format(reason=reason),
                               intent=f"orders.refused.{task.intent}")
        done = {
            "cancel": _("Done: the order is cancelled. The refund goes back to the original "
                        "payment method (gift cards at once, cards and PayPal in 5-7 business "
                        "days)."),
            "return": _("Done: your return is registered. You'll get an email with how to "
                        "send the items back; the refund follows once they arrive."),
            "exchange": _("Done: your exchange is registered. You'll get an email with how to "
                          "send the items back; no new order is needed."),
            "modify_items": _("Done: the items in your order are changed."),
            "modify_address": _("Done: the order will ship to the new address."),
            "modify_payment": _("Done: the order is now paid with the new method."),
            "default_address": _("Done: your default address is updated."),
        }.get(task.intent) or _("Done.")
        self.state.last = asdict(task)
        follow = "" if self.state.tasks else _anything_else()
        return self._reply(f"{done}{follow}", intent=f"orders.done.{task.intent}")

    def _ask(self, slot: str, text: str, *, buttons: tuple[Button, ...] = (),
             intent: str) -> Turn:
        if self.state.asking == slot and not self.progress:
            self.state.misses += 1
        elif self.state.asking != slot:
            self.state.misses = 0
        self.state.asking = slot
        if self.state.misses >= MAX_MISSES:
            task = self.state.tasks[0].intent if self.state.tasks else "order"
            self.state.clear()
            return Turn(text=self.sign(_("I'm sorry, I'm not getting this right, and I'd "
                                         "rather a person looked at it than guess.")),
                        handoff=Handoff(HandoffReason.REPEATED_FAILURE,
                                        f"could not get the {slot} for a {task} request"),
                        intent="handoff.repeated_failure", state=self.state.to_json(),
                        failed=True)
        if self.state.misses == 1:
            text = _("Sorry, I didn't catch that. {question}").format(question=text)
        return self._reply(text, buttons=buttons, intent=intent)

    def _reply(self, text: str, *, buttons: tuple[Button, ...] = (), intent: str) -> Turn:
        if self.notes and not text.startswith(self.notes[0]):
            text = " ".join(self.notes) + " " + text
        return Turn(text=self.sign(text), buttons=buttons, intent=intent,
                    state=self.state.to_json())
