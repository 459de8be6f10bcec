"""WhatsApp Cloud API webhook bodies -> `Inbound` events and delivery receipts.

Pure functions, no I/O. The envelope (`entry[].changes[].value`, message ids, senders) must
have the documented shape or `ShapeError` is raised (the webhook answers 400). Inside a
well-formed envelope, a message type we don't handle is skipped with a log line, so one
new Meta feature never makes the platform retry a whole batch forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from omnichannel.channel import Inbound

log = logging.getLogger(__name__)

OBJECT = "whatsapp_business_account"
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
STATUSES = ("sent", "delivered", "read", "failed")


class ShapeError(ValueError):
    """The body is JSON but not a WhatsApp Cloud webhook payload."""


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A media attachment to fetch through the Graph API (by id, never by a URL we got)."""

    media_id: str
    kind: str
    mime_type: str | None
    message_id: str


@dataclass(frozen=True, slots=True)
class Status:
    message_id: str
    status: str
    error: str | None = None


@dataclass
class Parsed:
    inbound: list[Inbound] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    ignored: int = 0


def _list(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ShapeError(f"{where} must be a list of objects")
    return value


def _str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{where}.{key} must be a non-empty string")
    return value


def parse(body: Any, channel: str, account: str, phone_number_id: str | None) -> Parsed:
    """Every message and status in a webhook body, in order.

    Changes addressed to another phone number of the same business account are skipped
    (they belong to another installation) when `phone_number_id` is given.
    """
    if not isinstance(body, dict):
        raise ShapeError("body must be a JSON object")
    obj = body.get("object")
    if not isinstance(obj, str):
        raise ShapeError("body.object must be a string")
    out = Parsed()
    if obj != OBJECT:
        log.info("webhook for another object ignored", extra={"object": obj[:60]})
        out.ignored += 1
        return out
    for i, entry in enumerate(_list(body.get("entry"), "entry")):
        for j, change in enumerate(_list(entry.get("changes"), f"entry[{i}].changes")):
            where = f"entry[{i}].changes[{j}]"
            if change.get("field") != "messages":
                log.info("webhook field ignored", extra={"field": str(change.get("field"))[:60]})
                out.ignored += 1
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                raise ShapeError(f"{where}.value must be an object")
            _value(value, f"{where}.value", channel, account, phone_number_id, out)
    return out


def _value(value: dict[str, Any], where: str, channel: str, account: str,
           phone_number_id: str | None, out: Parsed) -> None:
    messages = _list(value.get("messages"), f"{where}.messages")
    statuses = _list(value.get("statuses"), f"{where}.statuses")
    names: dict[str, str] = {}
    for k, contact in enumerate(_list(value.get("contacts"), f"{where}.contacts")):
        wa_id = contact.get("wa_id")
        profile = contact.get("profile")
        if isinstance(wa_id, str) and isinstance(profile, dict):
            name = profile.get("name")
            if isinstance(name, str) and name.strip():
                names[wa_id] = name.strip()[:200]
        elif wa_id is not None and not isinstance(wa_id, str):
            raise ShapeError(f"{where}.contacts[{k}].wa_id must be a string")
    # Validate the whole change before any of it is used.
    for k, msg in enumerate(messages):
        for key in ("id", "from", "type"):
            _str(msg, key, f"{where}.messages[{k}]")
    for k, st in enumerate(statuses):
        for key in ("id", "status"):
            _str(st, key, f"{where}.statuses[{k}]")
    meta = value.get("metadata")
    target = meta.get("phone_number_id") if isinstance(meta, dict) else None
    if phone_number_id and target is not None and str(target) != phone_number_id:
        log.warning("webhook for another phone number ignored",
                    extra={"phone_number_id": str(target)[:40]})
        out.ignored += len(messages) + len(statuses)
        return
    for msg in messages:
        _message(msg, channel, account, names, out)
    for st in statuses:
        status = st["status"]
        if status not in STATUSES:
            log.info("delivery status ignored", extra={"status": status[:30]})
            out.ignored += 1
            continue
        out.statuses.append(Status(st["id"], status, _errors(st.get("errors"))))


def _errors(errors: Any) -> str | None:
    if not isinstance(errors, list) or not errors:
        return None
    parts = []
    for err in errors:
        if isinstance(err, dict):
            code, title = err.get("code"), err.get("title") or err.get("message")
            parts.append(" ".join(str(p) for p in (code, title) if p))
    return "; ".join(p for p in parts if p)[:500] or None


def _message(msg: dict[str, Any], channel: str, account: str, names: dict[str, str],
             out: Parsed) -> None:
    kind, wamid, wa_id = msg["type"], msg["id"], msg["from"]
    body = msg.get(kind)
    body = body if isinstance(body, dict) else {}
    button_value: str | None = None
    text: str | None = None
    if kind == "text":
        text = body.get("body") if isinstance(body.get("body"), str) else None
    elif kind == "interactive":
        sub = body.get("type")
        reply = body.get(sub) if sub in ("button_reply", "list_reply") else None
        if isinstance(reply, dict) and isinstance(reply.get("id"), str):
            button_value = reply["id"]
            text = str(reply.get("title") or reply["id"])
    elif kind == "button":  # a template's quick-reply button
        payload, label = body.get("payload"), body.get("text")
        if isinstance(payload, str) or isinstance(label, str):
            button_value = payload if isinstance(payload, str) else None
            text = str(label or payload)
    elif kind in MEDIA_TYPES:
        media_id = body.get("id")
        if isinstance(media_id, str) and media_id:
            text = media_text(kind, body)
            mime = body.get("mime_type")
            out.media.append(MediaRef(media_id, kind, mime if isinstance(mime, str) else None,
                                      wamid))
    elif kind == "order":
        text = order_text(body)
    elif kind == "location":
        text = location_text(body)
    if text is None or not text.strip():
        log.info("whatsapp message ignored", extra={"type": kind[:40], "wamid": wamid[:120]})
        out.ignored += 1
        return
    text = _hints(msg, text.strip())
    out.inbound.append(Inbound(
        channel=channel, account=account, external_id=wamid, chat_id=wa_id, sender_id=wa_id,
        text=text, button_value=button_value, sender_name=names.get(wa_id),
        # The core treats it as proof only when the shop's customer record has this phone.
        verified_phone="+" + wa_id if wa_id.isdigit() else None,
        received_at=_time(msg.get("timestamp")),
    ))


def media_text(kind: str, body: dict[str, Any]) -> str:
    """`[image: caption] (media 123)`: what the shopper sent, and the id to fetch it by."""
    label = "voice message" if kind == "audio" and body.get("voice") else kind
    details = [str(body[k]).strip() for k in ("filename", "caption")
               if isinstance(body.get(k), str) and body[k].strip()]
    head = f"[{label}: {' - '.join(details)}]" if details else f"[{label}]"
    return f"{head} (media {body['id']})"


def order_text(body: dict[str, Any]) -> str | None:
    items = body.get("product_items")
    if not isinstance(items, list) or not items:
        return None
    lines: list[str] = []
    totals: dict[str, float] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        sku = str(item.get("product_retailer_id") or "?")
        qty, price, cur = item.get("quantity"), item.get("item_price"), item.get("currency")
        line = f"- {qty} x {sku}"
        if isinstance(price, int | float) and isinstance(cur, str):
            line += f" at {price:g} {cur}"
            if isinstance(qty, int | float):
                totals[cur] = totals.get(cur, 0) + qty * price
        lines.append(line)
    total = ", ".join(f"{amount:g} {cur}" for cur, amount in totals.items())
    head = "[order from the WhatsApp catalog" + (f", total {total}]" if total else "]")
    note = body.get("text")
    tail = [f"Note: {note.strip()}"] if isinstance(note, str) and note.strip() else []
    return "\n".join([head, *lines, *tail])


def location_text(body: dict[str, Any]) -> str | None:
    lat, lon = body.get("latitude"), body.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    label = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
    return f"[location: {label + ' ' if label else ''}({lat}, {lon})]"


def _hints(msg: dict[str, Any], text: str) -> str:
    """Forwarded messages and ad clicks become short hints; reply context is dropped."""
    context = msg.get("context")
    if isinstance(context, dict) and context.get("forwarded"):
        text = "[forwarded] " + text
    referral = msg.get("referral")
    if isinstance(referral, dict):
        headline = referral.get("headline") or referral.get("source_type") or "an ad"
        text += f"\n[came from ad: {str(headline)[:120]}]"
    return text


def _time(stamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(stamp), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
