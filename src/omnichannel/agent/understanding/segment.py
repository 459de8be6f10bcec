"""One message, several requests: split into the parts that each ask one thing."""

from __future__ import annotations

import re

_SPLIT = re.compile(
    r"(?<=[?!])\s+|(?<=[.;])\s+(?=[A-Za-z])|\n+|"
    r"\s+(?:and also|also,|plus,|oh and|and another thing|another question|btw,?|"
    r"by the way,?|one more thing,?|and one more thing,?|p\.?s\.?)\s+|"
    # "how much is shipping and how long do refunds take": a new question after "and".
    r",?\s+and\s+(?=(how|what|when|where|which|why|who|do|does|did|can|could|is|are|will|"
    r"would|should)\b)",
    re.I)
MIN_WORDS = 3


def parts(text: str) -> list[str]:
    """Clauses long enough to carry a request; short fragments join the one before."""
    out: list[str] = []
    for piece in _SPLIT.split(text):
        piece = (piece or "").strip(" ,")
        if not piece:
            continue
        if out and (len(piece.split()) < MIN_WORDS or len(out[-1].split()) < MIN_WORDS):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out or [text.strip()]


_DETAIL = re.compile(
    r"^\W*(and |also |oh and )?(please |pls |kindly )?(use|put|charge|send|refund|credit|"
    r"pay|bill|return|give|the refund|any price difference|the price difference|the "
    r"difference|price difference|the money|money)\b.*\b(paypal|gift ?card|credit card|"
    r"debit card|card ending|visa|mastercard|amex|american express|discover|original "
    r"(payment|method|card)|same card|my card|account)\b", re.I)


def is_detail(clause: str) -> bool:
    """A clause that only says how to pay or where the money goes, not what to do."""
    return bool(_DETAIL.search(clause)) and len(clause.split()) <= 16
