"""`omnichannel stats` and `omnichannel dashboard hash-password` (cli.py calls `register`)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

EXIT_USAGE = 64


def register(sub: Any) -> None:
    """Add `stats` and `dashboard` to the CLI's subparsers."""
    st = sub.add_parser(
        "stats", help="resolution, response times, handoffs, CSAT, cost and revenue "
        "influenced, as tables (docs/analytics.md)")
    st.add_argument("--config", default=argparse.SUPPRESS, help="config file")
    st.add_argument("--since", default="30", metavar="DATE|DAYS",
                    help="conversations begun on or after this day (YYYY-MM-DD), or in the "
                    "last DAYS days, or 'all' (default 30)")
    form = st.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the whole report as JSON")
    form.add_argument("--csv", action="store_true",
                      help="one row per figure: section,name,metric,value")
    st.add_argument("--rule", choices=["fin", "zendesk"], default=None,
                    help="the assumed-resolution rule for the headline numbers "
                    "(default [analytics] resolution_rule)")
    st.add_argument("--no-revenue", action="store_true",
                    help="skip revenue influenced (no commerce backend calls)")
    st.set_defaults(fn=cmd_stats)

    dash = sub.add_parser("dashboard", help="the web dashboard's tools")
    dash_sub = dash.add_subparsers(dest="dashboard_command", required=True)
    hp = dash_sub.add_parser(
        "hash-password", help="print a password hash for [dashboard] password_hash (the "
        "password is read from the terminal, or from the first line of stdin)")
    hp.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    hp.add_argument("--pbkdf2", action="store_true", help="PBKDF2-SHA256 instead of scrypt")
    hp.set_defaults(fn=cmd_hash_password)


def since_of(value: str, zone: str, now: float | None = None) -> float:
    """--since: a day (midnight in the report's time zone), a number of days back, or all."""
    now = time.time() if now is None else now
    value = value.strip().lower()
    if value in ("all", "0"):
        return 0.0
    tz = ZoneInfo(zone)
    if value.isdigit():
        return now - int(value) * 86400.0
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {value!r}: expected YYYY-MM-DD, a number of days or "
                         "'all'") from None
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def cmd_stats(args: argparse.Namespace) -> int:
    from omnichannel.analytics import tables
    from omnichannel.analytics.accounting import build
    from omnichannel.analytics.cost import prices_for
    from omnichannel.analytics.settings import analytics_settings
    from omnichannel.config import load

    config = load(Path(args.config))
    settings = analytics_settings(config)
    if args.rule:
        settings = settings.model_copy(update={"resolution_rule": args.rule})
    try:
        since = since_of(args.since, settings.timezone)
    except ValueError as exc:
        print(f"omnichannel: {exc}", file=sys.stderr)
        return EXIT_USAGE
    prices = prices_for(config, settings)

    async def main() -> Any:
        from omnichannel.store import Store

        store = Store(config.store.state_dir, synchronous=config.store.synchronous)
        await asyncio.to_thread(store.open)
        commerce = None
        try:
            if not args.no_revenue:
                commerce = await _commerce(config)
            return await build(store, settings, since=since, prices=prices,
                               commerce=commerce)
        finally:
            if commerce is not None:
                from omnichannel.commerce.backends import close_backend

                await close_backend(commerce)
            await asyncio.to_thread(store.close)

    report = asyncio.run(main())
    if args.json:
        sys.stdout.write(tables.as_json(report))
    elif args.csv:
        sys.stdout.write(tables.as_csv(report))
    else:
        sys.stdout.write(tables.text(report))
    return 0


async def _commerce(config: Any) -> Any:
    """The configured backend for revenue, or None (said on stderr). A demo shop that does
    not exist yet is not generated just to be read."""
    from omnichannel.commerce.backends import BackendError, open_backend

    c = config.commerce
    if c.backend == "none":
        return None
    if c.backend == "demo" and not (c.data or config.store.state_dir / "demo-shop.db").exists():
        print("revenue: no demo shop yet (omnichannel init --demo)", file=sys.stderr)
        return None
    try:
        return await asyncio.to_thread(
            open_backend, c.backend, c.data, config.store.state_dir, c.seed,
            config.guardrails.return_window_days or None, c.shopify)
    except BackendError as exc:
        print(f"revenue: commerce backend unavailable: {exc}", file=sys.stderr)
        return None


def cmd_hash_password(args: argparse.Namespace) -> int:
    from omnichannel.analytics.passwords import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("dashboard password: ")
        if getpass.getpass("again: ") != password:
            print("omnichannel: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        print("omnichannel: use at least 8 characters", file=sys.stderr)
        return 1
    print(hash_password(password, "pbkdf2" if args.pbkdf2 else "scrypt"))
    print("put it in config.toml:  [dashboard] enabled = true, password_hash = \"...\"",
          file=sys.stderr)
    return 0
