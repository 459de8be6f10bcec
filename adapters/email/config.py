"""The `[channels.email]` table."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from omnichannel.channel import ChannelConfig

_ADDRESS = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$"


class EmailConfig(ChannelConfig):
    # The support mailbox: replies come From this address.
    address: str = Field(pattern=_ADDRESS)
    # Display name on replies (default: the brand's shop name).
    from_name: str | None = None
    # Right-hand side of our Message-IDs (default: the domain of `address`).
    message_id_domain: str | None = Field(None, pattern=r"^[A-Za-z0-9.-]+$")
    # Reply-To: local+<chat token>@domain, so a reply finds its thread even with the
    # headers stripped. Turn off when the mail server does not deliver plus addresses.
    plus_addressing: bool = True

    imap_host: str
    imap_port: int = Field(993, ge=1, le=65535)
    imap_security: Literal["tls", "none"] = "tls"
    imap_user: str
    imap_password: SecretStr
    mailbox: str = "INBOX"

    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None

    # Extra CA certificates (PEM) trusted for the IMAP and SMTP servers, e.g. a private
    # mail server's own CA; the system's trust store is always used as well.
    tls_ca_file: Path | None = None

    # Last seen UID / UIDVALIDITY and the thread map (default: the gateway's state directory,
    # email-<account>.json), written atomically after each publish.
    state_file: Path | None = None
    # IDLE is re-issued this often (servers and NATs drop idle connections silently);
    # without IDLE the mailbox is polled every `poll_seconds`.
    idle_seconds: float = Field(300.0, gt=0, le=29 * 60)
    poll_seconds: float = Field(60.0, gt=0, le=3600)
    timeout: float = Field(30.0, gt=0, le=300)
    # Reconnect backoff after a dropped connection: base doubling up to cap.
    reconnect_base: float = Field(1.0, gt=0, le=60)
    reconnect_cap: float = Field(300.0, gt=0, le=3600)

    @field_validator("tls_ca_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @field_validator("address")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name checks always on; `tls_ca_file` adds trust, never
        removes checks."""
        context = ssl.create_default_context()
        if self.tls_ca_file is not None:
            context.load_verify_locations(cafile=str(self.tls_ca_file))
        return context

    @property
    def domain(self) -> str:
        return self.message_id_domain or self.address.rsplit("@", 1)[1]
