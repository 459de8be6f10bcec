"""Is this a yes? A write runs only on a clear one.

The classifier must read the message as a yes with high confidence, and nothing in it may
hedge, negate or change the request ("ok so no wait", "yes but change the size").
"""

from __future__ import annotations

import re
from enum import StrEnum

from omnichannel.agent.understanding.classifier import Prediction

YES_CONFIDENCE = 0.75
_HEDGE = re.compile(
    r"\b(no|nope|nah|not|don'?t|do not|doesn'?t|isn'?t|wait|hold on|hang on|but|however|"
    r"actually|instead|change|changed|wrong|mistake|unless|except|hmm+|maybe|perhaps|"
    r"not sure|unsure|cancel that|stop|never ?mind|rather|second thought|think|"
    r"later|tomorrow|first|what|which|why|how|\?)\b|\?", re.I)
_PLAIN_YES = re.compile(
    r"^\s*(y|ya|yes+|yeah|yea|yep|yup|yess|sure|ok(ay)?|k|kk|correct|confirm(ed)?|"
    r"go ahead|go for it|do it|please do|please proceed|proceed|absolutely|definitely|"
    r"of course|affirmative|right|that'?s right|that'?s correct|sounds good|perfect|"
    r"yes please|yes,? go ahead|yes,? do it|yes,? please do|yes,? that'?s (right|correct)"
    r"|👍)[\s.!,]*$", re.I)
_PLAIN_NO = re.compile(
    r"^\s*(n|no+|nope|nah|no thanks?|no thank you|don'?t|do not|never ?mind|stop|"
    r"cancel that|forget it|leave it|not now)\b", re.I)


# Declining in other words, anywhere in the message: "actually nevermind I'll keep them".
_DECLINE = re.compile(r"\b(never ?mind|forget (it|about it)|i'?ll keep (it|them)|keep (it|them) "
                      r"after all|don'?t bother|leave it( as it is)?|changed my mind)\b", re.I)


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


def decide(text: str, prediction: Prediction | None) -> Answer:
    """YES only when the whole message is a clear yes; NO when it declines; else UNCLEAR."""
    if _PLAIN_YES.match(text):
        return Answer.YES
    if _DECLINE.search(text):
        return Answer.NO
    if _PLAIN_NO.match(text):
        return Answer.NO if not re.search(r"\b(but|wait|actually|change)\b", text, re.I) \
            else Answer.UNCLEAR
    if prediction is None:
        return Answer.UNCLEAR
    if _HEDGE.search(text):
        return Answer.NO if (prediction.intent in ("deny", "start_over") and
                             prediction.confidence >= YES_CONFIDENCE) else Answer.UNCLEAR
    if prediction.intent == "affirm" and prediction.confidence >= YES_CONFIDENCE:
        return Answer.YES
    if prediction.intent in ("deny", "start_over") and prediction.confidence >= YES_CONFIDENCE:
        return Answer.NO
    return Answer.UNCLEAR


def is_yes(text: str) -> bool:
    """A plain yes with nothing else in it (the LLM engine's confirmation check)."""
    return decide(text, None) is Answer.YES


def is_no(text: str) -> bool:
    return decide(text, None) is Answer.NO
