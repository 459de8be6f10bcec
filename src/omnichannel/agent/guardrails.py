"""Guardrails enforced in code for every engine: identity, confirmation, caps.

The model (or the rule engine) can only ask; these checks decide. Nothing here is a prompt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from omnichannel.conversation import ActionEntry


class Verification(StrEnum):
    """How the shopper proved who they are."""

    NAME_ZIP = "name_zip"
    EMAIL_AND_ORDER = "email_and_order"
    SIGNED_IDENTITY = "signed_identity"
    CHANNEL_PHONE = "channel_phone"
    REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class Policy:
    """Limits from `[guardrails]`; None switches a limit off."""

    return_window_days: int | None = 30
    max_refund_per_order: float | None = 500.0
    max_refund_per_customer_30d: float | None = 1000.0
    max_refund_per_day: float | None = 5000.0


@dataclass
class Session:
    """What the tools know about one conversation's shopper (persisted between turns)."""

    customer_id: str | None = None
    verified_by: Verification | None = None
    # An email the shopper gave: not proof until an order number of that email matches.
    claimed_customer_id: str | None = None
    confirmed: set[str] = field(default_factory=set)
    # Replay mode (conformance): every confirmation is granted by the test.
    auto_confirm: bool = False

    @property
    def verified(self) -> bool:
        return self.customer_id is not None

    def verify(self, customer_id: str, how: Verification) -> None:
        self.customer_id = customer_id
        self.verified_by = how
        self.claimed_customer_id = None

    def to_json(self) -> str:
        return json.dumps({
            "customer_id": self.customer_id,
            "verified_by": self.verified_by.value if self.verified_by else None,
            "claimed_customer_id": self.claimed_customer_id,
            "confirmed": sorted(self.confirmed),
        })

    @classmethod
    def from_json(cls, text: str | None) -> Session:
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(
            customer_id=raw.get("customer_id"),
            verified_by=Verification(raw["verified_by"]) if raw.get("verified_by") else None,
            claimed_customer_id=raw.get("claimed_customer_id"),
            confirmed=set(raw.get("confirmed", [])),
        )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """An action waiting for the shopper's explicit yes to exactly these arguments."""

    token: str
    tool: str
    summary: str
    irreversible: bool = False


def action_token(tool: str, args: dict[str, object]) -> str:
    """Bound to the tool and every argument: a changed argument needs a new confirmation."""
    canonical = json.dumps({"tool": tool, "args": args}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


class RefundLedger(Protocol):
    """Refunds already given, for the caps (the store implements it)."""

    async def refunded_for_order(self, order_id: str) -> float: ...
    async def refunded_for_customer(self, customer_id: str, days: int) -> float: ...
    async def refunded_by_shop(self, days: int) -> float: ...


class ActionRecorder(Protocol):
    """Every tool call, recorded with its arguments, result and who confirmed it."""

    async def record(self, entry: ActionEntry) -> None: ...
    async def done_tools(self) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class CapVerdict:
    allowed: bool
    reason: str = ""


async def check_caps(
    policy: Policy, ledger: RefundLedger | None, customer_id: str, order_id: str, amount: float
) -> CapVerdict:
    """Whether a refund of `amount` may run now, or must wait for staff approval."""
    if amount <= 0 or ledger is None:
        return CapVerdict(True)
    if policy.max_refund_per_order is not None:
        total = await ledger.refunded_for_order(order_id) + amount
        if total > policy.max_refund_per_order:
            return CapVerdict(False, f"refund of {total:.2f} on order {order_id} is over the "
                              f"per-order cap of {policy.max_refund_per_order:.2f}")
    if policy.max_refund_per_customer_30d is not None:
        total = await ledger.refunded_for_customer(customer_id, 30) + amount
        if total > policy.max_refund_per_customer_30d:
            return CapVerdict(False, f"refunds of {total:.2f} in 30 days are over the "
                              f"per-customer cap of {policy.max_refund_per_customer_30d:.2f}")
    if policy.max_refund_per_day is not None:
        total = await ledger.refunded_by_shop(1) + amount
        if total > policy.max_refund_per_day:
            return CapVerdict(False, f"refunds of {total:.2f} today are over the shop's daily "
                              f"cap of {policy.max_refund_per_day:.2f}")
    return CapVerdict(True)
