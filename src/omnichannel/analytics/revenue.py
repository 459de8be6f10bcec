"""Revenue influenced: orders that followed the agent's product or promo suggestions.

The attribution rule (stated with every figure): an order counts when the shopper's
customer record placed it within `window_days` after a conversation in which the agent
recommended a product or gave a promo code, and it was not cancelled; an order is credited
once, to the latest such conversation before it (last touch), at its item total. Orders
come from the commerce backend (`Commerce.list_orders`), never from the conversation text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC

from omnichannel.commerce import Commerce, CommerceError, Order, OrderStatus
from omnichannel.store.analytics import History

log = logging.getLogger(__name__)
DAY = 86400.0

# Tools whose successful call is a recommendation (LLM engine) or a promo given.
PRODUCT_TOOLS = frozenset({"search_products", "get_product_details", "list_all_product_types"})
PROMO_TOOLS = frozenset({"lookup_promo_code"})
# A code as an answer names it ("Code SPRING10: ...", "use WELCOME15 at checkout").
_CODE = re.compile(r"\b[A-Z][A-Z0-9-]{2,19}\b")


def rule_text(window_days: float) -> str:
    return (f"orders placed by the same customer within {window_days:g} days after a "
            "conversation in which the agent recommended a product or gave a promo code; "
            "cancelled orders excluded; each order credited once, to the latest such "
            "conversation before it (last touch), at its item total")


@dataclass(frozen=True, slots=True)
class Attributed:
    order_id: str
    conversation_id: int
    customer_id: str
    placed_at: float
    total: float
    via: str  # "product" | "promo"


@dataclass
class Revenue:
    rule: str
    window_days: float
    conversations_with_suggestions: int = 0
    conversations_with_customer: int = 0
    influencing_conversations: int = 0
    orders: int = 0
    revenue: float = 0.0
    by_kind: dict[str, float] = field(default_factory=dict)
    attributed: list[Attributed] = field(default_factory=list)
    errors: int = 0  # backend lookups that failed (those customers are left out)


@dataclass(frozen=True, slots=True)
class Suggestion:
    conversation_id: int
    at: float
    via: str


async def suggestions(h: History, catalog: list[str], commerce: Commerce,
                      promo_cache: dict[str, bool]) -> list[Suggestion]:
    """When, in one conversation, the agent suggested a product or gave a promo code."""
    found: list[Suggestion] = []
    for a in h.actions:
        if a.result.strip().lower().startswith("error"):
            continue
        if a.tool in PRODUCT_TOOLS:
            found.append(Suggestion(h.id, a.created_at, "product"))
        elif a.tool in PROMO_TOOLS:
            found.append(Suggestion(h.id, a.created_at, "promo"))
    names = [n for n in catalog if len(n) >= 4]
    for m in h.messages:
        if m.role != "agent" or m.purged or m.delivery in ("cancelled", "dropped", "failed"):
            continue
        low = m.text.lower()
        if any(re.search(rf"\b{re.escape(n)}\b", low) for n in names):
            found.append(Suggestion(h.id, m.created_at, "product"))
        for code in set(_CODE.findall(m.text)):
            if code not in promo_cache:
                try:
                    promo = await commerce.get_promo(code)
                except CommerceError:
                    promo = None
                promo_cache[code] = promo is not None
            if promo_cache[code]:
                found.append(Suggestion(h.id, m.created_at, "promo"))
    return sorted(found, key=lambda s: s.at)


def placed_at(order: Order) -> float | None:
    if order.created_at is None:
        return None
    at = order.created_at
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


async def influenced(histories: list[History], commerce: Commerce,
                     window_days: float) -> Revenue:
    """Revenue influenced by the conversations in `histories` (see the module docstring)."""
    out = Revenue(rule=rule_text(window_days), window_days=window_days)
    try:
        catalog = [p.name.lower() for p in await commerce.list_products()]
    except CommerceError:
        catalog = []
        out.errors += 1
    promos: dict[str, bool] = {}
    by_customer: dict[str, list[Suggestion]] = {}
    emails: dict[str, str | None] = {}
    for h in histories:
        found = await suggestions(h, catalog, commerce, promos)
        if not found:
            continue
        out.conversations_with_suggestions += 1
        customer = h.customer_id or next((a.customer_id for a in h.actions if a.customer_id),
                                         None)
        if customer is None and h.email:
            if h.email not in emails:
                try:
                    emails[h.email] = await commerce.find_customer_by_email(h.email)
                except CommerceError:
                    emails[h.email] = None
                    out.errors += 1
            customer = emails[h.email]
        if customer is None:
            continue
        out.conversations_with_customer += 1
        by_customer.setdefault(customer, []).extend(found)
    window = window_days * DAY
    for customer, found in by_customer.items():
        try:
            orders = await commerce.list_orders(customer)
        except CommerceError:
            log.warning("revenue: orders unavailable", extra={"customer": customer})
            out.errors += 1
            continue
        for order in orders:
            at = placed_at(order)
            if at is None or order.status is OrderStatus.CANCELLED:
                continue
            before = [s for s in found if s.at < at <= s.at + window]
            if not before:
                continue
            touch = max(before, key=lambda s: s.at)
            out.attributed.append(Attributed(
                order_id=order.id, conversation_id=touch.conversation_id,
                customer_id=customer, placed_at=at, total=order.total, via=touch.via))
    seen: set[str] = set()
    unique = []
    for a in sorted(out.attributed, key=lambda a: a.placed_at):
        if a.order_id not in seen:
            seen.add(a.order_id)
            unique.append(a)
    out.attributed = unique
    out.orders = len(unique)
    out.revenue = round(sum(a.total for a in unique), 2)
    for a in unique:
        out.by_kind[a.via] = round(out.by_kind.get(a.via, 0.0) + a.total, 2)
    out.influencing_conversations = len({a.conversation_id for a in unique})
    return out
