"""The running gateway: one typed object that owns every long-lived part.

`await Gateway.open(config)` opens the store, indexes the knowledge, opens the commerce
backend, builds the router and starts, in this order, the channels (each under its
supervisor), the outbox, the lanes (answering what the last process left), retention and the
Slack staff console. `close()` stops them in reverse. `reconfigure(config)` applies a new
config to the running parts (a SIGHUP reload). Every part, each adapter included and those a
reload starts, belongs to this object and is stopped by it exactly once.

The HTTP shell (app.py), the terminal chat, doctor and the daemon all open the gateway this
way; nothing assembles it by hand.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from omnichannel.agent import Deps, Voice, make_engine
from omnichannel.agent.engine import Engine
from omnichannel.agent.guardrails import Policy
from omnichannel.agent.voice import Words
from omnichannel.channel import (
    Adapter,
    Brand,
    ChannelContext,
    ChatHistory,
    Handler,
    Inbound,
    Published,
)
from omnichannel.commerce import Commerce
from omnichannel.commerce.backends import close_backend, open_backend
from omnichannel.config import Config, ConfigError, ModelConfig
from omnichannel.ingest.parsers import find_documents, load_document
from omnichannel.knowledge.model import KnowledgeSource, builtin_helpcenter
from omnichannel.registry import channel_settings
from omnichannel.router import Router
from omnichannel.store import Store
from omnichannel.supervisor import State, Supervisor

log = logging.getLogger(__name__)

# Sections a reload cannot change (the listening socket and the open database).
RESTART_ONLY = ("server", "store")


class Gateway:
    """Everything the running gateway holds. Built only by `open`; no field is ever None
    (`commerce` is None only when the shop has no backend: `[commerce] backend = "none"`)."""

    def __init__(self, config: Config, store: Store, commerce: Commerce | None,
                 engine: str | None, *, background: bool) -> None:
        self.config = config
        self.store = store
        self.commerce = commerce
        self.background = background
        self.adapters: dict[str, Adapter] = {}
        self.supervisors: dict[str, Supervisor] = {}
        self.router = make_router(config, store, self.adapter, engine, commerce,
                                  owned=self.adapters.get)
        self.routes: dict[tuple[str, str], Handler] = {}
        self._retention: asyncio.Task[None] | None = None
        self._console: Any = None
        self._closed = False

    # lifecycle
    @classmethod
    async def open(
        cls,
        config: Config,
        *,
        engine: str | None = None,
        channels: Mapping[str, Adapter] | None = None,
        background: bool = True,
        knowledge: bool = True,
    ) -> Gateway:
        """Open every part and start the channels.

        `channels`: the adapters to run (default: every enabled `[channels.*]` table).
        `background=False` (the terminal chat and doctor, beside a daemon that may be running
        on the same state): no outbox recovery or polling, no resumed lanes, no retention,
        no staff console. `knowledge=False` skips indexing the help center (doctor).
        """
        adapters = dict(channels) if channels is not None else {
            name: cls_(settings)  # type: ignore[call-arg]
            for name, (cls_, settings) in channel_settings(config).items()}
        store = Store(config.store.state_dir, synchronous=config.store.synchronous)
        await asyncio.to_thread(store.open)
        commerce: Commerce | None = None
        try:
            if knowledge:
                changed = await index_knowledge(store, config)
                log.info("store open", extra={"path": str(store.path),
                                              "knowledge_changed": changed})
            c = config.commerce
            commerce = await asyncio.to_thread(
                open_backend, c.backend, c.data, config.store.state_dir, c.seed,
                config.guardrails.return_window_days or None, c.shopify)
            gw = cls(config, store, commerce, engine, background=background)
        except BaseException:
            await close_backend(commerce)
            await asyncio.to_thread(store.close)
            raise
        await gw._start(adapters)
        return gw

    async def _start(self, adapters: Mapping[str, Adapter]) -> None:
        # A backend may serve webhooks of its own (Shopify's orders/updated keeps a cache).
        routes = getattr(self.commerce, "routes", None)
        for method, path, handler in (routes() if routes is not None else []):
            self.routes[(method, path)] = handler
        # Start: channels, delivery, then the agent's lanes. `close` stops in reverse.
        for name, adapter in adapters.items():
            self.launch(name, adapter)
        if self.background:
            await self.router.outbox.start()
            await self.router.resume()
            self._start_retention()
            if self.config.console.slack.enabled:
                self._start_console()
        else:
            await self.router.outbox.start(recover=False, poll=False)

    def _start_retention(self) -> None:
        from omnichannel.datacare.retention import retention_loop

        self._retention = asyncio.create_task(retention_loop(self.store, self.config),
                                              name="retention")

    async def _stop_retention(self) -> None:
        task, self._retention = self._retention, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _start_console(self) -> None:
        from omnichannel.staffconsole.slack import SlackConsole

        console = SlackConsole(self.config.console.slack, self)
        sup = Supervisor("console.slack", console.start)
        self.supervisors["console.slack"] = sup
        self._console = console
        sup.launch()

    async def _stop_console(self) -> None:
        console, self._console = self._console, None
        sup = self.supervisors.pop("console.slack", None)
        if sup is not None:
            await sup.stop()
        if console is not None:
            await console.stop()

    async def drain(self, grace: float) -> None:
        """A graceful stop, once intake is closed: turns in progress finish, the outbox
        delivers what is due within `grace` seconds, then the channels stop (web chat closes
        its sockets with 1001, so the HTTP server can shut down)."""
        started = time.monotonic()
        await self.router.drain_lanes(timeout=grace)
        left = await self.router.outbox.flush(max(0.5, grace - (time.monotonic() - started)))
        if left:
            log.warning("stopping with replies still queued (sent on next start)",
                        extra={"queued": left})
        await self.stop_channels()

    async def close(self) -> None:
        """Stop everything in reverse order of `open`; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        await self._stop_console()
        await self._stop_retention()
        await self.router.stop()
        await self.router.outbox.stop()
        await self.stop_channels()
        await close_backend(self.commerce)
        await asyncio.to_thread(self.store.close)

    # channels
    def launch(self, name: str, adapter: Adapter, ctx: ChannelContext | None = None,
               **backoff: Any) -> Supervisor:
        """Own one adapter and start it under its supervisor (the gateway does this for each
        enabled channel; tests attach adapters to a running gateway the same way)."""
        if name in self.adapters:
            raise ValueError(f"channel {name!r} is already running")
        sup = Supervisor(name, lambda: adapter.start(ctx or self.context(name)), **backoff)
        self.adapters[name] = adapter
        self.supervisors[name] = sup
        sup.launch()
        return sup

    async def stop_channel(self, name: str) -> None:
        sup, adapter = self.supervisors.pop(name, None), self.adapters.pop(name, None)
        if sup is not None:
            await sup.stop()
        if adapter is not None:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter stop failed", extra={"channel": name})

    async def stop_channels(self) -> None:
        for name in reversed(list(self.adapters)):
            await self.stop_channel(name)

    def adapter(self, name: str) -> Adapter | None:
        """The adapter of a channel that is connected now (None while it (re)connects)."""
        sup = self.supervisors.get(name)
        if sup is None or sup.health.state is not State.READY:
            return None
        return self.adapters.get(name)

    def context(self, channel: str) -> GatewayContext:
        return GatewayContext(self, channel)

    # reload
    async def reconfigure(self, new: Config) -> list[str]:
        """Apply `new` to the running parts: logging level, brand voice, agent, guardrails,
        routing and models (a new engine), retention, the console; channels whose table
        changed restart, new ones start, removed ones stop. Returns the sections that need a
        restart (their running values stay). A config the engine refuses raises ConfigError
        and changes nothing."""
        old = self.config
        kept = [key for key in RESTART_ONLY if getattr(old, key) != getattr(new, key)]
        for key in kept:
            setattr(new, key, getattr(old, key))
        engine = engine_for(new)  # first: a refused engine leaves everything as it was
        channels = channel_settings(new)
        logging.getLogger().setLevel(new.logging.level)
        await self._apply_channels(channel_settings(old), channels)
        self.config = new
        self.router.reconfigure(new, engine, make_deps(new, self.store), make_policy(new))
        if self.background:
            if new.retention != old.retention:
                await self._stop_retention()
                self._start_retention()
            if new.console != old.console:
                await self._stop_console()
                if new.console.slack.enabled:
                    self._start_console()
        return kept

    async def _apply_channels(
        self, old: Mapping[str, tuple[type[Adapter], BaseModel]],
        new: Mapping[str, tuple[type[Adapter], BaseModel]],
    ) -> None:
        for name in sorted(set(old) | set(new)):
            before, after = old.get(name), new.get(name)
            if before is not None and after is not None and \
                    before[1].model_dump() == after[1].model_dump():
                continue
            await self.stop_channel(name)
            if after is not None:
                cls, settings = after
                self.launch(name, cls(settings))  # type: ignore[call-arg]
                log.info("channel (re)started by reload", extra={"channel": name})
            else:
                log.info("channel stopped by reload", extra={"channel": name})


