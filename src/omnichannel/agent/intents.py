"""Rules that read a shopper's message: small talk, requests for a person, red flags.

The red flags (anger, abuse, legal threats, self-harm, card numbers) are checked before any
engine runs and cannot be switched off by configuration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from omnichannel.agent.turn import HandoffReason
from omnichannel.agent.understanding.tone import assess

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
    r"^\s*((ok(ay)?|great|perfect|awesome|brilliant|lovely|cool|nice|excellent|wonderful|"
    r"amazing|super|fab|fantastic|all good|that'?s great|sounds good|got it)[\s,.!]*)?"
    r"(thanks|thank you|thank u|thankyou|thx|thnx|tnx|ty|tysm|cheers|many thanks|"
    r"much appreciated|appreciate it|that helps|that helped|perfect|awesome|got it|great)\b"
    r"[\s\w!.,'’:)]{0,40}$",
    re.I,
)
_BYE = re.compile(r"^\s*((ok(ay)?|great|cool|perfect|no|nope|nah|all good)[\s,.!]*)?"
                  r"(bye|goodbye|good bye|see (you|ya)|that'?s all|that'?s it|thats it|"
                  r"nothing else|no,? thanks?|no thank you|i'?m (good|done|all set)|"
                  r"all (good|set|sorted)|have a (good|nice|great) (day|one|evening)|"
                  r"no,? that'?s (all|it|everything))\b", re.I)
_LEGAL = re.compile(
    r"\b(lawyers?|attorneys?|(i'?ll|i will|i'?m going to|im going to|gonna|going to|will) "
    r"sue|sue (you|your|the company|them)|suing|lawsuit|legal action|take (you|this) to court|"
    r"see you in court|small claims|consumer protection|report you to|"
    r"better business bureau|chargeback)\b",
    re.I,
)
_SELF_HARM = re.compile(
    r"\b(kill myself|suicid\w*|end my life|hurt myself|self[- ]harm|want to die)\b", re.I
)
_ABUSE = re.compile(
    r"\b(fuck\w*|f[*#@]+\w*|shit(ty|head)?|bullshit|bitch\w*|asshole|arsehole|bastard|cunt|"
    r"idiots?|stupid bot|morons?|dumbass|screw you|piss off)\b", re.I
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


def red_flag(text: str, earlier: Sequence[str] = ()) -> Flag | None:
    """The first handoff trigger the text sets off, most serious first; `earlier` is what
    the shopper wrote before in the conversation (repetition raises anger)."""
    if _SELF_HARM.search(text):
        return Flag(HandoffReason.SELF_HARM, "shopper mentioned self-harm")
    if has_card_number(text):
        return Flag(HandoffReason.CARD_NUMBER, "shopper typed a payment card number")
    if _LEGAL.search(text):
        return Flag(HandoffReason.LEGAL, "shopper mentioned legal action")
    if _ABUSE.search(text):
        return Flag(HandoffReason.ABUSE, "abusive language")
    tone = assess(text, earlier)
    if tone.angry:
        return Flag(HandoffReason.ANGER, f"shopper is upset ({', '.join(tone.signals)})")
    return None


def wants_person(text: str, button_value: str | None = None) -> bool:
    return button_value == HANDOFF_BUTTON or bool(_PERSON.search(text))


def is_greeting(text: str) -> bool:
    return bool(_GREETING.match(text))


def is_thanks(text: str) -> bool:
    """A thank-you and nothing more ("ok thanks. Rosa Garcia 84114" also gives facts)."""
    return bool(_THANKS.match(text)) and not re.search(r"\d|@", text)


def is_goodbye(text: str) -> bool:
    return bool(_BYE.match(text))


def redact_cards(text: str) -> str:
    """Mask anything that looks like a card number before it is stored in summaries."""
    def mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return CARD_MASK if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)

    return _CARD.sub(mask, text)
