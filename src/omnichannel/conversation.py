"""The conversation model shared by the router, the store and the agent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    STAFF = "staff"
    SYSTEM = "system"
    NOTE = "note"


class Owner(StrEnum):
    AGENT = "agent"
    STAFF = "staff"


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Delivery(StrEnum):
    """Outbox states. `uncertain`: a crash hit mid-send; staff decide, nobody resends."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    DROPPED = "dropped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    email_verified: bool = False
    phone_verified: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    channel: str
    account: str
    external_id: str
    contact_id: int


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    channel: str
    account: str
    chat_id: str
    identity_id: int
    contact_id: int
    status: Status = Status.OPEN
    owner: Owner = Owner.AGENT
    mode: str = "autonomous"
    intent: str | None = None
    failures: int = 0
    owner_epoch: int = 0
    agent_state: str | None = None
    tool_session: str | None = None
    # The shopper's language as detected (a shipped code, "es"), and the channel's hint.
    language: str | None = None
    language_hint: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    conversation_id: int
    role: Role
    text: str
    buttons: tuple[Button, ...] = ()
    button_value: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """One tool call as recorded: who it was for, what it did, who confirmed it."""

    tool: str
    args: dict[str, object]
    outcome: str
    approved_by: str | None
    customer_id: str | None = None
    order_id: str | None = None
    refund: float = 0.0
