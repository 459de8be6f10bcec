"""Text as the classifier reads it: entities replaced by their kind, spelling folded.

Values (an order number, an email, a zip code) say nothing about what the shopper wants, and
are never in the training data in the same form: the classifier sees their kind instead.
"""

from __future__ import annotations

import re
import unicodedata

_SUBS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"https?://\S+|www\.\S+", re.I), " urltoken "),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), " emailtoken "),
    (re.compile(r"#\s?[A-Za-z]{0,3}\d{3,12}\b|\b(?:W\d{7}|JP\d{6})\b", re.I), " ordertoken "),
    (re.compile(r"\b[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d\b"), " postcodetoken "),
    (re.compile(r"\+?\d[\d ().-]{8,}\d"), " phonetoken "),
    (re.compile(r"[$€£]\s?\d+(?:[.,]\d+)?|\b\d+(?:[.,]\d+)?\s?(?:usd|eur|gbp|dollars?)\b", re.I),
     " moneytoken "),
    (re.compile(r"\b\d{5}(?:-\d{4})?\b"), " postcodetoken "),
    (re.compile(r"\b\d+\b"), " numtoken "),
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_REPEATS = re.compile(r"(\w)\1{2,}")


def fold(text: str) -> str:
    """Lower case, one kind of apostrophe, no accents kept apart, letters not repeated 3+ times."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    return _REPEATS.sub(r"\1\1", text)


def for_classifier(text: str) -> str:
    out = text
    for pattern, token in _SUBS:
        out = pattern.sub(token, out)
    return " ".join(fold(out).split())
