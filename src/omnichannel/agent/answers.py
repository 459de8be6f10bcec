"""Answers from the help center: the passage that answers, the sentences of it that matter.

The classifier's intent narrows the search (a question about cancellation fees looks among
passages about cancelling); the reply quotes the relevant sentences, names the article, and
says plainly when the help center's answer is a no ("we ship to the United States and Canada,
so not to Germany").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePath

import omnichannel.i18n as i18n
from omnichannel.agent.understanding import entities
from omnichannel.knowledge.model import KnowledgeSource, Passage, builtin_helpcenter
from omnichannel.knowledge.ranking import Ranked, query_terms, rerank

_ = i18n.translator("agent")

CANDIDATES = 25
MAX_SENTENCES = 3
MAX_CHARS = 520
# Without a confident intent, a passage must cover the question's words and its heading.
MIN_CONFIDENCE = 0.5
MIN_COVERAGE = 0.5
# With one, the intent's own words must appear in the heading or title.
MIN_HINTED = 0.2

# Words a help center uses for each topic (any shop's, not only ours).
HINTS: dict[str, str] = {
    # Distinctive words only: "order" or "change" would match half of any help center.
    "return_policy": "return returns refund refunds",
    "cancellation_policy": "cancel cancelling cancellation fee",
    "shipping_options": "shipping cost options express delivery",
    "shipping_countries": "ship shipping countries international",
    "delivery_time": "delivery times arrive",
    "payment_methods": "payment methods pay accept",
    "payment_problem": "payment problems declined charged failed",
    "gift_cards": "gift card wrapping",
    "loyalty": "loyalty rewards points discounts",
    "price_match": "price match adjustment",
    "stores": "stores store locations pickup",
    "account_create": "create account register",
    "account_delete": "delete close account",
    "account_password": "password reset login",
    "account_edit": "account email profile details",
    "newsletter": "newsletter unsubscribe emails marketing",
    "contact_hours": "contact hours phone",
    "complaint": "complaint complaints",
    "feedback": "feedback review",
    "place_order": "place placing ordering checkout",
    "warranty": "warranty defective damaged broken",
    "sizing": "size sizing fit guide",
    "invoice": "invoice invoices receipt",
    "promo_code": "promo code discount codes",
    "product_question": "product care materials",
    "recommendation": "products",
    "order_status": "track tracking delivery shipped",
    "refund_status": "refund refunds",
    "exchange_items": "exchange exchanges",
    "modify_items": "change changes changing",
    "modify_order_address": "address shipping",
    "modify_default_address": "address account",
    "modify_payment": "payment method",
    "cancel_order": "cancel cancelling",
    "return_items": "return returns",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")


@dataclass(frozen=True, slots=True)
class Answer:
    text: str  # the reply, with the article named
    passage: Passage
    confidence: float


def _words(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"\w+", text.lower()) if len(w) > 2}


def _own_heading(text: str, r: Ranked) -> float:
    """Share of the question's words in the section's own heading (not the article's title,
    which every section of the article shares)."""
    q = _words(text) - _QUESTION_WORDS
    return len(q & _words(r.passage.heading)) / len(q) if q else 0.0


_QUESTION_WORDS = _words("what when where which how can could would will does do you your "
                         "the and for are is with this that have has there any get long")


@functools.cache
def local_titles(hint: str, lang: str) -> str:
    """The intent's hint in the shopper's language: the titles, in that language, of the
    shipped articles whose (English) file names carry the hint's words. Hints are English
    words, which find nothing in a help center written in another language."""
    if not hint or lang == "en":
        return ""
    words = _words(hint) - _QUESTION_WORDS
    folder = builtin_helpcenter() / lang
    titles = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        if words & _words(path.stem.replace("-", " ")):
            first = path.read_text("utf-8").lstrip().splitlines()[:1]
            if first and first[0].startswith("#"):
                titles.append(first[0].lstrip("# ").strip())
    return " ".join(titles)


def _hinted(r: Ranked, hint: str) -> float:
    """Share of the hint's words in the passage's heading and title, or, for an article in
    another language, in its file name (every language's copy shares the English one:
    helpcenter/es/returns-and-refunds.md)."""
    hw = _words(hint) - _QUESTION_WORDS
    if not hw:
        return 0.0
    where = f"{r.passage.heading} {r.passage.title}"
    if getattr(r.passage, "language", "en") != "en":
        where += " " + re.sub(r"[-_]+", " ", PurePath(r.passage.source).stem)
    return len(hw & _words(where)) / len(hw)


async def find(knowledge: KnowledgeSource, text: str, intent: str | None = None,
               confident: bool = False, strict: bool = False,
               known: Callable[[str], Awaitable[bool]] | None = None,
               sure: bool = False) -> Answer | None:
    """The best answer to `text`, or None when the help center has none worth giving.
    `strict`: the intent is only a guess, so the passage's heading must share a word with
    the question and the passage most of its words."""
    hint = HINTS.get(intent or "", "") if confident else ""
    query = f"{text} {hint} {local_titles(hint, i18n.current())}".strip()
    found = await knowledge.search(query, limit=CANDIDATES)
    if hint:
        extra = await knowledge.search(text, limit=CANDIDATES)
        seen = {(p.source, p.heading, p.body) for p in found}
        found += [p for p in extra if (p.source, p.heading, p.body) not in seen]
    ranked = rerank(text, found)
    best: tuple[float, Ranked] | None = None
    for r in ranked:
        if hint:
            h = _hinted(r, hint)
            score = r.confidence + 0.25 * h + 0.4 * _own_heading(text, r)
            ok = h > 0 and (r.coverage >= 0.25 or r.heading_overlap > 0) and \
                r.confidence + 0.3 * h >= MIN_HINTED
            if strict:
                ok = ok and r.heading_overlap > 0 and r.coverage >= MIN_COVERAGE
            elif sure:
                ok = ok or h > 0
        else:
            own = _own_heading(text, r)
            score = r.confidence + 0.4 * own
            # No intent to lean on: the section's own heading must ask what the shopper asks.
            ok = (r.confidence >= MIN_CONFIDENCE and r.coverage >= MIN_COVERAGE and
                  r.heading_overlap > 0 and own >= 0.34)
        if ok and (best is None or score > best[0]):
            best = (score, r)
    if best is None:
        return None
    r = best[1]
    # A word the whole help center never uses ("Klarna") is something the shop does not say
    # it offers: the answer says so instead of implying a yes.
    unknown = [t for t in unmentioned(text, r.passage) if not await knowledge.search(t, 1)
               and not (known is not None and await known(t))]
    return Answer(compose(text, r.passage, unknown), r.passage, round(min(1.0, best[0]), 4))


def sentences(body: str) -> list[str]:
    flat = re.sub(r"\s*\n\s*[-*]\s+", ". ", body.strip())
    flat = re.sub(r"\s+", " ", flat)
    return [s.strip() for s in _SENTENCE.split(flat) if s.strip()]


def relevant(question: str, passage: Passage) -> list[str]:
    """The first sentence (help centers answer first) and the ones sharing most words with
    the question, in the passage's order, within MAX_CHARS."""
    parts = sentences(passage.body)
    if len(parts) <= 2:
        return parts
    terms = {t[:5] for t in query_terms(question)}
    scored = sorted(range(1, len(parts)),
                    key=lambda i: (-len(terms & _words(parts[i])), i))
    keep = {0}
    size = len(parts[0])
    for i in scored:
        if len(keep) >= MAX_SENTENCES or not terms & _words(parts[i]):
            break
        if size + len(parts[i]) > MAX_CHARS:
            continue
        keep.add(i)
        size += len(parts[i])
    if len(keep) == 1 and len(parts) > 1 and size + len(parts[1]) <= MAX_CHARS:
        keep.add(1)
    return [parts[i] for i in sorted(keep)]


