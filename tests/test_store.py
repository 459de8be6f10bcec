"""The store's writer: group commit with per-operation savepoints, checkpoints off the
commit path."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from omnichannel.store.db import Database


def _schema(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER UNIQUE)")


async def test_one_failing_operation_rolls_back_alone(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.db")
    db.open(_schema)
    try:
        def put(conn: sqlite3.Connection, v: int) -> int:
            conn.execute("INSERT INTO t (v) VALUES (?)", (v,))
            return v

        results = await asyncio.gather(*(db.write(put, v) for v in (1, 2, 2, 3)),
                                       return_exceptions=True)
        assert results[:2] == [1, 2] and isinstance(results[2], sqlite3.IntegrityError)
        assert results[3] == 3
        rows = await db.read(lambda c: [r[0] for r in c.execute("SELECT v FROM t ORDER BY v")])
        assert rows == [1, 2, 3]
    finally:
        db.close()


async def test_wal_is_checkpointed_when_the_writer_is_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omnichannel.store import db as db_module

    calls: list[int] = []
    real = db_module._checkpoint

    def spy(conn: sqlite3.Connection) -> None:
        calls.append(1)
        real(conn)

    monkeypatch.setattr(db_module, "_checkpoint", spy)
    db = Database(tmp_path / "x.db")
    db.open(_schema)
    try:
        auto = await db.write(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        assert auto == 0  # never inside a shopper's commit
        for v in range(50):
            await db.write(lambda c, v=v: c.execute("INSERT INTO t (v) VALUES (?)", (v,)))
        assert calls == []
        await asyncio.sleep(1.6)  # idle for more than a second
        assert calls == [1]
    finally:
        db.close()


async def test_a_vouched_phone_on_two_channels_is_one_contact(tmp_path: Path) -> None:
    from omnichannel.channel import Inbound
    from omnichannel.store import Store

    store = Store(tmp_path)
    store.open()
    try:
        sms = await store.journal(Inbound("sms", "default", "SM1", "+15550100", "+15550100",
                                          "hi", verified_phone="+15550100"))
        wa = await store.journal(Inbound("whatsapp", "default", "SM2", "whatsapp:+15550100",
                                         "whatsapp:+15550100", "hi",
                                         verified_phone="+15550100"))
        other = await store.journal(Inbound("sms", "default", "SM3", "+15550199", "+15550199",
                                            "hi"))  # not vouched: never merged
        a = await store.conversation(sms.conversation_id)
        b = await store.conversation(wa.conversation_id)
        c = await store.conversation(other.conversation_id)
        assert a and b and c and a.contact_id == b.contact_id != c.contact_id
        assert await store.other_channels(sms.conversation_id) == [
            (wa.conversation_id, "whatsapp")]
    finally:
        store.close()


async def test_a_phone_vouched_later_verifies_the_contact_once(tmp_path: Path) -> None:
    from omnichannel.channel import Inbound
    from omnichannel.store import Store

    store = Store(tmp_path)
    store.open()

    def contact(conn, cid):  # type: ignore[no-untyped-def]
        return tuple(conn.execute("SELECT phone, phone_verified FROM contacts WHERE id = ?",
                                  (cid,)).fetchone())

    try:
        first = await store.journal(Inbound("telegram", "default", "u1", "42", "42", "hi"))
        conv = await store.conversation(first.conversation_id)
        assert conv is not None
        assert await store.db.read(contact, conv.contact_id) == (None, 0)
        await store.journal(Inbound("telegram", "default", "u2", "42", "42", "[contact]",
                                    verified_phone="+15550123"))
        assert await store.db.read(contact, conv.contact_id) == ("+15550123", 1)
        await store.journal(Inbound("telegram", "default", "u3", "42", "42", "[contact]",
                                    verified_phone="+15550999"))  # never replaces it
        assert await store.db.read(contact, conv.contact_id) == ("+15550123", 1)
    finally:
        store.close()


def test_state_dir_and_database_are_private_under_a_loose_umask(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run by hand with umask 022 the database was 0644 in a 0755 directory."""
    import os
    import stat

    from omnichannel.store import Store

    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    old = os.umask(0o022)
    try:
        store = Store(state)
        store.open()
        wal = state / "omnichannel.db-wal"
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in state.iterdir()
                 if p.name.startswith("omnichannel.db")}
        store.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert "omnichannel.db" in modes and wal.name in modes, modes  # WAL mode: both exist
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes
