"""Bot API `Update` objects (raw JSON, as the webhook and getUpdates deliver them) -> Inbound.

One function, `parse`, for both modes, so a webhook and a poll normalise alike. Each update
is parsed on its own: a malformed one is refused (`ShapeError`) without touching the others.

- `message` in a private chat: published. In a group or supergroup only when it is
  addressed to the bot (an @username mention, a text_mention of the bot, `/command@bot`, or
  a reply to one of the bot's messages); the mention is cut out of the text.
- Chat ids: a private chat's id; in a group `<group id>:<user id>`, one conversation per
  member, so one member can neither press another's confirmation buttons nor ride on
  another's verified identity. Replies go to the group (`group_of`).
- Media become a placeholder the staff can read ("[photo] caption", "[voice message, 3 s]");
  nothing is downloaded.
- `callback_query` (an inline button pressed): published with `button_value` = the button's
  callback_data and the button's label as text; it must be answered (`callback_id`).
- Edited messages, channel posts and every other update type: ignored, with the reason.

Entity offsets and lengths count UTF-16 code units, so the cutting happens in UTF-16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omnichannel.channel import Inbound

# Telegram caps text at 4096 and captions at 1024 (4096 with Premium); anything far
# beyond did not come from Telegram.
MAX_TEXT = 8192


class ShapeError(ValueError):
    """Not a Bot API update we can read."""


@dataclass(frozen=True, slots=True)
class Me:
    """The bot itself (from getMe): who is mentioned, whose messages are replied to."""

    id: int
    username: str


@dataclass(frozen=True, slots=True)
class Parsed:
    update_id: int
    inbound: Inbound | None = None
    ignored: str | None = None       # why nothing is published
    callback_id: str | None = None   # a callback query to answer (stops the client spinner)
    reply_to: int | None = None      # in a group: the message our answer should quote


def parse(update: Any, me: Me, channel: str, account: str) -> Parsed:
    if not isinstance(update, dict):
        raise ShapeError("an update is a JSON object")
    uid = update.get("update_id")
    if not isinstance(uid, int) or isinstance(uid, bool):
        raise ShapeError("update_id is missing or not an integer")
    external_id = f"{me.id}:{uid}"
    if "message" in update:
        return _message(uid, _dict(update, "message"), me, channel, account, external_id)
    if "callback_query" in update:
        return _callback(uid, _dict(update, "callback_query"), channel, account, external_id)
    if "edited_message" in update or "edited_business_message" in update:
        return Parsed(uid, ignored="edited message (the original was answered already)")
    if "channel_post" in update or "edited_channel_post" in update:
        return Parsed(uid, ignored="channel post")
    kinds = [k for k in update if k != "update_id"]
    return Parsed(uid, ignored=f"update type {(kinds or ['(none)'])[0][:40]!r} is not handled")


def group_of(chat_id: str) -> str:
    """Where a chat id's messages go: the group of a `<group id>:<user id>` key."""
    return chat_id.split(":", 1)[0]


def _key(chat: dict[str, Any], chat_id: int, sender_id: int) -> str:
    return f"{chat_id}:{sender_id}" if chat.get("type") in ("group", "supergroup") else (
        str(chat_id))


