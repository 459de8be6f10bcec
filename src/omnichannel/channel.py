"""The adapter API: what a channel adapter implements and what the gateway gives it.

An adapter turns one platform into `Inbound` events and turns `Outbound` messages back
into platform calls. It imports this module and its own SDK, nothing else of ours.

Lifecycle: `start(ctx)` connects and registers routes, raising `AdapterNotReady` (the
supervisor retries with backoff) or `AdapterAuthFailed` (the supervisor stops and reports);
`send(outbound)` delivers one chunk and returns a `DeliveryReceipt` or raises a
`DeliveryError`; `stop()` cancels the adapter's tasks and closes its sessions.
`ctx.publish(inbound)` returns only after the event is in the journal: acknowledge the
platform (HTTP 200, poll offset, IMAP flag) after it returns, never before. A channel that
sees the shopper typing says so with `ctx.publish(typing_signal(...))`: nothing is stored,
the conversation's answer only waits a little longer for the rest of the message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from omnichannel.conversation import Button, Owner, Role


class Markup(StrEnum):
    PLAIN = "plain"
    MARKDOWN = "markdown"
    HTML = "html"
    MRKDWN = "mrkdwn"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a channel can carry; the outbox chunks and renders by these."""

    max_text_length: int = 4096
    markup: Markup = Markup.PLAIN
    buttons: bool = False
    max_buttons: int = 0
    typing: bool = False
    threads: bool = False
    media: bool = False
    # Seconds after the shopper's last message during which free text may be sent
    # (WhatsApp: 24 h). None means no window.
    policy_window: float | None = None
    # Minimum seconds between two sends to one chat (platform rate limits).
    min_send_interval: float = 0.0


class InboundKind(StrEnum):
    MESSAGE = "message"
    # The shopper is typing (the web widget's typing frame): a hint for the router's wait,
    # never journaled, never answered.
    TYPING = "typing"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One normalised event from a platform.

    `external_id` is the platform's id for the event and the journal's deduplication key
    together with `channel` and `account`; `chat_id` addresses replies; `sender_id` is the
    shopper's stable id on that platform. A `TYPING` event carries no text and no id.
    """

    channel: str
    account: str
    external_id: str
    chat_id: str
    sender_id: str
    text: str
    button_value: str | None = None
    sender_name: str | None = None
    verified_email: str | None = None
    verified_phone: str | None = None
    received_at: datetime | None = None
    kind: InboundKind = InboundKind.MESSAGE
    # The language the platform says the shopper uses ("es-MX", Telegram's language_code, the
    # widget's browser language): a hint for messages too short to tell.
    language_hint: str | None = None


def typing_signal(channel: str, account: str, chat_id: str) -> Inbound:
    """"The shopper in `chat_id` is typing": `ctx.publish` it; it returns at once with
    `Published(message_id=0, ...)` and stores nothing."""
    return Inbound(channel=channel, account=account, external_id="", chat_id=chat_id,
                   sender_id="", text="", kind=InboundKind.TYPING)


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message (already chunked to the channel's limits) for one chat."""

    outbox_id: int
    conversation_id: int
    chat_id: str
    role: Role
    text: str
    buttons: tuple[Button, ...] = ()
    message_id: int | None = None
    owner: Owner = Owner.AGENT
    # False when the channel's policy window (WhatsApp: 24 h since the shopper's last
    # message) has closed: free text may not be sent; a template or WindowClosedError.
    window_open: bool = True
    # The conversation's language (a shipped code) for texts the adapter adds itself.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    platform_message_id: str | None


@dataclass(frozen=True, slots=True)
class Published:
    """What `ctx.publish` returns: the stored message id, or the earlier one on a retry
    (0 for a typing signal, which is not stored; its conversation is 0 when none is waiting)."""

    message_id: int
    conversation_id: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class HistoryItem:
    id: int
    role: Role
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatHistory:
    messages: tuple[HistoryItem, ...]
    owner: Owner


class AdapterError(Exception):
    """Base of the errors an adapter raises."""


class AdapterNotReady(AdapterError):
    """Temporary: the supervisor retries start() with backoff."""


class AdapterAuthFailed(AdapterError):
    """Credentials refused: the supervisor stops the adapter and reports it."""


class DeliveryError(AdapterError):
    """A send failed."""


class RetryableDeliveryError(DeliveryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """The platform refused the message for good (blocked, bad chat id)."""


class WindowClosedError(PermanentDeliveryError):
    """The platform's policy window is closed and no template applies."""


Handler = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Brand:
    """How the shop presents itself (widget colours, names, greeting)."""

    shop_name: str
    assistant_name: str
    colour: str
    avatar_url: str
    greeting: str
    person_label: str
    # The same two in each language the shop offers (a merchant's own text, or ours).
    greetings: Mapping[str, str] = field(default_factory=dict)
    person_labels: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class ChannelContext(Protocol):
    """What the gateway offers an adapter."""

    account: str
    brand: Brand
    # Where an adapter may keep small state files of its own (poll offsets, IMAP UIDs).
    state_dir: Path

    async def publish(self, inbound: Inbound) -> Published: ...

    async def history(self, chat_id: str, limit: int = 100) -> ChatHistory: ...

    async def delivery_status(
        self, platform_message_id: str, status: str, error: str | None = None
    ) -> bool:
        """A platform's receipt for a message we sent: "sent", "delivered", "read" or
        "failed". Returns False when no sent message has that id."""
        ...

    def add_route(self, method: str, path: str, handler: Handler) -> None: ...

    def secret(self, name: str) -> bytes: ...

    def report(self, connected: bool, detail: str = "") -> None:
        """After `start`, an adapter that owns a connection (a gateway websocket, long
        polling, IMAP IDLE) says when it lost it and when it is back: /readyz and doctor
        show "retrying" with `detail` meanwhile."""
        ...


@runtime_checkable
class Adapter(Protocol):
    """Constructed as `cls(settings)` with its validated `config_model` instance."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    config_model: ClassVar[type[BaseModel]]

    async def start(self, ctx: ChannelContext) -> None: ...

    async def send(self, outbound: Outbound) -> DeliveryReceipt: ...

    async def typing(self, chat_id: str) -> None: ...

    async def stop(self) -> None: ...


class ChannelConfig(BaseModel):
    """Base of every `[channels.<name>]` table."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False


def quote_buttons(buttons: Sequence[Button]) -> list[dict[str, str]]:
    """Buttons as JSON-ready dicts (widget frames, stored rows)."""
    return [{"label": b.label, "value": b.value} for b in buttons]


__all__ = [
    "Adapter",
    "Brand",
    "AdapterAuthFailed",
    "AdapterError",
    "AdapterNotReady",
    "Button",
    "Capabilities",
    "ChannelConfig",
    "ChannelContext",
    "ChatHistory",
    "DeliveryError",
    "DeliveryReceipt",
    "HistoryItem",
    "Inbound",
    "InboundKind",
    "Markup",
    "Outbound",
    "Owner",
    "PermanentDeliveryError",
    "Published",
    "RetryableDeliveryError",
    "Role",
    "WindowClosedError",
    "typing_signal",
]
