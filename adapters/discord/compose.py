"""Outbound pieces: where a chat id points, buttons as components, errors as delivery errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
import discord

from omnichannel.adapters.discord.parse import LABEL_ONLY
from omnichannel.channel import (
    Button,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

MAX_TEXT = 2000
CUSTOM_ID_MAX = 100
LABEL_MAX = 80
PER_ROW, MAX_BUTTONS = 5, 25
_CHAT = re.compile(r"^([0-9]{1,20})(?:/([0-9]{1,20}))?$")


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A DM channel or thread (`user_id` None), or one shopper in a shared channel."""

    channel_id: int
    user_id: int | None = None


def chat_ref(chat_id: str) -> ChatRef:
    m = _CHAT.match(chat_id)
    if m is None:
        raise PermanentDeliveryError(f"not a Discord chat id: {chat_id[:60]!r}")
    return ChatRef(int(m.group(1)), int(m.group(2)) if m.group(2) else None)


def custom_ids(buttons: Sequence[Button]) -> list[str]:
    """The value itself when Discord can carry it (1-100 characters, unique in the message);
    else a label-only id: the press then comes back as the label's text, like typing it."""
    out: list[str] = []
    for i, b in enumerate(buttons):
        value = b.value
        ok = 0 < len(value) <= CUSTOM_ID_MAX and not value.startswith(LABEL_ONLY)
        out.append(value if ok and value not in out else f"{LABEL_ONLY}{i}")
    return out


def view(buttons: Sequence[Button]) -> discord.ui.View:
    """Buttons as a component view (rows of five). The view is stopped before it is sent:
    discord.py then does not track it, and presses reach the adapter's own handler, which
    keeps working across restarts."""
    v = discord.ui.View(timeout=None)
    shown = buttons[:MAX_BUTTONS]
    for i, (b, cid) in enumerate(zip(shown, custom_ids(shown), strict=True)):
        label = b.label if len(b.label) <= LABEL_MAX else b.label[: LABEL_MAX - 1] + "…"
        v.add_item(discord.ui.Button(label=label or "-", custom_id=cid,
                                     style=discord.ButtonStyle.secondary, row=i // PER_ROW))
    v.stop()
    return v


def send_error(exc: BaseException) -> DeliveryError:
    """discord.py's failure of a send as the error the outbox acts on. Sends carry a nonce
    Discord enforces, so resending after a network failure does not post twice."""
    if isinstance(exc, discord.RateLimited):  # longer than max_ratelimit_wait
        return RetryableDeliveryError(f"Discord rate limit: retry in {exc.retry_after:.1f}s",
                                      exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        what = f"Discord HTTP {exc.status} code {exc.code}: {exc.text}"[:500]
        if exc.status == 429:  # refused before discord.py's own handling (no Via header)
            after = exc.response.headers.get("Retry-After") if exc.response else None
            try:
                delay = float(after) if after else None
            except ValueError:
                delay = None
            return RetryableDeliveryError(what, delay)
        if exc.status >= 500:
            return RetryableDeliveryError(what)
        return PermanentDeliveryError(what)
    if isinstance(exc, OSError | aiohttp.ClientError | TimeoutError):
        return RetryableDeliveryError(f"Discord unreachable: {type(exc).__name__}")
    return DeliveryError(f"{type(exc).__name__}: {exc}"[:500])
