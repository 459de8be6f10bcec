"""Raw gateway payloads -> the journal, in arrival order per Discord channel.

discord.py hands every payload over (`socket_raw_receive`); messages and button presses
each get a task of ours, and the tasks of one Discord channel run one at a time. Before
parsing, a guild channel outside the support channels is looked up (cache, then REST
once): is it a thread under a support channel? A support-channel message may first get its
thread. Then the journal write, tried again on failure (Discord never redelivers), and only
after it the acknowledgement of a button press.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import discord
import discord.http

from omnichannel.adapters.discord.config import DiscordConfig
from omnichannel.adapters.discord.parse import (
    Incoming,
    Kind,
    Place,
    Scope,
    in_thread,
    needs_place,
    parse_gateway,
)
from omnichannel.channel import ChannelContext, Published

log = logging.getLogger(__name__)
MEMO = 4096  # remembered thread parents and shoppers' last messages (LRU)
DEFERRED_UPDATE = 6  # interaction callback: "got it", the message stays as it is
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
OURS = ("MESSAGE_CREATE", "INTERACTION_CREATE")


class Lru(OrderedDict[str, Any]):
    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > MEMO:
            self.popitem(last=False)


class Inbox:
    def __init__(self, channel: str, settings: DiscordConfig,
                 client: Callable[[], discord.Client | None]) -> None:
        self.channel = channel
        self.settings = settings
        self._client = client
        self.ctx: ChannelContext | None = None
        self.scope: Scope | None = None
        # chat id -> the shopper's last message there (a reply in a shared channel quotes it)
        self.last = Lru()
        # Messages the journal refused for good (journal_retries spent): lost, and logged.
        self.unjournaled: deque[str] = deque(maxlen=100)
        self._parents = Lru()
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.closed = False

    def feed(self, raw: str) -> None:
        """One raw payload from discord.py (called in arrival order)."""
        if self.closed:
            return
        try:
            payload = json.loads(raw)
        except (TypeError, ValueError, RecursionError):
            log.warning("gateway payload ignored: not JSON")
            return
        if not isinstance(payload, dict) or payload.get("op") != 0 or payload.get(
                "t") not in OURS:
            parse_gateway(payload, self.scope or Scope(self.channel, "", ""))  # logs it
            return
        d = payload.get("d")
        key = str(d.get("channel_id")) if isinstance(d, dict) else ""
        task = asyncio.create_task(self._handle(payload, key), name="discord:inbound")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def close(self, grace: float = 5.0) -> None:
        """Let journal writes under way land (Discord will not resend), then cancel."""
        self.closed = True
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @asynccontextmanager
    async def _in_order(self, key: str) -> AsyncIterator[None]:
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
                log.exception("discord event could not be handled",
                              extra={"channel": self.channel})

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
        if await self._publish(incoming) is None:
            return  # no ack: Discord shows the press as failed and it can be pressed again
        if incoming.interaction_token is not None:
            await self._ack(incoming)
        elif "/" in incoming.inbound.chat_id:
            self.last.put(incoming.inbound.chat_id, incoming.message_id)

    async def _place(self, channel_id: str) -> Place:
        """Is this guild channel a thread, and under which channel? Cache first, then REST."""
        known: Place | None = self._parents.get(channel_id)
        client = self._client()
        if known is not None or client is None:
            return known or Place(Kind.CHANNEL)
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
        client, s = self._client(), self.settings
        name = s.thread_name.format(name=incoming.inbound.sender_name or "shopper")[:100]
        try:
            if client is None:
                raise ConnectionError("the client is logging in again")
            channel: Any = (client.get_channel(int(incoming.channel_id))
                            or await client.fetch_channel(int(incoming.channel_id)))
            if not isinstance(channel, discord.TextChannel):
                raise TypeError(f"threads need a text channel, not {type(channel).__name__}")
            thread = await channel.get_partial_message(int(incoming.message_id)).create_thread(
                name=name, auto_archive_duration=s.thread_archive_minutes)
            thread_id = str(thread.id)
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:
                return _no_thread(incoming, exc)
            thread_id = incoming.message_id  # a thread started from a message has its id
        except (discord.DiscordException, OSError, TypeError) as exc:
            return _no_thread(incoming, exc)
        self._parents.put(thread_id, Place(Kind.THREAD, incoming.channel_id))
        return in_thread(incoming, thread_id)

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
                                  extra={"channel": self.channel,
                                         "external_id": incoming.inbound.external_id})
                    self.unjournaled.append(incoming.inbound.external_id)
                    return None
                log.warning("journal write failed; trying again", exc_info=True,
                            extra={"channel": self.channel, "attempt": attempt + 1})
                await asyncio.sleep(0.25 * 2**attempt)
        return None

    async def _ack(self, incoming: Incoming) -> None:
        # discord.py answers interactions through Interaction objects it builds itself; the
        # adapter parses raw payloads, so it makes the same callback request directly.
        route = discord.http.Route(
            "POST", "/interactions/{interaction_id}/{interaction_token}/callback",
            interaction_id=incoming.message_id, interaction_token=incoming.interaction_token)
        client = self._client()
        try:
            if client is None:
                raise ConnectionError("the client is logging in again")
            await client.http.request(route, json={"type": DEFERRED_UPDATE})
        except (discord.DiscordException, OSError) as exc:
            log.warning("button press stored but not acknowledged (older than 3 s?)",
                        extra={"interaction_id": incoming.message_id,
                               "error": f"{type(exc).__name__}: {exc}"[:300]})


def _no_thread(incoming: Incoming, exc: BaseException) -> Incoming:
    log.warning("could not open a thread; answering in the channel",
                extra={"channel_id": incoming.channel_id,
                       "error": f"{type(exc).__name__}: {exc}"[:300]})
    return incoming
