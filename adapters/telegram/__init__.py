"""Telegram: a bot through the Bot API, by webhook or long polling, with inline buttons.

Start: getMe (the health probe: a refused token is AdapterAuthFailed, a network error
AdapterNotReady). Webhook mode then registers `POST <webhook_path>` and calls nothing else,
unless `webhook_url` is set: then getWebhookInfo, and setWebhook only when Telegram's URL
or our secret changed since the last registration. Polling mode makes its first
getUpdates call inside start (so "a webhook is set" shows as not ready) and then polls in a
task of its own with backoff.

Inbound (both modes, `parse.parse`): journaled through `ctx.publish` before the webhook's
200 or the next poll offset; the external id is `<bot id>:<update_id>`, so a redelivered
update is stored and answered once. A pressed button is answered (answerCallbackQuery)
after the journal write. The webhook checks X-Telegram-Bot-Api-Secret-Token in constant
time before reading the body, and refuses bodies over `max_body_bytes`.

Outbound: HTML parse mode with &, < and > escaped; buttons as an inline keyboard whose
callback_data is the button value, or a hash of it when the value is over 64 bytes (mapped
back through the conversation's history). Telegram's 429 `retry_after` becomes
RetryableDeliveryError(retry_after=...).

Typing: we show it (sendChatAction), but the Bot API never tells a bot that a user is
typing, so no typing signal is published: answers wait only the router's merge window.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from dataclasses import replace
from typing import Any, ClassVar

from aiohttp import web
from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from omnichannel.adapters.telegram.api import (
    TokenFilter,
    delivery_error,
    ensure_webhook,
    make_bot,
    redact,
    start_error,
)
from omnichannel.adapters.telegram.compose import escape, is_token, keyboard, split, token
from omnichannel.adapters.telegram.config import TelegramConfig
from omnichannel.adapters.telegram.parse import Me, Parsed, ShapeError, group_of, parse
from omnichannel.adapters.telegram.poll import Poller, PublishFailed
from omnichannel.channel import (
    AdapterNotReady,
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryError,
    DeliveryReceipt,
    Inbound,
    Markup,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Group members whose last message we remember, to quote it in the answer (in memory only:
# after a restart the first answer is simply not a quote).
QUOTES_MAX = 10_000
UNKNOWN_BUTTON = "[pressed a button that is no longer available]"


class TelegramAdapter:
    name: ClassVar[str] = "telegram"
    # About one message a second per chat is Telegram's limit (20 a minute in groups: a 429
    # with retry_after covers those).
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=4096, markup=Markup.HTML, buttons=True, max_buttons=10, typing=True,
        min_send_interval=1.0,
    )
    config_model: ClassVar[type[ChannelConfig]] = TelegramConfig

    def __init__(self, settings: TelegramConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self.bot: Bot | None = None
        self.me: Me | None = None
        self._token = settings.token.get_secret_value()
        secret = settings.webhook_secret
        self._secret = secret.get_secret_value().encode() if secret is not None else b""
        self._filter = TokenFilter(self._token)
        self._poll: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._quotes: dict[str, int] = {}  # "<group>:<user>" -> that member's last message

    def __repr__(self) -> str:  # PTB's Bot repr shows the token: never print it
        who = f"@{self.me.username}" if self.me else "not started"
        return f"TelegramAdapter(mode={self.settings.mode}, bot={who})"

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        await self.stop()  # a supervised retry starts from scratch
        s = self.settings
        self._filter.install()
        bot = make_bot(s)
        try:
            await bot.initialize()  # getMe
            self.bot, self.me, self.ctx = bot, Me(bot.id, bot.username), ctx
            poller = None
            if s.mode == "webhook" and s.webhook_url:
                await ensure_webhook(bot, s, ctx.state_dir / f"telegram-{ctx.account}.json")
            elif s.mode == "polling":
                poller = Poller(bot, s, self._polled, ctx.report)
                await poller.once(0)  # pending updates now; a set webhook fails here
        except BaseException as exc:
            self.bot = self.me = None
            await bot.shutdown()
            if isinstance(exc, TelegramError):
                raise start_error(exc, self._token) from None
            if isinstance(exc, PublishFailed | OSError):
                raise AdapterNotReady(f"{type(exc).__name__}: {exc}") from None
            raise
        if poller is None:
            ctx.add_route("POST", s.webhook_path, self.webhook)
        else:
            self._poll = asyncio.create_task(poller.run(), name="telegram:poll")
        log.info("Telegram bot ready", extra={"channel": self.name, "mode": s.mode,
                                              "bot": self.me.username if self.me else None})

    async def stop(self) -> None:
        task, self._poll = self._poll, None
        tasks = [t for t in (task, *self._tasks) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        bot, self.bot = self.bot, None
        if bot is not None:
            await bot.shutdown()
        self._filter.remove()

    async def typing(self, chat_id: str) -> None:
        bot = self.bot
        if bot is None or not _is_chat(chat_id):
            return
        try:
            await bot.send_chat_action(int(group_of(chat_id)), ChatAction.TYPING)
        except TelegramError as exc:
            log.debug("typing indicator failed", extra={"error": type(exc).__name__})

    # outbound
    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        bot = self.bot
        if bot is None:
            raise RetryableDeliveryError("the Telegram channel is not running")
        if not _is_chat(outbound.chat_id):
            raise PermanentDeliveryError(f"{outbound.chat_id[:40]!r} is not a Telegram chat id")
        chat = int(group_of(outbound.chat_id))
        parts = split(outbound.text) or ["-"]
        markup = keyboard(outbound.buttons) if outbound.buttons else None
        preview = None if self.settings.link_previews else LinkPreviewOptions(is_disabled=True)
        quote = self._quotes.get(outbound.chat_id)
        reply = ReplyParameters(quote, allow_sending_without_reply=True) if quote else None
        message_id = 0
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                sent = await bot.send_message(
                    chat, escape(part), parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None, link_preview_options=preview,
                    reply_parameters=reply if i == 0 else None)
            except TelegramError as exc:
                err = delivery_error(exc, self._token)
                if i and not isinstance(err, PermanentDeliveryError):
                    # Part of the text is out: resending the row would repeat it.
                    raise DeliveryError(f"sent {i} of {len(parts)} parts, then: {err}") from None
                raise err from None
            message_id = sent.message_id
        return DeliveryReceipt(f"{chat}:{message_id}")

    # inbound
    async def webhook(self, request: web.Request) -> web.Response:
        ctx, me = self.ctx, self.me
        if ctx is None or me is None or self.bot is None:
            return _error(503, "the Telegram channel is not running")
        got = request.headers.get(SECRET_HEADER)
        if got is None:
            log.warning("webhook without a secret token refused", extra={"channel": self.name})
            return _error(401, f"missing {SECRET_HEADER}")
        if not hmac.compare_digest(got.encode("utf-8", "replace"), self._secret):
            log.warning("webhook with a wrong secret token refused",
                        extra={"channel": self.name})
            return _error(403, f"wrong {SECRET_HEADER}")
        raw = await _read_capped(request, self.settings.max_body_bytes)
        if raw is None:
            log.warning("webhook body over max_body_bytes refused",
                        extra={"channel": self.name, "limit": self.settings.max_body_bytes})
            return _error(413, "body too large")
        try:
            update = json.loads(raw)
            parsed = parse(update, me, self.name, ctx.account)
        except (ValueError, RecursionError) as exc:
            why = str(exc) if isinstance(exc, ShapeError) else "body is not valid JSON"
            log.warning("webhook body refused", extra={"channel": self.name, "reason": why})
            return _error(400, f"not a Telegram update: {why}")
        try:
            await self._take(parsed)
        except Exception:
            # Not stored, so no 200: Telegram delivers the update again; dedup makes it safe.
            log.exception("could not journal a Telegram update",
                          extra={"channel": self.name, "update_id": parsed.update_id})
            return _error(500, "could not store the update; please retry")
        return web.json_response({"ok": True})

    async def _polled(self, update: Any) -> None:
        ctx, me = self.ctx, self.me
        assert ctx is not None and me is not None
        try:
            parsed = parse(update, me, self.name, ctx.account)
        except ShapeError as exc:  # skipped for good: it would fail the same way again
            log.warning("malformed update skipped", extra={"channel": self.name,
                                                            "reason": str(exc)})
            return
        try:
            await self._take(parsed)
        except Exception as exc:
            log.exception("could not journal a Telegram update",
                          extra={"channel": self.name, "update_id": parsed.update_id})
            raise PublishFailed(f"update {parsed.update_id}: {type(exc).__name__}") from None

    async def _take(self, parsed: Parsed) -> None:
        """Journal one parsed update (raises when the journal did not take it), then answer a
        pressed button."""
        ctx = self.ctx
        assert ctx is not None
        if parsed.inbound is None:
            log.info("Telegram update ignored", extra={"channel": self.name,
                                                       "update_id": parsed.update_id,
                                                       "reason": parsed.ignored})
            if parsed.callback_id:
                self._answer(parsed.callback_id)
            return
        published = await ctx.publish(await self._resolve(ctx, parsed.inbound))
        if parsed.reply_to is not None:
            self._quote(parsed.inbound.chat_id, parsed.reply_to)
        if parsed.callback_id and not published.duplicate:
            self._answer(parsed.callback_id)

    def _quote(self, chat_id: str, message_id: int) -> None:
        self._quotes.pop(chat_id, None)
        self._quotes[chat_id] = message_id
        while len(self._quotes) > QUOTES_MAX:
            self._quotes.pop(next(iter(self._quotes)))

    async def _resolve(self, ctx: ChannelContext, inbound: Inbound) -> Inbound:
        """A hashed callback_data back to the long button value it stands for."""
        data = inbound.button_value
        if data is None or not is_token(data):
            return inbound
        history = await ctx.history(inbound.chat_id, limit=100)
        for item in reversed(history.messages):
            for b in item.buttons:
                if token(b.value) == data:
                    text = b.label if inbound.text == data else inbound.text
                    return replace(inbound, button_value=b.value, text=text)
        log.info("pressed button not found in the history", extra={"channel": self.name})
        text = UNKNOWN_BUTTON if inbound.text == data else inbound.text
        return replace(inbound, button_value=None, text=text)

    def _answer(self, callback_id: str) -> None:
        """answerCallbackQuery in a task of ours: the client stops its spinner; the webhook
        does not wait for it."""
        bot = self.bot
        if bot is None:
            return

        async def answer() -> None:
            try:
                await bot.answer_callback_query(callback_id)
            except TelegramError as exc:  # too old, or answered already: nothing to do
                log.debug("answerCallbackQuery failed",
                          extra={"error": redact(str(exc), self._token)})

        task = asyncio.create_task(answer(), name="telegram:answer")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for callback answers under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _is_chat(chat_id: str) -> bool:
    """A private chat's numeric id, or `<group id>:<user id>`."""
    return re.fullmatch(r"-?[0-9]{1,20}(:[0-9]{1,20})?", chat_id) is not None


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for block in request.content.iter_any():
        body += block
        if len(body) > limit:
            return None
    return bytes(body)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


__all__ = ["TelegramAdapter", "TelegramConfig"]
