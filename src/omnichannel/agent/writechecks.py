"""Everything that can refuse a write, checked when the write is proposed.

A shopper is asked to confirm only what would run: eligibility (status, return window),
the items and options named, the payment method, and the money (never more than was paid).
The refund caps are checked beside these (guardrails.check_caps) before the confirmation is
asked, and again when the write runs. Refusals raise ToolError with a message safe to show.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import omnichannel.i18n as i18n
from omnichannel.agent.guardrails import Policy
from omnichannel.agent.ordertext import status_name
from omnichannel.commerce import (
    Commerce,
    CommerceError,
    Customer,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentSource,
    Variant,
)

_ = i18n.translator("orders")
ngettext = i18n.plural_translator("orders")


class ToolError(Exception):
    """Refused by a guardrail; the message is safe to show (in the turn's language)."""


def eligible(policy: Policy, name: str, order: Order) -> None:
    """The order's status (and the return window) allows this write."""
    if name == "refund_order":
        if order.status in (OrderStatus.CANCELLED, OrderStatus.PENDING):
            raise ToolError(_("order {order_id} is {status}; nothing to refund beyond what a "
                              "cancellation already returns").format(
                order_id=order.id, status=status_name(order.status)))
        return
    if name.startswith(("cancel_pending", "modify_pending")):
        if order.status is not OrderStatus.PENDING:
            raise ToolError(_("order {order_id} is {status}; only pending orders can be "
                              "changed or cancelled").format(
                order_id=order.id, status=status_name(order.status)))
    elif order.status is not OrderStatus.DELIVERED:
        raise ToolError(_("order {order_id} is {status}; only delivered orders can be "
                          "returned or exchanged").format(
            order_id=order.id, status=status_name(order.status)))
    elif policy.return_window_days is not None and order.delivered_at is not None:
        now = datetime.now(order.delivered_at.tzinfo)
        if now - order.delivered_at > timedelta(days=policy.return_window_days):
            raise ToolError(ngettext("order {order_id} was delivered more than {days} day ago",
                                     "order {order_id} was delivered more than {days} days ago",
                                     policy.return_window_days).format(
                order_id=order.id, days=policy.return_window_days))


def net_paid(order: Order) -> float:
    """What the order's payments minus its refunds leave."""
    total = sum(p.amount if p.transaction_type == "payment" else -p.amount
                for p in order.payment_history)
    return max(round(total, 2), 0.0)


def _paid_with(order: Order) -> set[str]:
    return {p.payment_method_id for p in order.payment_history
            if p.transaction_type == "payment"}


def _method(customer: Customer, method_id: str) -> PaymentMethod:
    method = customer.payment(str(method_id).strip())
    if method is None:
        raise ToolError(_("that payment method is not on your account"))
    return method


def _refund_to(customer: Customer, order: Order, method_id: str) -> PaymentMethod:
    method = _method(customer, method_id)
    if method.id not in _paid_with(order) and method.source is not PaymentSource.GIFT_CARD:
        raise ToolError(_("refunds go back to a payment method that paid for this order, or "
                          "to a gift card on your account"))
    return method


def _items(order: Order, item_ids: list[str]) -> None:
    have = Counter(i.item_id for i in order.items)
    wanted = Counter(item_ids)
    if not item_ids:
        raise ToolError(_("no items were named"))
    missing = [i for i, n in wanted.items() if n > have.get(i, 0)]
    if missing:
        raise ToolError(_("item {item_id} is not in order {order_id}").format(
            item_id=missing[0], order_id=order.id))


async def new_variants(commerce: Commerce, order: Order, item_ids: list[str],
                       new_item_ids: list[str]) -> list[Variant]:
    """The new options, each of the same product as the item it replaces and available."""
    if len(new_item_ids) != len(item_ids):
        raise ToolError(_("name one new option for each item that changes"))
    products = {i.item_id: i.product_id for i in order.items}
    out = []
    for old, new in zip(item_ids, new_item_ids, strict=True):
        try:
            variant = (await commerce.get_product(products[old])).variant(new)
        except CommerceError:
            variant = None
        if variant is None:
            raise ToolError(_("{new} is not an option of the same product as {old}").format(
                new=new, old=old))
        if not variant.available:
            raise ToolError(_("that option ({new}) is not available right now").format(new=new))
        out.append(variant)
    return out


async def check_write(commerce: Commerce, customer: Customer, name: str,
                      args: dict[str, Any], order: Order) -> float:
    """Refuse what would fail; return the money the write gives back (for the caps)."""
    prices = {i.item_id: i.price for i in order.items}
    if name == "cancel_pending_order":
        return order.total
    if name == "refund_order":
        _refund_to(customer, order, args["payment_method_id"])
        amount = round(float(args["amount"]), 2)
        if not amount > 0:
            raise ToolError(_("a refund must be a positive amount"))
        left = net_paid(order)
        if amount > left:
            # English keeps the plain number it always gave; other languages their own.
            left_text = f"{left:.2f}" if i18n.current() == i18n.DEFAULT else i18n.number(left)
            raise ToolError(_("that is more than was paid for order {order_id} (at most "
                              "{amount} can be refunded)").format(
                order_id=order.id, amount=left_text))
        return amount
    if name == "modify_pending_order_payment":
        method = _method(customer, args["payment_method_id"])
        if method.id in _paid_with(order) and len(_paid_with(order)) == 1:
            raise ToolError(_("the order is already paid with that method"))
        if method.source is PaymentSource.GIFT_CARD and (method.balance or 0.0) < order.total:
            raise ToolError(_("the gift card's balance does not cover the order"))
        return 0.0
    if name == "modify_pending_order_address":
        return 0.0
    _items(order, list(args["item_ids"]))
    if name == "return_delivered_order_items":
        _refund_to(customer, order, args["payment_method_id"])
        return round(sum(prices[i] for i in args["item_ids"]), 2)
    variants = await new_variants(commerce, order, list(args["item_ids"]),
                                  list(args["new_item_ids"]))
    method = _method(customer, args["payment_method_id"])
    old = sum(prices[i] for i in args["item_ids"])
    new = sum(v.price for v in variants)
    more = round(new - old, 2)
    if more > 0 and method.source is PaymentSource.GIFT_CARD and (method.balance or 0.0) < more:
        raise ToolError(_("the gift card's balance does not cover the price difference"))
    return round(max(0.0, old - new), 2)
