"""The multilingual first-message set we wrote (bench/data/languages/<lang>.txt), for
bench/understanding.py: the same intents in every shipped language, scored with the same
rules as the external corpus, so each language's figures sit beside English's.

A file holds `## <intent>` blocks (the corpus's intent names, so the scoring rules apply) of
one first message per line; {{Order Number}}-style slots are filled as for the corpus.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "languages"
LANGS = ("en", "es", "de", "fr", "pt", "it", "nl")
# Groups of intents: the set has at least 40 messages per language in each.
GROUPS = {
    "orders": ("track_order", "cancel_order", "change_order", "change_shipping_address",
               "set_up_shipping_address", "delivery_period"),
    "refunds": ("get_refund", "track_refund", "check_refund_policy", "check_cancellation_fee"),
    "shopping": ("delivery_options", "check_payment_methods", "payment_issue", "place_order",
                 "get_invoice", "check_invoice", "check_invoices"),
    "account": ("create_account", "delete_account", "edit_account", "switch_account",
                "recover_password", "registration_problems", "newsletter_subscription"),
    "people": ("contact_customer_service", "contact_human_agent", "complaint", "review"),
}
GROUP_OF = {intent: group for group, intents in GROUPS.items() for intent in intents}
GAP = 0.05  # target: every language within 5 points of English (right share)


def load(lang: str) -> list[tuple[str, str]]:
    """(message, intent) of one language's file."""
    path = DATA / f"{lang}.txt"
    rows: list[tuple[str, str]] = []
    intent = None
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") and not line.startswith("## "):
            continue
        if line.startswith("## "):
            intent = line[3:].strip()
            continue
        if intent is None:
            raise ValueError(f"{path}: a message before the first ## intent")
        rows.append((line, intent))
    return rows


def available() -> list[str]:
    return [lang for lang in LANGS if (DATA / f"{lang}.txt").is_file()]


def summarize(rows: list[tuple[str, str, str]], verdicts: list[str],
              detected: list[str]) -> dict[str, Any]:
    """Per language: right / honest / wrong overall and per group, the language detected
    right, and the gap to English."""
    per: dict[str, Counter[str]] = defaultdict(Counter)
    groups: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    lang_ok: Counter[str] = Counter()
    for (_text, intent, lang), verdict, got in zip(rows, verdicts, detected, strict=True):
        per[lang][verdict] += 1
        groups[(lang, GROUP_OF.get(intent, "other"))][verdict] += 1
        lang_ok[lang] += got == lang
    out: dict[str, Any] = {}
    for lang, c in per.items():
        n = sum(c.values())
        out[lang] = {"n": n, **{k: c[k] / n for k in ("right", "honest", "wrong")},
                     "detected": lang_ok[lang] / n,
                     "groups": {g: {"n": sum(v.values()), "right": v["right"] / sum(v.values())}
                                for (lg, g), v in sorted(groups.items()) if lg == lang}}
    english = out.get("en", {}).get("right")
    for f in out.values():
        f["gap_to_english"] = None if english is None else round(english - f["right"], 4)
        f["met"] = english is not None and f["right"] >= english - GAP
    return out
