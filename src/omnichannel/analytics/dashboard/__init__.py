"""The web dashboard under /dashboard: conversations live, transcripts with actions, the
handoff queue and server-drawn charts, behind a password (docs/analytics.md)."""

from __future__ import annotations

from aiohttp import web

from omnichannel.analytics.process import PROCESS, Process
from omnichannel.analytics.settings import DashboardSettings


def setup_dashboard(app: web.Application, gateway: Process,
                    settings: DashboardSettings | None = None) -> bool:
    """Mount the dashboard's routes on `app` (before it starts) when it is enabled.

    `settings` default to the config's `[dashboard]` table. Returns whether it mounted;
    a second call changes nothing.
    """
    from omnichannel.analytics.cost import prices_for
    from omnichannel.analytics.dashboard import views
    from omnichannel.analytics.dashboard.auth import Signer, Throttle, state_secret
    from omnichannel.analytics.settings import analytics_settings, dashboard_settings
    if views.DASHBOARD in app:
        return True
    if PROCESS not in app:
        app[PROCESS] = gateway
    config = gateway.config
    settings = settings or dashboard_settings(config)
    if not settings.enabled:
        return False
    analytics = analytics_settings(config)
    secret = state_secret(config.store.state_dir)
    app[views.DASHBOARD] = views.Dashboard(
        settings=settings, analytics=analytics,
        signer=Signer(secret, settings.password_hash, settings.session_hours),
        throttle=Throttle(settings.max_failed_logins), prices=prices_for(config, analytics),
        secure=config.server.public_url.startswith("https://"))
    p = views.PREFIX
    r = app.router
    r.add_get(p, views.overview)
    r.add_get(f"{p}/", views.slash)
    r.add_get(f"{p}/login", views.login_form)
    r.add_post(f"{p}/login", views.login)
    r.add_post(f"{p}/logout", views.logout)
    r.add_get(f"{p}/conversations", views.conversations)
    r.add_get(f"{p}/conversations/rows", views.conversation_rows)
    r.add_get(f"{p}/conversations/{{id:\\d+}}", views.conversation)
    r.add_post(f"{p}/conversations/{{id:\\d+}}/{{action}}", views.act)
    r.add_get(f"{p}/handoffs", views.handoffs)
    r.add_get(f"{p}/handoffs/rows", views.handoff_rows)
    r.add_get(f"{p}/static/{{name}}", views.static)
    return True
