"""How well a passage answers a question: content words, loose stems, shoppers' synonyms,
and the reranking of full-text candidates (headings count most)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from omnichannel.knowledge.model import Passage
from omnichannel.knowledge.stemming import PREFIX, filler, stem

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself hi hello hey please thanks thank ok okay
    want need like get got im i'm id i'd ive can't cant dont don't know tell let us also still
    would could should really much many way one""".split()
)


def query_terms(text: str, language: str = "en") -> list[str]:
    """Content words of a question, lower-cased, deduplicated, in order (English filler
    words are dropped in every language: shoppers mix them in)."""
    seen: dict[str, None] = {}
    extra = filler(language)
    for word in re.findall(r"[\w']+", text.lower()):
        word = word.strip("'")
        if len(word) < 2 or word in STOPWORDS or word in extra or word.isdigit():
            continue
        seen.setdefault(word, None)
    return list(seen)[:24]


def _stem(word: str, lang: str = "en") -> str:
    """A loose stem for comparing a question with a few candidates: English by prefix, the
    other languages by the first letters of their Snowball stem."""
    if lang != "en":
        return stem(word, lang)[:PREFIX]
    return word[: max(4, len(word) - 2)] if len(word) > 4 else word


@lru_cache(maxsize=4096)
def _vocabulary(title: str, heading: str, body: str,
                lang: str = "en") -> tuple[frozenset[str], frozenset[str]]:
    """A passage's words and their stems (passages repeat across questions: cached)."""
    words = frozenset(re.findall(r"\w+", f"{title} {heading} {body}".lower()))
    return words, frozenset(_stem(w, lang) for w in words)


def _coverage(terms: list[str], passage: Passage) -> float:
    if not terms:
        return 0.0
    lang = passage.language
    words, stems = _vocabulary(passage.title, passage.heading, passage.body, lang)
    hits = sum(1 for t in terms if t in words or _stem(t, lang) in stems)
    return hits / len(terms)


def coverage(text: str, passage: Passage) -> float:
    """Share of the question's content words that the passage mentions (prefix match)."""
    return _coverage(query_terms(text, passage.language), passage)


# Words too common to tell two help-center headings apart.
_FILLER = frozenset(
    "a an the i to of and or is it its my me you your do does can be in on for with this that "
    "please hi hello hey there am are was were have has i'm we our us so if any".split()
)


@lru_cache(maxsize=4096)
def _heading_words(text: str, lang: str = "en") -> frozenset[str]:
    skip = _FILLER | filler(lang)
    return frozenset(_stem(w, lang) for w in re.findall(r"\w+", text.lower()) if w not in skip)


# Shoppers' words for what the help center calls something else.
SYNONYMS = {
    "send back": "return",
    "sent back": "return",
    "money back": "refund",
    "reimburse": "refund",
    "swap": "exchange",
    "parcel": "package",
    "delivery fee": "shipping cost",
    "postage": "shipping",
    "coupon": "promo code",
    "discount": "promo code",
    "broken": "defective",
    "faulty": "defective",
    "phone number": "phone",
    "opening hours": "hours",
    "make a purchase": "place an order",
    "make an order": "place an order",
    "buy something": "place an order",
    "how soon": "how long",
    "arrive": "delivery",
    "get here": "delivery",
    "sign up": "create account",
    "log in": "login password",
    "unsubscribe": "newsletter unsubscribe",
}


def expand(text: str, keep: bool = True) -> str:
    """The question with shoppers' phrasings mapped onto the help center's words.

    `keep` leaves the shopper's phrase beside the mapped words (for full-text search);
    without it the phrase is replaced (for comparing with headings).
    """
    low = text.lower()
    for phrase, canon in SYNONYMS.items():
        if phrase in low:
            low = low.replace(phrase, f"{phrase} {canon}" if keep else canon)
    return low


@dataclass(frozen=True, slots=True)
class Ranked:
    passage: Passage
    confidence: float
    coverage: float
    heading_overlap: float


def rerank(text: str, passages: list[Passage]) -> list[Ranked]:
    """Order BM25 candidates by how well they answer this question.

    Help-center sections are titled by the question they answer, so the overlap between
    the question and the heading counts most; BM25 (relative to the best candidate) and the
    share of the question's words the section mentions break ties.
    """
    if not passages:
        return []
    top = max(p.score for p in passages) or 1.0
    out = []
    for p in passages:
        q = _heading_words(expand(text, keep=False), p.language)
        terms = query_terms(expand(text), p.language)
        h = _heading_words(f"{p.heading} {p.title}", p.language)
        jacc = len(q & h) / len(q | h) if q else 0.0
        cov = _coverage(terms, p)
        conf = 0.5 * jacc + 0.3 * cov + 0.2 * max(p.score, 0.0) / top
        out.append(Ranked(p, round(conf, 4), cov, jacc))
    out.sort(key=lambda r: r.confidence, reverse=True)
    return out
