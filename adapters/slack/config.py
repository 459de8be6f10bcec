"""The `[channels.slack]` table."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from omnichannel.channel import ChannelConfig

# Slack ids: C… public/shared channels, G… private channels, D… direct messages.
CHANNEL_ID = r"^[CDG][A-Z0-9]{2,30}$"


class SlackConfig(ChannelConfig):
    # "http": Events API and interactivity POSTed to `events_path` on our server (signed).
    # "socket": Socket Mode over a websocket the adapter opens with the app-level token.
    mode: Literal["http", "socket"] = "http"
    # Bot User OAuth Token (xoxb-…): auth.test at start, chat.postMessage for replies.
    bot_token: SecretStr
    # Basic Information > Signing Secret; required in http mode.
    signing_secret: SecretStr | None = None
    # App-level token (xapp-…) with connections:write; required in socket mode.
    app_token: SecretStr | None = None
    # Request URL for Event Subscriptions and Interactivity (the same URL for both).
    events_path: str = Field("/hooks/slack/events", pattern=r"^/[A-Za-z0-9/_.-]*$")
    api_base: str = Field("https://slack.com/api/", pattern=r"^https?://\S+$")
    # Channels where every shopper message is answered without an @-mention (ids, C…/G…).
    support_channels: list[str] = Field(default_factory=list)
    # Signed requests larger than this are refused with 413 before anything is parsed.
    max_body_bytes: int = Field(256 * 1024, ge=1024, le=1024 * 1024)
    timeout: float = Field(30.0, gt=0, le=300)
    # A 429 whose Retry-After is at most this is waited out inside the send (once);
    # a longer one goes back to the outbox, which retries after Retry-After.
    rate_limit_max_wait: float = Field(5.0, ge=0, le=60)
    # Socket Mode: websocket ping interval; the SDK reconnects after 4 missed pongs.
    ping_interval: float = Field(10.0, gt=0, le=120)

    @field_validator("bot_token", "signing_secret", "app_token")
    @classmethod
    def _not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("support_channels")
    @classmethod
    def _channel_ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.match(CHANNEL_ID, v)]
        if bad:
            raise ValueError(f"not Slack channel ids (C…, G…): {bad[:3]}")
        return value

    @model_validator(mode="after")
    def _mode_needs(self) -> SlackConfig:
        if self.mode == "http" and self.signing_secret is None:
            raise ValueError("mode = \"http\" needs signing_secret")
        if self.mode == "socket" and self.app_token is None:
            raise ValueError("mode = \"socket\" needs app_token (xapp-…)")
        return self
