"""The process: one aiohttp application, one cleanup_ctx entry per long-lived part."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from omnichannel.agent import Deps, Voice, make_engine
from omnichannel.agent.engine import Engine
from omnichannel.agent.guardrails import Policy
from omnichannel.agent.knowledge import (
    KnowledgeSource,
    builtin_helpcenter,
    find_documents,
    load_document,
)
from omnichannel.agent.money import money
from omnichannel.agent.voice import Words
from omnichannel.analytics.dashboard import setup_dashboard
from omnichannel.analytics.metrics import metrics
from omnichannel.channel import (
    Adapter,
    Brand,
    ChannelContext,
    ChatHistory,
    Handler,
    Inbound,
    Published,
)
from omnichannel.commerce import Commerce, CommerceError
from omnichannel.commerce.backends import close_backend, open_backend
from omnichannel.commerce.demo.showcase import featured
from omnichannel.config import Config, ModelConfig
from omnichannel.registry import channel_settings
from omnichannel.router import Router
from omnichannel.store import Store
from omnichannel.supervisor import State, Supervisor

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything the running gateway holds, typed, on one app key."""

    config: Config
    store: Store | None = None
    commerce: Commerce | None = None
    router: Router | None = None
    adapters: dict[str, Adapter] = field(default_factory=dict)
    supervisors: dict[str, Supervisor] = field(default_factory=dict)
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)

    def launch(
        self, name: str, adapter: Adapter, ctx: ChannelContext | None = None, **backoff: Any
    ) -> Supervisor:
        """Register one adapter and start it under its supervisor. The app does this for each
        enabled channel; tests attach adapters to a running gateway the same way."""
        gw = ctx if ctx is not None else GatewayContext(self, name)
        sup = Supervisor(name, lambda: adapter.start(gw), **backoff)
        self.adapters[name] = adapter
        self.supervisors[name] = sup
        sup.launch()
        return sup

    def adapter(self, name: str) -> Adapter | None:
        sup = self.supervisors.get(name)
        if sup is None or sup.health.state is not State.READY:
            return None
        return self.adapters.get(name)


RUNTIME = web.AppKey("runtime", Runtime)


class GatewayContext:
    """What one adapter sees of the gateway (channel.ChannelContext)."""

    def __init__(self, runtime: Runtime, channel: str, account: str = "default") -> None:
        self._rt = runtime
        self.channel = channel
        self.account = account
        self.state_dir = runtime.config.store.state_dir
        b = runtime.config.brand
        self.brand = Brand(shop_name=b.shop_name, assistant_name=b.assistant_name,
                           colour=b.colour, avatar_url=b.avatar_url, greeting=b.greeting,
                           person_label=b.person_label,
                           greetings={x: b.text("greeting", x) for x in b.languages},
                           person_labels={x: b.text("person_label", x) for x in b.languages})

    async def publish(self, inbound: Inbound) -> Published:
        assert self._rt.router is not None
        return await self._rt.router.publish(inbound)

    async def history(self, chat_id: str, limit: int = 100) -> ChatHistory:
        assert self._rt.router is not None
        return await self._rt.router.history(self.channel, self.account, chat_id, limit)

    async def delivery_status(
        self, platform_message_id: str, status: str, error: str | None = None
    ) -> bool:
        assert self._rt.store is not None
        return await self._rt.store.receipt(self.channel, platform_message_id, status, error)

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        self._rt.routes[(method.upper(), path)] = handler

    def report(self, connected: bool, detail: str = "") -> None:
        sup = self._rt.supervisors.get(self.channel)
        if sup is None or sup.health.state not in (State.READY, State.RETRYING):
            return  # still starting (the supervisor reports) or stopped
        state = State.READY if connected else State.RETRYING
        if sup.health.state is not state or sup.health.detail != detail:
            sup.health.state, sup.health.detail = state, detail
            sup.health.since = time.time()
            log.info("channel connection " + ("back" if connected else "lost"),
                     extra={"channel": self.channel, "detail": detail})

    def secret(self, name: str) -> bytes:
        """A random per-installation secret kept in the state directory (0600)."""
        folder = self._rt.config.store.state_dir / "secrets"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{self.channel}-{name}"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())


