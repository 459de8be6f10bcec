"""The products the demo shop page shows: a few of the catalog, with prices, options and stock.

`featured(products)` works on any backend's `Product` list (the demo shop names the ones it
prefers; others show their first products). Amounts stay numbers here: the gateway formats
them in the shop's currency when it serves them to the page (`GET /shop/featured.json`).
"""

from __future__ import annotations

from dataclasses import dataclass

from omnichannel.commerce.model import Product, Variant

# One of each kind of thing the shop sells, for the demo page's grid.
PREFERRED = (
    "Ridgeline Rain Jacket", "Bearclaw Hiking Boots", "Wayfinder Daypack",
    "Starwatch Backpacking Tent", "Merino 200 Crew Base Layer", "Trailblazer Leggings",
    "Alpine Down Sleeping Bag", "Lodge Knit Beanie",
)
COLOUR_OPTIONS = ("color", "colour")
LOW_STOCK = 5


@dataclass(frozen=True, slots=True)
class Colour:
    name: str
    available: bool


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Featured:
    id: str
    name: str
    description: str
    price: float  # the lowest price of a listed variant
    varies: bool  # other variants cost more ("from $169.00")
    colours: tuple[Colour, ...]
    options: tuple[Option, ...]  # the other option dimensions, values in catalog order
    available: bool  # some variant can be bought now
    stock: int | None  # units left over all variants, when the backend knows it

    @property
    def availability(self) -> str:
        """"sold out", "only 3 left" or "in stock"."""
        if not self.available:
            return "sold out"
        if self.stock is not None and self.stock <= LOW_STOCK:
            return f"only {self.stock} left"
        return "in stock"


def featured(products: list[Product], limit: int = 8) -> list[Featured]:
    """Up to `limit` products: the preferred ones first, then the rest in catalog order; when
    none of them is sold out, the last place goes to one that is (availability is part of
    the demo: "when will it be back?")."""
    if limit <= 0:
        return []
    shown = [p for p in products if p.variants]
    rank = {name: n for n, name in enumerate(PREFERRED)}
    shown.sort(key=lambda p: rank.get(p.name, len(rank)))  # stable: catalog order otherwise
    picked = [summary(p) for p in shown[:limit]]
    if all(f.available for f in picked) and len(picked) == limit:
        gone = next((p for p in shown[limit:] if not any(v.available for v in p.variants)),
                    None)
        if gone is not None:
            picked[-1] = summary(gone)
    return picked


def summary(product: Product) -> Featured:
    """One product as the page shows it."""
    variants = product.variants
    for_sale = [v for v in variants if v.available] or list(variants)
    prices = [v.price for v in for_sale]
    colours: dict[str, bool] = {}
    others: dict[str, dict[str, None]] = {}
    for v in variants:
        for key, value in v.options:
            if key.lower() in COLOUR_OPTIONS:
                colours[value] = colours.get(value, False) or v.available
            else:
                others.setdefault(key, {})[value] = None
    return Featured(
        product.id, product.name, product.description, min(prices),
        max(prices) > min(prices),
        tuple(Colour(name, ok) for name, ok in colours.items()),
        tuple(Option(key, tuple(values)) for key, values in others.items()),
        any(v.available for v in variants), _stock(variants))


def _stock(variants: tuple[Variant, ...]) -> int | None:
    counts = [v.stock for v in variants if v.available]
    if any(c is None for c in counts):
        return None
    return sum(c for c in counts if c is not None)
