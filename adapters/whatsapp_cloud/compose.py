"""Graph API message bodies: text, reply-button limits, template parameters."""

from __future__ import annotations

import re
from typing import Any

INTERACTIVE_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
TEMPLATE_PARAM_MAX = 1024


def text_message(to: str, body: str) -> dict[str, Any]:
    return {"to": to, "type": "text", "text": {"body": body, "preview_url": False}}


def title(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= BUTTON_TITLE_MAX else label[: BUTTON_TITLE_MAX - 1] + "…"


def split_for_buttons(text: str, limit: int = INTERACTIVE_BODY_MAX) -> tuple[str, str]:
    """(text sent first, body of the button message): a button body holds 1024 characters,
    so a longer text is cut at the last paragraph, line or sentence break that fits."""
    if len(text) <= limit:
        return "", text
    window = text[-limit:]
    for sep in ("\n\n", "\n", ". ", " "):
        at = window.find(sep)
        if at != -1:
            cut = len(text) - limit + at + len(sep)
            return text[:cut].rstrip(), text[cut:].strip()
    return text[:-limit], text[-limit:]


def template_param(text: str) -> str:
    """Template parameters may not hold newlines, tabs or more than 4 spaces in a row."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= TEMPLATE_PARAM_MAX else flat[: TEMPLATE_PARAM_MAX - 1] + "…"
