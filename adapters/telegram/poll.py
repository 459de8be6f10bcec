"""getUpdates long polling, run as a task the adapter owns.

Telegram keeps the position: calling getUpdates with `offset = last update_id + 1` confirms
everything before it. The offset moves past an update only after `handle` returned, i.e.
after the journal write (persist before ack); an update whose write failed is fetched
again after a backoff, and one delivered twice (a restart between the write and the next
call) is a no-op in the journal. So no state file is needed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from omnichannel.adapters.telegram.api import get_updates, redact, retry_after
from omnichannel.adapters.telegram.config import TelegramConfig

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """The journal did not take an update: do not confirm it, fetch it again later."""


class Poller:
    def __init__(self, bot: Bot, settings: TelegramConfig,
                 handle: Callable[[Any], Awaitable[None]],
                 report: Callable[[bool, str], None] | None = None) -> None:
        self.report = report or (lambda connected, detail: None)
        self.bot = bot
        self.settings = settings
        self.handle = handle
        self.offset: int | None = None
        self._token = settings.token.get_secret_value()

    async def once(self, timeout: int) -> None:
        """One getUpdates call and its updates, in order. Raises TelegramError for the call
        and PublishFailed for an update the journal did not take."""
        s = self.settings
        for update in await get_updates(self.bot, self.offset, timeout, s.timeout):
            await self.handle(update)
            uid = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(uid, int) and not isinstance(uid, bool):
                self.offset = max(self.offset or 0, uid + 1)

    async def run(self) -> None:
        """Poll until cancelled; every failure is logged and retried with backoff."""
        s, attempt = self.settings, 0
        while True:
            wait: float | None = None
            try:
                await self.once(s.poll_timeout)
            except asyncio.CancelledError:
                raise
            except PublishFailed as exc:
                log.warning("update not stored; it will be fetched again",
                            extra={"channel": "telegram", "error": str(exc)})
            except RetryAfter as exc:
                wait = retry_after(exc)
                log.warning("Telegram flood control on getUpdates",
                            extra={"channel": "telegram", "retry_in": wait})
            except Conflict as exc:
                log.error("Telegram refuses getUpdates: a webhook is set or another process "
                          "polls this bot", extra={"channel": "telegram",
                                                   "error": redact(str(exc), self._token)})
            except InvalidToken:
                log.error("Telegram refused the bot token while polling",
                          extra={"channel": "telegram"})
            except TelegramError as exc:
                log.warning("getUpdates failed, retrying",
                            extra={"channel": "telegram",
                                   "error": f"{type(exc).__name__}: "
                                            f"{redact(str(exc), self._token)}"})
            except Exception:  # a bug must not end polling for good
                log.exception("polling failed", extra={"channel": "telegram"})
            else:
                if attempt:
                    log.info("Telegram polling recovered",
                             extra={"channel": "telegram", "failures": attempt})
                    self.report(True, "")
                attempt = 0
                continue
            attempt += 1
            if wait is None:
                wait = min(s.reconnect_cap, s.reconnect_base * 2 ** min(attempt - 1, 20))
                wait *= random.uniform(0.8, 1.2)
            if attempt >= 2:  # one failed long poll is routine; two in a row is an outage
                self.report(False, f"getUpdates failing ({attempt} in a row); retry in "
                                   f"{wait:.0f}s")
            await asyncio.sleep(wait)
