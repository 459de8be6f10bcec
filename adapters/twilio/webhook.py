"""Twilio webhooks: signature checks and form fields -> normalised values."""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from twilio.request_validator import RequestValidator

from omnichannel.adapters.twilio.config import E164

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SIGNATURE = "X-Twilio-Signature"
# Twilio MessageStatus -> the gateway's receipt statuses; the others (queued, accepted,
# sending, scheduled, receiving, received, canceled) carry no delivery news and are ignored.
STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed",
          "undelivered": "failed"}
_MAX_MEDIA = 10  # Twilio's own limit per message
_SID = re.compile(r"^[\w.:-]{1,128}$")


@dataclass(frozen=True, slots=True)
class Media:
    url: str
    content_type: str

    @property
    def kind(self) -> str:
        major = self.content_type.split("/", 1)[0].lower()
        if major in ("image", "video", "audio"):
            return major
        if self.content_type.lower() == "application/pdf":
            return "document"
        return "file"

    @property
    def placeholder(self) -> str:
        return f"[{self.kind} attached]"


@dataclass(frozen=True, slots=True)
class Message:
    sid: str
    address: str  # the shopper: "+1415..." or "whatsapp:+1415..."
    body: str
    profile_name: str | None
    media: tuple[Media, ...]

    @property
    def phone(self) -> str | None:
        """The E.164 number behind the address (Twilio vouches for it), if it is one."""
        number = self.address.removeprefix("whatsapp:")
        return number if E164.match(number) else None

    @property
    def text(self) -> str:
        parts = [self.body.strip()] if self.body.strip() else []
        parts += [m.placeholder for m in self.media]
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Status:
    sid: str
    status: str | None  # normalised, or None when it is not delivery news
    error: str | None


class Malformed(ValueError):
    """A signed body that is not a Twilio message or status callback."""


async def read_form(request: web.Request) -> MultiDictProxy[str] | MultiDict[str]:
    form: MultiDictProxy[object] = await request.post()  # type: ignore[assignment]
    if request.content_type == "application/x-www-form-urlencoded":
        return form  # type: ignore[return-value]  # every value is a str: no copy needed
    return MultiDict((k, v) for k, v in form.items() if isinstance(v, str))


def signed_url(public_url: str, request: web.Request) -> str:
    """The URL Twilio signed: the configured public base plus the path and query as sent."""
    return public_url + request.raw_path


@lru_cache(maxsize=8)
def _validator(token: str) -> RequestValidator:
    """One validator per auth token, not one per request (it is on the webhook hot path)."""
    return RequestValidator(token)


def sign(token: str, url: str, form: Mapping[str, str]) -> str:
    """Twilio's scheme: HMAC-SHA1 over the URL then each key and value, keys sorted, each
    key's distinct values sorted, base64."""
    # Sorting distinct (key, value) pairs is the same order in one pass over the form.
    parts = [url]
    for key, value in sorted(set(form.items())):  # a MultiDict yields repeated keys too
        parts.append(key)
        parts.append(value)
    digest = hmac.digest(token.encode(), "".join(parts).encode(), "sha1")  # one C call
    return base64.b64encode(digest).decode()


def verify(token: str, url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """The signature for the URL as configured, computed directly (one HMAC, no URL
    parsing: this is the webhook hot path); anything else - the URL with or without its
    default port, a `bodySHA256` JSON callback - goes to Twilio's own validator."""
    if not signature:
        return False
    if hmac.compare_digest(sign(token, url, form).encode(), signature.encode()):
        return True
    return bool(_validator(token).validate(url, form, signature))


def _sid(form: Mapping[str, str]) -> str:
    # SmsSid / SmsMessageSid are Twilio's older names for the same id (some captures,
    # such as Click-to-WhatsApp referrals, carry only those).
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid") or ""
    if not sid:
        raise Malformed("MessageSid is missing")
    if not _SID.match(sid):
        raise Malformed("MessageSid is not a Twilio sid")
    return sid


def parse_message(form: Mapping[str, str]) -> Message:
    sid = _sid(form)
    address = form.get("From", "").strip()
    if not address:
        raise Malformed("From is missing")
    if len(address) > 128:
        raise Malformed("From is too long")
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise Malformed("NumMedia is not a number") from None
    media = tuple(
        Media(form.get(f"MediaUrl{i}", ""), form.get(f"MediaContentType{i}", ""))
        for i in range(max(0, min(count, _MAX_MEDIA)))
    )
    name = (form.get("ProfileName") or form.get("ProfileUsername") or "").strip() or None
    return Message(sid=sid, address=address, body=form.get("Body", ""), profile_name=name,
                   media=media)


def parse_status(form: Mapping[str, str]) -> Status:
    sid = _sid(form)
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not raw:
        raise Malformed("MessageStatus is missing")
    error = None
    code, text = form.get("ErrorCode"), form.get("ErrorMessage")
    if code or text:
        error = ": ".join(p for p in (code and f"Twilio error {code}", text) if p)
    return Status(sid=sid, status=STATUS.get(raw), error=error)


def twiml() -> web.Response:
    return web.Response(text=TWIML_EMPTY, content_type="text/xml")


def reject(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")
