"""`omnichannel backup | restore | purge | contact find|export|erase` (docs/datacare.md)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from omnichannel import config as config_mod
from omnichannel.config import Config
from omnichannel.datacare import privacy, retention
from omnichannel.datacare.errors import DataCareError
from omnichannel.datacare.lock import daemon_stopped
from omnichannel.store import DB_NAME, Store, snapshot

T = TypeVar("T")
Handler = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the data care subcommands to the `omnichannel` parser's subparsers."""

    def add(where: argparse._SubParsersAction, name: str,  # type: ignore[type-arg]
            fn: Handler, help: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = where.add_parser(name, help=help, description=help)
        sp.add_argument("--config", default=argparse.SUPPRESS, help="config file")
        sp.set_defaults(fn=fn)
        return sp

    bak = add(sub, "backup", cmd_backup, "write a consistent copy of the database (safe while "
              "the daemon runs)")
    bak.add_argument("path", help="a new file, or a folder to write omnichannel-<time>.db into")
    bak.add_argument("--force", action="store_true", help="overwrite an existing file")
    res = add(sub, "restore", cmd_restore, "replace the database with a backup (the daemon "
              "must be stopped; the current database is kept beside it)")
    res.add_argument("path", help="a file written by `omnichannel backup`")
    pur = add(sub, "purge", cmd_purge, "purge message bodies and media older than "
              "retention.message_days now (the daemon also does it every interval_hours)")
    pur.add_argument("--dry-run", action="store_true", help="count, change nothing")
    pur.add_argument("--days", type=int, default=None,
                     help="purge what is older than this many days (default: "
                     "retention.message_days)")
    con = sub.add_parser("contact", help="privacy requests: find, export or erase a shopper")
    con.add_argument("--config", default=argparse.SUPPRESS, help="config file")
    con_sub = con.add_subparsers(dest="contact_command", required=True)
    fnd = add(con_sub, "find", cmd_contact_find, "contacts with this email address or phone")
    fnd.add_argument("query", metavar="EMAIL|PHONE")
    exp = add(con_sub, "export", cmd_contact_export, "everything stored about a contact, as "
              "JSON")
    exp.add_argument("id", type=int)
    exp.add_argument("--out", metavar="FILE", help="write to FILE (mode 0600), not stdout")
    era = add(con_sub, "erase", cmd_contact_erase, "erase a contact's personal data "
              "everywhere (the daemon must be stopped; cannot be undone)")
    era.add_argument("id", type=int)
    era.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _refusals(fn: Handler) -> Handler:
    """A refusal is one line on stderr and exit status 1, not a traceback."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (DataCareError, snapshot.BadBackup) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


def _load(args: argparse.Namespace) -> Config:
    return config_mod.load(Path(args.config))


def _with_store(config: Config, fn: Callable[[Store], Awaitable[T]]) -> T:
    async def main() -> T:
        store = Store(config.store.state_dir, synchronous=config.store.synchronous)
        await asyncio.to_thread(store.open)
        try:
            return await fn(store)
        finally:
            await asyncio.to_thread(store.close)

    return asyncio.run(main())


@_refusals
def cmd_backup(args: argparse.Namespace) -> int:
    config = _load(args)
    dest = Path(args.path)
    if dest.is_dir():
        dest = dest / time.strftime("omnichannel-%Y%m%d-%H%M%S.db")
    if dest.exists() and not args.force:
        raise DataCareError(f"{dest} exists; name a new file, or pass --force to replace it")
    if not dest.parent.is_dir():
        raise DataCareError(f"{dest.parent}: no such folder")
    snap = snapshot.backup(config.store.state_dir / DB_NAME, dest)
    print(f"backup written to {dest} ({snap.size / 1e6:.1f} MB, schema v{snap.schema_version}, "
          f"integrity ok): {snap.contacts} contacts, {snap.conversations} conversations, "
          f"{snap.messages} messages")
    return 0


@_refusals
def cmd_restore(args: argparse.Namespace) -> int:
    config = _load(args)
    state_dir = config.store.state_dir
    db_path = state_dir / DB_NAME
    source = Path(args.path)
    if not source.is_file():
        raise DataCareError(f"{source}: no such backup file")
    with daemon_stopped(state_dir, "restore a backup"):
        done = snapshot.restore(source, db_path)
        # Erasures done since the backup was taken are done again before anyone reads it.
        again = privacy.reapply(db_path, state_dir, time.time())
        for fp in again:
            privacy.erase_files(config, fp)
    snap = done.snapshot
    print(f"restored {db_path} from {source} (schema v{done.backup_version}"
          f"{f' -> v{snap.schema_version}' if snap.schema_version != done.backup_version else ''}"
          f", integrity ok): {snap.contacts} contacts, {snap.conversations} conversations, "
          f"{snap.messages} messages")
    if done.kept is not None:
        print(f"the replaced database is kept as {done.kept}")
    if again:
        print(f"erased again (erased after this backup was taken): "
              f"{', '.join(f'#{fp.contact_id}' for fp in again)}")
    return 0


@_refusals
def cmd_purge(args: argparse.Namespace) -> int:
    config = _load(args)
    if args.days is not None and args.days < 1:
        raise DataCareError("--days must be at least 1")
    if args.days is None and config.retention.message_days == 0:
        print("retention is off (retention.message_days = 0): nothing purged; "
              "use --days N for a one-off purge")
        return 0
    report = _with_store(config, lambda store: retention.purge(
        store, config, days=args.days, dry_run=args.dry_run))
    print(report.summary())
    return 0


@_refusals
def cmd_contact_find(args: argparse.Namespace) -> int:
    config = _load(args)
    found = _with_store(config, lambda store: privacy.find(store, args.query))
    if not found:
        print(f"no contact matches {args.query!r}", file=sys.stderr)
        return 1
    for m in found:
        erased = ""
        if m.erased_at:
            erased = "  [erased " + time.strftime("%Y-%m-%d", time.localtime(m.erased_at)) + "]"
        print(f"#{m.id:<6} {m.name or '-':<20} {m.email or '-':<28} {m.phone or '-':<16} "
              f"{m.conversations} conversations; {', '.join(m.identities) or 'no identities'}"
              f"{erased}")
    return 0


@_refusals
def cmd_contact_export(args: argparse.Namespace) -> int:
    config = _load(args)
    doc = _with_store(config, lambda store: privacy.export_contact(store, config, args.id))
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"contact #{args.id} exported to {out}", file=sys.stderr)
    return 0


@_refusals
def cmd_contact_erase(args: argparse.Namespace) -> int:
    config = _load(args)
    state_dir = config.store.state_dir
    with daemon_stopped(state_dir, "erase a contact"):
        pass  # refuse before asking anything
    if not args.yes:
        if not sys.stdin.isatty():
            raise DataCareError("erasure cannot be undone: pass --yes to confirm (there is no "
                                "terminal to ask on)")
        print(_with_store(config, lambda store: _preview(store, args.id)))
        answer = input(f"Type {args.id} to erase contact #{args.id} for good: ")
        if answer.strip() != str(args.id):
            print("nothing erased")
            return 1
    report = asyncio.run(privacy.erase_contact(config, args.id))
    print(report.summary())
    return 1 if report.leftovers else 0


async def _preview(store: Store, contact_id: int) -> str:
    fp = await privacy.footprint(store, contact_id)
    ids = ", ".join(f"{c}:{x}" for c, _a, x in fp.identities) or "none"
    return (f"contact #{contact_id}: emails {', '.join(sorted(fp.emails)) or '-'}; phones "
            f"{', '.join(sorted(fp.phones)) or '-'}; identities {ids}; "
            f"{len(fp.conversations)} conversations. Their messages, journal entries, "
            f"deliveries, media, SMS pages and email threads will be erased; conversation, "
            f"event and action rows stay without personal data.")
