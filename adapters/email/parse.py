"""Raw RFC 5322 bytes -> what the agent reads, or the reason a mail is machine noise.

Everything goes through the stdlib `email` package with `policy.default` (RFC 2047 / 2231
headers, any charset Python knows; undecodable bytes become U+FFFD, never an exception).
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from omnichannel.adapters.email.text import html_to_text, strip_quoted, unflow

_MSGID = re.compile(r"<[^<>\s]+>")
_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|vs|antw|r|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)
_NOISE_SENDERS = ("mailer-daemon", "postmaster")
_BULK = {"bulk", "junk", "list", "auto_reply"}
MAX_ATTACHMENT_NOTES = 10


@dataclass(frozen=True, slots=True)
class Mail:
    message_id: str | None
    sender: str
    sender_name: str | None
    subject: str
    # Ids this mail answers, most recent first (In-Reply-To, then References backwards).
    refs: tuple[str, ...]
    recipients: tuple[str, ...]
    text: str
    date: datetime | None


def header(msg: Message, name: str) -> str:
    """A header as text; a malformed one as its raw value, never an exception."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - the stdlib raises many kinds on broken headers
        value = None
    return "" if value is None else str(value).strip()


def addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    values = [header(msg, n) for n in names]
    return [(n, a.strip().lower()) for n, a in getaddresses([v for v in values if v]) if a]


def ids(value: str) -> list[str]:
    return _MSGID.findall(value)


def base_subject(subject: str) -> str:
    """The subject without Re:/Fwd:/AW: prefixes, whitespace collapsed."""
    return " ".join(_PREFIX.sub("", subject).split())


def from_bytes(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def noise(msg: EmailMessage, own_address: str = "") -> str | None:
    """Why this mail must not be answered (bounce, auto-reply, receipt, list), or None."""
    ctype = msg.get_content_type()
    if ctype == "multipart/report":
        kind = (msg.get_param("report-type") or "")
        kind = kind.lower() if isinstance(kind, str) else ""
        if kind == "disposition-notification":
            return "read receipt"
        return "bounce" if kind == "delivery-status" else f"report ({kind or 'unknown'})"
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status",
                                       "message/disposition-notification"):
            return "bounce"
    sender = addresses(msg, "From")
    local = sender[0][1].split("@")[0] if sender else ""
    if local in _NOISE_SENDERS:
        return "bounce"
    if header(msg, "Return-Path") == "<>":
        return "bounce (null sender)"
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"auto-submitted ({auto})"
    if header(msg, "X-Autoreply") or header(msg, "X-Autorespond"):
        return "auto-reply"
    if header(msg, "Precedence").lower() in _BULK:
        return "bulk mail"
    if header(msg, "List-Id") or header(msg, "List-Unsubscribe"):
        return "mailing list"
    if own_address and sender and sender[0][1] == own_address:
        return "sent by ourselves"
    if not sender:
        return "no sender"
    return None


def _decode(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        charset = part.get_content_charset() or "utf-8"
        try:
            return raw.decode(charset, errors="replace")
        except LookupError:
            return raw.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if isinstance(part, EmailMessage):
        text = _decode(part).replace("\r\n", "\n").replace("\r", "\n")
        if part.get_content_subtype() == "html":
            text = html_to_text(text)
        elif str(part.get_param("format") or "").lower() == "flowed":
            text = unflow(text, str(part.get_param("delsp") or "").lower() == "yes")
        text = strip_quoted(text)
    notes: list[str] = []
    for att in msg.iter_attachments():
        if len(notes) >= MAX_ATTACHMENT_NOTES:
            break
        kind = att.get_content_maintype()
        kind = kind if kind in ("image", "audio", "video") else "file"
        name = att.get_filename()
        notes.append(f"[{kind} attached: {name}]" if name else f"[{kind} attached]")
    return "\n".join([t for t in (text.strip(), *notes) if t])


def parse(msg: EmailMessage) -> Mail:
    sender = addresses(msg, "From")
    name, address = sender[0] if sender else ("", "")
    refs = ids(header(msg, "In-Reply-To"))
    for ref in reversed(ids(header(msg, "References"))):
        if ref not in refs:
            refs.append(ref)
    own = ids(header(msg, "Message-ID"))
    date = None
    try:
        date = parsedate_to_datetime(header(msg, "Date")) if header(msg, "Date") else None
    except (TypeError, ValueError):
        date = None
    rcpt = addresses(msg, "To", "Cc", "Delivered-To", "X-Original-To")
    subject = header(msg, "Subject")
    text = body_text(msg) or base_subject(subject)
    return Mail(message_id=own[0] if own else None, sender=address,
                sender_name=name or None, subject=subject, refs=tuple(refs),
                recipients=tuple(a for _n, a in rcpt), text=text, date=date)
