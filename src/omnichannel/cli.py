"""The `omnichannel` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from omnichannel import config as config_mod
from omnichannel import logs
from omnichannel.config import Config, ConfigError

EXIT_CONFIG = 2
EXIT_USAGE = 64


def _load(path: str) -> Config:
    return config_mod.load(Path(path))


EXIT_RUNNING = 75  # EX_TEMPFAIL: another instance holds the state directory


def cmd_run(args: argparse.Namespace) -> int:
    from omnichannel.ops import daemon
    from omnichannel.ops.lock import AlreadyRunning
    from omnichannel.registry import channel_settings

    config = _load(args.config)
    channel_settings(config)  # every channel problem before anything starts
    _check_commerce(config)
    logs.setup(config.logging.level, config.logging.format)
    try:
        return asyncio.run(daemon.run(config, Path(args.config)))
    except AlreadyRunning as exc:
        print(f"omnichannel: {exc}", file=sys.stderr)
        return EXIT_RUNNING


def cmd_service_install(args: argparse.Namespace) -> int:
    from omnichannel.ops import unit

    path = Path(args.config).resolve()
    text = path.read_text() if path.is_file() else ""
    if not text:
        print(f"omnichannel: {path} not found; the unit runs with --config {path}",
              file=sys.stderr)
    spec = unit.UnitSpec(config=path, user=args.user, credentials=unit.referenced_secrets(text),
                         watchdog_seconds=args.watchdog)
    if args.dry_run:
        print(unit.render(spec), end="")
        return 0
    try:
        report = unit.install(spec)
    except PermissionError as exc:
        print(f"omnichannel: {exc}", file=sys.stderr)
        return 77  # EX_NOPERM
    for line in report.actions:
        print(line)
    return 0


def _check_commerce(config: Config) -> None:
    """Problems `run` would only meet after starting: a missing extra, missing data."""
    if config.agent.engine in ("llm", "auto"):
        from omnichannel.agent.llmsetup import missing_llm_extra

        if (missing := missing_llm_extra()) is not None:
            raise ConfigError(config.source, [f"agent.engine: {config.agent.engine!r}: {missing}"])
    if config.console.slack.enabled:
        import importlib.util

        if importlib.util.find_spec("slack_sdk") is None:
            raise ConfigError(config.source, [
                "console.slack: the Slack console needs the Slack extra: "
                "pip install 'omnichannel[slack]'"])
    c = config.commerce
    if c.backend == "shopify" and c.shopify is None:
        raise ConfigError(config.source, [
            'commerce.shopify: backend = "shopify" needs the [commerce.shopify] table '
            "(shop_domain, access_token)"])
    if c.backend == "taubench" and (c.data is None or not (c.data / "users.json").is_file()):
        raise ConfigError(config.source, [
            f"commerce.data: {c.data} has no users.json (expected a τ-bench folder with "
            "users.json, orders.json and products.json)"])


def cmd_validate(args: argparse.Namespace) -> int:
    from omnichannel.registry import channel_settings

    config = _load(args.path or args.config)
    _check_commerce(config)
    channels = channel_settings(config)
    print(f"{config.source}: ok (channels: {', '.join(channels) or 'none'}; "
          f"engine: {config.agent.engine}; state: {config.store.state_dir})")
    return 0


def _with_store(config: Config, fn: Callable[..., Awaitable[int]]) -> int:
    from omnichannel.store import Store

    async def main() -> int:
        store = Store(config.store.state_dir, synchronous=config.store.synchronous)
        await asyncio.to_thread(store.open)
        try:
            return await fn(store)
        finally:
            await asyncio.to_thread(store.close)

    return asyncio.run(main())


def cmd_init(args: argparse.Namespace) -> int:
    from omnichannel.gateway import index_knowledge

    config = _load(args.config)

    async def go(store):  # type: ignore[no-untyped-def]
        changed = await index_knowledge(store, config)
        docs = await store.document_count()
        print(f"state directory {config.store.state_dir} ready; knowledge: {docs} documents "
              f"({changed} indexed now)")
        if args.demo:
            from omnichannel.commerce.backends import close_backend, open_backend

            path = config.commerce.data or config.store.state_dir / "demo-shop.db"
            if path.exists() and args.force:
                path.unlink()
            shop = await asyncio.to_thread(open_backend, "demo", path, config.store.state_dir,
                                           config.commerce.seed)
            assert shop is not None
            products = await shop.list_products()
            await close_backend(shop)
            print(f"demo shop {path}: {len(products)} products (seed {config.commerce.seed})")
            for line in _demo_shoppers(config, path):
                print(line)
        return 0

    return _with_store(config, go)


def _demo_shoppers(config: Config, path: Path) -> list[str]:
    """What to try in the chat, one line per demo scenario (scenarios.py picks the shoppers)."""
    from datetime import UTC, datetime

    from omnichannel.agent.money import money
    from omnichannel.commerce.demo.scenarios import Scenario, ScenarioKind, scenarios

    g = config.guardrails
    window, cap = g.return_window_days or None, g.max_refund_per_order or None
    now = datetime.now(UTC)
    found = scenarios(path, now=now, return_window_days=window, refund_cap=cap)
    currency = config.brand.currency

    def label(s: Scenario) -> str:
        if s.kind is ScenarioKind.OVER_CAP:
            return (f"delivered order of {money(s.total, currency)}, over the "
                    f"{money(cap or 0, currency)} refund cap (a person approves)")
        return {
            ScenarioKind.PENDING: "pending order (cancel or change it)",
            ScenarioKind.SHIPPED: "shipped order (tracking; too late to cancel)",
            ScenarioKind.RETURN: "delivered order (return or exchange)",
            ScenarioKind.CANADA: "Canadian shopper (postal code in any case or spacing)",
        }[s.kind]

    lines = ["shoppers to try in the chat (each proves who they are by name and zip code):"]
    lines += [f'  {label(s)}: "{s.message}"' for s in found]
    if window and ScenarioKind.RETURN not in {s.kind for s in found}:
        lines.append("  (no delivery of this shop is inside the return window any more: "
                     "`omnichannel init --demo --force` generates a fresh one)")
    return lines


def cmd_ingest(args: argparse.Namespace) -> int:
    from omnichannel.ingest.sources import SourceError, ingest

    config = _load(args.config)
    if args.max_pages < 1 or args.delay < 0:
        print("error: --max-pages must be at least 1 and --delay at least 0", file=sys.stderr)
        return EXIT_USAGE

    async def go(store):  # type: ignore[no-untyped-def]
        failures = 0
        for target in args.paths:
            try:
                report = await ingest(store, target, max_pages=args.max_pages,
                                      delay=args.delay, progress=_progress)
            except SourceError as exc:
                print(f"\nerror: {exc}", file=sys.stderr)
                failures += 1
                continue
            sys.stderr.write("\n")
            for reason in report.failed:
                print(f"failed: {reason}", file=sys.stderr)
            for reason in report.skipped:
                print(f"skipped: {reason}", file=sys.stderr)
            for note in report.notes:
                print(f"note: {note}", file=sys.stderr)
            failures += len(report.failed)
            print(f"{target}: {report.summary()}")
        return 1 if failures else 0

    return _with_store(config, go)


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:40]:<40}")
    sys.stderr.flush()


def cmd_conversations(args: argparse.Namespace) -> int:
    from omnichannel.console.inbox import conversations

    config = _load(args.config)
    return _with_store(config, lambda store: conversations(store, args.all, args.limit,
                                                            args.json))


def cmd_show(args: argparse.Namespace) -> int:
    from omnichannel.console.inbox import show

    config = _load(args.config)
    return _with_store(config, lambda store: show(store, args.id))


def cmd_reply(args: argparse.Namespace) -> int:
    from omnichannel.agent.translate import translator_for
    from omnichannel.console.inbox import staff_reply

    config = _load(args.config)
    translator = (translator_for(config.models.routine, config.brand.language)
                  if args.translate else None)
    return _with_store(config, lambda store: staff_reply(store, args.id, " ".join(args.text),
                                                          take_over=not args.once,
                                                          translate=args.translate,
                                                          translator=translator))


def cmd_giveback(args: argparse.Namespace) -> int:
    from omnichannel.console.inbox import give_back

    config = _load(args.config)
    return _with_store(config, lambda store: give_back(store, config, args.id))


def cmd_resolve(args: argparse.Namespace) -> int:
    from omnichannel.console.inbox import resolve

    config = _load(args.config)
    return _with_store(config, lambda store: resolve(store, args.id))


def cmd_autonomy(args: argparse.Namespace) -> int:
    from omnichannel.console import autonomy

    config = _load(args.config)

    async def go(store):  # type: ignore[no-untyped-def]
        stats = autonomy.tally(await store.autonomy_rows(), config.autonomy)
        print(autonomy.render(stats, autonomy.suggestions(stats, config.autonomy), args.json))
        return 0

    return _with_store(config, go)


def cmd_chat(args: argparse.Namespace) -> int:
    from omnichannel.console.terminal import chat

    config = _load(args.config)
    logs.setup("WARNING", "text")
    return asyncio.run(chat(config, engine=args.engine))


def cmd_doctor(args: argparse.Namespace) -> int:
    from omnichannel.console.doctor import doctor

    return asyncio.run(doctor(Path(args.config), as_json=args.json))


def cmd_taubench_replay(args: argparse.Namespace) -> int:
    from omnichannel.console.taubench import replay_file

    return asyncio.run(replay_file(Path(args.tasks), Path(args.data)))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="omnichannel", description=__doc__)
    p.add_argument("--config", default="config.toml", help="config file (default ./config.toml)")
    sub = p.add_subparsers(dest="command", required=True)

    def add(
        name: str, fn: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help)
        sp.add_argument("--config", default=argparse.SUPPRESS, help="config file")
        sp.set_defaults(fn=fn)
        return sp

    add("run", cmd_run, "run the gateway daemon")
    chat = add("chat", cmd_chat, "talk to the agent from this terminal")
    chat.add_argument("--engine", choices=["builtin", "echo"], default=None)
    ini = add("init", cmd_init, "create the state directory and index the help center")
    ini.add_argument("--demo", action="store_true", help="also generate the demo shop")
    ini.add_argument("--force", action="store_true", help="regenerate the demo shop")
    cfg = sub.add_parser("config", help="configuration tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    val = cfg_sub.add_parser("validate", help="check a config file and exit")
    val.add_argument("path", nargs="?", default=None)
    val.add_argument("--config", default=argparse.SUPPRESS)
    val.set_defaults(fn=cmd_validate)
    doc = add("doctor", cmd_doctor, "check the installation, config, store, channels, models "
              "and the service unit; exit 0 ok, 1 warn, 2 fail")
    doc.add_argument("--json", action="store_true", help="one JSON report")
    ing = add("ingest", cmd_ingest, "index documents or a website into the knowledge base; "
              "re-ingesting updates changed documents and removes deleted ones")
    ing.add_argument("paths", nargs="+", metavar="PATH_OR_URL",
                     help="a folder, a file (.md .html .txt .pdf .docx .vtt .srt .sbv), a zip "
                     "export (Notion, Google Drive), or a site's start page or sitemap.xml URL")
    ing.add_argument("--max-pages", type=int, default=200,
                     help="most pages to request from one website (default 200)")
    ing.add_argument("--delay", type=float, default=0.5,
                     help="seconds between requests to a website (default 0.5; a robots.txt "
                     "Crawl-delay above it wins)")
    conv = add("conversations", cmd_conversations, "list conversations waiting for staff")
    conv.add_argument("--all", action="store_true", help="every conversation")
    conv.add_argument("--limit", type=int, default=50)
    conv.add_argument("--json", action="store_true")
    show = add("show", cmd_show, "print a conversation's transcript")
    show.add_argument("id", type=int)
    rep = add("reply", cmd_reply, "reply to a shopper as staff (takes the conversation over)")
    rep.add_argument("id", type=int)
    rep.add_argument("text", nargs="+")
    rep.add_argument("--once", action="store_true", help="send without taking over")
    rep.add_argument("--translate", action="store_true",
                     help="send it translated into the conversation's language (needs "
                     "[models.routine]; nothing is sent if the translation fails)")
    gb = add("giveback", cmd_giveback, "give a conversation back to the agent")
    gb.add_argument("id", type=int)
    res = add("resolve", cmd_resolve, "mark a conversation resolved")
    res.add_argument("id", type=int)
    svc = sub.add_parser("service", help="run as a systemd service")
    svc_sub = svc.add_subparsers(dest="service_command", required=True)
    inst = svc_sub.add_parser("install", help="write /etc/systemd/system/omnichannel.service "
                              "(a system unit), create its user, reload systemd")
    inst.add_argument("--config", default=argparse.SUPPRESS)
    inst.add_argument("--user", default="omnichannel", help="service user (default omnichannel)")
    inst.add_argument("--watchdog", type=int, default=30, help="WatchdogSec (default 30)")
    inst.add_argument("--dry-run", action="store_true", help="print the unit only")
    inst.set_defaults(fn=cmd_service_install)
    aut = add("autonomy", cmd_autonomy, "drafts approved, edited and rejected per category, "
              "and which categories to promote or demote (applied by you, in config)")
    aut.add_argument("--json", action="store_true")
    tau = sub.add_parser("taubench", help="τ-bench retail data tools")
    tau_sub = tau.add_subparsers(dest="taubench_command", required=True)
    rep_t = tau_sub.add_parser("replay", help="replay a task file's gold actions through the "
                               "tool layer; one JSON line per task")
    rep_t.add_argument("tasks", help="tasks JSON (a list of {user_id, actions})")
    rep_t.add_argument("--data", required=True, help="folder with users/orders/products.json")
    rep_t.set_defaults(fn=cmd_taubench_replay)
    from omnichannel.datacare.commands import register as register_datacare

    register_datacare(sub)
    from omnichannel.analytics.commands import register as register_analytics

    register_analytics(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
