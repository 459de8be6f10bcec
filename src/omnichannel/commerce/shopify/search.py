"""Product search over the cached catalog: every word of the query, plurals tolerated.

Shopify's own product search matches whole words and prefixes, so "kettles" misses
"Electric Kettle"; ranking our cached copy answers the way shoppers type.
"""

from __future__ import annotations

import re

from omnichannel.commerce.model import Product

_STOPWORDS = frozenset("a an and any do for have i in is me my of on or some the to want with "
                       "you your need looking".split())


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS]


def rank(query: str, products: list[Product], limit: int = 5) -> list[Product]:
    """Products holding the query's words: more words first, then words in the name, then
    the query's word pairs kept together; ties by name."""
    terms = list(dict.fromkeys(words(query)))
    if not terms:
        return []
    scored = []
    for product in products:
        name, text = set(words(product.name)), words(product.name + " " + product.description)
        hits = [t for t in terms if t in text]
        if hits:
            pairs = set(zip(text, text[1:], strict=False))
            score = len(hits) * 10 + sum(2 for t in hits if t in name) + sum(
                5 for pair in zip(terms, terms[1:], strict=False) if pair in pairs)
            scored.append((-score, product.name, product))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [p for _, _, p in scored[:max(limit, 0)]]
