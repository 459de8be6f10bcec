"""Discord gateway payloads -> `Inbound` events. Pure functions, no I/O.

Input is what the gateway sends: a dispatch envelope `{"op": 0, "t": ..., "s": ..., "d": ...}`
or the bare `d` of a MESSAGE_CREATE / INTERACTION_CREATE. Anything that is not a shopper
talking to the shop (our own and other bots' messages, webhooks, system messages, edits,
crossposts, guild chatter that neither @mentions the bot nor sits in a support channel) is
`None`, with a log line saying why.

Chat ids say where a reply goes: a DM channel id, a thread id, or `<channel>/<user>` for
one shopper in a shared guild channel (a channel is not a conversation: everyone writes
there).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from omnichannel.channel import Inbound

log = logging.getLogger(__name__)

# Discord allows 2000 characters (4000 with Nitro); anything longer did not come from it.
MAX_TEXT = 4000
DISCORD_EPOCH_MS = 1420070400000
USER_MESSAGE_TYPES = frozenset({0, 19})  # DEFAULT, REPLY; the rest are system messages
IS_CROSSPOST = 1 << 1  # a copy of another server's announcement (Channel Following)
THREAD_TYPES = frozenset({10, 11, 12})
COMPONENT, BUTTON = 3, 2
LABEL_ONLY = "~"  # a custom_id that could not carry the button's value (see compose.py)
# Dispatches discord.py keeps its caches with; they are not for us. Anything else that is
# neither handled nor listed here is logged as unknown.
CLIENT_EVENTS = ("READY", "RESUMED", "GUILD_", "CHANNEL_", "THREAD_", "MESSAGE_", "TYPING_",
                 "USER_", "PRESENCE_", "VOICE_", "STAGE_INSTANCE_", "INTEGRATION_",
                 "APPLICATION_", "ENTITLEMENT_", "SUBSCRIPTION_", "AUTO_MODERATION_",
                 "INVITE_", "WEBHOOKS_", "INTERACTION_")
_SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")
_USER_MENTION = re.compile(r"<@!?([0-9]{1,20})>")


class Kind(StrEnum):
    DM = "dm"
    THREAD = "thread"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Place:
    """What kind of channel a message was posted in (threads need the cache or a lookup)."""

    kind: Kind
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Who we are and where we listen."""

    channel: str
    account: str
    bot_id: str
    support_channels: frozenset[str] = frozenset()
    guilds: frozenset[str] = frozenset()
    use_threads: bool = False


@dataclass(frozen=True, slots=True)
class Incoming:
    inbound: Inbound
    channel_id: str
    message_id: str
    guild_id: str | None = None
    # A top-level message in a support channel with use_threads: open a thread first.
    open_thread: bool = False
    # Set for a button press: the interaction to acknowledge.
    interaction_token: str | None = None


def chat_id(place: Place, channel_id: str, user_id: str) -> str:
    return f"{channel_id}/{user_id}" if place.kind is Kind.CHANNEL else channel_id


def parse_gateway(payload: Any, scope: Scope, place: Place | None = None) -> Incoming | None:
    """One gateway payload: a shopper's message or button press, else None."""
    if not isinstance(payload, dict):
        log.warning("gateway payload ignored: not an object")
        return None
    op, event = payload.get("op"), payload.get("t")
    if op != 0:
        log.debug("gateway op ignored", extra={"op": str(op)[:10]})
        return None
    if not isinstance(event, str):
        log.warning("malformed dispatch ignored: no event name")
        return None
    if event == "MESSAGE_CREATE":
        return parse_message(payload.get("d"), scope, place)
    if event == "INTERACTION_CREATE":
        return parse_interaction(payload.get("d"), scope)
    if event == "MESSAGE_UPDATE":
        # An edit is not a new message; the agent answered the original already. Said at
        # INFO for edits the bot would have heard, DEBUG for other guild chatter.
        d = payload.get("d")
        heard = isinstance(d, dict) and (
            d.get("guild_id") is None or str(d.get("channel_id")) in scope.support_channels
            or _mentions(d, scope.bot_id))
        log.log(logging.INFO if heard else logging.DEBUG, "message edit ignored",
                extra={"message_id": str(d.get("id"))[:30] if isinstance(d, dict) else None})
    elif event.startswith(CLIENT_EVENTS):
        log.debug("dispatch not for the agent", extra={"event": event[:60]})
    else:
        log.info("unknown dispatch ignored", extra={"event": event[:60]})
    return None


