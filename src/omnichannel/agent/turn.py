"""What one agent turn produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omnichannel.conversation import Button


class HandoffReason(StrEnum):
    PROMISE = "broken_promise"
    REQUESTED = "requested"
    ANGER = "anger"
    ABUSE = "abuse"
    LEGAL = "legal"
    SELF_HARM = "self_harm"
    CARD_NUMBER = "card_number"
    REPEATED_FAILURE = "repeated_failure"
    OVER_CAP = "over_cap"
    ENGINE_FAILURE = "engine_failure"
    TOPIC = "merchant_topic"  # a topic the merchant listed in [handoff] topics
    CATEGORY_OFF = "category_off"  # [autonomy] puts this category with people
    COMPLAINT = "complaint"  # the shopper wants to complain: a person hears it


@dataclass(frozen=True, slots=True)
class Handoff:
    reason: HandoffReason
    summary: str


@dataclass(frozen=True, slots=True)
class Action:
    tool: str
    args: str
    result: str


@dataclass(frozen=True, slots=True)
class Turn:
    """Reply text and buttons for the shopper, plus decisions kept out of the text."""

    text: str
    buttons: tuple[Button, ...] = ()
    actions: tuple[Action, ...] = ()
    handoff: Handoff | None = None
    intent: str | None = None
    # The turn could not help (unknown question): counts toward the repeated-failure handoff.
    failed: bool = False
    sources: tuple[str, ...] = field(default_factory=tuple)
    # The engine's dialogue state after this turn (JSON it alone reads), kept by the router.
    state: str | None = None
    # How sure the engine is that it understood (routing uses it); 0 when it did not.
    confidence: float = 1.0
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class ModelFailure:
    """One model call that failed: which model, what kind of error, how long it took."""

    model: str
    error: str  # "rate_limit" | "timeout" | "server_error" | "connection" | "auth" |
    # "bad_request" | "malformed" | "other"
    latency_s: float = 0.0
    status: int | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    """What the model calls of one turn cost."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    tier: str = ""  # "routine" | "complex"
    fallbacks: tuple[str, ...] = ()
    # Seconds spent waiting on the model in this turn (all its calls), for /metrics.
    latency_s: float = 0.0
    # Calls that failed (each retry or fallback step), answered or not in the end.
    failures: tuple[ModelFailure, ...] = ()
