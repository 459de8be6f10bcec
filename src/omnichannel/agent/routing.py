"""Which brain answers a turn: no model, the routine model, or the complex model.

The shopper's mood, the task's risk, how sure the understanding component is (and how right
it was measured to be at that confidence, on held-out folds of its own data) and the
conversation's history decide. docs/llm.md has the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import omnichannel.i18n as i18n
from omnichannel.agent.turn import HandoffReason, Turn
from omnichannel.agent.understanding import Reading
from omnichannel.agent.understanding.classifier import SHELF
from omnichannel.agent.understanding.tone import assess
from omnichannel.conversation import Conversation, Message, Role

_UPSET = re.compile(
    r"\b(disappointed|frustrat\w*|annoy\w*|unhappy|upset|terrible|awful|horrible|worst|"
    r"useless|again\?|still (not|haven't|hasn't)|third time|second time|ridiculous)\b", re.I)
# Words of a write, by the task they name (a message naming two or more tasks is hard).
_WRITE_WORDS = {
    "cancel": "cancel", "return": "return", "send back": "return", "exchange": "exchange",
    "swap": "exchange", "replace": "exchange", "refund": "refund", "money back": "refund",
    "change": "modify", "modify": "modify", "switch": "modify", "update": "modify",
}
_WRITE_RE = re.compile(r"\b(" + "|".join(sorted(_WRITE_WORDS, key=len, reverse=True)) +
                       r")\b", re.I)
_WRITE_INTENTS = {
    "cancel_order": "cancel", "return_items": "return", "exchange_items": "exchange",
    "modify_items": "modify", "modify_order_address": "modify", "modify_payment": "modify",
    "modify_default_address": "modify",
}
# Drafts no model may replace: the safety handoffs.
_SAFETY = {HandoffReason.ANGER, HandoffReason.ABUSE, HandoffReason.LEGAL,
           HandoffReason.SELF_HARM, HandoffReason.CARD_NUMBER, HandoffReason.REQUESTED}


class Tier(StrEnum):
    NONE = "none"
    ROUTINE = "routine"
    COMPLEX = "complex"


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """From `[routing]`: when the built-in engine suffices and when a turn is hard."""

    builtin_min_confidence: float = 0.6
    # The rules' draft is sent only for intents whose held-out predictions, from the draft's
    # confidence up, were right at least this often.
    rules_min_precision: float = 0.95
    # Tone score (understanding.tone, 0 calm .. 1 furious) from which a shopper is upset.
    upset_from: float = 0.3
    long_conversation_messages: int = 16
    complex_when_upset: bool = True
    complex_for_multi_step_writes: bool = True
    complex_after_failure: bool = True


@dataclass(frozen=True, slots=True)
class Signals:
    """What routing reads about one turn."""

    intent: str = ""
    confidence: float = 0.0
    anger: float = 0.0
    upset: bool = False
    writes: frozenset[str] = frozenset()
    # The rules were in the middle of a task (asking for a detail or a yes) before this turn.
    mid_task: bool = False


def signals(reading: Reading | None, text: str, history: Sequence[Message],
            mid_task: bool = False) -> Signals:
    earlier = [m.text for m in history if m.role is Role.CUSTOMER][:-1]
    tone = assess(text, earlier)
    writes: set[str] = set()
    clauses = list(reading.parts) if reading is not None and reading.parts else (
        [(text, reading.whole)] if reading is not None else [(text, None)])
    for clause, p in clauses:  # each clause names its writes in words, or by its intent
        named = {_WRITE_WORDS[w.lower()] for w in _WRITE_RE.findall(clause)}
        if not named and p is not None and p.intent in _WRITE_INTENTS and p.confidence >= 0.5:
            named = {_WRITE_INTENTS[p.intent]}
        writes |= named
    if writes & {"cancel", "return"}:
        writes.discard("refund")  # the refund of a cancellation or a return: one task
    return Signals(
        intent=reading.intent if reading else "", confidence=reading.confidence if reading
        else 0.0, anger=tone.anger, upset=tone.frustrated or bool(_UPSET.search(text)),
        writes=frozenset(writes), mid_task=mid_task)


def trusted(rules: RoutingRules, s: Signals, lang: str | None = None) -> bool:
    """The understanding component is measured to be right for this intent at this
    confidence (held-out folds of its training data)."""
    if not s.intent:  # no reading was made (so no model is loaded either)
        return False
    model = SHELF.get(lang or i18n.current())
    return s.confidence >= model.trusted_from(s.intent, rules.rules_min_precision)


def route(
    rules: RoutingRules,
    conversation: Conversation,
    history: Sequence[Message],
    s: Signals,
    builtin: Turn | None,
) -> Tier:
    """The tier for this turn. `builtin` is the built-in engine's draft, if it made one."""
    if builtin is not None and builtin.handoff is not None and (
            builtin.handoff.reason in _SAFETY):
        return Tier.NONE  # no model may override a safety handoff
    hard = (rules.complex_when_upset and (s.upset or s.anger >= rules.upset_from)) or (
        rules.complex_for_multi_step_writes and len(s.writes) >= 2)
    if hard:
        return Tier.COMPLEX
    if builtin is not None and not builtin.failed and (
        builtin.confidence >= rules.builtin_min_confidence
    ) and (s.mid_task and (builtin.intent or "").startswith("orders.") or trusted(rules, s)):
        return Tier.NONE
    if rules.complex_after_failure and conversation.failures > 0:
        return Tier.COMPLEX
    if len(history) >= rules.long_conversation_messages:
        return Tier.COMPLEX
    return Tier.ROUTINE
