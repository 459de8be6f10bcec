"""The discord.py client: how it is built, logged in and pointed at the configured API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from omnichannel.adapters.discord.config import DiscordConfig
from omnichannel.channel import AdapterAuthFailed, AdapterError, AdapterNotReady

log = logging.getLogger(__name__)

# Close codes after which logging in again with the same settings cannot help.
AUTH_CLOSE = {4004: "authentication failed", 4013: "invalid intents",
              4014: "a privileged intent is not enabled for this bot in the Developer Portal "
                    "(Bot -> Privileged Gateway Intents -> Message Content)"}


class BotClient(discord.Client):
    """A discord.Client that hands every raw gateway payload and READY to the adapter.

    `enable_debug_events` makes discord.py dispatch `socket_raw_receive` with each payload
    (decompressed JSON text) before its own parsers run; the adapter parses those itself,
    so what it reads is exactly what the gateway sent (and what the fixtures hold)."""

    def __init__(self, on_raw: Callable[[str], None], on_ready: Callable[[BotClient], None],
                 settings: DiscordConfig) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channel and thread cache: is this channel a thread?
        intents.guild_messages = intents.dm_messages = True
        intents.message_content = settings.message_content_intent
        super().__init__(
            intents=intents, enable_debug_events=True, max_messages=None,
            chunk_guilds_at_startup=False, member_cache_flags=discord.MemberCacheFlags.none(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=settings.guild_ready_timeout,
            max_ratelimit_timeout=settings.max_ratelimit_wait)
        self._raw, self._ready_hook = on_raw, on_ready

    async def on_socket_raw_receive(self, msg: str) -> None:
        self._raw(msg)

    async def on_ready(self) -> None:
        self._ready_hook(self)

    async def on_error(self, event_method: str, /, *args: object, **kwargs: object) -> None:
        log.exception("discord event handler failed", extra={"event": event_method})


def point_at(api_base: str) -> None:
    """discord.py reads the REST base from a class attribute: process-wide."""
    discord.http.Route.BASE = api_base.rstrip("/")


async def login(client: BotClient, settings: DiscordConfig) -> None:
    """GET users/@me (discord.py's login: the token check), then GET /gateway/bot for the
    gateway URL. AdapterAuthFailed on a refused token, AdapterNotReady on anything
    temporary; the client is closed on failure."""
    point_at(settings.api_base)
    token = settings.token.get_secret_value()
    try:
        await asyncio.wait_for(client.login(token), settings.timeout)
        data = await asyncio.wait_for(
            client.http.request(discord.http.Route("GET", "/gateway/bot")), settings.timeout)
        url = data.get("url") if isinstance(data, dict) else None
        gateway = _gateway(url, settings.api_base)
    except BaseException as exc:
        await client.close()
        if isinstance(exc, Exception):
            raise start_error(exc) from None
        raise
    # Plain discord.Client (not sharded) connects to DiscordWebSocket.DEFAULT_GATEWAY on
    # every fresh IDENTIFY and never asks /gateway itself; resumes use READY's
    # resume_gateway_url. Also a class attribute, so also process-wide.
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def _gateway(url: object, api_base: str) -> yarl.URL:
    if not isinstance(url, str):
        raise AdapterNotReady("GET /gateway/bot gave no url")
    gateway = yarl.URL(url)
    # The token goes over this socket: TLS unless the API itself is plain http (a test fake).
    allowed = ("wss",) if api_base.startswith("https://") else ("wss", "ws")
    if gateway.scheme not in allowed or not gateway.host:
        raise AdapterNotReady(f"GET /gateway/bot gave an unusable url ({url[:80]!r})")
    return gateway.with_query(None)


def start_error(exc: BaseException) -> AdapterError:
    """Why the client could not log in or reach READY, as the supervisor's two signals."""
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, discord.LoginFailure):
        return AdapterAuthFailed("bot token refused (401 on users/@me)")
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return AdapterAuthFailed(AUTH_CLOSE[4014])
    if isinstance(exc, discord.ConnectionClosed) and exc.code in AUTH_CLOSE:
        return AdapterAuthFailed(f"gateway closed {exc.code}: {AUTH_CLOSE[exc.code]}")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 401:
            return AdapterAuthFailed(f"bot token refused (HTTP 401 code {exc.code})")
        return AdapterNotReady(f"Discord HTTP {exc.status}: {exc.text[:200]}")
    if isinstance(exc, discord.ConnectionClosed):
        return AdapterNotReady(f"gateway closed {exc.code}")
    if isinstance(exc, OSError | aiohttp.ClientError | TimeoutError | discord.GatewayNotFound):
        return AdapterNotReady(f"Discord unreachable: {type(exc).__name__}")
    return AdapterNotReady(f"Discord client failed: {type(exc).__name__}: {exc}"[:300])
