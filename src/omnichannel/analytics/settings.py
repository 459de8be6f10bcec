"""Reading `[analytics]` and `[dashboard]` from a Config (the models are config tables:
omnichannel/config/analytics.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from omnichannel.config.analytics import AnalyticsSettings, DashboardSettings, RuleName

__all__ = ["AnalyticsSettings", "DashboardSettings", "RuleName", "analytics_settings",
           "dashboard_settings"]


def analytics_settings(config: Any) -> AnalyticsSettings:
    """The `[analytics]` table of a Config, or the defaults while it has none."""
    return AnalyticsSettings.model_validate(_table(config, "analytics"))


def dashboard_settings(config: Any) -> DashboardSettings:
    """The `[dashboard]` table of a Config, or the defaults (off) while it has none."""
    return DashboardSettings.model_validate(_table(config, "dashboard"))


def _table(config: Any, name: str) -> dict[str, Any]:
    found = getattr(config, name, None)
    if found is None:
        return {}
    if isinstance(found, BaseModel):
        return found.model_dump()
    return dict(found)
