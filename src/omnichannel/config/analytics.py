"""`[analytics]` and `[dashboard]`: the windows the accounting uses and the dashboard login
(tables of config.toml, so they live with the config, below every floor that reads them)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RuleName = Literal["fin", "zendesk"]


class AnalyticsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Which definition of an assumed resolution the headline numbers use; `omnichannel
    # stats` shows both side by side.
    resolution_rule: RuleName = "fin"
    # Fin: no further shopper message within this many hours of the agent's last answer.
    fin_window_hours: float = Field(24.0, gt=0, le=24 * 30)
    # Zendesk: this many hours of inactivity (anyone's last message).
    zendesk_window_hours: float = Field(72.0, gt=0, le=24 * 30)
    # A resolution is durable when the conversation stays closed this long.
    durable_days: float = Field(7.0, gt=0, le=365)
    # Revenue influenced: orders placed within this many days after a recommendation.
    attribution_days: float = Field(7.0, gt=0, le=90)
    # Daily buckets (charts, --csv) are days in this time zone.
    timezone: str = "UTC"
    # Per-token prices of the complex model when `[models.complex]` has none (what routing
    # saved is computed at these).
    complex_input_cost_per_token: float | None = Field(None, ge=0)
    complex_output_cost_per_token: float | None = Field(None, ge=0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


_HASH = re.compile(
    r"^(scrypt\$\d+\$\d+\$\d+|pbkdf2_sha256\$\d+)\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")


class DashboardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    # From `omnichannel dashboard hash-password`: "scrypt$n$r$p$salt$hash" or
    # "pbkdf2_sha256$iterations$salt$hash" (base64). Never the password itself.
    password_hash: str = ""
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    # How often the conversation list refreshes itself in the browser.
    poll_seconds: float = Field(5.0, ge=0.5, le=300)
    # Failed logins allowed per client address per 5 minutes.
    max_failed_logins: int = Field(10, ge=1, le=1000)

    @field_validator("password_hash")
    @classmethod
    def _hash(cls, value: str) -> str:
        if value and not _HASH.match(value):
            raise ValueError("not a password hash: make one with "
                             "`omnichannel dashboard hash-password`")
        return value

    @model_validator(mode="after")
    def _login(self) -> DashboardSettings:
        if self.enabled and not self.password_hash:
            raise ValueError("password_hash is required when the dashboard is enabled")
        return self
