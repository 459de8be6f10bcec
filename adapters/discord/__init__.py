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
import json
import logging
import random
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import discord
import discord.http

from omnichannel.adapters.discord import compose
from omnichannel.adapters.discord.config import DiscordConfig
from omnichannel.adapters.discord.gateway import BotClient, login, start_error
from omnichannel.adapters.discord.parse import (
    Incoming,
    Kind,
    Place,
    Scope,
    in_thread,
    needs_place,
    parse_gateway,
)
from omnichannel.channel import (
    AdapterNotReady,
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Markup,
    Outbound,
    PermanentDeliveryError,
    Published,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)
MEMO = 4096  # remembered thread parents and shoppers' last messages (LRU)
DEFERRED_UPDATE = 6


class _Lru(OrderedDict[str, Any]):
    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MEMO:
            self.popitem(last=False)


class DiscordAdapter:
    name: ClassVar[str] = "discord"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=compose.MAX_TEXT, markup=Markup.MARKDOWN, buttons=True,
        max_buttons=compose.MAX_BUTTONS, typing=True, threads=True)
    config_model: ClassVar[type[ChannelConfig]] = DiscordConfig

    def __init__(self, settings: DiscordConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self.client: BotClient | None = None
        self.scope: Scope | None = None
        self.restarts = 0
        self._failures = 0  # client deaths since the last READY (the restart backoff)
        # Messages the journal refused for good (journal_retries spent): lost, and logged.
        self.unjournaled: deque[str] = deque(maxlen=100)
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopping = False
        self._handlers: set[asyncio.Task[None]] = set()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._parents: _Lru = _Lru()
        self._last: _Lru = _Lru()
        self._salt = ""

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        await self.stop()  # a supervised retry starts from scratch
        s = self.settings
        self.ctx, self._stopping = ctx, False
        self._salt = ctx.secret("nonce")[:3].hex()
        self._ready = asyncio.Event()
        client = self._client()
        await login(client, s)  # AdapterAuthFailed / AdapterNotReady
        self.scope = self._scope(client)
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
        if self._handlers:  # let journal writes under way land; Discord will not resend
            await asyncio.wait(list(self._handlers), timeout=5.0)
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    def _client(self) -> BotClient:
        self.client = BotClient(self._on_raw, self._on_ready, self.settings)
        return self.client

    def _scope(self, client: BotClient) -> Scope:
        """Known from the login (users/@me), so before READY: dispatches that arrive while
        discord.py still waits for GUILD_CREATEs are parsed too."""
        assert client.user is not None and self.ctx is not None
        s = self.settings
        return Scope(channel=self.name, account=self.ctx.account, bot_id=str(client.user.id),
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
                    self.scope = self._scope(client)
                    self.restarts += 1
                    log.info("discord client logged in again", extra={"channel": self.name})
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
                log.error("discord client stopped; logging in again",
                          exc_info=not isinstance(exc, discord.DiscordException),
                          extra={"channel": self.name, "error": f"{type(exc).__name__}: {exc}",
                                 "retry_in": round(delay, 2)})
                await asyncio.sleep(delay)

    # inbound
    def _on_raw(self, raw: str) -> None:
        if self._stopping:
            return
        try:
            payload = json.loads(raw)
        except (TypeError, ValueError, RecursionError):
            log.warning("gateway payload ignored: not JSON")
            return
        if not isinstance(payload, dict) or payload.get("op") != 0 or payload.get("t") not in (
                "MESSAGE_CREATE", "INTERACTION_CREATE"):
            parse_gateway(payload, self.scope or Scope(self.name, "", ""))  # logs it
            return
        d = payload.get("d")
        key = str(d.get("channel_id")) if isinstance(d, dict) else ""
        task = asyncio.create_task(self._handle(payload, key), name="discord:inbound")
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    @asynccontextmanager
    async def _in_order(self, key: str) -> AsyncIterator[None]:
        """Payloads of one Discord channel are handled one at a time, in arrival order."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _handle(self, payload: dict[str, Any], key: str) -> None:
        async with self._in_order(key):
            try:
                await self._incoming(payload)
            except Exception:
                log.exception("discord event could not be handled", extra={"channel": self.name})

    async def _incoming(self, payload: dict[str, Any]) -> None:
        scope = self.scope
        assert scope is not None
        place = None
        if payload["t"] == "MESSAGE_CREATE" and needs_place(payload.get("d"), scope):
            place = await self._place(str(payload["d"]["channel_id"]))
        incoming = parse_gateway(payload, scope, place)
        if incoming is None:
            return
        if incoming.open_thread:
            incoming = await self._open_thread(incoming)
        published = await self._publish(incoming)
        if published is None:
            return  # no ack: the press shows as failed and the shopper can press again
        inbound = incoming.inbound
        if incoming.interaction_token is None and "/" in inbound.chat_id:
            self._last.put(inbound.chat_id, incoming.message_id)
        if incoming.interaction_token is not None:
            await self._ack(incoming)

    async def _place(self, channel_id: str) -> Place:
        """Is this guild channel a thread, and under which channel? Cache first, then REST."""
        known = self._parents.get(channel_id)
        if known is not None:
            return known  # type: ignore[no-any-return]
        client = self.client
        if client is None:
            return Place(Kind.CHANNEL)
        channel: Any = client.get_channel(int(channel_id))
        cached = channel is not None
        if not cached:
            try:
                channel = await client.fetch_channel(int(channel_id))
            except Exception as exc:  # HTTP, network, or a channel discord.py cannot build
                log.warning("channel lookup failed", extra={"channel_id": channel_id,
                                                            "error": type(exc).__name__})
                return Place(Kind.CHANNEL)
        place = (Place(Kind.THREAD, str(channel.parent_id))
                 if isinstance(channel, discord.Thread) else Place(Kind.CHANNEL))
        if place.kind is Kind.THREAD or not cached:  # a channel never becomes a thread
            self._parents.put(channel_id, place)
        return place

    async def _open_thread(self, incoming: Incoming) -> Incoming:
        client, s = self.client, self.settings
        assert client is not None
        name = s.thread_name.format(name=incoming.inbound.sender_name or "shopper")[:100]
        try:
            channel: Any = (client.get_channel(int(incoming.channel_id))
                            or await client.fetch_channel(int(incoming.channel_id)))
            if not isinstance(channel, discord.TextChannel):
                raise TypeError(f"threads need a text channel, not {type(channel).__name__}")
            thread = await channel.get_partial_message(int(incoming.message_id)).create_thread(
                name=name, auto_archive_duration=s.thread_archive_minutes)
            thread_id = str(thread.id)
        except discord.HTTPException as exc:
            if exc.code != 160004:  # "a thread has already been created for this message"
                return self._no_thread(incoming, exc)
            thread_id = incoming.message_id  # a thread started from a message has its id
        except (discord.DiscordException, OSError, TypeError) as exc:
            return self._no_thread(incoming, exc)
        self._parents.put(thread_id, Place(Kind.THREAD, incoming.channel_id))
        return in_thread(incoming, thread_id)

    def _no_thread(self, incoming: Incoming, exc: BaseException) -> Incoming:
        log.warning("could not open a thread; answering in the channel",
                    extra={"channel_id": incoming.channel_id,
                           "error": f"{type(exc).__name__}: {exc}"[:300]})
        return incoming

    async def _publish(self, incoming: Incoming) -> Published | None:
        ctx = self.ctx
        assert ctx is not None
        tries = self.settings.journal_retries
        for attempt in range(tries + 1):
            try:
                return await ctx.publish(incoming.inbound)
            except Exception:
                if attempt == tries:
                    log.exception("discord message lost: the journal refused it",
                                  extra={"channel": self.name,
                                         "external_id": incoming.inbound.external_id})
                    self.unjournaled.append(incoming.inbound.external_id)
                    return None
                log.warning("journal write failed; trying again", exc_info=True,
                            extra={"channel": self.name, "attempt": attempt + 1})
                await asyncio.sleep(0.25 * 2**attempt)
        return None

    async def _ack(self, incoming: Incoming) -> None:
        client = self.client
        if client is None:
            return
        # discord.py answers interactions through Interaction objects it builds itself; the
        # adapter parses raw payloads, so it makes the same callback request directly.
        route = discord.http.Route(
            "POST", "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=incoming.message_id, interaction_token=incoming.interaction_token)
        try:
            await client.http.request(route, json={"type": DEFERRED_UPDATE})
        except (discord.DiscordException, OSError) as exc:
            log.warning("button press not acknowledged (older than 3 s?)",
                        extra={"interaction_id": incoming.message_id,
                               "error": f"{type(exc).__name__}: {exc}"[:300]})

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
        text = outbound.text.strip() or "\u200b"
        if ref.user_id is not None:
            shopper = discord.Object(ref.user_id)
            kwargs["allowed_mentions"] = discord.AllowedMentions(
                everyone=False, roles=False, users=[shopper], replied_user=True)
            last = self._last.get(outbound.chat_id)
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