def needs_place(d: Any, scope: Scope) -> bool:
    """True for a guild message outside the support channels: is its channel a thread?
    (Not asked for bots' messages, ours included: they are ignored anyway.)"""
    if not isinstance(d, dict) or d.get("guild_id") is None:
        return False
    author = d.get("author")
    if isinstance(author, dict) and (author.get("bot") or author.get("id") == scope.bot_id):
        return False
    return str(d.get("channel_id")) not in scope.support_channels


def parse_message(d: Any, scope: Scope, place: Place | None = None) -> Incoming | None:
    """A MESSAGE_CREATE `d`. `place` defaults to what the payload says (no guild_id: DM)."""
    problem = _shape(d)
    if problem:
        log.warning("malformed MESSAGE_CREATE ignored", extra={"problem": problem})
        return None
    mid, channel_id, author = d["id"], d["channel_id"], d["author"]
    user_id, guild_id = author["id"], d.get("guild_id")
    why = _not_a_shopper(d, scope)
    if why:
        log.log(logging.DEBUG if why in ("own message", "bot") else logging.INFO,
                "discord message ignored", extra={"reason": why, "message_id": mid})
        return None
    if guild_id is None:
        place = Place(Kind.DM)
    elif place is None or place.kind is Kind.DM:
        place = Place(Kind.CHANNEL)
    mentioned = _mentions(d, scope.bot_id)
    support = (channel_id in scope.support_channels
               or (place.kind is Kind.THREAD and place.parent_id in scope.support_channels))
    if guild_id is not None and not (mentioned or support):
        log.debug("guild message not addressed to the bot", extra={"message_id": mid})
        return None
    text = message_text(d, scope.bot_id)
    if not text:
        log.info("empty message ignored (without the message content intent, guild "
                 "messages that do not @mention the bot arrive empty)",
                 extra={"message_id": mid})
        return None
    inbound = Inbound(
        channel=scope.channel, account=scope.account, external_id=mid,
        chat_id=chat_id(place, channel_id, user_id), sender_id=user_id, text=text,
        sender_name=_name(author, d.get("member")), received_at=_time(d.get("timestamp")))
    open_thread = (scope.use_threads and place.kind is Kind.CHANNEL
                   and channel_id in scope.support_channels)
    return Incoming(inbound, channel_id, mid, guild_id, open_thread=open_thread)


def _shape(d: Any) -> str | None:
    if not isinstance(d, dict):
        return "d is not an object"
    for key in ("id", "channel_id"):
        if not _snowflake(d.get(key)):
            return f"{key} is not a snowflake"
    author = d.get("author")
    if not isinstance(author, dict) or not _snowflake(author.get("id")):
        return "author.id is missing"
    if d.get("guild_id") is not None and not _snowflake(d.get("guild_id")):
        return "guild_id is not a snowflake"
    if not isinstance(d.get("content", ""), str):
        return "content is not a string"
    return None


def _not_a_shopper(d: dict[str, Any], scope: Scope) -> str | None:
    author = d["author"]
    if author["id"] == scope.bot_id:
        return "own message"
    if author.get("bot") or author.get("system"):
        return "bot"
    if d.get("webhook_id") is not None:
        return "webhook"
    if d.get("type", 0) not in USER_MESSAGE_TYPES:
        return f"system message (type {d.get('type')})"
    flags = d.get("flags")
    if isinstance(flags, int) and flags & IS_CROSSPOST:
        return "crosspost from another server"
    if d.get("edited_timestamp") is not None:
        return "edit"
    guild_id = d.get("guild_id")
    if guild_id is not None and scope.guilds and guild_id not in scope.guilds:
        return "server not in guilds"
    return None


def _mentions(d: dict[str, Any], bot_id: str) -> bool:
    users = d.get("mentions")
    if isinstance(users, list) and any(isinstance(u, dict) and u.get("id") == bot_id
                                       for u in users):
        return True
    content = d.get("content")
    return isinstance(content, str) and bot_id in _USER_MENTION.findall(content)


