"""The `[channels.telegram]` table."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from omnichannel.channel import ChannelConfig

# BotFather tokens are "<bot id>:<secret>"; the format check also keeps the token (which
# becomes part of every API URL) free of characters that would change the URL.
_TOKEN = r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,200}$"
# Telegram allows 1-256 of these characters; we ask for at least 16 so it cannot be guessed.
_SECRET = r"^[A-Za-z0-9_-]{16,256}$"


class TelegramConfig(ChannelConfig):
    # From @BotFather; usually "${TELEGRAM_BOT_TOKEN}" so it stays out of the file.
    token: SecretStr
    # "polling": getUpdates long polling, no public URL needed (one process per bot).
    # "webhook": Telegram POSTs updates to `webhook_path` on our server.
    mode: Literal["polling", "webhook"] = "polling"
    webhook_path: str = Field("/hooks/telegram", pattern=r"^/[A-Za-z0-9/_.-]*$")
    # Checked against X-Telegram-Bot-Api-Secret-Token on every webhook request.
    webhook_secret: SecretStr | None = None
    # The public HTTPS URL Telegram should call. Set: the adapter registers it (setWebhook)
    # when it differs from what Telegram has. Unset: register it yourself (docs/telegram.md).
    webhook_url: str | None = Field(None, pattern=r"^https://\S+$")
    # Webhook bodies larger than this are refused with 413 (Telegram's own are a few KB).
    max_body_bytes: int = Field(256 * 1024, ge=4096, le=1024 * 1024)
    # Bot API server; change only for a self-hosted telegram-bot-api server.
    api_base: str = Field("https://api.telegram.org", pattern=r"^https?://[^\s?#]+$")
    # Seconds one getUpdates call waits for updates (Telegram holds the request open).
    poll_timeout: int = Field(25, ge=1, le=50)
    # Seconds for every other Bot API call.
    timeout: float = Field(10.0, gt=0, le=120)
    # Polling after a network error: base seconds, doubling up to cap (with jitter).
    reconnect_base: float = Field(1.0, gt=0, le=60)
    reconnect_cap: float = Field(60.0, gt=0, le=3600)
    # Link previews under replies that contain URLs.
    link_previews: bool = True

    @field_validator("token")
    @classmethod
    def _token_format(cls, value: SecretStr) -> SecretStr:
        if not re.match(_TOKEN, value.get_secret_value().strip()):
            raise ValueError("expected a BotFather token like 123456789:AA... (digits, a "
                             "colon, then the secret)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("webhook_secret")
    @classmethod
    def _secret_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(_SECRET, value.get_secret_value()):
            raise ValueError("use 16 to 256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("api_base")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _mode_keys(self) -> TelegramConfig:
        if self.mode == "webhook" and self.webhook_secret is None:
            raise ValueError('mode = "webhook" needs webhook_secret')
        if self.mode == "polling" and self.webhook_url is not None:
            raise ValueError('webhook_url is only used with mode = "webhook"')
        return self
