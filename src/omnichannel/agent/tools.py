"""The tool layer: typed tools over the shop, shared by every engine, guarded in code.

Tool names and arguments follow the τ-bench retail tools so gold action logs replay as-is.
Each call passes through, in order: argument check, identity, ownership, eligibility,
confirmation, caps, then the backend with an idempotency key; every call is recorded.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, is_dataclass
from functools import lru_cache
from typing import Any

import omnichannel.i18n as i18n
from omnichannel.agent.guardrails import (
    ActionRecorder,
    Confirmation,
    Policy,
    RefundLedger,
    Session,
    Verification,
    action_token,
    check_caps,
)
from omnichannel.agent.money import money
from omnichannel.agent.toolschema import check_args, tool_schema
from omnichannel.agent.writechecks import ToolError as ToolError
from omnichannel.agent.writechecks import check_write, eligible
from omnichannel.commerce import (
    Address,
    Commerce,
    CommerceError,
    Customer,
    NeedsPerson,
    NotFound,
    Order,
    Product,
    Promo,
)
from omnichannel.conversation import ActionEntry

_ = i18n.translator("orders")
NOT_YOURS = _("that order was not found among the verified customer's orders")

CANCEL_REASONS = ("no longer needed", "ordered by mistake")
# A tool's output (compared as it is); deferred_words() is how a shopper reads it.
DEFERRED = ("Submitted: a member of our team approves this before it takes effect; it runs "
            "as soon as they do.")


def deferred_words() -> str:
    """DEFERRED in the turn's language."""
    return _("Submitted: a member of our team approves this before it takes effect; it runs "
             "as soon as they do.")


def reason_words(reason: str) -> str:
    """A cancel reason as the shopper reads it ("no longer needed", "ya no lo necesito")."""
    if reason == "no longer needed":
        return _("no longer needed")
    if reason == "ordered by mistake":
        return _("ordered by mistake")
    return reason
