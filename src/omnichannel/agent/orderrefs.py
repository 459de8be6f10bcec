"""Which order the shopper means: by number, by what is in it, by recency or position.

"the one with the headphones", "my most recent order", "the other one", "both of them";
lists are newest first. Pure functions over the verified customer's orders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import omnichannel.i18n as i18n
from omnichannel.agent import ordertext, slots
from omnichannel.agent.understanding import entities
from omnichannel.commerce import Order, OrderStatus

ngettext = i18n.plural_translator("orders")

_LATEST = re.compile(r"\b(last|latest|most recent|newest|recent|current|new|just (placed|made|"
                     r"ordered)|yesterday'?s|today'?s)\b(?! (week|month|year|time))", re.I)
_OLDEST = re.compile(r"\b(first|oldest|earliest|older|previous)\b (order|one|purchase)", re.I)
_OTHER = re.compile(r"\b(the )?other (one|order)\b|\bnot (that|this) one\b|\bthe second one\b",
                    re.I)
_BOTH = re.compile(r"\b(both|all (of )?(them|my orders|the orders|those)|each of them|"
                   r"the two (orders|of them))\b", re.I)
_ORDINAL = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
            "4th": 3}
_NTH = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th) (one|order)\b", re.I)


_DESCRIBED = re.compile(
    r"\b(?:my|the|your|our) (?:\w+ )?(?:order|purchase|package) (?:with|containing|that (?:has|"
    r"had|contains|included)|which (?:has|had)|including|of) (?:only |just )?"
    r"(?P<items>(?:the |a |an |my )?[\w'&+-]+(?:[ -][\w'&+-]+)*?(?: ?\([^()]*\))?"
    r"(?:(?:,? and| &|,) (?:the|a|an|my) [\w'&+-]+(?:[ -][\w'&+-]+)*?(?: ?\([^()]*\))?|"
    r"(?:,? and| &) [\w'&+-]+(?:[ -][\w'&+-]+)*?(?: ?\([^()]*\))?)*)"
    r"(?=\s*[,.;!?]|\s+(?:I|i|please|with|and I|from|for|to|that|which|has|hasn'?t|have|was|is|"
    r"isn'?t|did|didn'?t|so|but|because)\b|$)", re.I)


def eligible(task: str, text: str, orders: Sequence[Order]) -> list[Order]:
    """Of several orders that fit a description, those the task can act on; the shopper's
    own word for the state ("my pending order", "the one I received") first."""
    pending = [o for o in orders if o.status is OrderStatus.PENDING]
    delivered = [o for o in orders if o.status is OrderStatus.DELIVERED]
    if re.search(r"\b(pending|not (yet )?shipped|hasn'?t shipped|unshipped)\b", text, re.I):
        return pending or list(orders)
    if re.search(r"\b(delivered|received|arrived|got it)\b", text, re.I):
        return delivered or list(orders)
    if task in ("cancel", "modify_items", "modify_address", "modify_payment"):
        return pending or list(orders)
    if task in ("return", "exchange"):
        return delivered or list(orders)
    return list(orders)


def described(text: str) -> str | None:
    """The items an order is described by: "my order with the Kettle and the Clock"."""
    m = _DESCRIBED.search(text)
    return m.group("items") if m else None


def without_description(text: str) -> str:
    """The text with the order's description taken out, so that the items describing the
    order are not read as the items to act on."""
    return _DESCRIBED.sub("the order", text)


def _when(order: Order) -> datetime:
    when = order.created_at or datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def says_all(text: str) -> bool:
    """ "both of them", "all my orders"."""
    return bool(_BOTH.search(text))


def newest_first(orders: Sequence[Order]) -> list[Order]:
    """Newest first by creation time; without times, the shop's own order (latest last)."""
    indexed = list(enumerate(orders))
    indexed.sort(key=lambda p: (_when(p[1]), p[0]), reverse=True)
    return [o for _i, o in indexed]


def by_items(text: str, orders: Sequence[Order]) -> list[Order]:
    """Orders holding an item the text names (by product name or its head word)."""
    tw = set(slots.words(text))
    scored: list[tuple[int, Order]] = []
    for order in orders:
        best: dict[str, int] = {}  # per product name: an order holding two counts once
        for item in order.items:
            name = slots.words(item.name)
            if slots.has_phrase(text, item.name):
                hit = 3
            elif name and name[-1] in tw and len(name[-1]) > 2:
                hit = 2
            elif any(w in tw for w in name if len(w) > 3):
                hit = 1
            else:
                continue
            if item.options and all(set(slots.words(v)) <= tw for _k, v in item.options):
                hit += 2  # "the Cycling Helmet (size S, color blue)": this very item
            best[item.name] = max(best.get(item.name, 0), hit)
        if any(h >= 2 for h in best.values()):
            best = {k: h for k, h in best.items() if h >= 2}  # a named item outweighs a word
        hits = sum(best.values())
        if hits:
            scored.append((hits, order))
    if not scored:
        return []
    top = max(h for h, _o in scored)
    return [o for h, o in scored if h == top]


def resolve(text: str, orders: Sequence[Order], *, listed: Sequence[str] = (),
            focus: str | None = None) -> list[Order]:
    """The orders `text` points at (empty when it names none). `listed`: ids shown to the
    shopper last, in the order shown; `focus`: the order the conversation was about."""
    by_id = {o.id: o for o in orders}
    ids = [i for i in entities.order_ids(text) if i in by_id]
    if ids:
        return [by_id[i] for i in ids]
    ranked = newest_first(orders)
    shown = [by_id[i] for i in listed if i in by_id] or ranked
    if _BOTH.search(text) and len(shown) >= 2:
        return list(shown)
    if _OTHER.search(text):
        rest = [o for o in shown if o.id != focus]
        if len(rest) == 1 or (rest and focus is not None):
            return rest[:1]
    if m := _NTH.search(text):
        k = _ORDINAL[m.group(1).lower()]
        if k < len(shown):
            return [shown[k]]
    desc = described(text)
    items = by_items(desc, orders) if desc else by_items(text, orders)
    if desc and len(items) > 1 and re.search(r"\bonly\b", text, re.I):
        # "my order with only the Kettle": the order whose items are all named.
        exact = [o for o in items if all(slots.has_phrase(desc, i.name) for i in o.items)]
        items = exact or items
    if items:
        if len(items) > 1 and _LATEST.search(text):
            return newest_first(items)[:1]
        return newest_first(items)
    if _OLDEST.search(text) and ranked:
        return [ranked[-1]]
    if _LATEST.search(text) and ranked and re.search(r"\b(order|one|purchase|package)\b",
                                                      text, re.I):
        return ranked[:1]
    return []


def describe(order: Order) -> str:
    """A short label a shopper recognises: number, status and the first items."""
    names = [i.name for i in order.items]
    more = len(names) - 2
    shown = ", ".join(names[:2]) + (ngettext(" and {n} more", " and {n} more", more).format(
        n=more) if more > 0 else "")
    return f"{order.id} ({ordertext.status_name(order.status)}: {shown})"
