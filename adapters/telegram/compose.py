"""Outbound text and inline keyboards in the shape the Bot API accepts."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from omnichannel.channel import Button

# Telegram: text is 1-4096 characters after entity parsing, counted in UTF-16 code units
# (an emoji outside the BMP counts twice); callback_data is 1-64 bytes.
TEXT_MAX = 4096
CALLBACK_MAX = 64
LABEL_MAX = 64
# callback_data that stands for a longer value: "~h" + 22 characters of its SHA-256.
TOKEN_PREFIX = "~h"


def escape(text: str) -> str:
    """HTML parse mode: only &, < and > have to be escaped (in that order)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def callback_data(value: str) -> str:
    """The value itself when it fits in 64 bytes, else a token the adapter maps back through
    the conversation's history. Values that look like a token are tokenised too, so a token
    is never ambiguous."""
    size = len(value.encode())
    if 0 < size <= CALLBACK_MAX and not value.startswith(TOKEN_PREFIX):
        return value
    return token(value)


def token(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()[:16]
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_token(data: str) -> bool:
    return data.startswith(TOKEN_PREFIX)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup:
    """One button per row: labels stay readable on a phone."""
    rows = [[InlineKeyboardButton(_label(b.label), callback_data=callback_data(b.value))]
            for b in buttons]
    return InlineKeyboardMarkup(rows)


def _label(label: str) -> str:
    label = " ".join(label.split()) or "-"
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, cut at a line break or space when one is in
    the second half. The core chunks by characters; this only matters for text full of
    emoji, which counts double on Telegram's side."""
    parts: list[str] = []
    while utf16_len(text) > limit:
        units, cut = 0, len(text)
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        gap = max(text.rfind("\n", 0, cut), text.rfind(" ", 0, cut))
        if gap > cut // 2:
            cut = gap
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [p for p in parts if p]
