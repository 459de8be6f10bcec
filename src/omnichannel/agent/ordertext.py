"""How orders read to a shopper: status and tracking, contents, and what a status allows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import omnichannel.i18n as i18n
from omnichannel.commerce import Order, OrderStatus

_ = i18n.translator("orders")
ngettext = i18n.plural_translator("orders")

# What each task needs of an order's status.
NEEDS_PENDING = {"cancel", "modify_items", "modify_address", "modify_payment"}
NEEDS_DELIVERED = {"return", "exchange"}


def status_name(status: OrderStatus) -> str:
    """A status as a shopper reads it: "delivered", "entregado", "zugestellt"."""
    names = {
        OrderStatus.PENDING: _("pending"),
        OrderStatus.PENDING_ITEMS_MODIFIED: _("pending (item modified)"),
        OrderStatus.PROCESSED: _("processed"),
        OrderStatus.SHIPPED: _("shipped"),
        OrderStatus.DELIVERED: _("delivered"),
        OrderStatus.CANCELLED: _("cancelled"),
        OrderStatus.RETURN_REQUESTED: _("return requested"),
        OrderStatus.EXCHANGE_REQUESTED: _("exchange requested"),
    }
    return names.get(status, status.value)


def day(value: date | datetime) -> str:
    """ "May 3" in English (as always); the language's long date elsewhere."""
    if i18n.current() == i18n.DEFAULT:
        return f"{value:%B %-d}"
    return i18n.day(value)


def be_done(task: str) -> str:
    """What a task would do to the order, after "can't" / "can": "be cancelled"."""
    if task == "cancel":
        return _("be cancelled")
    if task == "modify_address":
        return _("be sent to another address")
    if task == "modify_payment":
        return _("be paid another way")
    return _("be changed")


def status_text(order: Order) -> str:
    parts = [_("Order {order_id} is {status}.").format(order_id=order.id,
                                                       status=status_name(order.status))]
    now = datetime.now(UTC)
    for f in order.fulfillments:
        line = []
        if f.carrier:
            line.append(_("It ships with {carrier}").format(carrier=f.carrier))
        if f.tracking_ids:
            line.append(_("tracking number {numbers}").format(numbers=", ".join(f.tracking_ids)))
        if f.tracking_url:
            line.append(_("track it at {url}").format(url=f.tracking_url))
        if line:
            parts.append(", ".join(line) + ".")
        if f.delivered_at:
            parts.append(_("It was delivered on {day}.").format(day=day(f.delivered_at)))
        elif f.estimated_delivery:
            eta = f.estimated_delivery
            if eta.tzinfo is None:
                eta = eta.replace(tzinfo=UTC)
            if eta < now:
                parts.append(_("It was expected by {day} and is running late; I'm sorry. "
                               "Carriers usually catch up within a few days; if it hasn't "
                               "arrived in 3 business days, tell me and our team will chase "
                               "it.").format(day=day(eta)))
            else:
                parts.append(_("It should arrive by {day}.").format(day=day(eta)))
    if order.status is OrderStatus.PENDING:
        parts.append(_("It hasn't shipped yet, so it can still be changed or cancelled."))
    return " ".join(parts)


Money = Callable[[float], str]


def item_text(name: str, options: str) -> str:
    """ "Kettle (capacity 1L, color black)"."""
    return f"{name} ({options})"


def items_text(order: Order, fmt: Money = "{:.2f}".format) -> str:
    items = "; ".join(f"{item_text(i.name, i.options_text())} {fmt(i.price)}"
                      for i in order.items)
    return _("Order {order_id} ({status}) has: {items}. Total {total}.").format(
        order_id=order.id, status=status_name(order.status), items=items,
        total=fmt(order.total))


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
        return _("A refund of {amount} for order {order_id} has been issued to the original "
                 "payment method. Cards and PayPal usually show it within 5-10 business days; "
                 "gift cards at once.").format(amount=fmt(total), order_id=order.id)
    if order.status is OrderStatus.RETURN_REQUESTED:
        return _("The return for order {order_id} is registered. The refund is issued once the "
                 "items arrive back with us and are checked, usually 5-10 business days "
                 "after.").format(order_id=order.id)
    if order.status is OrderStatus.CANCELLED:
        return _("Order {order_id} is cancelled; the refund goes back to the original payment "
                 "method (gift cards at once, cards and PayPal in 5-7 business "
                 "days).").format(order_id=order.id)
    return _("I don't see a refund for order {order_id}: it is {status}. If you'd like to "
             "return something from it, I can start that for you.").format(
        order_id=order.id, status=status_name(order.status))