_YES_NO = re.compile(r"^\W*(can|could|do|does|is|are|will|would|may)\b", re.I)
# The thing asked about comes after these: "pay with Klarna", "ship to Guam", "sell bikes".
_OFFERED = re.compile(r"\b(pay(ing)? (with|by|via|using)|accept|take|offer|sell|carry|stock|ship "
                      r"(to|with|via)|deliver (to|with)|support|use)\s+(?P<thing>\w+)", re.I)


def unmentioned(question: str, passage: Passage) -> list[str]:
    """Words of a yes/no question the passage never mentions, not even misspelt: "can I pay
    with Klarna?" answered by a section that lists other methods."""
    import difflib

    if not _YES_NO.search(question):
        return []
    asked_about = {m.group("thing").lower() for m in _OFFERED.finditer(question)}
    words = set(re.findall(r"\w+", f"{passage.title} {passage.heading} {passage.body}".lower()))
    out = []
    for term in query_terms(question):
        if len(term) < 4 or term in _QUESTION_WORDS or any(w.startswith(term[:5]) for w in words):
            continue
        if term not in asked_about:
            continue
        if difflib.get_close_matches(term, words, n=1, cutoff=0.8):
            continue
        out.append(term)
    return out


def compose(question: str, passage: Passage, unknown: list[str] | None = None) -> str:
    chosen = relevant(question, passage)
    missing_terms = unknown or []
    asked = entities.countries(question)
    named = set(entities.countries(passage.body))
    missing = [c for c in asked if c not in named and c not in ("the United States",)]
    if missing and named:
        where = _(" and ").join(sorted(named))
        lead = (_("I'm afraid not: we ship only to {where}, so not to {country}.")
                if re.search(r"\bship", f"{question} {passage.heading}", re.I) else
                _("Our help center only mentions {where}, not {country}.")).format(
                    where=where, country=missing[0])
        mention = [s for s in sentences(passage.body) if entities.countries(s)][:1]
        chosen = [lead, *[s for s in mention if s not in chosen][:1], *chosen[:1]]
    elif missing_terms and not asked:
        # Say what the help center does not cover instead of implying a yes.
        name = missing_terms[0] if missing_terms[0][:1].isupper() else missing_terms[0].title()
        chosen = [_("Our help center doesn't mention {name}, so I can't confirm that. Here's "
                    "what it says:").format(name=name), *chosen]
    body = " ".join(dict.fromkeys(chosen))
    source = _("(From our help center: {title})").format(title=passage.title)
    note = elsewhere(passage)
    return f"{body}\n\n{note} {source}" if note else f"{body}\n\n{source}"


def elsewhere(passage: Passage) -> str | None:
    """One sentence in the shopper's language when the article is written in another."""
    written = i18n.normalize(getattr(passage, "language", None))
    if written is None or written == i18n.current():
        return None
    return _("This article is only available in {language}.").format(
        language=language_name(written))


def language_name(code: str) -> str:
    """A language's name as the turn's language writes it within a sentence."""
    names = {"en": _("English"), "es": _("Spanish"), "de": _("German"), "fr": _("French"),
             "pt": _("Portuguese"), "it": _("Italian"), "nl": _("Dutch")}
    return names.get(code, i18n.NAMES.get(code, code))