class GatewayContext:
    """What one adapter sees of the gateway (channel.ChannelContext)."""

    def __init__(self, gateway: Gateway, channel: str, account: str = "default") -> None:
        self._gw = gateway
        self.channel = channel
        self.account = account
        self.state_dir = gateway.config.store.state_dir
        b = gateway.config.brand
        self.brand = Brand(shop_name=b.shop_name, assistant_name=b.assistant_name,
                           colour=b.colour, avatar_url=b.avatar_url, greeting=b.greeting,
                           person_label=b.person_label,
                           greetings={x: b.text("greeting", x) for x in b.languages},
                           person_labels={x: b.text("person_label", x) for x in b.languages})

    async def publish(self, inbound: Inbound) -> Published:
        return await self._gw.router.publish(inbound)

    async def history(self, chat_id: str, limit: int = 100) -> ChatHistory:
        return await self._gw.router.history(self.channel, self.account, chat_id, limit)

    async def delivery_status(
        self, platform_message_id: str, status: str, error: str | None = None
    ) -> bool:
        return await self._gw.store.receipt(self.channel, platform_message_id, status, error)

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        self._gw.routes[(method.upper(), path)] = handler

    def report(self, connected: bool, detail: str = "") -> None:
        sup = self._gw.supervisors.get(self.channel)
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
        folder: Path = self._gw.config.store.state_dir / "secrets"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{self.channel}-{name}"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())