def _within(return_days: int | None) -> str:
    if not return_days:
        return ""
    return ngettext(" within {days} day", " within {days} days", return_days).format(
        days=return_days)


def _within_delivery(return_days: int | None) -> str:
    if not return_days:
        return ""
    return ngettext(" within {days} day of delivery", " within {days} days of delivery",
                    return_days).format(days=return_days)


def ineligible(task: str, order: Order, return_days: int | None) -> str | None:
    """Why `task` cannot be done on this order, with what can be done instead; None if it can."""
    status = order.status
    oid = order.id
    if task in NEEDS_PENDING and status is not OrderStatus.PENDING:
        what = be_done(task)
        if status in (OrderStatus.SHIPPED, OrderStatus.PROCESSED):
            text = (_("Order {order_id} has already shipped, so it can't {what} any more. Once "
                      "it arrives you can return it{window} for a refund, or exchange it; I can "
                      "also tell you where it is.") if status is OrderStatus.SHIPPED else
                    _("Order {order_id} has already been processed, so it can't {what} any "
                      "more. Once it arrives you can return it{window} for a refund, or "
                      "exchange it; I can also tell you where it is."))
            return text.format(order_id=oid, what=what, window=_within(return_days))
        if status is OrderStatus.PENDING_ITEMS_MODIFIED:
            return _("The items of order {order_id} were already changed once, so it can't "
                     "{what} here any more; a person from our team can help.").format(
                order_id=oid, what=what)
        if status is OrderStatus.DELIVERED:
            return _("Order {order_id} was already delivered, so it can't {what}; you can "
                     "return or exchange items from it instead.").format(order_id=oid, what=what)
        return _("Order {order_id} is {status}, so it can't {what}.").format(
            order_id=oid, status=status_name(status), what=what)
    if task in NEEDS_DELIVERED and status is not OrderStatus.DELIVERED:
        verb = _("be returned") if task == "return" else _("be exchanged")
        if status is OrderStatus.PENDING:
            return _("Order {order_id} hasn't shipped yet, so there's nothing to send back: I "
                     "can cancel it, or change its items, instead.").format(order_id=oid)
        if status in (OrderStatus.SHIPPED, OrderStatus.PROCESSED):
            return _("Order {order_id} is on its way ({status}); items can {verb} once it has "
                     "been delivered.").format(order_id=oid, status=status_name(status),
                                               verb=verb)
        return _("Order {order_id} is {status}, so items can't {verb} from it.").format(
            order_id=oid, status=status_name(status), verb=verb)
    if task in NEEDS_DELIVERED and return_days and order.delivered_at is not None:
        delivered = order.delivered_at
        if delivered.tzinfo is None:
            delivered = delivered.replace(tzinfo=UTC)
        if datetime.now(UTC) - delivered > timedelta(days=return_days):
            return ngettext(
                "Order {order_id} was delivered on {day}, more than {days} day ago, so it's "
                "past the return window. If something is faulty, our warranty may still cover "
                "it: a person from our team can help.",
                "Order {order_id} was delivered on {day}, more than {days} days ago, so it's "
                "past the return window. If something is faulty, our warranty may still cover "
                "it: a person from our team can help.", return_days).format(
                order_id=oid, day=day(delivered), days=return_days)
    return None


def none_eligible(task: str, return_days: int | None, others: bool = False) -> str:
    """None of the shopper's orders (`others`: none but the one offered) allows `task`:
    what is possible instead."""
    window = _within_delivery(return_days)
    changes = task in NEEDS_PENDING or task == "modify_items"
    if others:
        if changes:
            return _("Your other orders can't be changed or cancelled any more: only orders "
                     "that haven't shipped yet can. I can tell you where an order is, or a "
                     "person from our team can look at it with you.")
        return _("Your other orders can't be returned or exchanged right now: that works for "
                 "delivered orders{window}. I can tell you where an order is, or a person from "
                 "our team can look at it with you.").format(window=window)
    if changes:
        return _("None of your orders can {what} any more: only orders that haven't shipped "
                 "yet can. Once an order arrives you can return it{window} or exchange it, and "
                 "I can tell you where a shipped one is.").format(
            what=be_done(task), window=window)
    return _("None of your orders can be returned or exchanged right now: that works for "
             "delivered orders{window}. If an order is still on its way, I can tell you where "
             "it is; one that hasn't shipped yet can be cancelled or changed "
             "instead.").format(window=window)
