"""The `[channels.sms]` and `[channels.whatsapp]` tables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from omnichannel.channel import ChannelConfig

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MB = 1024 * 1024
# Translated into the conversation's language when left as is (channels catalog).
DEFAULT_SUFFIX = " … (shortened for SMS)"


def _base_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an absolute http(s) URL, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not carry a query or fragment")
    return value.rstrip("/")


class TwilioConfig(ChannelConfig):
    account_sid: str = Field(pattern=r"^AC[0-9a-zA-Z]{32}$")
    auth_token: SecretStr
    from_number: str
    # The URL Twilio calls, as Twilio sees it (scheme, host, optional path prefix): proxies
    # change scheme and host, so signatures are checked against this, never request.url.
    public_url: str
    # Where the Twilio REST API lives; only tests and private relays change it.
    api_base: str | None = None
    # Inbound media is downloaded at once (provider URLs expire) into media_dir, by default
    # <state_dir>/media/<channel>/; false keeps only a placeholder in the text.
    download_media: bool = True
    media_dir: Path | None = None
    max_media_bytes: int = Field(5 * MB, ge=1, le=100 * MB)
    allowed_media_hosts: list[str] = ["api.twilio.com", "*.twiliocdn.com"]
    allowed_media_types: list[str] = ["image/*", "audio/*", "video/*", "application/pdf"]
    request_timeout: float = Field(20.0, gt=0, le=120)

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str) -> str:
        return _base_url(value, "public_url")

    @field_validator("api_base")
    @classmethod
    def _api(cls, value: str | None) -> str | None:
        return None if value is None else _base_url(value, "api_base")


class SMSConfig(TwilioConfig):
    # Longer replies are cut at a word boundary to fit `max_segments`.
    max_segments: int = Field(3, ge=1, le=10)
    # "link": the cut reply ends with a short link to the whole reply, served by the
    # gateway at <public_url>/twilio/sms/full?r=<token> for `full_reply_days`;
    # "cut": it ends with `truncation_suffix` and the rest is dropped.
    overflow: Literal["link", "cut"] = "link"
    full_reply_days: int = Field(7, ge=1, le=90)
    truncation_suffix: str = DEFAULT_SUFFIX

    @field_validator("from_number")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not E164.match(value):
            raise ValueError(f"from_number must be an E.164 number like +14155550100, "
                             f"got {value!r}")
        return value


class WhatsAppConfig(TwilioConfig):
    # An approved template (Content API "HX..." sid) sent when the 24-hour window is closed;
    # variables are {"1": "..."}; "{text}" and "{shop_name}" inside a value are filled in.
    template_content_sid: str | None = Field(None, pattern=r"^HX[0-9a-zA-Z]{32}$")
    template_variables: dict[str, str] = {}

    @field_validator("from_number")
    @classmethod
    def _whatsapp(cls, value: str) -> str:
        if not value.startswith("whatsapp:") or not E164.match(value.removeprefix("whatsapp:")):
            raise ValueError(f"from_number must look like whatsapp:+14155550100, got {value!r}")
        return value
