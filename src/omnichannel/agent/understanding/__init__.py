"""Understanding a shopper's message: intents with calibrated confidence, entities, tone.

`read(text)` gives a Reading: the whole message's intent and, for messages that ask several
things, each part's. The classifier is trained on our own utterances (data/<lang>/) and
loaded in the background; nothing here calls the network or a model service.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import omnichannel.i18n as i18n
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


def warm(lang: str | None = None) -> None:
    """Load the language's model in the background so the first reply does not wait."""
    SHELF.warm(lang or i18n.current())


def read(text: str, lang: str | None = None) -> Reading:
    """Blocking (the first call may train or load the model): call it from a thread.
    The same words in the same language are read once (routing reads what the draft read).

    Clauses that only add a detail to a request ("Please refund it to my PayPal", "any price
    difference goes to my gift card") are left out of the whole message's reading: they
    would pull it towards payment questions."""
    return _read(text, lang or i18n.current())  # the turn's language (docs/languages.md)


@functools.lru_cache(maxsize=512)
def _read(text: str, lang: str) -> Reading:
    model = SHELF.get(lang)
    clauses = segment.parts(text)
    if len(clauses) == 1:
        return Reading(text, model.predict(text), ())
    core = " ".join(c for c in clauses if not segment.is_detail(c)) or text
    preds = model.predict_many([core, *clauses])
    parts = tuple((c, p) for c, p in zip(clauses, preds[1:], strict=True)
                  if not segment.is_detail(c))
    return Reading(text, preds[0], parts)
