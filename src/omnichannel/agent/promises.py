"""The promise guard: a reply may not promise an action no tool has taken."""

from __future__ import annotations

import re

_PROMISE = re.compile(
    r"\b(?:i'll|i will|i am going to|i'm going to|we'll|we will|let me|i can go ahead and)\s+"
    r"(?:now\s+|also\s+|go ahead and\s+)?"
    r"(email|send|refund|process|cancel|ship|contact|follow up|call|transfer|connect|escalate|"
    r"credit|replace|issue|arrange|reship|exchange|return)\b"
    r"|\byou(?:'ll| will) (?:receive|get) (?:a |an |your )?(refund|replacement|email|credit|"
    r"call)\b"
    r"|\b(?:i'm|i am) (transferring|connecting|escalating|refunding|cancell?ing)\b",
    re.I,
)

_WRITES = {"cancel_pending_order", "return_delivered_order_items", "refund_order",
           "exchange_delivered_order_items", "modify_pending_order_items",
           "modify_pending_order_address", "modify_pending_order_payment", "modify_user_address"}
_REFUNDS = {"cancel_pending_order", "return_delivered_order_items", "refund_order",
            "modify_pending_order_payment", "modify_pending_order_items",
            "exchange_delivered_order_items"}
# Which successful tool calls make a promise true.
_SUPPORT: dict[str, set[str]] = {
    "refund": _REFUNDS, "credit": _REFUNDS, "issue": _REFUNDS,
    "email": {"return_delivered_order_items", "exchange_delivered_order_items",
              "cancel_pending_order"},
    "send": {"return_delivered_order_items", "exchange_delivered_order_items"},
    "cancel": {"cancel_pending_order"}, "cancelling": {"cancel_pending_order"},
    "canceling": {"cancel_pending_order"},
    "return": {"return_delivered_order_items"},
    "exchange": {"exchange_delivered_order_items"},
    "replace": {"exchange_delivered_order_items"},
    "replacement": {"exchange_delivered_order_items"},
    "ship": {"modify_pending_order_address", "exchange_delivered_order_items"},
    "process": _WRITES, "arrange": _WRITES, "refunding": _REFUNDS,
    "transfer": {"transfer_to_human_agents"}, "transferring": {"transfer_to_human_agents"},
    "connect": {"transfer_to_human_agents"}, "connecting": {"transfer_to_human_agents"},
    "escalate": {"transfer_to_human_agents"}, "escalating": {"transfer_to_human_agents"},
    "contact": {"transfer_to_human_agents"}, "follow up": {"transfer_to_human_agents"},
    "call": set(), "reship": set(),
}


def broken_promises(text: str, done: set[str]) -> list[str]:
    """Promised actions in `text` that no successful tool call in `done` backs."""
    out = []
    for m in _PROMISE.finditer(text):
        verb = next(g for g in m.groups() if g).lower()
        if not (_SUPPORT.get(verb, set()) & done):
            out.append(m.group(0))
    return out
