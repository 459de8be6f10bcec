"""The `[channels.discord]` table."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from omnichannel.channel import ChannelConfig

DEFAULT_API = "https://discord.com/api/v10"
_SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")


class DiscordConfig(ChannelConfig):
    # The bot token from the Developer Portal (Bot -> Reset Token); use "${DISCORD_TOKEN}".
    token: SecretStr
    # REST base. discord.py keeps it in a class attribute (discord.http.Route.BASE), so it is
    # process-wide: every Discord client in this process uses the last value set. The
    # gateway URL is whatever GET <api_base>/gateway/bot answers.
    api_base: str = Field(DEFAULT_API, pattern=r"^https?://\S+$")
    # Guild channels where every shopper message is answered without an @mention.
    support_channels: list[str] = Field(default_factory=list)
    # Servers the bot answers in (empty: every server it has been added to). DMs always.
    guilds: list[str] = Field(default_factory=list)
    # In a support channel, open a public thread on a shopper's message and converse there.
    use_threads: bool = True
    thread_name: str = Field("Support: {name}", min_length=1, max_length=100)
    thread_archive_minutes: Literal[60, 1440, 4320, 10080] = 1440
    # The privileged Message Content intent (enable it in the Developer Portal too). Off:
    # guild messages are only readable when they @mention the bot; DMs always are.
    message_content_intent: bool = True
    # start(): login and GET /gateway/bot each within `timeout`, READY within `ready_timeout`.
    timeout: float = Field(30.0, gt=0, le=300)
    ready_timeout: float = Field(60.0, gt=0, le=600)
    # How long discord.py waits for more GUILD_CREATEs before it calls the client ready.
    guild_ready_timeout: float = Field(2.0, gt=0, le=60)
    # A 429 asking to wait longer than this fails the send (the outbox retries it later)
    # instead of holding the conversation; discord.py refuses values under 30.
    max_ratelimit_wait: float = Field(30.0, ge=30, le=3600)
    # After the client dies (a close code discord.py does not resume from, a crash), log in
    # again after base, 2 x base ... up to cap seconds.
    restart_base: float = Field(5.0, gt=0, le=300)
    restart_cap: float = Field(300.0, gt=0, le=3600)
    # A message the journal refuses is tried again this many times (0.25 s, doubling);
    # Discord never redelivers a gateway event.
    journal_retries: int = Field(5, ge=0, le=10)

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token or any(c.isspace() for c in token):
            raise ValueError("must be a bot token without spaces")
        return SecretStr(token)

    @field_validator("support_channels", "guilds", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for item in value:
            text = str(item).strip() if isinstance(item, int | str) else item
            if not isinstance(text, str) or not _SNOWFLAKE.match(text):
                raise ValueError(f"{item!r} is not a Discord id (digits only)")
            out.append(text)
        return out

    @field_validator("thread_name")
    @classmethod
    def _thread_name(cls, value: str) -> str:
        try:
            value.format(name="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError("may only use the {name} placeholder") from exc
        return value