WRITES = {
    "cancel_pending_order": True,  # irreversible
    "modify_pending_order_address": False,
    "modify_pending_order_payment": False,
    "modify_pending_order_items": False,
    "return_delivered_order_items": False,
    "exchange_delivered_order_items": False,
    "modify_user_address": False,
    "refund_order": True,
}


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call gave. `output` is what an engine or a model reads."""

    output: str
    error: str | None = None
    confirmation: Confirmation | None = None
    held: str | None = None
    handoff: bool = False
    # The money the write gives back (a held or confirmable write names it to the shopper).
    amount: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.confirmation is None and self.held is None


def typed(order_id: str, words: str) -> bool:
    """The shopper wrote this order number themselves ("#W5442520", "w5442520", "5442520")."""
    core = re.sub(r"[^0-9a-z]", "", order_id.lower())
    digits = re.sub(r"\D", "", core)
    for token in re.findall(r"[#\w-]+", words.lower()):
        t = re.sub(r"[^0-9a-z]", "", token)
        if t and (t == core or (len(digits) >= 5 and t == digits)):
            return True
    return False


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, tuple) and value and all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value
    ):
        return {k: _jsonable(v) for k, v in value}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def as_json(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"))


_OPS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.USub: operator.neg, ast.UAdd: operator.pos,
}


def _calc(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _calc(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_calc(node.left), _calc(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_calc(node.operand))
    raise ValueError("only numbers and + - * / ( ) are allowed")


class ToolBox:
    """The tools one conversation may use, bound to its shop, session and limits."""

    def __init__(
        self,
        commerce: Commerce,
        session: Session,
        policy: Policy,
        *,
        conversation_key: str,
        ledger: RefundLedger | None = None,
        recorder: ActionRecorder | None = None,
        defer: Callable[[str], bool] | None = None,
        approved_by: str | None = None,
        currency: str = "USD",
        shopper_words: str | None = None,
    ) -> None:
        """`defer(tool)`: true for a write that staff must approve first (assisted mode):
        the write passes every guard, is recorded in `proposed` instead of running, and the
        engine hears it was submitted. `approved_by`: the writes run now on a person's
        approval (the shopper's confirmation was given when the draft was made)."""
        self.defer = defer
        self.approved_by = approved_by
        self.currency = currency  # amounts shown to the shopper are in the shop's currency
        # What the shopper wrote in this conversation: an email proves who they are only with
        # an order number THEY gave (None: no such check, for callers that pass ids typed).
        self.shopper_words = shopper_words
        self.proposed: list[dict[str, Any]] = []
        self.called: list[str] = []  # tool names, in order (the turn's category uses them)
        self._ran: list[str] = []  # writes and transfers that acted, this turn
        self.commerce = commerce
        self.session = session
        self.policy = policy
        self.key = conversation_key
        self.ledger = ledger
        self.recorder = recorder
        self._refund = 0.0  # of the write in progress, for the record and the caps
        self._tools: dict[str, Callable[..., Awaitable[str]]] = {
            name: getattr(self, name) for name in TOOL_NAMES
        }

    def money(self, amount: float) -> str:
        return money(amount, self.currency)

    def schemas(self, verified: bool | None = None) -> list[dict[str, Any]]:
        """JSON schemas of the tools; `verified` narrows them to what the session can use
        (lookups before verification, no identity lookups after it)."""
        names = list(self._tools)
        if verified is False:
            names = [n for n in names if n in _BEFORE_VERIFICATION]
        elif verified is True:
            names = [n for n in names if not n.startswith("find_user_id")]
        return [_schema(n) for n in names]

    async def done(self) -> set[str]:
        """Tools that acted in this conversation so far (writes that ran, transfers): what a
        reply may say was done."""
        ran = set(self._ran)
        if self.recorder is not None:
            ran |= await self.recorder.done_tools()
        return ran

    def confirm(self, token: str) -> None:
        """The shopper said yes to exactly the action this token names."""
        self.session.confirmed.add(token)

    async def call(self, name: str, args: dict[str, Any]) -> ToolResult:
        self.called.append(name)
        fn = self._tools.get(name)
        if fn is None:
            result = ToolResult("", error=f"Error: unknown tool {name!r}")
        elif (problem := check_args(fn, args)) is not None:
            result = ToolResult("", error=f"Error: {problem}")
        else:
            result = await self._guarded(name, fn, args)
        await self._record(name, args, result)
        if result.ok and result.output != DEFERRED and (
                name in WRITES or name == "transfer_to_human_agents"):
            self._ran.append(name)
        return result

    async def _guarded(
        self, name: str, fn: Callable[..., Awaitable[str]], args: dict[str, Any]
    ) -> ToolResult:
        self._refund = 0.0
        try:
            if name in WRITES:
                gate = await self._gate(name, args)
                if gate is not None:
                    return gate
                if self.defer is not None and self.defer(name):
                    self.proposed.append({"tool": name, "args": args})
                    return ToolResult(DEFERRED)
            out = await fn(**args)
        except NeedsPerson as exc:  # the shop's state is uncertain: a person checks
            self._refund = 0.0
            return ToolResult("", held=f"the shop needs a person to check: {exc}")
        except (ToolError, CommerceError) as exc:
            self._refund = 0.0
            return ToolResult("", error=f"Error: {exc}")
        return ToolResult(out, handoff=name == "transfer_to_human_agents")

    async def _gate(self, name: str, args: dict[str, Any]) -> ToolResult | None:
        """Identity, ownership, eligibility, the shop's own checks and the caps, all before the
        confirmation is asked (a shopper confirms only what would run); the caps again when
        the write runs, since other refunds may have happened in between."""
        customer_id = self._require_verified()
        amount = 0.0
        if name == "modify_user_address":
            if args["user_id"] != customer_id:
                raise ToolError(_("you can only change your own address"))
            order = None
        else:
            order = await self._owned_order(args["order_id"])
            eligible(self.policy, name, order)
            if name == "cancel_pending_order" and args["reason"] not in CANCEL_REASONS:
                raise ToolError(_("the reason must be 'no longer needed' or 'ordered by "
                                  "mistake'"))
            amount = await check_write(self.commerce, await self.customer(), name, args, order)
        if order is not None:
            verdict = await check_caps(self.policy, self.ledger, customer_id, order.id, amount)
            if not verdict.allowed:
                return ToolResult("", held=f"needs staff approval: {verdict.reason}",
                                  amount=amount)
        token = action_token(name, args)
        if not (self.session.auto_confirm or self.approved_by or
                token in self.session.confirmed):
            return ToolResult("", confirmation=Confirmation(
                token, name, await self._summary(name, args, order, amount),
                irreversible=WRITES[name]), amount=amount)
        self._refund = amount
        self.session.confirmed.discard(token)
        return None

    # identity and ownership
    def _require_verified(self) -> str:
        if self.session.customer_id is None:
            raise ToolError(_("please verify your identity first (email and an order "
                              "number, or name and zip code)"))
        return self.session.customer_id

    async def _owned_order(self, order_id: str) -> Order:
        # An order that does not exist and one of another customer read the same, so a
        # shopper never learns that someone else's order number exists.
        try:
            order = await self.commerce.get_order(order_id)
        except NotFound:
            self._require_verified()
            raise ToolError(_(NOT_YOURS)) from None
        if self.session.customer_id is None and (
            self.session.claimed_customer_id == order.customer_id
        ) and (self.shopper_words is None or typed(order.id, self.shopper_words)):
            self.session.verify(order.customer_id, Verification.EMAIL_AND_ORDER)
        if self.session.customer_id is None:
            self._require_verified()
        if order.customer_id != self.session.customer_id:
            raise ToolError(_(NOT_YOURS))
        return order

    def _adopt(self, customer_id: str, how: Verification | None) -> None:
        """One customer per conversation: another identity is refused, never switched to."""
        if self.session.customer_id not in (None, customer_id):
            raise ToolError(_("this conversation is already verified as another "
                              "customer; I can only help that customer here"))
        if how is not None:
            self.session.verify(customer_id, how)
        elif self.session.customer_id is None:
            self.session.claimed_customer_id = customer_id

    async def _summary(self, name: str, args: dict[str, Any], order: Order | None,
                       amount: float = 0.0) -> str:
        """The action in the shopper's words: item names and options, payment labels, and
        the money it gives back."""
        names = {i.item_id: f"{i.name} ({i.options_text()})" for i in (order.items if order
                                                                       else ())}
        items = "; ".join(names.get(i, i) for i in args.get("item_ids", []))
        pay = args.get("payment_method_id", "")
        try:
            method = (await self.customer()).payment(pay) if pay else None
        except CommerceError:
            method = None
        pay = method.label() if method else pay
        if args.get("new_item_ids") and order is not None:
            products = {i.item_id: i.product_id for i in order.items}
            prices = {i.item_id: i.price for i in order.items}
            new = []
            difference = 0.0
            for old, new_id in zip(args["item_ids"], args["new_item_ids"], strict=False):
                try:
                    variant = (await self.commerce.get_product(products.get(old, ""))).variant(
                        new_id)
                except CommerceError:
                    variant = None
                opts = ", ".join(f"{k} {v}" for k, v in variant.options) if variant else new_id
                new.append(f"{names.get(old, old).split(' (')[0]} ({opts})")
                if variant is not None:
                    difference += variant.price - prices.get(old, variant.price)
            args_new = "; ".join(new)
            difference = round(difference, 2)
            if difference > 0:
                args_new += _(" (you pay {amount} more)").format(amount=self.money(difference))
            elif difference < 0:
                args_new += _(" (you get {amount} back)").format(amount=self.money(-difference))
            else:
                args_new += _(" (same price)")
        else:
            args_new = ""
        oid = args.get("order_id", "")
        if name == "cancel_pending_order":
            return _("Cancel order {order_id} ({reason}). This cannot be undone; the refund "
                     "of {amount} goes back to the original payment method.").format(
                order_id=oid, reason=reason_words(str(args["reason"])),
                amount=self.money(amount))
        if name == "return_delivered_order_items":
            return _("Return from order {order_id}: {items}. Refund of {amount} to "
                     "{method}.").format(order_id=oid, items=items, amount=self.money(amount),
                                         method=pay)
        if name == "exchange_delivered_order_items":
            return _("Exchange in order {order_id}: {items}, for {new_items}; any price "
                     "difference via {method}.").format(order_id=oid, items=items,
                                                        new_items=args_new, method=pay)
        if name == "modify_pending_order_items":
            return _("Change items in order {order_id}: {items}, to {new_items}; any price "
                     "difference via {method}. Items can be changed only once, so please make "
                     "sure this is everything.").format(order_id=oid, items=items,
                                                        new_items=args_new, method=pay)
        if name == "modify_pending_order_payment":
            return _("Pay for order {order_id} with {method} instead.").format(
                order_id=oid, method=pay)
        if name == "refund_order":
            return _("Refund {amount} for order {order_id} to {method}.").format(
                amount=self.money(float(args["amount"])), order_id=oid, method=pay)
        address = ", ".join(str(args[k]) for k in ("address1", "address2", "city", "state",
                                                    "zip", "country") if args.get(k))
        if name == "modify_pending_order_address":
            return _("Ship order {order_id} to {address}.").format(order_id=oid,
                                                                   address=address)
        return _("Change your default address to {address}.").format(address=address)

    async def _record(self, name: str, args: dict[str, Any], result: ToolResult) -> None:
        if self.recorder is None:
            return
        if result.confirmation is not None:
            outcome = "needs confirmation"
        elif result.held is not None:
            outcome = result.held
        else:
            outcome = result.error or result.output[:2000]
        approved = (self.approved_by or ("replay" if self.session.auto_confirm else "shopper")
                    ) if (name in WRITES and result.ok) else None
        if result.output == DEFERRED:
            approved = None
        await self.recorder.record(ActionEntry(
            tool=name, args=args, outcome=outcome, approved_by=approved,
            customer_id=self.session.customer_id,
            order_id=args.get("order_id") if isinstance(args.get("order_id"), str) else None,
            refund=self._refund if result.ok else 0.0,
        ))

    # typed reads for the built-in engine, behind the same identity and ownership checks
    async def customer(self) -> Customer:
        return await self.commerce.get_customer(self._require_verified())

    async def order(self, order_id: str) -> Order:
        return await self._owned_order(order_id)

    async def product(self, product_id: str) -> Product:
        return await self.commerce.get_product(product_id)

    async def products(self, query: str) -> list[Product]:
        return await self.commerce.search_products(query)

    async def promo(self, code: str) -> Promo | None:
        return await self.commerce.get_promo(code)

    # tools: public
    async def list_all_product_types(self) -> str:
        """List every product type with its product id."""
        products = await self.commerce.list_products()
        return json.dumps({p.name: p.id for p in sorted(products, key=lambda p: p.name)})

    async def get_product_details(self, product_id: str) -> str:
        """Get a product's variants: options, availability and price.

        Args:
            product_id: the product id (not an item id)
        """
        return as_json(await self.commerce.get_product(product_id))

    async def search_products(self, query: str) -> str:
        """Find products by name or description words.

        Args:
            query: words the shopper used, like "leather boots"
        """
        return as_json(await self.commerce.search_products(query))

    async def lookup_promo_code(self, code: str) -> str:
        """Look up a promo code's rules.

        Args:
            code: the code as the shopper typed it
        """
        promo = await self.commerce.get_promo(code)
        if promo is None:
            raise ToolError(_("promo code {code} does not exist").format(code=repr(code)))
        return as_json(promo)

    async def calculate(self, expression: str) -> str:
        """Calculate an arithmetic expression with + - * / and parentheses.

        Args:
            expression: for example "(49.99 - 12.5) * 2"
        """
        try:
            return str(round(_calc(ast.parse(expression, mode="eval")), 2))
        except (SyntaxError, ValueError, ZeroDivisionError) as exc:
            raise ToolError(f"cannot calculate {expression!r}: {exc}") from exc

    async def think(self, thought: str) -> str:
        """Think out loud; changes nothing.

        Args:
            thought: the reasoning
        """
        return ""

    async def transfer_to_human_agents(self, summary: str) -> str:
        """Hand the conversation to the shop's staff with a summary.

        Args:
            summary: what the shopper needs and what was tried
        """
        return "Transfer successful"

    # tools: identity
    async def find_user_id_by_email(self, email: str) -> str:
        """Find a customer's user id by email (proof of identity needs an order number too).

        Args:
            email: the shopper's email address
        """
        found = await self.commerce.find_customer_by_email(email)
        if found is None:
            raise ToolError(_("user not found"))
        verified = Verification.REPLAY if self.session.auto_confirm else None
        self._adopt(found, verified if self.session.customer_id is None else None)
        return found

    async def find_user_id_by_name_zip(self, first_name: str, last_name: str, zip: str) -> str:
        """Find and verify a customer by first name, last name and zip code.

        Args:
            first_name: the shopper's first name
            last_name: the shopper's last name
            zip: the zip or postal code of their address
        """
        found = await self.commerce.find_customer_by_name_zip(first_name, last_name, zip)
        if found is None:
            raise ToolError(_("user not found"))
        self._adopt(found, Verification.NAME_ZIP)
        return found

    async def get_user_details(self, user_id: str) -> str:
        """Get the verified customer's profile: address, payment methods and orders.

        Args:
            user_id: the verified customer's user id
        """
        customer_id = self._require_verified()
        if user_id != customer_id:
            raise ToolError(_("I can only share details of the verified customer"))
        return as_json(await self.commerce.get_customer(user_id))

    async def get_order_details(self, order_id: str) -> str:
        """Get an order of the verified customer: status, items, tracking and payments.

        Args:
            order_id: the order id, like "#W0000000"
        """
        return as_json(await self._owned_order(order_id))

    # tools: writes (guarded in _gate before they run)
    async def cancel_pending_order(self, order_id: str, reason: str) -> str:
        """Cancel a pending order. Irreversible.

        Args:
            order_id: the order id
            reason: "no longer needed" or "ordered by mistake"
        """
        return self._done(await self.commerce.cancel_order(
            order_id, reason, key=self._key("cancel_pending_order", order_id, reason)))

    async def modify_pending_order_address(
        self, order_id: str, address1: str, address2: str, city: str, state: str,
        country: str, zip: str,
    ) -> str:
        """Change the shipping address of a pending order.

        Args:
            order_id: the order id
        """
        address = Address(address1, address2, city, state, country, zip)
        return self._done(await self.commerce.modify_order_address(
            order_id, address, key=self._key("modify_pending_order_address", order_id,
                                             address)))

    async def modify_pending_order_payment(self, order_id: str, payment_method_id: str) -> str:
        """Pay for a pending order with another of the customer's payment methods.

        Args:
            order_id: the order id
            payment_method_id: for example "credit_card_1234567" or "gift_card_7654321"
        """
        return self._done(await self.commerce.modify_order_payment(
            order_id, payment_method_id,
            key=self._key("modify_pending_order_payment", order_id, payment_method_id)))

    async def modify_pending_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str],
        payment_method_id: str,
    ) -> str:
        """Swap items of a pending order for other options of the same products (once only).

        Args:
            order_id: the order id
            item_ids: the item ids to change
            new_item_ids: the new item ids, same order and products
            payment_method_id: pays or receives the price difference
        """
        return self._done(await self.commerce.modify_order_items(
            order_id, item_ids, new_item_ids, payment_method_id,
            key=self._key("modify_pending_order_items", order_id, item_ids, new_item_ids,
                          payment_method_id)))

    async def return_delivered_order_items(
        self, order_id: str, item_ids: list[str], payment_method_id: str
    ) -> str:
        """Return items of a delivered order; the refund goes to the original payment method
        or a gift card.

        Args:
            order_id: the order id
            item_ids: the item ids to return
            payment_method_id: where the refund goes
        """
        return self._done(await self.commerce.return_items(
            order_id, item_ids, payment_method_id,
            key=self._key("return_delivered_order_items", order_id, item_ids,
                          payment_method_id)))

    async def exchange_delivered_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str],
        payment_method_id: str,
    ) -> str:
        """Exchange items of a delivered order for other options of the same products.

        Args:
            order_id: the order id
            item_ids: the item ids to exchange
            new_item_ids: the new item ids, same order and products
            payment_method_id: pays or receives the price difference
        """
        return self._done(await self.commerce.exchange_items(
            order_id, item_ids, new_item_ids, payment_method_id,
            key=self._key("exchange_delivered_order_items", order_id, item_ids, new_item_ids,
                          payment_method_id)))

    async def modify_user_address(
        self, user_id: str, address1: str, address2: str, city: str, state: str,
        country: str, zip: str,
    ) -> str:
        """Change the verified customer's default address.

        Args:
            user_id: the verified customer's user id
        """
        address = Address(address1, address2, city, state, country, zip)
        result = await self.commerce.update_default_address(
            user_id, address, key=self._key("modify_user_address", user_id, address))
        return as_json(result.customer)

    async def refund_order(self, order_id: str, amount: float, payment_method_id: str) -> str:
        """Refund part or all of what was paid for an order, within the shop's caps.

        Args:
            order_id: the order id
            amount: the amount to refund, in the shop's currency
            payment_method_id: a method that paid for the order, or a gift card
        """
        return self._done(await self.commerce.refund(
            order_id, amount, payment_method_id,
            key=self._key("refund_order", order_id, amount, payment_method_id)))

    def _key(self, *parts: Any) -> str:
        return f"{self.key}:{action_token(str(parts[0]), {'args': list(parts[1:])})}"

    @staticmethod
    def _done(result: Any) -> str:
        return as_json(result.order)


TOOL_NAMES = (
    "find_user_id_by_email", "find_user_id_by_name_zip", "get_user_details",
    "get_order_details", "get_product_details", "list_all_product_types", "search_products",
    "lookup_promo_code", "calculate", "think", "transfer_to_human_agents",
    "cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment",
    "modify_pending_order_items", "return_delivered_order_items",
    "exchange_delivered_order_items", "modify_user_address", "refund_order",
)

_BEFORE_VERIFICATION = {
    "find_user_id_by_email", "find_user_id_by_name_zip", "get_order_details",
    "get_product_details", "list_all_product_types", "search_products", "lookup_promo_code",
    "calculate", "think", "transfer_to_human_agents",
}


@lru_cache(maxsize=64)
def _schema(name: str) -> dict[str, Any]:
    """Schemas depend on the signatures only: built once per tool."""
    return tool_schema(name, getattr(ToolBox, name))