async def _dispatch(request: web.Request) -> web.StreamResponse:
    """Adapters register routes after the app starts (supervised start), so look them up here."""
    rt = request.app[RUNTIME]
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
    rt = request.app[RUNTIME]
    channels = {
        name: {"state": s.health.state.value, "detail": s.health.detail,
               "restarts": s.health.restarts}
        for name, s in rt.supervisors.items()
    }
    ready = rt.router is not None and all(
        s.health.state is State.READY for s in rt.supervisors.values()
    )
    return web.json_response(
        {"ready": ready, "channels": channels}, status=200 if ready else 503
    )


async def featured_products(request: web.Request) -> web.Response:
    """GET /shop/featured.json: the products the web chat's demo page shows, priced in
    `[brand] currency`. The page fetches them, so the adapter never needs the shop."""
    rt = request.app[RUNTIME]
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


async def index_knowledge(store: Store, config: Config) -> int:
    """Index the shipped help center and sync `[knowledge] paths` (folders, files, zip
    exports): unchanged documents are skipped, deleted ones removed. Returns the changes."""
    from omnichannel.ingest.language import decide
    from omnichannel.ingest.sources import SourceError, ingest_path

    changed = 0
    shop = config.brand.language
    if config.knowledge.builtin_helpcenter:
        # English at the top, each translation in its language's folder (helpcenter/es/...).
        home = builtin_helpcenter()
        for path in find_documents(home):
            doc = load_document(path, f"helpcenter/{path.relative_to(home).as_posix()}")
            if await store.index_document(await asyncio.to_thread(decide, doc, "en")):
                changed += 1
    for root in config.knowledge.paths:
        try:
            report = await ingest_path(store, root, language=shop)
        except SourceError as exc:
            log.error("knowledge path unreadable", extra={"path": str(root), "error": str(exc)})
            continue
        changed += report.changed + report.removed
        for reason in report.failed:
            log.warning("knowledge document skipped", extra={"reason": reason})
    return changed


