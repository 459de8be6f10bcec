"""Slack payloads (Events API callbacks, block_actions) to `Inbound`, or a reason to ignore.

Chat ids: a direct message is answered where it was written (`D…`, or `D…:<thread_ts>`
inside a thread); in a channel every conversation is a thread, `C…:<thread_ts>`, whose
root is the shopper's first message. The journal key is `<channel>:<ts>` for a message
(the `message` and `app_mention` callbacks of one message are one event) and
`action:<trigger_id>` for a button press.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omnichannel.channel import Inbound

# Message subtypes a shopper produces and we answer; every other subtype (edits,
# deletions, joins, bot_message, channel topic ...) is ignored.
ANSWERED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


class ShapeError(ValueError):
    """A signed payload without the fields its type promises."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What decides whether a channel message is for us."""

    bot_user_id: str
    support_channels: frozenset[str] = frozenset()


@dataclass(slots=True)
class Parsed:
    inbound: Inbound | None = None
    # Why nothing is published (logged at INFO): "bot", "edit", "not addressed" ...
    ignored: str | None = None
    # A thread reply in a channel without a mention: answered only when the thread is
    # already a conversation of ours (the adapter asks the store).
    needs_known_thread: bool = False


def _obj(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{key} is missing")
    return value


def _when(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def chat_id(channel: str, thread_ts: str | None) -> str:
    return f"{channel}:{thread_ts}" if thread_ts else channel


def split_chat(chat: str) -> tuple[str, str | None]:
    channel, _, thread = chat.partition(":")
    return channel, thread or None


def plain(text: str, bot_user_id: str = "") -> str:
    """Slack's message markup as plain text for the agent: our own mention dropped, links
    as `label (url)`, user and channel references kept readable, entities decoded."""

    def link(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return "\x00"
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            return label or ("@" + word if word in ("here", "channel", "everyone") else "")
        if target.startswith("mailto:"):
            return label or target[7:]
        if label and label != target:
            return f"{label} ({target})"
        return target

    out = _LINK.sub(link, text)
    out = html.unescape(out) if "&" in out else out
    return re.sub(r"[ \t]*\x00[ \t]*", " ", out).strip()


def mentions(text: str, bot_user_id: str) -> bool:
    return bool(bot_user_id) and re.search(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>",
                                           text) is not None


def _files(event: dict[str, Any]) -> list[str]:
    notes = []
    for f in event.get("files") or []:
        if not isinstance(f, dict):
            continue
        name = str(f.get("name") or f.get("title") or "file")[:120]
        kind = str(f.get("pretty_type") or f.get("filetype") or "").strip()[:40]
        notes.append(f"[file: {name}{f' ({kind})' if kind else ''}]")
    return notes


def parse_event(body: dict[str, Any], channel_name: str, account: str,
                scope: Scope) -> Parsed:
    """One `event_callback` body."""
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ShapeError("event is missing")
    kind = event["type"]
    if kind not in ("message", "app_mention"):
        return Parsed(ignored=f"event type {kind}")
    subtype = event.get("subtype")
    if subtype not in ANSWERED_SUBTYPES:
        return Parsed(ignored=f"message subtype {subtype}")
    if event.get("bot_id") or event.get("bot_profile"):
        return Parsed(ignored="bot message")
    if event.get("hidden"):
        return Parsed(ignored="hidden message")
    user = event.get("user")
    if user == scope.bot_user_id:
        return Parsed(ignored="our own message")
    channel, ts = _str(event, "channel"), _str(event, "ts")
    if not isinstance(user, str) or not user:
        raise ShapeError("user is missing")
    text = event.get("text")
    if not isinstance(text, str):
        text = ""
    thread_ts = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else None
    direct = event.get("channel_type") == "im" or channel.startswith("D")
    mentioned = kind == "app_mention" or mentions(text, scope.bot_user_id)
    known_only = False
    if direct:
        chat = chat_id(channel, thread_ts)
    else:
        chat = chat_id(channel, thread_ts or ts)  # a channel conversation is a thread
        if not mentioned and channel not in scope.support_channels:
            if not thread_ts or thread_ts == ts:
                return Parsed(ignored="channel message without a mention")
            known_only = True
    files = _files(event) if subtype == "file_share" or event.get("files") else []
    words = plain(text, scope.bot_user_id)
    full = "\n".join(p for p in (words, *files) if p)
    if not full:
        return Parsed(ignored="empty message")
    profile = _obj(event, "user_profile")
    name = profile.get("display_name") or profile.get("real_name") or profile.get("name")
    return Parsed(
        inbound=Inbound(
            channel=channel_name, account=account, external_id=f"{channel}:{ts}",
            chat_id=chat, sender_id=user, text=full,
            sender_name=str(name)[:80] if name else None, received_at=_when(ts)),
        needs_known_thread=known_only)


def parse_action(body: dict[str, Any], channel_name: str, account: str) -> Parsed:
    """One `block_actions` payload: the first button pressed becomes the shopper's answer."""
    if body.get("type") != "block_actions":
        return Parsed(ignored=f"interaction {body.get('type')}")
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise ShapeError("actions is missing")
    action = actions[0]
    if action.get("type") != "button" or not isinstance(action.get("value"), str):
        return Parsed(ignored=f"action {action.get('type')}")
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise ShapeError("user is missing")
    container, message = _obj(body, "container"), _obj(body, "message")
    channel = container.get("channel_id") or _obj(body, "channel").get("id")
    if not isinstance(channel, str) or not channel:
        return Parsed(ignored="button outside a conversation (no channel)")
    thread_ts = container.get("thread_ts") or message.get("thread_ts")
    if not isinstance(thread_ts, str):
        thread_ts = None
    if not thread_ts and not channel.startswith("D"):
        # A top-level message of ours in a channel: its conversation is its own thread.
        thread_ts = container.get("message_ts") if isinstance(
            container.get("message_ts"), str) else None
    key = body.get("trigger_id") or f"{action.get('action_ts')}:{user['id']}"
    label = _obj(action, "text").get("text")
    value = action["value"]
    ts = action.get("action_ts")
    return Parsed(inbound=Inbound(
        channel=channel_name, account=account, external_id=f"action:{key}",
        chat_id=chat_id(channel, thread_ts), sender_id=user["id"],
        text=str(label or value)[:200], button_value=value,
        sender_name=str(user.get("name") or user.get("username") or "")[:80] or None,
        received_at=_when(ts) if isinstance(ts, str) else None))
