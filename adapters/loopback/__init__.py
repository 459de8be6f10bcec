"""An in-memory channel for tests, demos and `omnichannel chat`."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import ClassVar

from omnichannel.channel import (
    Button,
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Inbound,
    Markup,
    Outbound,
    Published,
    WindowClosedError,
)


class LoopbackConfig(ChannelConfig):
    max_text_length: int = 4096
    # Seconds after the shopper's last message that free text may be sent (None: always),
    # to exercise policy windows like WhatsApp's.
    policy_window: float | None = None


class LoopbackAdapter:
    """Messages in through `say`, replies out to per-chat queues."""

    name: ClassVar[str] = "loopback"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=4096, markup=Markup.PLAIN, buttons=True, max_buttons=10, typing=True
    )
    config_model: ClassVar[type[ChannelConfig]] = LoopbackConfig

    def __init__(self, settings: LoopbackConfig | None = None) -> None:
        self.settings = settings or LoopbackConfig(enabled=True)
        s = self.settings
        if s.max_text_length != type(self).capabilities.max_text_length or s.policy_window:
            self.capabilities = Capabilities(  # type: ignore[misc]
                max_text_length=s.max_text_length, buttons=True, max_buttons=10,
                typing=True, policy_window=s.policy_window,
            )
        self.ctx: ChannelContext | None = None
        self.sent: list[Outbound] = []
        self.typing_events: list[str] = []
        self._queues: dict[str, asyncio.Queue[Outbound]] = {}
        self._ids = itertools.count(1)
        self._run = uuid.uuid4().hex[:12]

    async def start(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    async def stop(self) -> None:
        self.ctx = None

    async def say(
        self,
        text: str,
        chat_id: str = "shopper",
        external_id: str | None = None,
        button_value: str | None = None,
        verified_email: str | None = None,
    ) -> Published:
        if self.ctx is None:
            raise RuntimeError("loopback adapter is not started")
        return await self.ctx.publish(
            Inbound(
                channel=self.name,
                account=self.ctx.account,
                # Unique across processes: a second `omnichannel chat` on the same store must
                # not look like a platform retry of the first one's messages.
                external_id=external_id or f"lb-{self._run}-{next(self._ids)}",
                chat_id=chat_id,
                sender_id=chat_id,
                text=text,
                button_value=button_value,
                verified_email=verified_email,
            )
        )

    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        if not outbound.window_open:
            raise WindowClosedError("no template configured for the loopback channel")
        self.sent.append(outbound)
        self.queue(outbound.chat_id).put_nowait(outbound)
        return DeliveryReceipt(platform_message_id=f"lb-out-{outbound.outbox_id}")

    async def typing(self, chat_id: str) -> None:
        self.typing_events.append(chat_id)

    def queue(self, chat_id: str) -> asyncio.Queue[Outbound]:
        return self._queues.setdefault(chat_id, asyncio.Queue())

    async def reply(self, chat_id: str = "shopper", timeout: float = 10.0) -> Outbound:
        return await asyncio.wait_for(self.queue(chat_id).get(), timeout)


__all__ = ["Button", "LoopbackAdapter", "LoopbackConfig"]