# assembly: what `open` and `reconfigure` build from a config
async def index_knowledge(store: Store, config: Config) -> int:
    """Index the shipped help center and sync `[knowledge] paths` (folders, files, zip
    exports): unchanged documents are skipped, deleted ones removed. Returns the changes."""
    from omnichannel.ingest.sources import SourceError, ingest_path
    from omnichannel.knowledge.language import decide

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


def make_deps(config: Config, store: Store) -> Deps:
    """The agent's knowledge and voice for `config`."""
    b = config.brand
    voice = Voice(shop_name=b.shop_name, assistant_name=b.assistant_name, greeting=b.greeting,
                  sign_off=b.sign_off, person_label=b.person_label,
                  translations={lang: Words(t.greeting, t.sign_off, t.person_label)
                                for lang, t in b.translations.items()})
    # Searched in the shopper's language first, then the shop's (docs/languages.md).
    from omnichannel.agent.retrieval import Multilingual

    index = store.knowledge_index()
    knowledge: KnowledgeSource = Multilingual(index, shop=b.language)
    if config.knowledge.ranker == "hybrid":
        from omnichannel.agent.retrieval import HybridKnowledge, make_embedder

        knowledge = HybridKnowledge(index, make_embedder(config.knowledge.embedding_model),
                                    shop=b.language)
    return Deps(knowledge=knowledge, voice=voice, max_failures=config.agent.max_failures)


def make_policy(config: Config) -> Policy:
    """The refund and return guardrails of `[guardrails]` (0 means no cap)."""
    g = config.guardrails
    return Policy(
        return_window_days=g.return_window_days or None,
        max_refund_per_order=g.max_refund_per_order or None,
        max_refund_per_customer_30d=g.max_refund_per_customer_30d or None,
        max_refund_per_day=g.max_refund_per_day or None,
    )


def make_router(
    config: Config,
    store: Store,
    adapters: Callable[[str], Adapter | None],
    engine_name: str | None = None,
    commerce: Commerce | None = None,
    *,
    owned: Callable[[str], Adapter | None] | None = None,
) -> Router:
    """`adapters`: a channel's adapter while it is connected; `owned`: whatever its state
    (its declared limits chunk replies)."""
    return Router(config, store, engine_for(config, engine_name), make_deps(config, store),
                  adapters, commerce=commerce, policy=make_policy(config), owned=owned)


def engine_for(config: Config, name: str | None = None) -> Engine:
    """The configured engine; the LLM engines (and litellm) only when a model is set."""
    name = name or config.agent.engine
    if name not in ("llm", "auto"):
        return make_engine(name)
    from omnichannel.agent.llmsetup import missing_llm_extra

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
