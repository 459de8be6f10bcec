"""The claim checker: what a reply says was done, is under way or will happen, and what backs it.

A claim states that a support action (a refund, a label, a person replying) was done, is being
done or will be done. It is backed when a write tool succeeded in this conversation whose action,
or what the shop does after it, is that kind; a conditional promise ("once you confirm, I'll
cancel it") may also rest on the write the shopper is being asked to confirm. The words are data,
one `Language` per code; the reading (`reading.py`) is the same for every language.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from omnichannel.agent.claims.english import ENGLISH
from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who
from omnichannel.agent.claims.reading import ANY, LANGUAGES, Claim, found

__all__ = [
    "ANY", "CAPABILITIES", "ENGLISH", "HANDED_OFF", "LANGUAGES", "NEVER", "Aux", "Capability",
    "Claim", "Language", "Role", "Verb", "Who", "backed_kinds", "claims", "unbacked",
]


@dataclass(frozen=True, slots=True)
class Capability:
    """What one successful write backs: the action itself, then what the shop does after it."""

    does: frozenset[str]
    then: frozenset[str] = frozenset()


_REFUND = frozenset({"refund", "credit"})  # to the original payment method in 5-7 business days
CAPABILITIES: Mapping[str, Capability] = {
    "cancel_pending_order": Capability(frozenset({"cancel"}), _REFUND),
    # A return or an exchange: an email with the label and instructions, then the refund.
    "return_delivered_order_items": Capability(frozenset({"return"}),
                                               frozenset({"label", "email"}) | _REFUND),
    "exchange_delivered_order_items": Capability(
        frozenset({"exchange", "items"}),
        frozenset({"label", "email", "ship", "payment"}) | _REFUND),  # new items; the difference
    "modify_pending_order_items": Capability(frozenset({"items", "exchange"}),
                                             frozenset({"payment"}) | _REFUND),
    "modify_pending_order_address": Capability(frozenset({"address"}), frozenset({"ship"})),
    "modify_pending_order_payment": Capability(frozenset({"payment"}), _REFUND),
    "modify_user_address": Capability(frozenset({"address"})),
    "refund_order": Capability(_REFUND),
    "transfer_to_human_agents": Capability(frozenset({"handoff"})),  # a person replies here
}
HANDED_OFF = frozenset({"handoff"})  # this turn hands off: a person will indeed reply
# No tool does these, so nothing ever backs them: phone calls, discounts and coupons, a free
# replacement shipment, a waived fee.
NEVER = frozenset({"callback", "discount", "replacement"})


def backed_kinds(tools: Collection[str]) -> frozenset[str]:
    """The kinds of claim that these successful (or pending) write tools make true."""
    kinds: set[str] = set()
    for tool in tools:
        cap = CAPABILITIES.get(tool)
        if cap:
            kinds |= cap.does | cap.then
    return frozenset(kinds - NEVER)


def claims(text: str, lang: str = "en") -> list[Claim]:
    """Every statement in `text` that a support action was done, is under way or will happen."""
    return [f.claim for f in found(text, lang)]


def unbacked(text: str, done: Collection[str], *, handed_off: bool = False,
             pending: Collection[str] = (), lang: str = "en") -> list[Claim]:
    """The claims in `text` that nothing backs."""
    now = backed_kinds(done) | (HANDED_OFF if handed_off else frozenset())
    if now - HANDED_OFF:
        now |= {ANY}  # "Done!" is true of whatever write ran
    later = backed_kinds(pending)
    return [f.claim for f in found(text, lang)
            if f.claim.kind not in now and not (f.conditional and f.claim.kind in later)]

