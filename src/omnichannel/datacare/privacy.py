"""Privacy requests: find a contact, export everything about them, erase them.

Erasure needs the daemon stopped: adapters keep some state in memory (the email thread map,
the SMS opt-out set) and would write the person back on their next save, and a conversation
lane could file a reply into a conversation being erased.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from omnichannel.config import Config
from omnichannel.datacare import files, ledger
from omnichannel.datacare.errors import UnknownContact
from omnichannel.datacare.lock import daemon_stopped
from omnichannel.store import DB_NAME, Store, snapshot
from omnichannel.store.datacare import ContactMatch, Erased, Footprint, email_of, phone_of

EXPORT_FORMAT = "omnichannel-contact-export/1"


def lookup_values(query: str) -> list[str]:
    """The stored forms an email address or phone number may take."""
    if (email := email_of(query)) is not None:
        return [email]
    if (phone := phone_of(query, True)) is not None:
        return [phone, phone[1:], f"whatsapp:{phone}"]
    return [query.strip()]


async def find(store: Store, query: str) -> list[ContactMatch]:
    return await store.find_contacts(lookup_values(query))


async def export_contact(store: Store, config: Config, contact_id: int,
                         now: float | None = None) -> dict[str, object]:
    """The contact export document (JSON-ready)."""
    doc = await store.contact_export(contact_id)
    fp = await store.footprint(contact_id)
    if doc is None or fp is None:
        raise UnknownContact(f"no contact #{contact_id} in {config.store.state_dir}")
    found = await asyncio.to_thread(_files_of, config, fp)
    out: dict[str, object] = {"format": EXPORT_FORMAT,
                              "exported_at": time.time() if now is None else now,
                              **doc, "files": found}
    readable = _readable(out)
    assert isinstance(readable, dict)
    return readable


@dataclass(slots=True)
class FilesErased:
    media_files: int = 0
    pages: int = 0
    email_threads: int = 0
    opt_outs_hashed: int = 0


@dataclass(slots=True)
class ErasureReport:
    contact_id: int
    rows: Erased
    files: FilesErased
    earlier_copies: list[Path] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        r, f = self.rows, self.files
        lines = [
            f"contact #{self.contact_id} erased: {r.messages} messages, {r.journal} journal "
            f"entries, {r.outbox} deliveries, {r.events} events, {r.actions} actions, "
            f"{r.identities} identities, {r.conversations} conversations, {r.drafts} "
            f"drafts; {r.other_rows} "
            f"other rows that named them scrubbed",
            f"files: {f.media_files} media, {f.pages} SMS full-reply pages, "
            f"{f.email_threads} email threads; {f.opt_outs_hashed} SMS opt-outs kept as a hash",
        ]
        lines += [f"also erased in the set-aside database {p}" for p in self.earlier_copies]
        lines += [f"staff console thread to delete by hand: {ref}" for ref in r.console_refs]
        lines += [f"WARNING: {p} still contains their email or phone; remove it by hand"
                  for p in self.leftovers]
        return "\n".join(lines)


async def footprint(store: Store, contact_id: int) -> Footprint:
    fp = await store.footprint(contact_id)
    if fp is None:
        raise UnknownContact(f"no contact #{contact_id}")
    return fp


async def erase_contact(config: Config, contact_id: int,
                        now: float | None = None) -> ErasureReport:
    """Erase one contact's personal data from the database, its copies and the state files."""
    state_dir = config.store.state_dir
    now = time.time() if now is None else now
    with daemon_stopped(state_dir, "erase a contact"):
        store = Store(state_dir, synchronous=config.store.synchronous)
        await asyncio.to_thread(store.open)
        try:
            fp = await store.footprint(contact_id)
            if fp is None:
                raise UnknownContact(f"no contact #{contact_id} in {state_dir}")
            await asyncio.to_thread(files.check_readable, config)
            # The ledger and the files first, the rows last: until the rows go, running the
            # erasure again finds everything it needs, so an interrupted one can be finished.
            await asyncio.to_thread(ledger.record, state_dir, fp, now)
            gone = await asyncio.to_thread(erase_files, config, fp)
            rows = await store.erase(fp, now)
        finally:
            await asyncio.to_thread(store.close)
        await asyncio.to_thread(snapshot.compact, store.path)
        copies = []
        for copy in _set_aside_databases(state_dir):
            for other in await asyncio.to_thread(reapply, copy, state_dir, now):
                await asyncio.to_thread(erase_files, config, other)
                if copy not in copies:
                    copies.append(copy)
        left = await asyncio.to_thread(files.leftovers, state_dir, fp.needles(),
                                       files.media_roots(config))
    return ErasureReport(contact_id, rows, gone, copies, left)


def reapply(db_path: Path, state_dir: Path, now: float) -> list[Footprint]:
    """Erase again, in the database at `db_path`, every contact the ledger covers (a restored
    backup or a set-aside copy). The daemon must be stopped; returns what was erased."""
    store = Store.at(db_path)
    store.open()
    erased: list[Footprint] = []
    try:
        for contact_id in ledger.matching(state_dir, store.identifiers_sync()):
            fp = store.footprint_sync(contact_id)
            if fp is not None:
                store.erase_sync(fp, now)
                erased.append(fp)
    finally:
        store.close()
    if erased:
        snapshot.compact(db_path)
    return erased


def erase_files(config: Config, fp: Footprint) -> FilesErased:
    state_dir = config.store.state_dir
    done = FilesErased()
    done.media_files, _ = files.remove(files.media_for(config, fp.media_keys))
    done.pages, _ = files.remove(files.full_reply_pages(state_dir, fp.outbox, fp.needles()))
    chats = {chat for _channel, _account, chat in fp.chats}
    for path in files.email_state_files(config):
        done.email_threads += files.scrub_email_state(path, set(fp.emails), chats)
    optouts = files.opt_out_files(state_dir)
    if optouts and fp.phones:
        key = files.secret(state_dir, files.OPT_OUT_SECRET)
        for path in optouts:
            done.opt_outs_hashed += files.hash_opt_outs(path, set(fp.phones), key)
    return done


def _files_of(config: Config, fp: Footprint) -> dict[str, object]:
    """The contact's files, for the export: paths, email threads, opt-out status."""
    state_dir = config.store.state_dir
    media = files.media_for(config, fp.media_keys)
    pages = files.full_reply_pages(state_dir, fp.outbox, fp.needles())
    chats = {chat for _channel, _account, chat in fp.chats}
    threads = []
    for path in files.email_state_files(config):
        data = json.loads(path.read_text())
        threads += [{"thread": cid, **chat} for cid, chat in data.get("chats", {}).items()
                    if cid in chats or str(chat.get("address", "")).lower() in fp.emails]
    opted_out = []
    for path in files.opt_out_files(state_dir):
        entries = {phone_of(str(e), True) for e in json.loads(path.read_text())}
        opted_out += sorted(p for p in fp.phones if p in entries)
    return {"media": [str(p) for p in media], "sms_full_replies": [str(p) for p in pages],
            "email_threads": threads, "sms_opted_out": opted_out}


def _set_aside_databases(state_dir: Path) -> list[Path]:
    return sorted(p for p in state_dir.glob(f"{DB_NAME}.before-restore-*")
                  if not p.name.endswith(("-wal", "-shm", "-journal")))


def _readable(value: object, key: str = "") -> object:
    """Times as ISO 8601 (UTC) strings, recursively."""
    if isinstance(value, dict):
        return {k: _readable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable(v) for v in value]
    if key.endswith("_at") and isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")
    return value
