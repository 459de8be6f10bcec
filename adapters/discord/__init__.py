"""Discord: a bot on the gateway (discord.py) in, REST out.

start() logs in (GET users/@me: the health probe), asks GET /gateway/bot for the gateway
URL, runs `client.connect()` as a task of ours and returns once READY arrives. discord.py
resumes dropped sessions itself; when the client dies anyway (a close code it gives up on,
a crash in a parser) the task logs it and logs in again with backoff.

Inbound: every raw gateway payload is parsed by `parse.py` (pure; the fixtures test it).
DMs are always answered; in servers, messages that @mention the bot or sit in a
`support_channels` channel (or a thread under one). With `use_threads`, a shopper's
top-level message in a support channel gets a public thread and the conversation moves
there. Payloads are handled in arrival order per Discord channel. Discord never redelivers
an event, so a journal write that fails is tried again (`journal_retries`); a button press
is acknowledged (deferred update, type 6) only after its journal write.

Outbound: one message per Outbound, buttons as components, a nonce per outbox row that
Discord enforces (a retried send never posts twice). In a shared channel the reply quotes
the shopper's last message (that pings them) or starts with their @mention.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from typing import Any, ClassVar

import discord

from omnichannel.adapters.discord import compose
from omnichannel.adapters.discord.config import DiscordConfig
from omnichannel.adapters.discord.gateway import BotClient, login, start_error
from omnichannel.adapters.discord.inbound import Inbox
from omnichannel.adapters.discord.parse import Scope
from omnichannel.channel import (
    AdapterNotReady,
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Markup,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)


class DiscordAdapter:
    name: ClassVar[str] = "discord"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=compose.MAX_TEXT, markup=Markup.MARKDOWN, buttons=True,
        max_buttons=compose.MAX_BUTTONS, typing=True, threads=True)
    config_model: ClassVar[type[ChannelConfig]] = DiscordConfig

    def __init__(self, settings: DiscordConfig) -> None:
        self.settings = settings
        self.client: BotClient | None = None
        self.inbox = Inbox(self.name, settings, lambda: self.client)
        self.restarts = 0  # logins after a dead client
        self._failures = 0  # client deaths since the last READY (the restart backoff)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopping = False
        self._salt = ""

    @property
    def unjournaled(self) -> deque[str]:
        """Discord message ids lost because the journal refused them (logged as errors)."""
        return self.inbox.unjournaled

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        await self.stop()  # a supervised retry starts from scratch
        s = self.settings
        self.inbox = Inbox(self.name, s, lambda: self.client)
        self.inbox.ctx, self._stopping = ctx, False
        self._salt = ctx.secret("nonce")[:3].hex()
        self._ready = asyncio.Event()
        client = self._client()
        await login(client, s)  # AdapterAuthFailed / AdapterNotReady
        self.inbox.scope = self._scope(client, ctx)
        self._task = asyncio.create_task(self._run(client), name="discord:gateway")
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait({ready, self._task}, timeout=s.ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        await asyncio.gather(ready, return_exceptions=True)
        if self._ready.is_set():
            return
        task = self._task
        exc = task.exception() if task in done and not task.cancelled() else None
        await self.stop()
        if exc is not None:
            raise start_error(exc) from None
        raise AdapterNotReady(f"no READY from the Discord gateway in {s.ready_timeout:g}s")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.inbox.close()

    def _client(self) -> BotClient:
        self.client = BotClient(self.inbox.feed, self._on_ready, self.settings)
        return self.client

    def _scope(self, client: BotClient, ctx: ChannelContext) -> Scope:
        """Known from the login (users/@me), so before READY: dispatches that arrive while
        discord.py still waits for GUILD_CREATEs are parsed too."""
        assert client.user is not None
        s = self.settings
        return Scope(channel=self.name, account=ctx.account, bot_id=str(client.user.id),
                     support_channels=frozenset(s.support_channels), guilds=frozenset(s.guilds),
                     use_threads=s.use_threads)

    def _on_ready(self, client: BotClient) -> None:
        self._failures = 0
        log.info("discord gateway ready", extra={"channel": self.name, "guilds": len(
            client.guilds), "bot_id": str(client.user.id) if client.user else None})
        self._ready.set()

    async def _run(self, client: BotClient | None) -> None:
        """Owns the connection. Errors before the first READY end the task (start() reports
        them); after it, they are logged and the client logs in again with backoff."""
        s = self.settings
        while not self._stopping:
            try:
                if client is None:
                    client = self._client()
                    await login(client, s)
                    assert self.inbox.ctx is not None
                    self.inbox.scope = self._scope(client, self.inbox.ctx)
                    self.restarts += 1
                    log.info("discord client logged in again", extra={"channel": self.name})
                    self._report(True)
                await client.connect(reconnect=True)
                if self._stopping:
                    return
                raise ConnectionError("the gateway connection ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if client is not None:
                    await client.close()
                client = self.client = None  # sends wait (retryable) for the next login
                if not self._ready.is_set() or self._stopping:
                    raise
                self._failures += 1
                delay = min(s.restart_cap, s.restart_base * 2 ** min(self._failures - 1, 20))
                delay *= random.uniform(0.8, 1.2)
                self._report(False, f"gateway connection lost ({type(exc).__name__}); "
                             f"logging in again in {delay:.0f}s")
                log.error("discord client stopped; logging in again",
                          exc_info=not isinstance(exc, discord.DiscordException),
                          extra={"channel": self.name, "error": f"{type(exc).__name__}: {exc}",
                                 "retry_in": round(delay, 2)})
                await asyncio.sleep(delay)

    def _report(self, connected: bool, detail: str = "") -> None:
        ctx = self.inbox.ctx
        if ctx is not None:
            ctx.report(connected, detail)

    # outbound
    def _live(self) -> BotClient | None:
        client = self.client
        if client is None or client.user is None or client.is_closed():
            return None
        return client

    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        ref = compose.chat_ref(outbound.chat_id)
        client = self._live()
        if client is None:
            raise RetryableDeliveryError("discord is not connected")
        if len(outbound.text) > compose.MAX_TEXT:
            raise PermanentDeliveryError(f"text longer than {compose.MAX_TEXT} characters")
        kwargs: dict[str, Any] = {"nonce": f"{self._salt}-{outbound.outbox_id}"}
        text = outbound.text if outbound.text.strip() else "\u200b"  # never empty
        if ref.user_id is not None:
            kwargs["allowed_mentions"] = discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(ref.user_id)],
                replied_user=True)
            last = self.inbox.last.get(outbound.chat_id)
            mention = f"<@{ref.user_id}> "
            if last is not None:
                kwargs["reference"] = discord.MessageReference(
                    message_id=int(last), channel_id=ref.channel_id, fail_if_not_exists=False)
            elif len(mention) + len(text) <= compose.MAX_TEXT:
                text = mention + text
        if outbound.buttons:
            kwargs["view"] = compose.view(outbound.buttons)
        channel = client.get_partial_messageable(ref.channel_id)
        try:
            message = await channel.send(text, **kwargs)
        except Exception as exc:
            raise compose.send_error(exc) from None
        return DeliveryReceipt(platform_message_id=str(message.id))

    async def typing(self, chat_id: str) -> None:
        client = self._live()
        if client is None:
            return
        await client.get_partial_messageable(compose.chat_ref(chat_id).channel_id).typing()


__all__ = ["DiscordAdapter", "DiscordConfig"]
