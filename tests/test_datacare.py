"""Data care: backup and restore under writes, retention, per-contact export and erasure.

Everything goes through the real Store and the real commands; the checks read the SQLite
files and the state directory directly.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import fcntl
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlite_utils

from omnichannel import config as config_mod
from omnichannel.channel import Inbound
from omnichannel.config import Config
from omnichannel.conversation import ActionEntry, Delivery, Role
from omnichannel.datacare import commands, files
from omnichannel.datacare.errors import BadBackup
from omnichannel.datacare.retention import purge, retention_loop
from omnichannel.knowledge.model import Document, Section
from omnichannel.store import DB_NAME, OutMessage, Store, TurnWrite, snapshot
from omnichannel.store import datacare as records
from omnichannel.store.schema import MIGRATIONS
from tests.support import until

DAY = 86400.0
ALICE_EMAIL = "alice.liddell@example.com"
ALICE_PHONE = "+15551230001"
BOB_EMAIL = "bob.builder@example.org"
BOB_PHONE = "+15559870002"
ALICE_WORDS = "my parcel to Wonderland never arrived"
BOB_WORDS = "the drill I bought rattles"


def make_config(tmp_path: Path, retention: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\nstate_dir = "state"\n\n[commerce]\nbackend = "none"\n\n'
                    f"[retention]\n{retention}\n")
    return path


def load(path: Path) -> Config:
    return config_mod.load(path)


def cli(config: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="omnichannel")
    parser.add_argument("--config", default="config.toml")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--config", str(config), *argv])
    return int(args.fn(args))


def inbound(channel: str, sender: str, text: str, ext: str, *, chat: str | None = None,
            email: str | None = None, phone: str | None = None,
            name: str | None = None) -> Inbound:
    return Inbound(channel=channel, account="default", external_id=ext,
                   chat_id=chat or sender, sender_id=sender, text=text, sender_name=name,
                   verified_email=email, verified_phone=phone)


@dataclass
class Seeded:
    alice: int
    bob: int
    bob_sms: int  # Bob's texts came from a number nothing linked to his email: another contact
    alice_convs: list[int]
    bob_conv: int
    alice_sms_outbox: int


async def answer(store: Store, conv: int, text: str, handoff: str | None = None) -> list[int]:
    pending = await store.pending_turn(conv, 10)
    return await store.commit_turn(TurnWrite(
        conversation_id=conv, journal_ids=pending.journal_ids,
        messages=[OutMessage(Role.AGENT, text, chunks=[(text, ())])],
        owner_epoch=pending.conversation.owner_epoch,
        agent_state=json.dumps({"slots": {"email": ALICE_EMAIL if "Alice" in text else ""}}),
        usage={"model": "fake", "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": 0.01},
        handoff_reason=handoff, handoff_summary=f"{text} (summary)" if handoff else None))


async def seed(store: Store, state: Path) -> Seeded:
    """Alice on web chat (signed email and phone), SMS, WhatsApp and email; Bob on email.
    Bob's thread mentions Alice's address; a knowledge document quotes her too."""
    web = await store.journal(inbound("webchat", "sess-a1", f"Hi, {ALICE_WORDS}", "w-1",
                                      email=ALICE_EMAIL, phone=ALICE_PHONE, name="Alice L"))
    await answer(store, web.conversation_id, f"Sorry Alice, I can help ({ALICE_EMAIL}).",
                 handoff="shopper_asked")
    await store.note(web.conversation_id, f"called her back on {ALICE_PHONE}")
    await store.ledger(web.conversation_id).record(ActionEntry(
        tool="find_user_id_by_email", args={"email": ALICE_EMAIL}, outcome="alice_1234",
        approved_by=None, customer_id="alice_1234"))
    await store.ledger(web.conversation_id).record(ActionEntry(
        tool="cancel_pending_order", args={"order_id": "#W100", "reason": "no longer needed",
                                           "address": "1 Rabbit Hole"},
        outcome="order #W100 cancelled for Alice", approved_by="shopper",
        customer_id="alice_1234", order_id="#W100", refund=42.0))
    sms = await store.journal(inbound("sms", ALICE_PHONE, f"STOP {ALICE_WORDS}", "SMalice01",
                                      phone=ALICE_PHONE))
    [sms_out] = await answer(store, sms.conversation_id, "Alice, here is the whole story " * 3)
    wa = await store.journal(inbound("whatsapp", f"whatsapp:{ALICE_PHONE}", "[image] (photo)",
                                     "SMalice02", phone=ALICE_PHONE))
    mail = await store.journal(inbound("email", ALICE_EMAIL, f"Re: order {ALICE_WORDS}",
                                       "<a1@mail.example.com>", chat="thread-alice",
                                       email=ALICE_EMAIL))
    bob = await store.journal(inbound("email", BOB_EMAIL, f"{BOB_WORDS}; my friend "
                                      f"{ALICE_EMAIL} says hi", "<b1@mail.example.org>",
                                      chat="thread-bob", email=BOB_EMAIL, name="Bob B"))
    await answer(store, bob.conversation_id, "Bob, we will send a new drill.")
    bob_sms = await store.journal(inbound("sms", BOB_PHONE, BOB_WORDS, "SMbob01",
                                          phone=BOB_PHONE))
    await store.index_document(Document(
        source="transcripts/faq.md", title="Parcel questions", sha256="x1",
        sections=[Section("Lost parcels", f"Write to us like {ALICE_EMAIL} did."),
                  Section("Drills", "Rattling drills are replaced for free.")]))
    await store.db.write(_console_rows, web.conversation_id)
    convs = await store.list_conversations(limit=100)
    alice = (await store.conversation(web.conversation_id)).contact_id  # type: ignore[union-attr]
    bob_contact = (await store.conversation(bob.conversation_id)).contact_id  # type: ignore[union-attr]
    alice_convs = sorted(c.id for c in convs if c.id in {web.conversation_id,
                         sms.conversation_id, wa.conversation_id, mail.conversation_id})

    # the adapters' files
    media = state / "media"
    (media / "sms").mkdir(parents=True)
    (media / "sms" / "SMalice01-0.jpg").write_bytes(b"\xff\xd8alice-photo")
    (media / "sms" / "SMbob01-0.jpg").write_bytes(b"\xff\xd8bob-photo")
    (media / "whatsapp").mkdir()
    (media / "whatsapp" / "SMalice02-0.png").write_bytes(b"\x89PNGalice")
    (state / "email-default.json").write_text(json.dumps({
        "uidvalidity": 7, "last_uid": 12, "saved_at": 1.0,
        "ids": {"<a1@mail.example.com>": "thread-alice", "<b1@mail.example.org>": "thread-bob"},
        "chats": {"thread-alice": {"address": ALICE_EMAIL, "subject": "order",
                                   "last_id": "<a1@mail.example.com>", "refs": []},
                  "thread-bob": {"address": BOB_EMAIL, "subject": "drill",
                                 "last_id": "<b1@mail.example.org>", "refs": []}}}))
    (state / "sms-opt-outs-default.json").write_text(json.dumps([ALICE_PHONE, BOB_PHONE]))
    files.secret(state, "sms-sms-full-reply")
    key = bytes.fromhex((state / "secrets" / "sms-sms-full-reply").read_text())
    token = base64.urlsafe_b64encode(hmac.new(key, b"sms-full-reply:%d" % sms_out,
                                              hashlib.sha256).digest()[:12]).decode()
    (state / "sms-full-replies").mkdir()
    (state / "sms-full-replies" / f"{token}.txt").write_text("the whole reply for her")
    (state / "sms-full-replies" / "BobBobBobBobBob1.txt").write_text("the whole reply for Bob")
    bob_texts = (await store.conversation(bob_sms.conversation_id)).contact_id  # type: ignore[union-attr]
    return Seeded(alice, bob_contact, bob_texts, alice_convs, bob.conversation_id, sms_out)


def _console_rows(conn: sqlite3.Connection, conversation_id: int) -> None:
    """The staff console's rows about Alice, where its tables exist (schema v3)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if "staff_threads" in tables:
        conn.execute("INSERT INTO staff_threads VALUES (?, 'C0SUPPORT', '1700000000.000100', 0)",
                     (conversation_id,))
    if "drafts" in tables:
        conn.execute("INSERT INTO drafts (conversation_id, category, mode, text, proposed, "
                     "status, created_at) VALUES (?, 'refund', 'assisted', ?, ?, 'pending', 0)",
                     (conversation_id, f"Dear Alice, about {ALICE_WORDS}",
                      json.dumps({"email": ALICE_EMAIL})))
    if "staff_pending" in tables:
        conn.execute("INSERT INTO staff_pending VALUES ('k1', ?, ?, 'sam', 0)",
                     (conversation_id, f"ring {ALICE_PHONE} about {ALICE_WORDS}"))