def build_app(config: Config, *, engine_name: str | None = None) -> web.Application:
    app = web.Application(client_max_size=1024**2)
    rt = Runtime(config=config)
    app[RUNTIME] = rt
    settings = channel_settings(config)

    async def store_ctx(app: web.Application) -> AsyncIterator[None]:
        store = Store(config.store.state_dir, synchronous=config.store.synchronous)
        await asyncio.to_thread(store.open)
        rt.store = store
        changed = await index_knowledge(store, config)
        log.info("store open", extra={"path": str(store.db.path), "knowledge_changed": changed})
        c = config.commerce
        rt.commerce = await asyncio.to_thread(
            open_backend, c.backend, c.data, config.store.state_dir, c.seed,
            config.guardrails.return_window_days or None, c.shopify)
        # A backend may serve webhooks of its own (Shopify's orders/updated keeps a cache).
        for method, path, handler in getattr(rt.commerce, "routes", lambda: [])():
            rt.routes[(method, path)] = handler
        rt.router = make_router(config, store, rt.adapter, engine_name, rt.commerce)
        yield
        await close_backend(rt.commerce)
        await asyncio.to_thread(store.close)

    async def outbox_ctx(app: web.Application) -> AsyncIterator[None]:
        assert rt.router is not None
        await rt.router.outbox.start()
        yield
        await rt.router.outbox.stop()

    async def lanes_ctx(app: web.Application) -> AsyncIterator[None]:
        assert rt.router is not None
        await rt.router.resume()
        yield
        await rt.router.stop()

    # Start: store, channels, delivery, then the agent's lanes. Stop in reverse: lanes finish
    # their turns, the outbox drains into still-running channels, channels close, store last.
    app.cleanup_ctx.append(store_ctx)
    for name, (cls, settings_model) in settings.items():
        app.cleanup_ctx.append(_adapter_ctx(rt, name, cls, settings_model))
    async def console_ctx(app: web.Application) -> AsyncIterator[None]:
        from omnichannel.staffconsole.slack import SlackConsole

        console = SlackConsole(config.console.slack, rt)
        sup = Supervisor("console.slack", console.start)
        rt.supervisors["console.slack"] = sup
        sup.launch()
        yield
        await sup.stop()
        await console.stop()

    async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
        from omnichannel.datacare.retention import retention_loop

        assert rt.store is not None
        task = asyncio.create_task(retention_loop(rt.store, config), name="retention")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.append(outbox_ctx)
    app.cleanup_ctx.append(lanes_ctx)
    app.cleanup_ctx.append(retention_ctx)
    if config.console.slack.enabled:
        app.cleanup_ctx.append(console_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    setup_dashboard(app)  # /dashboard only when [dashboard] enabled = true
    if "webchat" in settings:  # the data of its demo page, served where the page is
        app.router.add_get("/shop/featured.json", featured_products)
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app


def make_router(
    config: Config,
    store: Store,
    adapters: Callable[[str], Adapter | None],
    engine_name: str | None = None,
    commerce: Commerce | None = None,
) -> Router:
    b = config.brand
    voice = Voice(shop_name=b.shop_name, assistant_name=b.assistant_name, greeting=b.greeting,
                  sign_off=b.sign_off, person_label=b.person_label,
                  translations={lang: Words(t.greeting, t.sign_off, t.person_label)
                                for lang, t in b.translations.items()})
    # Searched in the shopper's language first, then the shop's (docs/languages.md).
    from omnichannel.agent.retrieval import Multilingual
    from omnichannel.store.knowledge import KnowledgeIndex

    index = KnowledgeIndex(store.db)
    knowledge: KnowledgeSource = Multilingual(index, shop=b.language)
    if config.knowledge.ranker == "hybrid":
        from omnichannel.agent.retrieval import HybridKnowledge, make_embedder

        knowledge = HybridKnowledge(index, make_embedder(config.knowledge.embedding_model),
                                    shop=b.language)
    deps = Deps(knowledge=knowledge, voice=voice, max_failures=config.agent.max_failures)
    g = config.guardrails
    policy = Policy(
        return_window_days=g.return_window_days or None,
        max_refund_per_order=g.max_refund_per_order or None,
        max_refund_per_customer_30d=g.max_refund_per_customer_30d or None,
        max_refund_per_day=g.max_refund_per_day or None,
    )
    return Router(config, store, engine_for(config, engine_name), deps, adapters,
                  commerce=commerce, policy=policy)


def engine_for(config: Config, name: str | None = None) -> Engine:
    """The configured engine; the LLM engines (and litellm) only when a model is set."""
    name = name or config.agent.engine
    if name not in ("llm", "auto"):
        return make_engine(name)
    from omnichannel.agent.llmsetup import missing_llm_extra
    from omnichannel.config import ConfigError

    if (missing := missing_llm_extra()) is not None:
        raise ConfigError(config.source, [f"agent.engine: {name!r}: {missing}"])
    from omnichannel.agent.llm import LLMEngine, ModelSpec
    from omnichannel.agent.routing import RoutingRules

    def chain(m: ModelConfig | None) -> list[ModelSpec]:
        if m is None:
            return []
        key = m.api_key.get_secret_value() if m.api_key else None
        base = dict(api_base=m.api_base or None, api_key=key, timeout=m.timeout,
                    max_tokens=m.max_tokens, free=m.free)
        first = ModelSpec(m.model, input_cost_per_token=m.input_cost_per_token,
                          output_cost_per_token=m.output_cost_per_token, **base)  # type: ignore[arg-type]
        return [first] + [ModelSpec(f, **base) for f in m.fallbacks]  # type: ignore[arg-type]

    r = config.routing
    rules = RoutingRules(**{k: getattr(r, k) for k in RoutingRules.__dataclass_fields__})
    return LLMEngine(chain(config.models.routine), chain(config.models.complex) or None,
                     mode=name, rules=rules, max_steps=r.max_steps)


def _adapter_ctx(rt: Runtime, name: str, cls: type[Adapter], settings: BaseModel):  # type: ignore[no-untyped-def]
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        adapter = cls(settings)  # type: ignore[call-arg]
        sup = rt.launch(name, adapter)
        yield
        await sup.stop()
        try:
            await adapter.stop()
        except Exception:
            log.exception("adapter stop failed", extra={"channel": name})

    return ctx
