"""Which brain answers a turn: no model, the routine model, or the complex model."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from omnichannel.agent.turn import Turn
from omnichannel.conversation import Conversation, Message

_UPSET = re.compile(
    r"\b(disappointed|frustrat\w*|annoy\w*|unhappy|upset|terrible|awful|horrible|worst|"
    r"useless|again\?|still (not|haven't|hasn't)|third time|second time|ridiculous)\b", re.I)
_WRITES = re.compile(r"\b(cancel|return|exchange|swap|refund|change|modify|switch|replace)\b",
                     re.I)


class Tier(StrEnum):
    NONE = "none"
    ROUTINE = "routine"
    COMPLEX = "complex"


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """From `[routing]`: when the built-in engine suffices and when a turn is hard."""

    builtin_min_confidence: float = 0.6
    long_conversation_messages: int = 16
    complex_when_upset: bool = True
    complex_for_multi_step_writes: bool = True
    complex_after_failure: bool = True


def route(
    rules: RoutingRules,
    conversation: Conversation,
    history: Sequence[Message],
    text: str,
    builtin: Turn | None,
) -> Tier:
    """The tier for this turn. `builtin` is the built-in engine's draft, if it made one."""
    if builtin is not None and not builtin.failed and (
        builtin.confidence >= rules.builtin_min_confidence
    ):
        return Tier.NONE  # includes the safety handoffs, which no model may override
    if rules.complex_after_failure and conversation.failures > 0:
        return Tier.COMPLEX
    if rules.complex_when_upset and _UPSET.search(text):
        return Tier.COMPLEX
    if rules.complex_for_multi_step_writes and len(set(
            w.lower() for w in _WRITES.findall(text))) >= 2:
        return Tier.COMPLEX
    if len(history) >= rules.long_conversation_messages:
        return Tier.COMPLEX
    return Tier.ROUTINE
