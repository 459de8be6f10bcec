"""How the shopper feels, from the whole message and the conversation so far.

Anger is scored from several signals, so that one strong word or several weak ones count,
and a typo or a word inside another word does not: words of anger and contempt, repetition
("third time", "still", "again"), shouting, runs of "!" or "?", and the same complaint
written more than once in the conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_STRONG = re.compile(
    r"\b(furious|outraged|livid|unacceptable|ridiculous|disgusting|disgusted|disgrace(ful)?|"
    r"pathetic|useless|incompetent|scam(s|mers?)?|fraud(ulent)?|rip[- ]?off|joke of a|"
    r"worst (service|company|store|shop|experience|customer service)|never (again|buying|"
    r"shopping|order(ing)? (from|here) again)|fed up|sick (and tired )?of|had enough|"
    r"so angry|really angry|very angry|extremely (angry|upset|disappointed)|"
    r"absolutely (terrible|awful|horrible|ridiculous|unacceptable)|shameful|appalling|"
    r"horrendous|atrocious|wtf|are you kidding( me)?|seriously\?{2,})\b", re.I)
_WEAK = re.compile(
    r"\b(angry|annoyed|annoying|frustrat\w*|upset|unhappy|disappointed|disappointing|"
    r"terrible|awful|horrible|bad service|poor service|not happy|not ok(ay)?|"
    r"waste of (time|money)|nobody (helps|answers|replies|responds)|no one (helps|answers|"
    r"replies|responds)|ignor(ed|ing) (me|my)|keep (getting|being)|what is going on|"
    r"how hard can it be|unbelievable|useless bot|stupid)\b", re.I)
_REPEAT = re.compile(
    r"\b((second|third|fourth|fifth|2nd|3rd|4th|5th|\d+(st|nd|rd|th)?) time|"
    r"(how many|so many|several|multiple|many) times|again and again|over and over|"
    r"(still|yet) (not|no|haven'?t|hasn'?t|nothing|waiting)|(for|since) (weeks|months|ages)|"
    r"(weeks|months) (later|now|ago and)|(already|i'?ve) (asked|written|called|emailed|"
    r"contacted|told)|every time|keeps? happening|once again)\b", re.I)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_CALM_CAPS = frozenset({"USA", "UPS", "USPS", "DHL", "FEDEX", "PDF", "VAT", "SMS", "FAQ",
                        "ASAP", "CEO", "EUR", "USD", "GBP", "CAD", "APO", "FPO", "LED", "XXL",
                        "OK", "ETA", "GPS", "USB", "TV", "ID", "PIN", "BBB"})


@dataclass(frozen=True, slots=True)
class Tone:
    anger: float  # 0 calm .. 1 furious
    frustrated: bool
    signals: tuple[str, ...] = ()

    @property
    def angry(self) -> bool:
        return self.anger >= 0.7


def _shouting(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        return 1.0
    loud = [w for w in _CAPS_WORD.findall(text) if w not in _CALM_CAPS]
    return min(1.0, 0.35 * len(loud))


def assess(text: str, earlier: Sequence[str] = ()) -> Tone:
    """Tone of `text`; `earlier` is what the same shopper wrote before in this conversation."""
    signals: list[str] = []
    score = 0.0
    strong = _STRONG.findall(text)
    if strong:
        signals.append("strong words")
        score += 0.6 + 0.2 * (len(strong) - 1)
    weak = _WEAK.findall(text)
    if weak:
        signals.append("upset words")
        score += 0.3 * len(weak)
    if _REPEAT.search(text):
        signals.append("repetition")
        score += 0.35
    shout = _shouting(text)
    if shout:
        signals.append("shouting")
        score += 0.4 * shout
    if re.search(r"[!?]{3,}", text):
        signals.append("punctuation")
        score += 0.15
    words = set(re.findall(r"[a-z']{4,}", text.lower()))
    if len(words) >= 4 and any(
            len(words & set(re.findall(r"[a-z']{4,}", e.lower()))) >= 0.7 * len(words)
            for e in earlier):
        signals.append("written before")
        score += 0.3
    frustrated = bool(weak or strong or "repetition" in signals)
    return Tone(round(min(score, 1.0), 3), frustrated, tuple(signals))