def _message(uid: int, msg: dict[str, Any], me: Me, channel: str, account: str,
             external_id: str) -> Parsed:
    chat = _dict(msg, "chat", "message.")
    chat_id = _int(chat, "id", "message.chat.")
    kind = chat.get("type")
    if kind == "channel":
        return Parsed(uid, ignored="channel post")
    sender = _dict(msg, "from", "message.")
    sender_id = _int(sender, "id", "message.from.")
    if sender.get("is_bot"):
        return Parsed(uid, ignored="message from a bot")
    text, entities = msg.get("text"), msg.get("entities")
    if text is None:
        text, entities = msg.get("caption"), msg.get("caption_entities")
    if text is not None and not isinstance(text, str):
        raise ShapeError("message.text is not a string")
    if text is not None and len(text) > MAX_TEXT:
        raise ShapeError(f"message text is longer than {MAX_TEXT} characters")
    if not isinstance(entities, list):
        entities = []
    reply_to = None
    if kind in ("group", "supergroup"):
        addressed, text = _addressed(text or "", entities, msg, me)
        if not addressed:
            return Parsed(uid, ignored="group message not addressed to the bot")
        reply_to = msg.get("message_id") if isinstance(msg.get("message_id"), int) else None
    elif kind != "private":
        return Parsed(uid, ignored=f"chat type {str(kind)[:20]!r} is not handled")
    body = _content(msg, text or "")
    if body is None:
        return Parsed(uid, ignored="no text or media the agent can read (a service message)")
    inbound = Inbound(
        channel=channel, account=account, external_id=external_id,
        chat_id=_key(chat, chat_id, sender_id), sender_id=str(sender_id), text=body,
        sender_name=_name(sender), verified_phone=_vouched_phone(msg, sender_id),
        received_at=_date(msg), language_hint=_language(sender))
    return Parsed(uid, inbound=inbound, reply_to=reply_to)


def _callback(uid: int, cq: dict[str, Any], channel: str, account: str,
              external_id: str) -> Parsed:
    cq_id = cq.get("id")
    if not isinstance(cq_id, str) or not cq_id:
        raise ShapeError("callback_query.id is missing")
    sender = _dict(cq, "from", "callback_query.")
    sender_id = _int(sender, "id", "callback_query.from.")
    msg, data = cq.get("message"), cq.get("data")
    if not isinstance(msg, dict):
        return Parsed(uid, ignored="button on an inline-mode message", callback_id=cq_id)
    if not isinstance(data, str) or not data:
        return Parsed(uid, ignored="callback without data (a game button)", callback_id=cq_id)
    if sender.get("is_bot"):
        return Parsed(uid, ignored="button pressed by a bot", callback_id=cq_id)
    chat = _dict(msg, "chat", "callback_query.message.")
    chat_id = _int(chat, "id", "callback_query.message.chat.")
    key = _key(chat, chat_id, sender_id)  # in a group: the presser's own conversation
    inbound = Inbound(
        channel=channel, account=account, external_id=external_id, chat_id=key,
        sender_id=str(sender_id), text=button_label(msg, data) or data, button_value=data,
        sender_name=_name(sender), language_hint=_language(sender))
    reply_to = msg.get("message_id") if ":" in key else None
    return Parsed(uid, inbound=inbound, callback_id=cq_id,
                  reply_to=reply_to if isinstance(reply_to, int) else None)


def _language(sender: dict[str, Any]) -> str | None:
    """The IETF tag of the user's Telegram app language ("es", "pt-br"), when it sent one."""
    code = sender.get("language_code")
    return code[:35] if isinstance(code, str) and code.strip() else None


def button_label(msg: dict[str, Any], data: str) -> str | None:
    """The label of the inline button carrying `data` on the message it was pressed on."""
    markup = msg.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                label = button.get("text")
                return label if isinstance(label, str) and label else None
    return None


# -- groups: is it for us, and the text without the mention


def _addressed(text: str, entities: list[Any], msg: dict[str, Any],
               me: Me) -> tuple[bool, str]:
    reply = msg.get("reply_to_message")
    replied = isinstance(reply, dict) and isinstance(reply.get("from"), dict) and (
        reply["from"].get("id") == me.id)
    handle = "@" + me.username.lower()
    cuts: list[tuple[int, int, str]] = []
    for e in entities:
        if not isinstance(e, dict):
            continue
        off, length, kind = e.get("offset"), e.get("length"), e.get("type")
        if not isinstance(off, int) or not isinstance(length, int) or off < 0 or length <= 0:
            continue
        span = utf16_slice(text, off, length)
        if kind == "mention" and span.lower() == handle:
            cuts.append((off, length, ""))
        elif kind == "text_mention" and isinstance(e.get("user"), dict) and (
                e["user"].get("id") == me.id):
            cuts.append((off, length, ""))
        elif kind == "bot_command" and span.lower().endswith(handle):
            cuts.append((off, length, span[: len(span) - len(handle)]))
    if not cuts:
        return replied, text
    stripped = utf16_cut(text, cuts).strip()
    return True, stripped or text


