"""The HTTP shell: one aiohttp application over an open `Gateway` (gateway.py).

Health, readiness, /metrics, the dashboard, the web chat's demo data and the routes adapters
register at run time (looked up per request, since adapters start under their supervisors).
The gateway's parts are opened and closed by the gateway, never here.
"""

from __future__ import annotations

import logging

from aiohttp import web

from omnichannel.agent.money import money
from omnichannel.analytics.dashboard import setup_dashboard
from omnichannel.analytics.metrics import metrics
from omnichannel.analytics.process import PROCESS
from omnichannel.commerce import CommerceError
from omnichannel.commerce.demo.showcase import featured
from omnichannel.gateway import Gateway
from omnichannel.registry import channel_settings
from omnichannel.supervisor import State

log = logging.getLogger(__name__)
GATEWAY = web.AppKey("gateway", Gateway)


async def _dispatch(request: web.Request) -> web.StreamResponse:
    """Adapters register routes after the app starts (supervised start), so look them up here."""
    rt = request.app[GATEWAY]
    handler = rt.routes.get((request.method, request.path))
    if handler is None and request.method == "HEAD":
        handler = rt.routes.get(("GET", request.path))
    if handler is None:
        if any(path == request.path for _m, path in rt.routes):
            raise web.HTTPMethodNotAllowed(request.method, sorted(
                m for m, p in rt.routes if p == request.path))
        raise web.HTTPNotFound(text="not found")
    return await handler(request)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    rt = request.app[GATEWAY]
    channels = {
        name: {"state": s.health.state.value, "detail": s.health.detail,
               "restarts": s.health.restarts}
        for name, s in rt.supervisors.items()
    }
    ready = all(s.health.state is State.READY for s in rt.supervisors.values())
    return web.json_response(
        {"ready": ready, "channels": channels}, status=200 if ready else 503
    )


async def featured_products(request: web.Request) -> web.Response:
    """GET /shop/featured.json: the products the web chat's demo page shows, priced in
    `[brand] currency`. The page fetches them, so the adapter never needs the shop."""
    rt = request.app[GATEWAY]
    if rt.commerce is None:
        raise web.HTTPNotFound(text="no shop")
    try:
        products = await rt.commerce.list_products()
    except CommerceError as exc:
        log.warning("featured products unavailable", extra={"error": str(exc)})
        raise web.HTTPServiceUnavailable(text="shop unavailable") from exc
    currency = rt.config.brand.currency
    return web.json_response({"currency": currency, "products": [
        {"id": f.id, "name": f.name, "description": f.description,
         "price": ("from " if f.varies else "") + money(f.price, currency),
         "colours": [{"name": c.name, "available": c.available} for c in f.colours],
         "options": [{"name": o.name, "values": list(o.values)} for o in f.options],
         "available": f.available, "availability": f.availability}
        for f in featured(products)]}, headers={"Cache-Control": "public, max-age=60"})


def build_app(gateway: Gateway) -> web.Application:
    """The web application serving `gateway` (opened by the caller, closed by the caller
    after the app's runner is cleaned up)."""
    app = web.Application(client_max_size=1024**2)
    app[GATEWAY] = gateway
    app[PROCESS] = gateway  # what the dashboard and /metrics read (analytics/process.py)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    setup_dashboard(app, gateway)  # /dashboard only when [dashboard] enabled = true
    if "webchat" in channel_settings(gateway.config):  # its demo page's data, beside it
        app.router.add_get("/shop/featured.json", featured_products)
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app
