#!/usr/bin/env python
"""First-message understanding: every utterance of the Bitext customer-support sample as the
opening message of a fresh conversation, scored with /work/shared/nlu/README.md's table.

    LITELLM_LOCAL_MODEL_COST_MAP=True .venv/bin/python bench/understanding.py
    ... bench/understanding.py --limit 500 --intent get_refund --show-wrong 5

Each message takes the widget's path: loopback channel -> journal -> lane -> built-in engine
(demo shop, shipped help center, debounce 0) -> outbox -> loopback. The first reply (all
messages of that turn), the conversation's stored intent and owner are scored right, honest
miss or wrong; the engine is wrapped only to read Turn.confidence, which is not stored. The
corpus measures, it never teaches: nothing here is copied into src/ or tests.
Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _languages
from _common import LoopbackGateway, _jsonable, log

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
CORPUS = Path(os.environ.get("NLU_CORPUS", "/work/shared/nlu/bitext-customer-support-8k.csv"))
TARGET_RIGHT, TARGET_WRONG = 0.90, 0.02
VERDICTS = ("right", "honest", "wrong")
TITLE = re.compile(r"\(From our help center: ([^)]+)\)")
# An apology in any shipped language (the multilingual set is scored with the same rules).
APOLOGY = re.compile(
    r"\b(sorry|apologi[sz]e|apologies|siento|sentimos|lamento|lamentamos|disculp\w*"
    r"|perd[oó]n|tut (mir|uns) leid|bedauer\w*|entschuldig\w*|d[ée]sol[ée]e?s?|navr[ée]\w*"
    r"|excus\w*|sinto muito|desculp\w*|(mi|ci) dispiace|scus\w*|spijt|excuses)\b", re.I)
# Article topics, decided from the title the reply names (lower case).
TOPICS = {
    "shipping": r"shipping", "delivery": r"deliver", "tracking": r"track",
    "order_changes": r"\b(chang|modif|edit)\w*\b.*\border|\border (change|edit)",
    "cancellation": r"cancel", "address": r"address", "returns": r"return|refund",
    "payment": r"payment|paying|\bpay\b",
    "payment_problems": r"(payment|card|charge|billing|pay\b).*(problem|issue|declin|fail|troub"
                        r"|error)|(problem|issue|declin|fail|troub|error).*(payment|card|charg)",
    "contact": r"contact|customer (service|care)|get in touch|reach us|talk to",
    "complaints": r"complain", "feedback": r"feedback|review",
    "ordering": r"how to (order|buy|shop)|plac\w* an order|\bordering\b|how do i (order|buy)",
    "account": r"account|profile", "password": r"password|sign(ing)? in|log(ging)? ?in",
    "registration": r"regist|sign(ing)? ?up", "newsletter": r"newsletter|subscri|mailing list",
    "invoices": r"invoice|receipt",
}


@dataclass(frozen=True)
class Rule:
    """Which first replies are right for one intent (the README's table)."""

    articles: frozenset[str]
    tasks: frozenset[str] = frozenset()
    handoff: str = ""  # "" (a handoff is an honest miss), "yes", "apology" (with an apology)
    ack: bool = False  # an acknowledgement (intent feedback.* / review.*)
    catalog: bool = False  # a product or promo answer


def _r(articles: str, tasks: str = "", **kw: Any) -> Rule:
    return Rule(frozenset(articles.split()), frozenset(tasks.split()), **kw)


ADDRESS = _r("order_changes address", "modify_address default_address")
CONTACT = _r("contact", handoff="yes")
INVOICE = _r("invoices", "invoice what_ordered status")
RULES: dict[str, Rule] = {
    "track_order": _r("shipping delivery tracking", "status"),
    "cancel_order": _r("order_changes cancellation", "cancel"),
    "change_order": _r("order_changes", "modify_items"),
    "change_shipping_address": ADDRESS, "set_up_shipping_address": ADDRESS,
    "get_refund": _r("returns", "return"), "track_refund": _r("returns", "refund_status"),
    "check_refund_policy": _r("returns"), "check_cancellation_fee": _r("cancellation"),
    "delivery_options": _r("shipping delivery"),
    "delivery_period": _r("shipping delivery", "status"),
    "check_payment_methods": _r("payment"),
    "payment_issue": _r("payment_problems", handoff="yes"),
    "contact_customer_service": CONTACT, "contact_human_agent": CONTACT,
    "complaint": _r("contact complaints", handoff="apology"),
    "review": _r("feedback", handoff="yes", ack=True),
    "place_order": _r("ordering payment shipping", catalog=True),
    "create_account": _r("account registration"), "delete_account": _r("account"),
    "edit_account": _r("account"), "switch_account": _r("account"),
    "recover_password": _r("password account"),
    "registration_problems": _r("registration account"),
    "newsletter_subscription": _r("newsletter"),
    "get_invoice": INVOICE, "check_invoice": INVOICE, "check_invoices": INVOICE,
}


@functools.cache
def english_title(source: str) -> str | None:
    """The English title of a help-center article, from any language's copy of it (the
    copies share the file name)."""
    from omnichannel.ingest.parsers import load_document
    from omnichannel.knowledge.model import builtin_helpcenter

    stem = Path(source).stem
    english = Path(builtin_helpcenter()) / f"{stem}.md"
    return load_document(english).title if english.is_file() else None


def topics(title: str) -> set[str]:
    t = title.lower()
    found = {name for name, rx in TOPICS.items() if re.search(rx, t)}
    if "payment_problems" in found:
        found.discard("payment")  # the problems article does not answer "what can I pay with"
    return found


@dataclass
class Reply:
    text: str
    buttons: tuple[tuple[str, str], ...]
    intent: str
    handoff: bool
    confidence: float | None
    failed: bool = False
    no_model: bool = False
    sources: tuple[str, ...] = ()  # help-center files the reply quoted
    language: str = ""  # the conversation's language after the turn


def outcome(r: Reply) -> tuple[str, str]:
    """(kind, label): handoff / honest / task / article / ack / catalog / other."""
    values = {v for _, v in r.buttons}
    if r.handoff:
        return "handoff", r.intent or "handoff"
    if r.intent.startswith("orders."):
        parts = r.intent.split(".")  # orders.<step>.<task>; no task: it cannot be right
        return "task", (parts[2] if len(parts) > 2 else "(no task named)") + f" ({r.intent})"
    if r.sources and (title := english_title(r.sources[0])):  # an article in any language
        return "article", title
    m = TITLE.search(r.text)
    if m or r.intent.startswith("faq."):
        return "article", m.group(1).strip() if m else r.intent[4:].replace("-", " ")
    if r.intent == "unknown" or "not sure" in r.text.lower() or r.failed:
        return ("honest", "not sure") if "handoff" in values else ("other", "not sure, no person")
    if r.intent.split(".")[0] in ("feedback", "review"):
        return "ack", r.intent
    if r.intent.startswith("catalog."):
        return "catalog", r.intent
    return "other", r.intent or "(no intent)"


def score(intent: str, r: Reply) -> tuple[str, str]:
    """("right" | "honest" | "wrong", outcome label)."""
    rule, (kind, label) = RULES[intent], outcome(r)
    if kind == "handoff":
        ok = rule.handoff == "yes" or (rule.handoff == "apology" and APOLOGY.search(r.text))
        return ("right" if ok else "honest"), f"handoff: {label}"
    if kind == "honest":
        return "honest", label
    if kind == "task":
        return ("right" if label.split()[0] in rule.tasks else "wrong"), f"task: {label}"
    if kind == "article":
        return ("right" if topics(label) & rule.articles else "wrong"), f"article: {label}"
    ok = (kind == "ack" and rule.ack) or (kind == "catalog" and rule.catalog)
    return ("right" if ok else "wrong"), label


def answerable(rule: Rule, titles: list[str]) -> bool:
    """The help center or the engine has a right reply for the intent."""
    return bool(rule.tasks or rule.handoff or rule.ack or rule.catalog
                or any(topics(t) & rule.articles for t in titles))


def demo_shopper(shop: Path) -> dict[str, str]:
    """The demo shop's first order and its shopper (defaults if the file is unreadable)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{shop}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT o.id, c.first_name || ' ' || c.last_name, c.email, c.zip "
                               "FROM orders o JOIN customers c ON c.id = o.customer_id "
                               "ORDER BY o.id LIMIT 1").fetchone()
    except sqlite3.Error:
        row = None
    order, name, email, zip_ = row or ("#JP204119", "Dana Whitfield", "dana@example.com", "80302")
    return {"order": order, "name": name, "email": email, "zip": zip_}


def fill(text: str, shopper: dict[str, str]) -> str:
    """Realistic values for {{Placeholder}} slots (the demo shop's own order and shopper)."""
    def value(m: re.Match[str]) -> str:
        key = m.group(1).lower()
        for words, v in (("invoice", "INV-" + shopper["order"].lstrip("#JP")),
                         ("order", shopper["order"]), ("email", shopper["email"]),
                         ("zip postal", shopper["zip"]), ("phone", "+1 555 0134"),
                         ("name person", shopper["name"]), ("amount money refund", "$49.00"),
                         ("date", "March 3"), ("address", "12 Elm Street, Boulder, CO 80302"),
                         ("account", "premium")):
            if any(w in key for w in words.split()):
                return v
        return "it"
    return re.sub(r"\{\{\s*([^}]+?)\s*\}\}", value, text)


class Recorder:
    """The router's engine, unchanged; remembers each turn's confidence (not stored)."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.name, self.history = engine, engine.name, engine.history
        self.confidence: dict[int, float] = {}
        self.failed: dict[int, bool] = {}
        self.no_model: dict[int, bool] = {}  # auto's real routing would send this draft
        self.sources: dict[int, tuple[str, ...]] = {}

    async def respond(self, conversation: Any, history: Any, deps: Any) -> Any:
        from omnichannel.agent import understanding
        from omnichannel.agent.engine import new_customer_messages
        from omnichannel.agent.routing import RoutingRules, Tier, route, signals

        turn = await self.engine.respond(conversation, history, deps)
        if turn.usage is None:  # made with no model
            self.confidence[conversation.id] = turn.confidence
            self.failed[conversation.id] = turn.failed
            self.sources[conversation.id] = tuple(turn.sources)
            text = " ".join(m.text for m in new_customer_messages(history))
            reading = await asyncio.to_thread(understanding.read, text) if text else None
            tier = route(RoutingRules(), conversation, history,
                         signals(reading, text, history), turn)
            self.no_model[conversation.id] = tier is Tier.NONE
        return turn


def load(intent: str | None, limit: int | None) -> list[tuple[str, str]]:
    with CORPUS.open(newline="", encoding="utf-8") as fh:
        rows = [(r["utterance"].strip(), r["intent"].strip()) for r in csv.DictReader(fh)]
    rows = [(u, i) for u, i in rows if u and i and (intent is None or i == intent)]
    if limit and limit < len(rows):  # evenly spaced, so every intent is in a small run
        rows = [rows[k * len(rows) // limit] for k in range(limit)]
    return rows


async def run(rows: list[tuple[str, str]], concurrency: int, state: Path
              ) -> tuple[list[Reply], list[str], float]:
    from omnichannel.config import Config
    from omnichannel.conversation import Owner, Role
    from omnichannel.ingest.parsers import find_documents, load_document
    from omnichannel.knowledge.model import builtin_helpcenter

    gw = await LoopbackGateway(Config.model_validate({
        "store": {"state_dir": str(state)},
        "agent": {"engine": "builtin", "debounce_seconds": 0},
        "outbox": {"poll_seconds": 0.05, "backoff_base": 0.05},
        "channels": {"loopback": {"enabled": True}},
        "commerce": {"backend": "demo"}}), "builtin").open()
    titles = [load_document(p).title for p in find_documents(builtin_helpcenter())]
    await gw.commerce.list_products()  # the shop file exists from here on
    shopper = demo_shopper(state / "demo-shop.db")
    recorder = gw.router.engine = Recorder(gw.router.engine)
    gate = asyncio.Semaphore(concurrency)

    async def one(k: int, text: str) -> Reply:
        async with gate:
            cid, got = await gw.turn(fill(text, shopper), f"u{k}")
            conv = await gw.store.conversation(cid)
            shown = [o for o in got if not any(b.value.startswith("csat:") for b in o.buttons)]
            return Reply(
                text="\n".join(o.text for o in got if o.role is Role.AGENT),
                buttons=tuple((b.label, b.value) for o in shown for b in o.buttons),
                intent=conv.intent or "",
                handoff=conv.owner is Owner.STAFF or any(o.role is Role.SYSTEM for o in shown)
                or (conv.intent or "").startswith("handoff."),
                confidence=recorder.confidence.pop(cid, None),
                failed=recorder.failed.pop(cid, False),
                no_model=recorder.no_model.pop(cid, False),
                sources=recorder.sources.pop(cid, ()), language=conv.language or "")

    t0 = time.monotonic()
    try:
        replies = await asyncio.gather(*(one(k, u) for k, (u, _) in enumerate(rows)))
    finally:
        await gw.close()
    return list(replies), titles, time.monotonic() - t0


def auto_routing(rows: list[tuple[str, str]], replies: list[Reply]) -> dict[str, Any]:
    """What `auto` does with these first replies, by its real routing (routing.route: the
    shopper's mood, the writes named, and the draft's confidence against the confidence
    from which the intent was measured right on held-out folds of our own data)."""
    from omnichannel.agent.routing import RoutingRules

    threshold = RoutingRules().builtin_min_confidence
    kept = [score(i, r)[0] for (_u, i), r in zip(rows, replies, strict=True) if r.no_model]
    edges = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)
    bins: dict[str, dict[str, Any]] = {}
    for lo, hi in zip(edges, edges[1:], strict=False):
        got = [score(i, r)[0] for (_u, i), r in zip(rows, replies, strict=True)
               if r.confidence is not None and lo <= r.confidence < hi]
        bins[f"{lo:.1f}-{min(hi, 1.0):.1f}"] = {
            "n": len(got), "right": got.count("right") / len(got) if got else 0.0}
    n = len(kept) or 1
    return {"threshold": threshold, "no_model_share": len(kept) / max(len(rows), 1),
            "no_model_right": kept.count("right") / n, "no_model_wrong": kept.count("wrong") / n,
            "bins": bins}


def mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


def total(counts: list[Counter[str]]) -> dict[str, Any]:
    c: Counter[str] = sum(counts, Counter())
    n = sum(c.values())
    out: dict[str, Any] = {"n": n, **{k: c[k] / n if n else 0.0 for k in VERDICTS}}
    out["met"] = bool(n) and out["right"] >= TARGET_RIGHT and out["wrong"] <= TARGET_WRONG
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, help="score N utterances, evenly spaced over the file")
    ap.add_argument("--intent", help="only this corpus intent")
    ap.add_argument("--show-wrong", type=int, default=3, metavar="N",
                    help="wrong outcome kinds listed per intent (0: none)")
    ap.add_argument("--concurrency", type=int, default=8, help="conversations in flight")
    ap.add_argument("--languages-only", action="store_true",
                    help="only our multilingual set (bench/data/languages)")
    ap.add_argument("--skip-languages", action="store_true",
                    help="only the external corpus")
    args = ap.parse_args()
    figures: dict[str, Any] = {}
    if not args.languages_only:
        corpus = corpus_report(args)
        if corpus is None:
            return 2
        figures.update(corpus)
    if not args.skip_languages and _languages.available():
        figures["languages"] = languages_report(args)
    print(json.dumps(_jsonable(figures), sort_keys=True), flush=True)
    return 0


def languages_report(args: argparse.Namespace) -> dict[str, Any]:
    """Our multilingual set: right / honest / wrong per language and group, and the gap to
    English (target: within 5 points)."""
    rows = [(text, intent, lang) for lang in _languages.available()
            for text, intent in _languages.load(lang)]
    unknown = {i for _, i, _ in rows} - RULES.keys()
    if unknown:
        raise SystemExit(f"bench/data/languages: intents without a rule: {sorted(unknown)}")
    with tempfile.TemporaryDirectory(prefix="languages-") as tmp:
        replies, _titles, _talking = asyncio.run(run([(t, i) for t, i, _ in rows],
                                                     args.concurrency, Path(tmp) / "state"))
    verdicts = [score(intent, r)[0] for (_t, intent, _l), r in zip(rows, replies, strict=True)]
    out = _languages.summarize(rows, verdicts, [r.language for r in replies])
    log(f"\nmultilingual set (ours): {'lang':<5}{'n':>5}{'right':>8}{'honest':>8}{'wrong':>8}"
        f"{'detected':>10}{'gap':>7}")
    for lang in _languages.LANGS:
        f = out.get(lang)
        if f is None:
            continue
        gap = f["gap_to_english"]
        log(f"{'':<25}{lang:<5}{f['n']:>5}{f['right']:>8.1%}{f['honest']:>8.1%}"
            f"{f['wrong']:>8.1%}{f['detected']:>10.1%}"
            f"{(f'{gap * 100:+.1f}' if gap is not None else '-'):>7}"
            f"  {'met' if f['met'] else 'NOT met'}")
    log("(gap: English's right share minus the language's, in points; target <= "
        f"{_languages.GAP * 100:.0f})")
    return out


def corpus_report(args: argparse.Namespace) -> dict[str, Any] | None:
    """The external corpus, first replies (None when it is not there)."""
    rows = load(args.intent, args.limit) if CORPUS.is_file() else []
    if not rows or {i for _, i in rows} - RULES.keys():
        log(f"nothing to score: corpus {CORPUS}, intents without a rule "
            f"{sorted({i for _, i in rows} - RULES.keys())}")
        return None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="understanding-") as tmp:
        replies, titles, talking = asyncio.run(run(rows, args.concurrency, Path(tmp) / "state"))
    seconds = time.monotonic() - started

    per: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[tuple[str, str], list[str]] = defaultdict(list)
    conf: dict[str, list[float]] = defaultdict(list)
    for (utt, intent), reply in zip(rows, replies, strict=True):
        verdict, label = score(intent, reply)
        per[intent][verdict] += 1
        if reply.confidence is not None:
            conf[intent].append(reply.confidence)
            conf[verdict].append(reply.confidence)
        if verdict == "wrong":
            wrong[intent][label] += 1
            examples[intent, label].append(utt)
    ok = {i: answerable(RULES[i], titles) for i in per}

    log(f"{'intent':<26}{'n':>5}{'right':>8}{'honest':>8}{'wrong':>8}{'conf':>7}")
    figures: dict[str, Any] = {}
    for intent in sorted(per):
        f = figures[intent] = {**total([per[intent]]), "answerable": ok[intent],
                               "confidence": mean(conf[intent])}
        log(f"{intent + ('' if ok[intent] else ' *'):<26}{f['n']:>5}{f['right']:>8.1%}"
            f"{f['honest']:>8.1%}{f['wrong']:>8.1%}{f['confidence']:>7.2f}")
    overall = total(list(per.values()))
    answer = total([c for i, c in per.items() if ok[i]])
    if not all(ok.values()):
        log("(* not answerable: no matching help-center article, no right task or handoff)")
    for name, t in (("overall", overall), ("answerable", answer)):
        log(f"{name:<11} n={t['n']:<5} right {t['right']:.1%} (target >= {TARGET_RIGHT:.0%}), "
            f"honest {t['honest']:.1%}, wrong {t['wrong']:.1%} (target <= {TARGET_WRONG:.0%})"
            f": {'met' if t['met'] else 'not met'}")
    confidence = {k: mean(conf[k]) for k in VERDICTS}
    log("mean engine confidence (no-model replies): " +
        ", ".join(f"{k} {v:.2f}" for k, v in confidence.items()))
    if args.show_wrong > 0 and wrong:
        log("\ntop wrong outcomes per intent (at most 3 examples each):")
        for intent in sorted(wrong):
            log(f"  {intent}:")
            budget = 3  # example utterances per intent, in total
            for rank, (label, count) in enumerate(wrong[intent].most_common(args.show_wrong)):
                log(f"    {count:>4}  {label[:90]}")
                take = min(budget, 2 if rank == 0 else 1)
                for utt in examples[intent, label][:take]:
                    log(f"            e.g. {utt[:100]!r}")
                budget -= take
    english = sum(r.language in ("", "en") for r in replies) / max(len(replies), 1)
    log(f"\nlanguage: {english:.1%} of these English first messages were read as English")
    routing = auto_routing(rows, replies)
    log(f"\nauto routing: {routing['no_model_share']:.1%} of first replies would be answered with "
        f"no model (confidence >= {routing['threshold']}); of those {routing['no_model_right']:.1%}"
        f" right, {routing['no_model_wrong']:.1%} wrong")
    log("confidence bins (right share): " + ", ".join(
        f"{b}: {v['right']:.0%} of {v['n']}" for b, v in routing["bins"].items()))
    rate = len(rows) / talking if talking else float("nan")
    log(f"\n{len(rows)} utterances in {seconds:.1f} s (of which {talking:.1f} s talking: "
        f"{rate:.1f} utterances/s, concurrency {args.concurrency})")
    return {
        "overall": overall, "answerable": answer, "per_intent": figures,
        "confidence": confidence, "seconds": seconds, "utterances_per_s": rate,
        "auto_routing": routing, "read_as_english": english,
        "targets": {"right": TARGET_RIGHT, "wrong": TARGET_WRONG},
        "not_answerable": sorted(i for i in per if not ok[i])}


if __name__ == "__main__":
    sys.exit(main())
