"""Replies: stable Message-IDs, threading headers, one "Re: ", Auto-Submitted."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, localtime

import omnichannel.i18n as i18n
from omnichannel.adapters.email.parse import base_subject
from omnichannel.adapters.email.state import Chat

_ = i18n.translator("channels")


def message_id(chat_id: str, outbox_id: int, salt: str, domain: str) -> str:
    """The same outbox row always gets the same id: a retried send is the same mail."""
    return f"<{chat_id}.{outbox_id}.{salt}@{domain}>"


def our_ids(salt: str, domain: str) -> re.Pattern[str]:
    """Matches our Message-IDs; group 1 is the chat id."""
    return re.compile(rf"^<([0-9a-f]{{20}})\.\d+\.{re.escape(salt)}@{re.escape(domain)}>$",
                      re.I)


def reply_subject(subject: str, fallback: str) -> str:
    return "Re: " + (base_subject(subject) or fallback)


def build(*, chat_id: str, chat: Chat, text: str, mid: str, from_addr: str,
          from_name: str, reply_to: str | None, language: str | None = None) -> EmailMessage:
    """The reply; its own words (a subject for a mail that had none) in `language`."""
    with i18n.using(language):
        fallback = _("your message to {shop}").format(shop=from_name)
    msg = EmailMessage()
    msg["From"] = formataddr((from_name, from_addr))
    msg["To"] = chat.address
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = reply_subject(chat.subject, fallback)
    msg["Date"] = format_datetime(localtime())
    msg["Message-ID"] = mid
    if chat.last_id:
        msg["In-Reply-To"] = chat.last_id
        msg["References"] = " ".join([*chat.refs, chat.last_id])
    # RFC 3834: auto-responders must not answer us, and we never answer them.
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Omnichannel-Chat"] = chat_id
    msg.set_content(text)
    return msg