async def open_store(state: Path) -> Store:
    store = Store(state)
    await asyncio.to_thread(store.open)
    return store


def seed_sync(config: Path) -> Seeded:
    async def go() -> Seeded:
        state = load(config).store.state_dir
        store = await open_store(state)
        try:
            return await seed(store, state)
        finally:
            await asyncio.to_thread(store.close)

    return asyncio.run(go())


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def rows_mentioning(db: Path, needles: list[str]) -> list[str]:
    """table.column of every value (text or blob, every table including the FTS shadow
    tables) that holds one of `needles`."""
    hits = []
    conn = raw(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'table'")]
        assert "knowledge_content" in tables and "knowledge_data" in tables
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for col in row.keys():
                    value = row[col]
                    data = value if isinstance(value, bytes) else str(value).encode()
                    if any(n.lower().encode() in data.lower() for n in needles):
                        hits.append(f"{table}.{col}={value!r:.80}")
    finally:
        conn.close()
    return hits


def files_mentioning(folder: Path, needles: list[str]) -> list[str]:
    return [str(p) for p in sorted(folder.rglob("*")) if p.is_file()
            and any(n.lower().encode() in p.read_bytes().lower() for n in needles)]


def counts(db: Path) -> dict[str, int]:
    conn = raw(db)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in (
            "contacts", "identities", "conversations", "messages", "journal", "outbox",
            "events", "actions")}
    finally:
        conn.close()


