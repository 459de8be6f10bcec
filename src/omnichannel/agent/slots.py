"""Reading facts out of a shopper's words: order numbers, identity, items, options, payment,
addresses, reasons. Pure functions over text and the shop's own records."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from omnichannel.commerce import Address, Customer, OrderItem, PaymentMethod, PaymentSource, Variant

# "#W1234567" (τ-bench), "#JP204119" (the demo shop), or those without the "#".
_FOR_ONE = re.compile(r"\b(?:for|to|into)\s+(?:one|the one|a one|an? \w+)\s+with\b", re.I)
ORDER_ID = re.compile(r"(?:#([A-Za-z]{0,3}\d{4,9})\b|\b(W\d{7}|JP\d{6})\b)", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
_NAME = re.compile(
    r"\b(?i:my name is|i am|i'm|this is|name's)\s+([A-Z][a-zA-Z'-]+)\s+([A-Z][a-zA-Z'-]+)"
)
_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC",
}


def order_ids(text: str) -> list[str]:
    found = [f"#{(a or b).upper()}" for a, b in ORDER_ID.findall(text)]
    return list(dict.fromkeys(found))


def email(text: str) -> str | None:
    m = EMAIL.search(text)
    return m.group(0).rstrip(".").lower() if m else None


def name_and_zip(text: str) -> tuple[str, str, str] | None:
    name = _NAME.search(text)
    zips = ZIP.findall(text)
    if name and zips:
        return name.group(1), name.group(2), zips[-1] if len(zips) == 1 else zips[0]
    return None


def cancel_reason(text: str) -> str | None:
    low = text.lower()
    if re.search(r"\b(by mistake|by accident|accidentally|mistaken|wrong order)\b", low):
        return "ordered by mistake"
    if re.search(r"\b(no longer need|don't need|do not need|not needed|changed my mind|"
                 r"no longer want|don't want)", low):
        return "no longer needed"
    return None


def is_yes(text: str) -> bool:
    return bool(re.match(r"^\s*(yes|yeah|yep|sure|ok(ay)?|confirm(ed)?|go ahead|please do|"
                         r"correct|that's right|do it)\b", text, re.I))


def is_no(text: str) -> bool:
    return bool(re.match(r"^\s*(no|nope|don't|do not|cancel that|stop|wait)\b", text, re.I))


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [_singular(w) for w in re.findall(r"[a-z0-9]+", text.lower())]


def _has_phrase(hay: list[str], needle: list[str]) -> int:
    """Positions where `needle` occurs in `hay` as consecutive words."""
    n = len(needle)
    return sum(1 for i in range(len(hay) - n + 1) if hay[i:i + n] == needle) if n else 0


@dataclass(frozen=True, slots=True)
class ItemMention:
    item: OrderItem
    start: int  # word position of the mention in the text


def mentioned_items(text: str, items: Sequence[OrderItem]) -> list[ItemMention]:
    """Order items the text names, in the order it names them.

    A name that several items share is narrowed by option values written nearby
    ("the T-Shirt (color blue, size M)"); "both"/"two" repeats a mention.
    """
    tw = words(text)
    inside = _option_spans(text)
    found: list[ItemMention] = []
    by_name: dict[str, list[OrderItem]] = {}
    for it in items:
        by_name.setdefault(it.name, []).append(it)
    heads: dict[str, int] = {}
    for name in by_name:
        heads[words(name)[-1]] = heads.get(words(name)[-1], 0) + 1
    for name, group in by_name.items():
        nw = words(name)
        starts = [i for i in range(len(tw) - len(nw) + 1) if tw[i:i + len(nw)] == nw]
        width = len(nw)
        if not starts and heads[nw[-1]] == 1:
            # A partial name: "the black leather boots" for "Bearclaw Hiking Boots".
            starts = [i for i, w in enumerate(tw) if w == nw[-1]]
            width = 1
        used: list[str] = []
        for pos in starts:
            if pos in inside:  # "compartment laptop" is an option, not the Laptop
                continue
            window = " ".join(tw[max(0, pos - 6): pos] + tw[pos + width: pos + width + 14])
            choice = _best_by_options(window, group, used)
            if choice is not None:
                found.append(ItemMention(choice, pos))
                used.append(choice.item_id)
    found.sort(key=lambda m: m.start)
    return found


def _option_spans(text: str) -> set[int]:
    """Word positions inside "for one with ..." phrases."""
    out: set[int] = set()
    for marker, phrase in zip(_FOR_ONE.finditer(text), option_phrases(text), strict=False):
        start = len(words(text[:marker.end()]))
        out.update(range(start, start + len(words(phrase))))
    return out


def _best_by_options(window: str, group: Sequence[OrderItem], used: list[str]
                     ) -> OrderItem | None:
    if len(group) == 1:
        return group[0]
    ww = set(window.split())

    def score(it: OrderItem) -> tuple[int, int]:
        hits = sum(1 for _k, v in it.options if set(words(v)) <= ww)
        return (hits, -used.count(it.item_id))

    return max(group, key=score)


def item_option_pairs(text: str, items: Sequence[OrderItem]
                      ) -> list[tuple[OrderItem | None, str]]:
    """Each "for one with ..." phrase with the item named just before it (None if none)."""
    mentions = mentioned_items(text, items)
    phrases = option_phrases(text)
    out: list[tuple[OrderItem | None, str]] = []
    previous = -1
    for marker, phrase in zip(_FOR_ONE.finditer(text), phrases, strict=False):
        at = len(words(text[:marker.start()]))
        owner = [m for m in mentions if previous < m.start < at]
        out.append((owner[-1].item if owner else None, phrase))
        previous = at
    return out


def option_phrases(text: str) -> list[str]:
    """The text after each 'for one with' / 'to one with' / 'to the one with'."""
    parts = _FOR_ONE.split(text)
    return [re.split(r"(?<=[.!?])\s|\band\s+the\b|\band\s+my\b", p)[0] for p in parts[1:]]


def match_variant(phrase: str, variants: Sequence[Variant]) -> Variant | None:
    """The variant whose options the phrase names best (ties: none).

    "frame color black" counts as a named option pair; a bare value ("black") counts less,
    so two options sharing a value (frame and lens colour) are told apart.
    """
    seq = words(phrase)
    pw = set(seq)
    scored = []
    for v in variants:
        named = [words(f"{k} {val}") for k, val in v.options]
        hits = [n for n in named if _has_phrase(seq, n)]
        values = sum(1 for _k, val in v.options if set(words(val)) <= pw)
        # More named pairs first; then the longer (more specific) values: "Wi-Fi + Cellular"
        # over "Wi-Fi"; then bare values.
        scored.append(((len(hits), sum(len(n) for n in hits), values), v))
    scored.sort(key=lambda s: s[0], reverse=True)
    if not scored or scored[0][0] == (0, 0, 0):
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def payment_method(text: str, customer: Customer) -> PaymentMethod | None:
    low = text.lower()
    methods = customer.payment_methods
    last4 = re.findall(r"ending(?: in)?\s+(\d{4})", low)
    if last4:
        for pm in methods:
            if pm.last_four == last4[-1] or pm.id.endswith(last4[-1]):
                return pm
    wanted: PaymentSource | None = None
    if "paypal" in low:
        wanted = PaymentSource.PAYPAL
    elif "gift card" in low or "giftcard" in low:
        wanted = PaymentSource.GIFT_CARD
    elif re.search(r"credit card|\bcard\b|visa|mastercard|amex|american express|discover", low):
        wanted = PaymentSource.CREDIT_CARD
    if wanted is None:
        return None
    options = [pm for pm in methods if pm.source is wanted]
    if wanted is PaymentSource.CREDIT_CARD:
        branded = [pm for pm in options if pm.brand and pm.brand.lower() in low]
        options = branded or options
    return options[0] if len(options) == 1 else None


_ADDRESS = re.compile(
    r"(?<![\w#])(\d{1,6}\s+[A-Za-z][A-Za-z0-9 .'-]*?),\s*"
    r"(?:((?:apt|apartment|suite|ste|unit|#|floor|fl)\.?\s*[\w-]+),\s*)?"
    r"([A-Za-z .'-]+),\s*([A-Z]{2})\s+(\d{5})(?:,\s*([A-Za-z .]+?))?\s*(?:[.!?]|$)",
    re.I,
)


def address(text: str) -> Address | None:
    m = _ADDRESS.search(text)
    if not m or m.group(4).upper() not in _STATES:
        return None
    country = (m.group(6) or "USA").strip()
    return Address(
        address1=m.group(1).strip(), address2=(m.group(2) or "").strip(),
        city=m.group(3).strip(), state=m.group(4).upper(), country=country,
        zip=m.group(5),
    )


def has_phrase(text: str, phrase: str) -> bool:
    return _has_phrase(words(text), words(phrase)) > 0
