"""The Bot API through python-telegram-bot's `Bot`, and its errors as the channel's errors.

PTB runs inside our event loop: only `telegram.Bot` is used (no `Application`, which would
own the loop). The token is part of every URL, so it is kept out of errors and logs: httpx
logs each request URL at INFO, and PTB puts the token into InvalidToken's text.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from omnichannel.adapters.telegram.config import TelegramConfig
from omnichannel.channel import (
    AdapterAuthFailed,
    AdapterError,
    AdapterNotReady,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)

# The updates the adapter reads; everything else Telegram would only send to be ignored.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")



# Loggers that print Bot API URLs, token included: httpx (every request, INFO) and PTB's
# Bot (its base URL, DEBUG). A logger's filters see only that logger's own records.
URL_LOGGERS = ("httpx", "telegram.Bot")


class TokenFilter(logging.Filter):
    """Masks the bot token in the records of URL_LOGGERS."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        if self.token in text:
            record.msg, record.args = text.replace(self.token, "<token>"), None
        return True

    def install(self) -> None:
        for name in URL_LOGGERS:
            logging.getLogger(name).addFilter(self)

    def remove(self) -> None:
        for name in URL_LOGGERS:
            logging.getLogger(name).removeFilter(self)


def quiet_ptb_warnings() -> None:
    """Silence two PTB warnings about our deliberate use, narrowly (message and module):
    getUpdates goes through do_api_request for the raw JSON (so one malformed update cannot
    fail a whole batch), and RetryAfter's constructor warns about its own attribute type.
    Installed when a bot is made, not at import, so a warnings context reset in between (a
    test runner's) does not undo it; re-adding an identical filter replaces it."""
    warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'",
                            category=PTBUserWarning, module=__name__)
    warnings.filterwarnings("ignore", message=r".*attribute `retry_after`",
                            category=PTBDeprecationWarning, module=r"telegram\.error")


def make_bot(s: TelegramConfig) -> Bot:
    quiet_ptb_warnings()
    t = s.timeout

    def request(pool: int) -> HTTPXRequest:
        return HTTPXRequest(connection_pool_size=pool, connect_timeout=t, read_timeout=t,
                            write_timeout=t, pool_timeout=t)

    return Bot(s.token.get_secret_value(), base_url=f"{s.api_base}/bot",
               base_file_url=f"{s.api_base}/file/bot", request=request(8),
               get_updates_request=request(1))


async def get_updates(bot: Bot, offset: int | None, timeout: int,
                      read_timeout: float) -> list[Any]:
    """One getUpdates call; the raw update objects. Passing `offset` confirms every update
    below it: call with the next offset only once those are in the journal."""
    kwargs: dict[str, Any] = {"timeout": timeout, "allowed_updates": list(ALLOWED_UPDATES)}
    if offset is not None:
        kwargs["offset"] = offset
    result = await bot.do_api_request("getUpdates", api_kwargs=kwargs,
                                      read_timeout=read_timeout + timeout)
    if not isinstance(result, list):
        raise NetworkError("getUpdates answered something other than a list")
    return result


def redact(text: str, token: str) -> str:
    return text.replace(token, "<token>")[:400]


def retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the int form is going away
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def start_error(exc: TelegramError, token: str) -> AdapterError:
    """getMe (or webhook setup) failed: stop on a refused token, else retry later."""
    if isinstance(exc, InvalidToken):
        return AdapterAuthFailed("Telegram refused the bot token (revoked or mistyped? "
                                 "also check api_base)")
    if isinstance(exc, RetryAfter):
        return AdapterNotReady(f"Telegram flood control: retry in {retry_after(exc):.0f} s")
    if isinstance(exc, Conflict):
        return AdapterNotReady(f"Telegram refuses getUpdates ({redact(str(exc), token)}): a "
                               "webhook is set for this bot (deleteWebhook, or use mode = "
                               '"webhook") or another process polls it')
    return AdapterNotReady(f"Telegram Bot API: {type(exc).__name__}: {redact(str(exc), token)}")


def delivery_error(exc: TelegramError, token: str) -> DeliveryError:
    """A failed send as the error the outbox acts on. A transport failure after the request
    may have reached Telegram is neither: a plain DeliveryError (the outbox marks the row
    uncertain instead of sending it twice)."""
    text = redact(str(exc), token)
    if isinstance(exc, RetryAfter):
        wait = retry_after(exc)
        return RetryableDeliveryError(f"Telegram flood control: retry in {wait:.0f} s", wait)
    if isinstance(exc, ChatMigrated):
        return PermanentDeliveryError(
            f"the group became a supergroup with chat id {exc.new_chat_id}; messages to the "
            "old id are refused")
    if isinstance(exc, Forbidden | BadRequest):  # blocked by the user, chat not found ...
        return PermanentDeliveryError(f"Telegram refused the message: {text}")
    if isinstance(exc, InvalidToken):
        return RetryableDeliveryError("Telegram refused the bot token")
    cause = exc.__cause__
    if isinstance(exc, NetworkError) and (cause is None or isinstance(cause, TelegramError)):
        return RetryableDeliveryError(f"Telegram error: {text}")  # an HTTP answer, e.g. 502
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return RetryableDeliveryError(f"Telegram unreachable: {type(cause).__name__}")
    if isinstance(exc, NetworkError | TimedOut):
        return DeliveryError(f"no usable answer from Telegram ({type(cause).__name__}); the "
                             "message may have been sent")
    return PermanentDeliveryError(f"Telegram error: {type(exc).__name__}: {text}")


# -- webhook registration


def fingerprint(s: TelegramConfig) -> str:
    """What we last registered: URL, secret and update types. getWebhookInfo shows the URL
    but not the secret, so a changed secret is noticed from this."""
    assert s.webhook_url is not None and s.webhook_secret is not None
    raw = "\n".join([s.webhook_url, s.webhook_secret.get_secret_value(), *ALLOWED_UPDATES])
    return hashlib.sha256(raw.encode()).hexdigest()


async def ensure_webhook(bot: Bot, s: TelegramConfig, state: Path) -> bool:
    """Register `webhook_url` unless Telegram already has it with our secret. True when
    setWebhook was called. One getWebhookInfo per start, one setWebhook on a change."""
    assert s.webhook_url is not None and s.webhook_secret is not None
    info = await bot.get_webhook_info()
    if info.last_error_message:
        log.warning("Telegram reports webhook delivery errors",
                    extra={"channel": "telegram", "error": info.last_error_message[:300],
                           "pending": info.pending_update_count})
    want = fingerprint(s)
    if info.url == s.webhook_url and await asyncio.to_thread(_read, state) == want:
        return False
    await bot.set_webhook(s.webhook_url, secret_token=s.webhook_secret.get_secret_value(),
                          allowed_updates=list(ALLOWED_UPDATES))
    await asyncio.to_thread(_write, state, want)
    log.info("webhook registered", extra={"channel": "telegram", "url": s.webhook_url})
    return True


def _read(path: Path) -> str | None:
    try:
        value = json.loads(path.read_text()).get("webhook")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _write(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"webhook": value}))
    os.replace(tmp, path)