ALICE_NEEDLES = [ALICE_EMAIL, ALICE_PHONE, ALICE_PHONE.lstrip("+")]
BOB_NEEDLES = [BOB_EMAIL, BOB_PHONE, BOB_WORDS]


# backup and restore
async def test_backup_under_writes_holds_a_consistent_prefix_and_restores(
        tmp_path: Path) -> None:
    config = make_config(tmp_path)
    state = load(config).store.state_dir
    store = await open_store(state)
    written: list[int] = []
    stop = asyncio.Event()

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            # a new conversation every 50 messages: journal, contact, identity, message rows
            await store.journal(inbound("sms", f"+1555000{i // 50:04d}", "x" * 400 + str(i),
                                        f"SM{i:06d}"))
            written.append(i)
            i += 1

    task = asyncio.create_task(writer())
    try:
        await until(lambda: len(written) >= 1500)
        before = len(written)
        snap = await asyncio.to_thread(snapshot.backup, state / DB_NAME, tmp_path / "b.db")
        after = len(written)
        await until(lambda: len(written) >= after + 100)  # the writer never stalled
    finally:
        stop.set()
        await task
        await asyncio.to_thread(store.close)
    assert after > before, "the daemon's writes went on while the backup ran"

    conn = raw(tmp_path / "b.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert (tmp_path / "b.db").stat().st_mode & 0o777 == 0o600
    ids = sorted(int(r[0][2:]) for r in conn.execute("SELECT external_id FROM journal"))
    assert ids == list(range(len(ids))) and before <= len(ids) <= after  # a prefix
    # every journal row has its message, conversation and contact: whole transactions only
    whole = conn.execute("SELECT COUNT(*) FROM journal j JOIN messages m ON m.id = j.message_id "
                         "JOIN conversations c ON c.id = j.conversation_id").fetchone()[0]
    assert whole == len(ids)
    assert snap.messages == len(ids) and snap.schema_version == len(MIGRATIONS)
    conn.close()
    assert not await asyncio.to_thread(Path.exists, tmp_path / "b.db-wal")

    total = counts(state / DB_NAME)["journal"]
    assert total == len(written) > len(ids)
    assert await asyncio.to_thread(cli, config, "restore", str(tmp_path / "b.db")) == 0
    assert counts(state / DB_NAME)["journal"] == len(ids)
    [kept] = state.glob(f"{DB_NAME}.before-restore-*")
    assert counts(kept)["journal"] == total
    # the restored database opens and takes writes through the real store
    store = await open_store(state)
    try:
        await store.journal(inbound("sms", "+15550009999", "after restore", "SMafter"))
    finally:
        await asyncio.to_thread(store.close)
    assert counts(state / DB_NAME)["journal"] == len(ids) + 1


def test_restore_after_a_crash_keeps_the_old_wal_with_the_old_database(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    state = load(config).store.state_dir
    seed_sync(config)
    assert cli(config, "backup", str(tmp_path)) == 0
    [backup] = tmp_path.glob("omnichannel-*.db")
    # a daemon killed mid-flight: committed rows only in the -wal, -shm beside it
    crash = ("import sqlite3, os, sys\n"
             "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
             "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA wal_autocheckpoint=0')\n"
             "for i in range(50):\n"
             "    c.execute(\"INSERT INTO events (kind, detail, created_at) VALUES "
             "('crash', '{}', 0)\")\n"
             "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", crash, str(state / DB_NAME)], check=True)
    wal = state / f"{DB_NAME}-wal"
    assert wal.stat().st_size > 0 and (state / f"{DB_NAME}-shm").exists()

    assert cli(config, "restore", str(backup)) == 0
    assert not wal.exists() and not (state / f"{DB_NAME}-shm").exists()
    conn = raw(state / DB_NAME)
    assert conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'crash'").fetchone()[0] == 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    [kept] = [p for p in state.glob(f"{DB_NAME}.before-restore-*")]
    old = raw(kept)
    assert old.execute("SELECT COUNT(*) FROM events WHERE kind = 'crash'").fetchone()[0] == 50
    old.close()


def test_restore_refuses_while_the_daemon_holds_the_lock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    state = load(config).store.state_dir
    seeded = seed_sync(config)
    assert cli(config, "backup", str(tmp_path / "b.db")) == 0
    before = (state / DB_NAME).read_bytes()
    fd = os.open(state / "omnichannel.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what the running daemon holds
    try:
        capsys.readouterr()
        assert cli(config, "restore", str(tmp_path / "b.db")) == 1
        assert "is running" in capsys.readouterr().err
        assert cli(config, "contact", "erase", str(seeded.alice), "--yes") == 1
        assert "stop it before you erase a contact" in capsys.readouterr().err
    finally:
        os.close(fd)
    assert (state / DB_NAME).read_bytes() == before
    assert not list(state.glob("*.before-restore-*"))
    assert cli(config, "restore", str(tmp_path / "b.db")) == 0  # lock released: it goes ahead


def test_restore_rejects_bad_backups_and_migrates_older_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    state = load(config).store.state_dir
    seed_sync(config)
    good = tmp_path / "good.db"
    assert cli(config, "backup", str(good)) == 0
    assert cli(config, "backup", str(good)) == 1  # never overwritten silently
    live = (state / DB_NAME).read_bytes()

    scribbled = tmp_path / "scribbled.db"
    data = bytearray(good.read_bytes())
    page = 4096
    for p in range(2, len(data) // page):  # noise over every b-tree page but the schema
        data[p * page + 8:p * page + 200] = os.urandom(192)
    scribbled.write_bytes(bytes(data))
    # one flipped letter in an index entry: readable, but the index no longer fits the table
    corrupt = tmp_path / "corrupt.db"
    conn = sqlite3.connect(good)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND "
                        "tbl_name = 'contacts'").fetchone()[0]
    conn.close()
    data = bytearray(good.read_bytes())
    at = data.index(ALICE_EMAIL.encode(), (root - 1) * page, root * page)
    data[at] = ord("b")
    corrupt.write_bytes(bytes(data))
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    newer = tmp_path / "newer.db"
    newer.write_bytes(good.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 0)")
    conn.commit()
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, " * 100)

    cases = {tmp_path / "missing.db": "no such backup file", corrupt: "integrity check failed",
             scribbled: "malformed",
             foreign: "not an omnichannel database", newer: "schema version 99 is newer",
             text: "not a readable SQLite database"}
    for path, why in cases.items():
        capsys.readouterr()
        assert cli(config, "restore", str(path)) == 1, path
        assert why in capsys.readouterr().err, path
    with pytest.raises(BadBackup, match="integrity check failed"):
        snapshot.restore(corrupt, state / DB_NAME)
    assert (state / DB_NAME).read_bytes() == live
    assert sorted(p.name for p in state.iterdir() if "restor" in p.name) == []

    # a backup written by the first release (schema v1) is migrated as it is restored
    older = tmp_path / "older.db"
    conn = sqlite3.connect(older, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)")
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("INSERT INTO schema_migrations VALUES (1, 0)")
    conn.execute("INSERT INTO conversations (id, channel, account, chat_id) VALUES "
                 "(1, 'sms', 'default', '+15550001111')")
    conn.execute("INSERT INTO messages (conversation_id, direction, role, text) VALUES "
                 "(1, 'in', 'customer', 'from the first release')")
    conn.close()
    capsys.readouterr()
    assert cli(config, "restore", str(older)) == 0
    assert f"schema v1 -> v{len(MIGRATIONS)}" in capsys.readouterr().out
    conn = raw(state / DB_NAME)
    assert tuple(conn.execute("SELECT text, purged FROM messages").fetchone()) == (
        "from the first release", 0)
    conn.close()


# privacy
def test_every_table_has_a_declared_erasure_treatment(tmp_path: Path) -> None:
    """A table added to the schema must say what erasure does with it (records.TABLES)."""
    store = Store(tmp_path)
    store.open()
    store.close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name "
                        "NOT LIKE 'sqlite_%' AND name != 'schema_migrations'").fetchall()
    conn.close()
    fts = [name for name, sql in rows if "fts5" in sql.lower()]
    tables = {name for name, _sql in rows
              if not any(name.startswith(f + "_") for f in fts)}
    assert tables - set(records.TABLES) == set()


def test_contact_find_by_email_or_phone_in_any_spelling(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    seeded = seed_sync(config)
    for query in (ALICE_EMAIL.upper(), "+1 (555) 123-0001", "0015551230001",
                  f"whatsapp:{ALICE_PHONE}"):
        capsys.readouterr()
        assert cli(config, "contact", "find", query) == 0, query
        out = capsys.readouterr().out.splitlines()
        assert [line.split()[0] for line in out] == [f"#{seeded.alice}"], (query, out)
    assert cli(config, "contact", "find", BOB_PHONE) == 0
    assert capsys.readouterr().out.split()[0] == f"#{seeded.bob_sms}"
    assert cli(config, "contact", "find", "nobody@example.net") == 1
    assert "no contact matches" in capsys.readouterr().err


def test_export_holds_everything_about_the_contact_and_nothing_about_another(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    state = load(config).store.state_dir
    seeded = seed_sync(config)
    out = tmp_path / "alice.json"
    assert cli(config, "contact", "export", str(seeded.alice), "--out", str(out)) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    text = out.read_text()
    doc = json.loads(text)

    assert doc["format"] == "omnichannel-contact-export/1"
    assert doc["contact"]["email"] == ALICE_EMAIL and doc["contact"]["phone"] == ALICE_PHONE
    assert doc["contact"]["created_at"].endswith("+00:00")
    assert sorted(i["channel"] for i in doc["identities"]) == ["email", "sms", "webchat",
                                                               "whatsapp"]
    assert [c["id"] for c in doc["conversations"]] == seeded.alice_convs
    texts = [m["text"] for c in doc["conversations"] for m in c["messages"]]
    db = raw(state / DB_NAME)
    marks = ",".join("?" * len(seeded.alice_convs))
    stored = [r[0] for r in db.execute(f"SELECT text FROM messages WHERE conversation_id IN "
                                       f"({marks}) ORDER BY conversation_id, id",
                                       seeded.alice_convs)]
    n_events, n_actions = (db.execute(f"SELECT COUNT(*) FROM {t} WHERE conversation_id IN "
                                      f"({marks})", seeded.alice_convs).fetchone()[0]
                           for t in ("events", "actions"))
    db.close()
    assert texts == stored and any(ALICE_WORDS in t for t in texts)
    assert any(f"called her back on {ALICE_PHONE}" == t for t in texts)  # staff notes too
    assert sum(len(c["events"]) for c in doc["conversations"]) == n_events > 0
    actions = [a for c in doc["conversations"] for a in c["actions"]]
    assert len(actions) == n_actions == 2 and actions[1]["refund"] == 42.0
    assert actions[0]["args"] == {"email": ALICE_EMAIL}
    assert any(e["kind"] == "handoff" for c in doc["conversations"] for e in c["events"])
    assert len(doc["journal"]) == 4
    assert sorted(Path(p).name for p in doc["files"]["media"]) == ["SMalice01-0.jpg",
                                                                  "SMalice02-0.png"]
    assert len(doc["files"]["sms_full_replies"]) == 1
    assert [t["thread"] for t in doc["files"]["email_threads"]] == ["thread-alice"]
    assert doc["files"]["sms_opted_out"] == [ALICE_PHONE]
    for needle in [*BOB_NEEDLES, "thread-bob", "SMbob01", "Bob B", "new drill"]:
        assert needle.lower() not in text.lower(), needle

    capsys.readouterr()
    assert cli(config, "contact", "export", str(seeded.alice)) == 0
    assert json.loads(capsys.readouterr().out)["contact"]["id"] == seeded.alice
    assert cli(config, "contact", "export", "4242") == 1
    assert "no contact #4242" in capsys.readouterr().err


def test_erasure_leaves_no_trace_of_the_contact_anywhere_and_keeps_analytics(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = make_config(tmp_path)
    state = load(config).store.state_dir
    seeded = seed_sync(config)
    assert cli(config, "backup", str(tmp_path / "before-erasure.db")) == 0
    db = state / DB_NAME
    assert rows_mentioning(db, ALICE_NEEDLES) and files_mentioning(state, ALICE_NEEDLES)
    before = counts(db)

    capsys.readouterr()
    assert cli(config, "contact", "erase", str(seeded.alice)) == 1  # no --yes, no terminal
    assert "pass --yes" in capsys.readouterr().err
    assert cli(config, "contact", "erase", str(seeded.alice), "--yes") == 0
    report = capsys.readouterr().out
    assert f"contact #{seeded.alice} erased" in report and "WARNING" not in report

    assert rows_mentioning(db, ALICE_NEEDLES) == []
    assert files_mentioning(state, ALICE_NEEDLES) == []
    assert rows_mentioning(db, [ALICE_WORDS, "Alice L", "1 Rabbit Hole"]) == []
    assert counts(db) == before  # every analytics row stays
    conn = raw(db)
    marks = ",".join("?" * len(seeded.alice_convs))
    assert {tuple(r) for r in conn.execute(
        f"SELECT text, purged FROM messages WHERE conversation_id IN ({marks})",
        seeded.alice_convs)} == {("", 1)}
    assert tuple(conn.execute("SELECT name, email, phone, erased_at IS NOT NULL FROM contacts "
                              "WHERE id = ?", (seeded.alice,)).fetchone()) == (None, None, None, 1)
    kept = conn.execute(f"SELECT tool, order_id, refund, json_extract(args, '$.order_id'), "
                        f"json_extract(args, '$.address') FROM actions WHERE conversation_id "
                        f"IN ({marks}) AND refund > 0", seeded.alice_convs).fetchone()
    assert tuple(kept) == ("cancel_pending_order", "#W100", 42.0, "#W100", "[erased]")
    usage = conn.execute(f"SELECT SUM(json_extract(detail, '$.cost_usd')) FROM events WHERE "
                         f"kind = 'llm_usage' AND conversation_id IN ({marks})",
                         seeded.alice_convs).fetchone()[0]
    assert usage == pytest.approx(0.02)
    # Bob is untouched, except that the mention of Alice in his message is gone
    assert conn.execute("SELECT email FROM contacts WHERE id = ?",
                        (seeded.bob,)).fetchone()[0] == BOB_EMAIL
    assert conn.execute("SELECT text FROM messages WHERE conversation_id = ? ORDER BY id",
                        (seeded.bob_conv,)).fetchone()[0] == f"{BOB_WORDS}; my friend " \
        "[erased] says hi"
    conn.close()
    assert (state / "media" / "sms" / "SMbob01-0.jpg").exists()
    assert not (state / "media" / "sms" / "SMalice01-0.jpg").exists()
    assert [p.name for p in (state / "sms-full-replies").iterdir()] == ["BobBobBobBobBob1.txt"]
    mail = json.loads((state / "email-default.json").read_text())
    assert list(mail["chats"]) == ["thread-bob"] and list(mail["ids"].values()) == ["thread-bob"]
    # the opt-out is still honoured: a keyed hash of the number stays on the list
    key = bytes.fromhex((state / "secrets" / "sms-opt-out").read_text())
    assert sorted(json.loads((state / "sms-opt-outs-default.json").read_text())) == sorted(
        [BOB_PHONE, files.opt_out_digest(key, ALICE_PHONE)])

    async def still_searchable() -> list[str]:
        store = await open_store(state)
        try:
            return [p.body for p in await store.search("rattling drills")]
        finally:
            await asyncio.to_thread(store.close)

    assert asyncio.run(still_searchable()) == ["Rattling drills are replaced for free."]

    # Restoring the backup from before the erasure erases her again at once.
    assert cli(config, "restore", str(tmp_path / "before-erasure.db")) == 0
    assert "erased again" in capsys.readouterr().out
    assert rows_mentioning(db, ALICE_NEEDLES) == []
    assert files_mentioning(state, ALICE_NEEDLES) == []
    assert rows_mentioning(db, BOB_NEEDLES[:2])  # Bob came back with the backup
    # An erasure also reaches the databases a restore set aside.
    assert cli(config, "restore", str(tmp_path / "before-erasure.db")) == 0
    capsys.readouterr()
    assert cli(config, "contact", "erase", str(seeded.bob), "--yes") == 0
    assert "set-aside database" in capsys.readouterr().out
    assert cli(config, "contact", "erase", str(seeded.bob_sms), "--yes") == 0
    assert files_mentioning(state, [BOB_EMAIL, BOB_PHONE]) == []
    assert cli(config, "contact", "erase", "4242", "--yes") == 1


# retention
def _decided_drafts(conn: sqlite3.Connection, old: int, new: int) -> bool:
    """An approved draft in each conversation, where the console's tables exist."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'drafts'").fetchone():
        return False
    for conv in (old, new):
        conn.execute("INSERT INTO drafts (conversation_id, category, mode, text, final_text, "
                     "status, created_at, decided_at) VALUES (?, 'faq', 'assisted', "
                     "'draft words', 'draft words sent', 'approved', ?, ?)",
                     (conv, time.time(), time.time()))
    return True


async def age(db: Path, conversation_id: int, days: float) -> None:
    """Make one conversation's rows `days` old (the store stamps rows with time.time())."""
    when = time.time() - days * DAY

    def go() -> None:
        conn = sqlite3.connect(db, timeout=30)
        with conn:
            conn.execute("UPDATE messages SET created_at = ? WHERE conversation_id = ?",
                         (when, conversation_id))
            conn.execute("UPDATE journal SET received_at = ? WHERE conversation_id = ?",
                         (when, conversation_id))
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            for table in ("outbox", "events", "actions", "drafts"):
                if table not in tables:
                    continue
                conn.execute(f"UPDATE {table} SET created_at = ? WHERE conversation_id = ?",
                             (when, conversation_id))
            conn.execute("UPDATE conversations SET created_at = ?, updated_at = ? WHERE id = ?",
                         (when, when, conversation_id))
        conn.close()

    await asyncio.to_thread(go)


async def test_retention_purges_old_bodies_and_media_and_keeps_the_rest(
        tmp_path: Path) -> None:
    config_path = make_config(tmp_path, "message_days = 30\ninterval_hours = 0.0005")
    config = load(config_path)
    state = config.store.state_dir
    db = state / DB_NAME
    store = await open_store(state)
    try:
        old = await store.journal(inbound("sms", "+15550000001", "old secret words", "SMold"))
        [sent] = await answer(store, old.conversation_id, "old reply", handoff="shopper_asked")
        await store.finish(sent, Delivery.SENT, platform_message_id="SMreply")
        await store.note(old.conversation_id, "old staff note")
        [queued] = await store.queue_message(old.conversation_id, Role.STAFF, "still queued",
                                             [("still queued", ())])
        pending = await store.journal(inbound("sms", "+15550000002", "old but unanswered",
                                              "SMpending"))
        new = await store.journal(inbound("sms", "+15550000003", "fresh words", "SMnew"))
        await answer(store, new.conversation_id, "fresh reply")
        drafts = await store.db.write(_decided_drafts, old.conversation_id, new.conversation_id)
        for conv in (old.conversation_id, pending.conversation_id):
            await age(db, conv, 40)
        media = state / "media" / "sms"
        media.mkdir(parents=True)
        for name, days in (("SMold-0.jpg", 40), ("SMnew-0.jpg", 1), (".SMold-1.part", 40)):
            (media / name).write_bytes(b"x" * 1000)
            os.utime(media / name, (time.time() - days * DAY,) * 2)
        pages = state / "sms-full-replies"
        pages.mkdir()
        for name, days in (("OldOldOldOldOld1.txt", 40), ("NewNewNewNewNew1.txt", 1)):
            (pages / name).write_text("a reply")
            os.utime(pages / name, (time.time() - days * DAY,) * 2)
        before = counts(db)

        dry = await purge(store, config, dry_run=True)
        # the unanswered message and its journal entry wait for the agent, however old
        assert dry.rows == {"messages": 4, "journal": 1, "outbox": 1, "events": 2,
                            "conversations": 1, **({"drafts": 1} if drafts else {})}
        assert (dry.media_files, dry.media_bytes, dry.pages) == (2, 2000, 1)
        assert (media / "SMold-0.jpg").exists() and counts(db) == before
        assert "would purge" in dry.summary()

        assert await asyncio.to_thread(cli, config_path, "purge", "--dry-run") == 0
        task = asyncio.create_task(retention_loop(store, config))
        try:
            await until(lambda: not (media / "SMold-0.jpg").exists(), timeout=10)

            def purged_texts() -> list[tuple[str, int]]:
                conn = raw(db)
                try:
                    return [tuple(r) for r in conn.execute(
                        "SELECT text, purged FROM messages WHERE conversation_id = ? "
                        "ORDER BY id", (old.conversation_id,))]
                finally:
                    conn.close()

            await until(lambda: purged_texts() == [("", 1)] * 4, timeout=10)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    finally:
        await asyncio.to_thread(store.close)

    assert counts(db) == before  # the analytics rows all stay
    conn = raw(db)
    assert [r[0] for r in conn.execute("SELECT text FROM messages WHERE conversation_id = ? "
                                       "ORDER BY id", (new.conversation_id,))] == [
        "fresh words", "fresh reply"]
    assert conn.execute("SELECT payload FROM journal WHERE external_id = 'SMold'"
                        ).fetchone()[0] == "{}"
    assert "old but unanswered" in conn.execute(
        "SELECT payload FROM journal WHERE external_id = 'SMpending'").fetchone()[0]
    assert conn.execute("SELECT text FROM messages WHERE conversation_id = ?",
                        (pending.conversation_id,)).fetchone()[0] == "old but unanswered"
    assert tuple(conn.execute("SELECT text, status FROM outbox WHERE id = ?",
                              (queued,)).fetchone()) == ("still queued", Delivery.QUEUED.value)
    handoff = json.loads(conn.execute("SELECT detail FROM events WHERE kind = 'handoff'"
                                      ).fetchone()[0])
    assert handoff == {"reason": "shopper_asked"}
    assert conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'llm_usage'").fetchone()[0] == 2
    assert conn.execute("SELECT agent_state FROM conversations WHERE id = ?",
                        (old.conversation_id,)).fetchone()[0] is None
    assert conn.execute("SELECT agent_state FROM conversations WHERE id = ?",
                        (new.conversation_id,)).fetchone()[0] is not None
    conn.close()
    assert rows_mentioning(db, ["old secret words", "old reply", "old staff note"]) == []
    if drafts:
        conn = raw(db)
        assert [r[0] for r in conn.execute("SELECT text FROM drafts ORDER BY id")] == [
            "", "draft words"]
        conn.close()
    assert sorted(p.name for p in media.iterdir()) == ["SMnew-0.jpg"]
    assert sorted(p.name for p in pages.iterdir()) == ["NewNewNewNewNew1.txt"]


async def test_retention_off_returns_at_once_and_purge_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_path = make_config(tmp_path)
    config = load(config_path)
    store = await open_store(config.store.state_dir)
    try:
        await asyncio.wait_for(retention_loop(store, config), timeout=1)
    finally:
        await asyncio.to_thread(store.close)
    assert await asyncio.to_thread(cli, config_path, "purge") == 0
    assert "retention is off" in capsys.readouterr().out
    assert await asyncio.to_thread(cli, config_path, "purge", "--days", "0") == 1
    assert "--days must be at least 1" in capsys.readouterr().err