def message_text(d: dict[str, Any], bot_id: str) -> str:
    """The content without the bot's @mention, other mentions as @names, and notes for
    attachments and stickers (they are not downloaded)."""
    names = {u["id"]: _name(u, u.get("member")) for u in d.get("mentions") or []
             if isinstance(u, dict) and isinstance(u.get("id"), str)}

    def mention(m: re.Match[str]) -> str:
        uid = m.group(1)
        return "" if uid == bot_id else f"@{names.get(uid) or uid}"

    text = _USER_MENTION.sub(mention, d.get("content") or "")
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    notes = [f"[attachment: {str(a.get('filename') or 'file')[:200]}]"
             for a in d.get("attachments") or [] if isinstance(a, dict)]
    notes += [f"[sticker: {str(s.get('name') or 'sticker')[:100]}]"
              for s in d.get("sticker_items") or [] if isinstance(s, dict)]
    text = "\n".join([text, *notes] if text else notes)
    if len(text) > MAX_TEXT:
        log.warning("oversized message cut", extra={"length": len(text)})
        text = text[:MAX_TEXT] + " [cut]"
    return text


def parse_interaction(d: Any, scope: Scope) -> Incoming | None:
    """An INTERACTION_CREATE `d`: a press of one of our buttons."""
    if not isinstance(d, dict):
        log.warning("malformed INTERACTION_CREATE ignored", extra={"problem": "not an object"})
        return None
    data = d.get("data") if isinstance(d.get("data"), dict) else {}
    if d.get("type") != COMPONENT or data.get("component_type") != BUTTON:
        log.info("interaction ignored", extra={"type": str(d.get("type"))[:10],
                                               "component": str(data.get("component_type"))})
        return None
    member = d.get("member") if isinstance(d.get("member"), dict) else None
    user = member.get("user") if member else d.get("user")
    custom_id, token = data.get("custom_id"), d.get("token")
    problem = ("id is not a snowflake" if not _snowflake(d.get("id"))
               else "channel_id is not a snowflake" if not _snowflake(d.get("channel_id"))
               else "user is missing" if not isinstance(user, dict) or not _snowflake(
                   user.get("id"))
               else "custom_id is missing" if not isinstance(custom_id, str) or not custom_id
               else "token is missing" if not isinstance(token, str) or not token else None)
    if problem:
        log.warning("malformed INTERACTION_CREATE ignored", extra={"problem": problem})
        return None
    assert isinstance(user, dict) and isinstance(custom_id, str)
    guild_id = d.get("guild_id")
    if guild_id is not None and scope.guilds and guild_id not in scope.guilds:
        log.info("interaction ignored", extra={"reason": "server not in guilds"})
        return None
    channel = d.get("channel") if isinstance(d.get("channel"), dict) else {}
    if guild_id is None:
        place = Place(Kind.DM)
    elif channel.get("type") in THREAD_TYPES:
        place = Place(Kind.THREAD, channel.get("parent_id"))
    else:
        place = Place(Kind.CHANNEL)
    label = _label(d.get("message"), custom_id)
    value = None if custom_id.startswith(LABEL_ONLY) else custom_id
    inbound = Inbound(
        channel=scope.channel, account=scope.account, external_id=d["id"],
        chat_id=chat_id(place, d["channel_id"], user["id"]), sender_id=user["id"],
        text=(label or value or custom_id)[:MAX_TEXT], button_value=value,
        sender_name=_name(user, member), received_at=snowflake_time(d["id"]))
    return Incoming(inbound, d["channel_id"], d["id"], guild_id, interaction_token=token)


def _label(message: Any, custom_id: str) -> str | None:
    """The label of the pressed button, found in the message it sits on."""
    stack = list(message.get("components") or []) if isinstance(message, dict) else []
    while stack:
        comp = stack.pop()
        if not isinstance(comp, dict):
            continue
        if comp.get("custom_id") == custom_id and isinstance(comp.get("label"), str):
            return str(comp["label"])
        stack.extend(c for c in comp.get("components") or [] if isinstance(c, dict))
    return None


def _name(user: dict[str, Any], member: Any) -> str | None:
    nick = member.get("nick") if isinstance(member, dict) else None
    for name in (nick, user.get("global_name"), user.get("username")):
        if isinstance(name, str) and name.strip():
            return name.strip()[:100]
    return None


def _snowflake(value: Any) -> bool:
    return isinstance(value, str) and bool(_SNOWFLAKE.match(value))


def snowflake_time(snowflake: str) -> datetime:
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def _time(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def in_thread(incoming: Incoming, thread_id: str) -> Incoming:
    """The same message, now addressed to the thread opened for it."""
    return replace(incoming, inbound=replace(incoming.inbound, chat_id=thread_id),
                   open_thread=False)
