"""Intent categories: what the autonomy ladder counts and configures per category.

A turn's category comes from the write it made or proposed (the strongest signal), else
from its intent. Categories: tracking, cancel, return, exchange, address, payment, refund,
product, policy, other.
"""

from __future__ import annotations

from collections.abc import Iterable

CATEGORIES = ("tracking", "cancel", "return", "exchange", "address", "payment", "refund",
              "product", "policy", "other")

WRITE_CATEGORY = {
    "cancel_pending_order": "cancel",
    "modify_pending_order_address": "address",
    "modify_user_address": "address",
    "modify_pending_order_payment": "payment",
    "modify_pending_order_items": "exchange",
    "return_delivered_order_items": "return",
    "exchange_delivered_order_items": "exchange",
    "refund_order": "refund",
}

_TASKS = {"cancel": "cancel", "return": "return", "exchange": "exchange",
          "address": "address", "payment": "payment", "items": "exchange",
          "refund": "refund", "modify": "address"}


def category_for(intent: str | None, tools: Iterable[str] = ()) -> str:
    for tool in tools:
        if tool in WRITE_CATEGORY:
            return WRITE_CATEGORY[tool]
    intent = intent or ""
    if intent.startswith("orders.ask_order."):
        return _TASKS.get(intent.rsplit(".", 1)[1], "tracking")
    if intent.startswith("orders."):
        for key, category in _TASKS.items():
            if key in intent:
                return category
        return "tracking"
    if intent.startswith("catalog.promo"):
        return "product"
    if intent.startswith("catalog."):
        return "product"
    if intent.startswith("faq."):
        return "policy"
    return "other"
