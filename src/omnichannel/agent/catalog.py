"""Product and promo-code questions, answered from the live catalog (no identity needed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import omnichannel.i18n as i18n
from omnichannel.agent import slots
from omnichannel.agent.tools import ToolBox
from omnichannel.agent.turn import Turn
from omnichannel.commerce import CommerceError, Product, Promo, Variant

_ = i18n.translator("agent")

_PRODUCT_Q = re.compile(
    r"\b(do you (have|sell|carry|stock)|in stock|available|availability|price of|"
    r"how much (is|are|does|do)|what (sizes?|colou?rs?|options|materials?)|come in|"
    r"sold out|back in stock)\b", re.I)
_PROMO = re.compile(
    r"\b(?:promo|discount|coupon|voucher)(?: code)?\s*[:\"']?\s*([A-Z0-9-]{3,20})\b", re.I)
_CODE = re.compile(r"(?<!zip )(?<!postal )(?<!post )(?<!pin )(?<!area )\b(?:code)\s+[\"']?"
                   r"([A-Z0-9-]{3,20})\b", re.I)
_NOT_CODES = frozenset("code is for work works working valid retrieval reset recovery number "
                       "please help the a an and not isnt doesnt".split())
_NOISE = set(
    "do you have sell carry stock in is are the a an any how much does what sizes size colors "
    "colours color colour options come available availability price of sold out back still "
    "there it they for me please can i get buy want".split()
)


def promo_code(text: str) -> str | None:
    """A promo code the shopper typed: after "promo/discount/coupon/voucher (code)", or after
    "code" when written like one (capitals or digits: "code SAVE20", never "zip code 10027"
    or "PIN code retrieval")."""
    for pattern in (_PROMO, _CODE):
        m = pattern.search(text)
        if not m or m.group(1).lower() in _NOT_CODES:
            continue
        word = m.group(1)
        if pattern is _CODE and not (word.isupper() or any(c.isdigit() for c in word)):
            continue
        if word.isdigit() and len(word) == 5:
            continue  # a zip code
        return word.upper()
    return None


def is_product_question(text: str) -> bool:
    return bool(_PRODUCT_Q.search(text))


async def answer_promo(tools: ToolBox, code: str) -> str:
    promo = await tools.promo(code)
    if promo is None:
        return _("I can't find a promo code {code}. Please check the spelling.").format(code=code)
    return describe_promo(promo, tools.money)


def describe_promo(promo: Promo, fmt: Callable[[float], str] = "{:.2f}".format) -> str:
    if promo.percent_off:
        value = _("{percent}% off").format(percent=f"{promo.percent_off:g}")
    elif promo.amount_off:
        value = _("{amount} off").format(amount=fmt(promo.amount_off))
    else:
        value = promo.description
    rules = []
    if promo.min_subtotal:
        rules.append(_("on orders of {amount} or more").format(amount=fmt(promo.min_subtotal)))
    if promo.once_per_customer:
        rules.append(_("once per customer"))
    text = _("Code {code}: {value}").format(code=promo.code, value=value) + (
        f" {', '.join(rules)}" if rules else "") + "."
    now = datetime.now(UTC)
    expires = promo.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if not promo.active:
        text += " " + _("It is no longer active, I'm afraid.")
    elif expires is not None and expires < now:
        text += " " + _("It expired on {date}, I'm afraid.").format(date=i18n.day(expires))
    elif expires is not None:
        text += " " + _("It's valid until {date}; enter it at checkout (one per order).").format(
            date=i18n.day(expires))
    else:
        text += " " + _("Enter it at checkout (one code per order).")
    return text


async def answer_product(tools: ToolBox, text: str) -> str | None:
    query = " ".join(w for w in slots.words(text) if w not in _NOISE)
    if not query:
        return None
    try:
        found = await tools.products(query)
    except CommerceError:
        return None
    if not found:
        return None
    tw = set(slots.words(text))
    named = [p for p in found if set(slots.words(p.name)) & tw]
    if not named:  # a word in a description ("shipping") does not make a product question
        return None
    product = named[0]
    variant = slots.match_variant(text, product.variants)
    if variant is not None and _names_an_option(text, variant):
        opts = ", ".join(f"{k} {v}" for k, v in variant.options)
        said = (_("The {product} ({options}) is {price} and in stock.") if variant.available
                else _("The {product} ({options}) is {price} and sold out right now."))
        return said.format(product=product.name, options=opts, price=tools.money(variant.price))
    return describe_product(product, tools.money)


def _names_an_option(text: str, variant: Variant) -> bool:
    tw = set(slots.words(text))
    return any(set(slots.words(v)) <= tw for _k, v in variant.options)


def describe_product(product: Product, fmt: Callable[[float], str] = "{:.2f}".format) -> str:
    available = [v for v in product.variants if v.available]
    prices = [v.price for v in (available or product.variants)]
    options: dict[str, list[str]] = {}
    for v in available:
        for k, val in v.options:
            if val not in options.setdefault(k, []):
                options[k].append(val)
    price = (fmt(min(prices)) if min(prices) == max(prices)
             else _("{low} to {high}").format(low=fmt(min(prices)), high=fmt(max(prices))))
    if not available:
        return _("The {product} is sold out in every option right now.").format(
            product=product.name)
    listed = "; ".join(f"{k}: {', '.join(vals)}" for k, vals in options.items())
    desc = f" {product.description}" if product.description else ""
    stock = _("In stock: {listed} ({available} of {total} options available).").format(
        listed=listed, available=len(available), total=len(product.variants))
    return _("The {product} is {price}.").format(product=product.name, price=price) + \
        f"{desc} {stock}"


async def answer(tools: ToolBox, text: str) -> Turn | None:
    """A product or promo-code question answered from the live catalog, if it is one."""
    if (code := promo_code(text)) is not None:
        return Turn(text=await answer_promo(tools, code), intent="catalog.promo")
    product = await answer_product(tools, text)
    if product:
        return Turn(text=product, intent="catalog.product")
    return None
