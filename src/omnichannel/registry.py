"""Adapters by entry point group `omnichannel.adapters`, imported only when enabled."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from omnichannel.channel import Adapter
from omnichannel.config import Config, ConfigError, validation_problems

GROUP = "omnichannel.adapters"

# Channel -> the pip extra that brings its SDK.
EXTRAS = {
    "telegram": "telegram",
    "discord": "discord",
    "slack": "slack",
    "whatsapp": "twilio",
    "sms": "twilio",
    "email": "email",
}


class AdapterUnavailable(Exception):
    """An enabled channel whose code or SDK is not installed."""


def available() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def load_class(name: str) -> type[Adapter]:
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise AdapterUnavailable(f"no adapter named {name!r} is installed (installed: {known})")
    try:
        cls: type[Adapter] = eps[name].load()
    except ImportError as exc:
        extra = EXTRAS.get(name, name)
        raise AdapterUnavailable(
            f"channel {name!r} needs an extra: pip install 'omnichannel[{extra}]' "
            f"({exc.name or exc} is missing)"
        ) from exc
    return cls


def channel_settings(config: Config) -> dict[str, tuple[type[Adapter], BaseModel]]:
    """Import each enabled adapter and validate its table; all problems at once."""
    out: dict[str, tuple[type[Adapter], BaseModel]] = {}
    problems: list[str] = []
    for name in config.enabled_channels():
        table: dict[str, Any] = config.channels[name]
        try:
            cls = load_class(name)
        except AdapterUnavailable as exc:
            problems.append(f"channels.{name}: {exc}")
            continue
        try:
            out[name] = (cls, cls.config_model.model_validate(table))
        except ValidationError as exc:
            problems += validation_problems(exc, prefix=f"channels.{name}")
    for name, table in config.channels.items():
        if not isinstance(table.get("enabled", False), bool):
            problems.append(f"channels.{name}.enabled: expected true or false")
    if problems:
        raise ConfigError(config.source, problems)
    return out
