"""How orders read to a shopper: status and tracking, contents, and what a status allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from omnichannel.commerce import Order, OrderStatus

# What each task needs of an order's status.
NEEDS_PENDING = {"cancel", "modify_items", "modify_address", "modify_payment"}
NEEDS_DELIVERED = {"return", "exchange"}


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


Money = Callable[[float], str]


def items_text(order: Order, fmt: Money = "{:.2f}".format) -> str:
    items = "; ".join(f"{i.name} ({i.options_text()}) {fmt(i.price)}" for i in order.items)
    return f"Order {order.id} ({order.status.value}) has: {items}. Total {fmt(order.total)}."


def has_refund(order: Order) -> bool:
    """The order has money coming back or on its way back (refunded, cancelled, returned)."""
    return order.status in (OrderStatus.CANCELLED, OrderStatus.RETURN_REQUESTED,
                            OrderStatus.EXCHANGE_REQUESTED) or any(
        p.transaction_type == "refund" for p in order.payment_history)


def refund_text(order: Order, fmt: Money = "{:.2f}".format) -> str:
    """Where the money of a cancelled or returned order stands."""
    refunds = [p for p in order.payment_history if p.transaction_type == "refund"]
    if refunds:
        total = sum(p.amount for p in refunds)
        return (f"A refund of {fmt(total)} for order {order.id} has been issued to the original "
                "payment method. Cards and PayPal usually show it within 5-10 business days; "
                "gift cards at once.")
    if order.status is OrderStatus.RETURN_REQUESTED:
        return (f"The return for order {order.id} is registered. The refund is issued once the "
                "items arrive back with us and are checked, usually 5-10 business days after.")
    if order.status is OrderStatus.CANCELLED:
        return (f"Order {order.id} is cancelled; the refund goes back to the original payment "
                "method (gift cards at once, cards and PayPal in 5-7 business days).")
    return (f"I don't see a refund for order {order.id}: it is {order.status.value}. If you'd "
            "like to return something from it, I can start that for you.")


def ineligible(task: str, order: Order, return_days: int | None) -> str | None:
    """Why `task` cannot be done on this order, with what can be done instead; None if it can."""
    status = order.status
    if task in NEEDS_PENDING and status is not OrderStatus.PENDING:
        what = {"cancel": "cancelled", "modify_items": "changed",
                "modify_address": "sent to another address",
                "modify_payment": "paid another way"}[task]
        if status in (OrderStatus.SHIPPED, OrderStatus.PROCESSED):
            window = f" within {return_days} days" if return_days else ""
            gone = "shipped" if status is OrderStatus.SHIPPED else "been processed"
            return (f"Order {order.id} has already {gone}, so it can't be "
                    f"{what} any more. Once it arrives you can return it{window} for a refund, "
                    "or exchange it; I can also tell you where it is.")
        if status is OrderStatus.PENDING_ITEMS_MODIFIED:
            return (f"The items of order {order.id} were already changed once, so it can't be "
                    f"{what} here any more; a person from our team can help.")
        if status is OrderStatus.DELIVERED:
            return (f"Order {order.id} was already delivered, so it can't be {what}; you can "
                    "return or exchange items from it instead.")
        return f"Order {order.id} is {status.value}, so it can't be {what}."
    if task in NEEDS_DELIVERED and status is not OrderStatus.DELIVERED:
        verb = "returned" if task == "return" else "exchanged"
        if status is OrderStatus.PENDING:
            return (f"Order {order.id} hasn't shipped yet, so there's nothing to send back: I "
                    "can cancel it, or change its items, instead.")
        if status in (OrderStatus.SHIPPED, OrderStatus.PROCESSED):
            return (f"Order {order.id} is on its way ({status.value}); items can be {verb} once "
                    "it has been delivered.")
        return f"Order {order.id} is {status.value}, so items can't be {verb} from it."
    if task in NEEDS_DELIVERED and return_days and order.delivered_at is not None:
        delivered = order.delivered_at
        if delivered.tzinfo is None:
            delivered = delivered.replace(tzinfo=UTC)
        if datetime.now(UTC) - delivered > timedelta(days=return_days):
            return (f"Order {order.id} was delivered on {delivered:%B %-d}, more than "
                    f"{return_days} days ago, so it's past the return window. If something is "
                    "faulty, our warranty may still cover it: a person from our team can help.")
    return None


def none_eligible(task: str, return_days: int | None, others: bool = False) -> str:
    """None of the shopper's orders (`others`: none but the one offered) allows `task`:
    what is possible instead."""
    window = f" within {return_days} days of delivery" if return_days else ""
    if others:
        lead = ("Your other orders can't be changed or cancelled any more"
                if task in NEEDS_PENDING or task == "modify_items" else
                "Your other orders can't be returned or exchanged right now")
        rule = ("only orders that haven't shipped yet can" if task in NEEDS_PENDING or
                task == "modify_items" else f"that works for delivered orders{window}")
        return (f"{lead}: {rule}. I can tell you where an order is, or a person from our "
                "team can look at it with you.")
    if task in NEEDS_PENDING or task == "modify_items":
        what = {"cancel": "cancelled", "modify_items": "changed",
                "modify_address": "sent to another address",
                "modify_payment": "paid another way"}.get(task, "changed")
        return (f"None of your orders can be {what} any more: only orders that haven't shipped "
                f"yet can. Once an order arrives you can return it{window} or exchange it, and "
                "I can tell you where a shipped one is.")
    return (f"None of your orders can be returned or exchanged right now: that works for "
            f"delivered orders{window}. If an order is still on its way, I can tell you where "
            "it is; one that hasn't shipped yet can be cancelled or changed instead.")