def utf16_slice(text: str, offset: int, length: int) -> str:
    units = text.encode("utf-16-le")
    return units[offset * 2:(offset + length) * 2].decode("utf-16-le", errors="replace")


def utf16_cut(text: str, cuts: list[tuple[int, int, str]]) -> str:
    """Replace (offset, length) spans, counted in UTF-16 units; a removed span takes one
    following space with it."""
    units = text.encode("utf-16-le")
    out, pos = bytearray(), 0
    for off, length, repl in sorted(cuts):
        start, end = off * 2, (off + length) * 2
        if start < pos or end > len(units):
            continue  # overlapping or out of range: leave the text alone there
        if not repl and units[end:end + 2] == b" \x00":
            end += 2
        out += units[pos:start] + repl.encode("utf-16-le")
        pos = end
    out += units[pos:]
    return out.decode("utf-16-le", errors="replace")


# -- content


def _content(msg: dict[str, Any], text: str) -> str | None:
    label = _media(msg)
    body = " ".join(p for p in (label, text) if p)
    if not body:
        return None
    if "forward_origin" in msg or "forward_date" in msg:
        body = "[forwarded] " + body
    return body


def _media(msg: dict[str, Any]) -> str | None:
    def get(key: str) -> dict[str, Any] | None:
        value = msg.get(key)
        return value if isinstance(value, dict) else None

    if msg.get("photo"):
        return "[photo]"
    if get("animation") is not None:
        return "[GIF]"
    if get("video") is not None:
        return "[video]"
    if get("video_note") is not None:
        return "[video message]"
    if (voice := get("voice")) is not None:
        secs = voice.get("duration")
        return f"[voice message, {secs} s]" if isinstance(secs, int) else "[voice message]"
    if (audio := get("audio")) is not None:
        name = audio.get("title") or audio.get("file_name")
        return f"[audio: {str(name)[:80]}]" if name else "[audio]"
    if (doc := get("document")) is not None:
        name = doc.get("file_name")
        return f"[document: {str(name)[:120]}]" if name else "[document]"
    if (sticker := get("sticker")) is not None:
        emoji = sticker.get("emoji")
        return f"[sticker {emoji}]" if isinstance(emoji, str) else "[sticker]"
    if (venue := get("venue")) is not None:
        return f"[venue: {venue.get('title', '')}, {venue.get('address', '')}]"
    if (loc := get("location")) is not None:
        return f"[location: {loc.get('latitude')}, {loc.get('longitude')}]"
    if (contact := get("contact")) is not None:
        name = " ".join(str(contact[k]) for k in ("first_name", "last_name") if contact.get(k))
        return f"[contact: {name}, {contact.get('phone_number', '')}]"
    if (poll := get("poll")) is not None:
        return f"[poll: {str(poll.get('question', ''))[:200]}]"
    if (dice := get("dice")) is not None:
        return f"[dice {dice.get('emoji', '')}: {dice.get('value', '')}]"
    if get("story") is not None:
        return "[story]"
    return None


def _vouched_phone(msg: dict[str, Any], sender_id: int) -> str | None:
    """A contact card is proof of a number only when it is the sender's own (Telegram fills
    user_id for a shared own contact; anyone can type someone else's number)."""
    contact = msg.get("contact")
    if not isinstance(contact, dict) or contact.get("user_id") != sender_id:
        return None
    digits = re.sub(r"\D", "", str(contact.get("phone_number", "")))
    return "+" + digits if 6 <= len(digits) <= 15 else None


def _name(user: dict[str, Any]) -> str | None:
    name = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
    return name[:200] or None


def _date(msg: dict[str, Any]) -> datetime | None:
    date = msg.get("date")
    return datetime.fromtimestamp(date, UTC) if isinstance(date, int) and date > 0 else None


def _dict(obj: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise ShapeError(f"{where}{key} is missing or not an object")
    return value


def _int(obj: dict[str, Any], key: str, where: str = "") -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ShapeError(f"{where}{key} is missing or not an integer")
    return value
