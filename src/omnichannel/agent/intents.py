"""Rules that read a shopper's message: small talk, requests for a person, red flags.

The red flags (anger, abuse, legal threats, self-harm, card numbers) are checked before any
engine runs and cannot be switched off by configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from omnichannel.agent.turn import HandoffReason

HANDOFF_BUTTON = "handoff"

_PERSON = re.compile(
    r"\b(human|real person|a person|someone real|live (agent|chat|person)|representative|"
    r"rep\b|operator|customer (service|support) (agent|person|rep)|talk to (someone|somebody|"
    r"staff|support|an agent|a agent|agent)|speak (to|with) (someone|somebody|an agent|agent|a "
    r"manager|staff)|manager|supervisor|not a bot|real human)",
    re.I,
)
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|yo|greetings)\b[\s!.,]*"
    r"(there|team|juno)?[\s!.,]*$",
    re.I,
)
_THANKS = re.compile(
    r"^\s*(thanks|thank you|thx|ty|cheers|great,? thanks|perfect|awesome|that helps|"
    r"that helped|got it)\b[\s\w!.,'’]{0,30}$",
    re.I,
)
_BYE = re.compile(r"^\s*(bye|goodbye|see you|that'?s all|that'?s it|nothing else|no,? thanks|"
                  r"no,? that'?s (all|it|everything))\b", re.I)
_LEGAL = re.compile(
    r"\b(lawyer|attorney|sue\b|suing|lawsuit|legal action|court|small claims|"
    r"consumer protection|report you to|bbb\b|better business bureau)",
    re.I,
)
_SELF_HARM = re.compile(
    r"\b(kill myself|suicid\w*|end my life|hurt myself|self[- ]harm|want to die)\b", re.I
)
_ABUSE = re.compile(
    r"\b(fuck\w*|shit\w*|bitch\w*|asshole|bastard|cunt|idiot|stupid bot|moron|dumbass)\b", re.I
)
_ANGER = re.compile(
    r"\b(furious|outraged|unacceptable|ridiculous|disgusting|worst (service|company|store)|"
    r"scam\w*|fraud|rip[- ]?off|never (again|buy)|fed up|sick of|so angry|livid)\b",
    re.I,
)
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


@dataclass(frozen=True, slots=True)
class Flag:
    reason: HandoffReason
    detail: str


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


CARD_MASK = "[card number removed]"


def has_card_number(text: str) -> bool:
    if CARD_MASK in text:
        return True
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return True
    return False


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8 and (
        "!" in text
    )


def red_flag(text: str) -> Flag | None:
    """The first handoff trigger the text sets off, most serious first."""
    if _SELF_HARM.search(text):
        return Flag(HandoffReason.SELF_HARM, "shopper mentioned self-harm")
    if has_card_number(text):
        return Flag(HandoffReason.CARD_NUMBER, "shopper typed a payment card number")
    if _LEGAL.search(text):
        return Flag(HandoffReason.LEGAL, "shopper mentioned legal action")
    if _ABUSE.search(text):
        return Flag(HandoffReason.ABUSE, "abusive language")
    if _ANGER.search(text) or _shouting(text):
        return Flag(HandoffReason.ANGER, "shopper is upset")
    return None


def wants_person(text: str, button_value: str | None = None) -> bool:
    return button_value == HANDOFF_BUTTON or bool(_PERSON.search(text))


def is_greeting(text: str) -> bool:
    return bool(_GREETING.match(text))


def is_thanks(text: str) -> bool:
    return bool(_THANKS.match(text))


def is_goodbye(text: str) -> bool:
    return bool(_BYE.match(text))


def redact_cards(text: str) -> str:
    """Mask anything that looks like a card number before it is stored in summaries."""
    def mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return CARD_MASK if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)

    return _CARD.sub(mask, text)
