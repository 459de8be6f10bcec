"""The agent's text (plain, or light Markdown) as Slack mrkdwn, and buttons as Block Kit.

Slack's rule: `&`, `<` and `>` are control characters and must be sent as `&amp;`,
`&lt;` and `&gt;`; nothing else is escaped. Escaping everything first also means no text
of a shopper's, repeated by the agent, can become `<!channel>` or a disguised link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from omnichannel.channel import Button

SECTION_MAX = 3000  # Block Kit section text
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTIONS_MAX = 25
ACTION_PREFIX = "omni_button_"

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+|mailto:[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(text: str) -> str:
    """mrkdwn for `text`: **bold** and __bold__ -> *bold*, ~~x~~ -> ~x~, [label](url) ->
    <url|label>, # headings -> bold lines, - bullets -> •; code is kept verbatim."""
    out: list[str] = []
    pos = 0
    for m in _CODE.finditer(text):
        out.append(_prose(text[pos:m.start()]))
        out.append(escape(m.group(0)))
        pos = m.end()
    out.append(_prose(text[pos:]))
    return "".join(out)


def _prose(text: str) -> str:
    links: list[str] = []

    def keep(m: re.Match[str]) -> str:
        label = escape(m.group(1)).replace("|", "¦")
        url = m.group(2).replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E")
        url = url.replace("|", "%7C")
        links.append(f"<{url}|{label}>")
        return f"\x00{len(links) - 1}\x00"

    text = _MD_LINK.sub(keep, text)
    text = escape(text)
    text = _HEADING.sub(lambda m: f"*{m.group(1)}*", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], text)


def sections(mrkdwn: str, limit: int = SECTION_MAX) -> list[str]:
    """`mrkdwn` cut into section-sized pieces, at line breaks where possible, never inside
    an entity such as `&amp;`."""
    pieces: list[str] = []
    rest = mrkdwn
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
            amp = rest.rfind("&", cut - 6, cut)
            if amp != -1 and ";" not in rest[amp:cut]:
                cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest.rstrip())
    return [p for p in pieces if p]


def blocks(mrkdwn: str, buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """Section blocks with the text, then one actions block with a button per choice
    (`action_id` omni_button_<n>, `value` the choice's value)."""
    out: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in sections(mrkdwn)]
    elements = []
    for i, b in enumerate(buttons[:ACTIONS_MAX]):
        label = b.label if len(b.label) <= BUTTON_TEXT_MAX else b.label[:BUTTON_TEXT_MAX - 1] + "…"
        elements.append({"type": "button", "action_id": f"{ACTION_PREFIX}{i}",
                         "text": {"type": "plain_text", "text": label or "-", "emoji": True},
                         "value": b.value[:BUTTON_VALUE_MAX]})
    if elements:
        out.append({"type": "actions", "block_id": "omni_buttons", "elements": elements})
    return out
