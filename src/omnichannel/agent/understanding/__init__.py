"""Understanding a shopper's message: intents with calibrated confidence, entities, tone.

`read(text)` gives a Reading: the whole message's intent and, for messages that ask several
things, each part's. The classifier is trained on our own utterances (data/<lang>/) and
loaded in the background; nothing here calls the network or a model service.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnichannel.agent.understanding import segment
from omnichannel.agent.understanding.classifier import SHELF, Prediction

__all__ = ["Prediction", "Reading", "read", "warm"]


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    whole: Prediction
    parts: tuple[tuple[str, Prediction], ...]  # (clause, its prediction) when several

    @property
    def intent(self) -> str:
        return self.whole.intent

    @property
    def confidence(self) -> float:
        return self.whole.confidence


def warm(lang: str = "en") -> None:
    """Load the language's model in the background so the first reply does not wait."""
    SHELF.warm(lang)


def read(text: str, lang: str = "en") -> Reading:
    """Blocking (the first call may train or load the model): call it from a thread."""
    model = SHELF.get(lang)
    clauses = segment.parts(text)
    preds = model.predict_many([text, *clauses]) if len(clauses) > 1 else \
        model.predict_many([text])
    parts = tuple(zip(clauses, preds[1:], strict=True)) if len(clauses) > 1 else ()
    return Reading(text, preds[0], parts)
