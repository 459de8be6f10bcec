"""Whole-database operations: online backup, checked restore, compaction.

A backup is taken with SQLite's online backup API from a connection of its own, in one
step: the step reads one snapshot (WAL lets the daemon keep committing meanwhile), so the
copy holds exactly the transactions committed before it began. A file copy could tear a
page or miss what still sits in the -wal file. Backups are written in rollback-journal mode
so each is one self-contained file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path

from omnichannel.store.db import connect
from omnichannel.store.schema import MIGRATIONS, migrate


class BadBackup(ValueError):
    """A backup file that is missing, unreadable, corrupt or from a newer release."""

_SIDECARS = ("-wal", "-shm", "-journal")
_CORE_TABLES = ("contacts", "identities", "conversations", "messages", "journal", "outbox")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a checked database file holds."""

    path: Path
    schema_version: int
    contacts: int
    conversations: int
    messages: int
    size: int


@dataclass(frozen=True, slots=True)
class Restored:
    snapshot: Snapshot
    source: Path
    backup_version: int
    kept: Path | None  # the replaced database, renamed


def backup(db_path: Path, dest: Path) -> Snapshot:
    """Copy the live database at `db_path` to `dest` (a new file) and check the copy."""
    if not db_path.is_file():
        raise BadBackup(f"no database at {db_path}: nothing to back up (has the daemon or "
                        "`omnichannel init` run with this config?)")
    part = dest.with_name(f".{dest.name}.part")
    _remove_with_sidecars(part)
    src = connect(db_path)
    try:
        _private(part)  # it holds every conversation: readable by the owner only
        dst = sqlite3.connect(part, isolation_level=None)
        try:
            src.backup(dst)  # pages=-1: the whole file from one read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
            snap = inspect(dst, dest)
        finally:
            dst.close()
    except BaseException:
        _remove_with_sidecars(part)
        raise
    finally:
        src.close()
    _fsync(part)
    os.replace(part, dest)
    _fsync(dest.parent)
    return snap


def inspect(conn: sqlite3.Connection, path: Path) -> Snapshot:
    """Integrity check and schema version of an open database; BadBackup when either fails."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    if problems != ["ok"]:
        raise BadBackup(f"{path}: integrity check failed: " + "; ".join(problems[:5]))
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in ("schema_migrations", *_CORE_TABLES) if t not in tables]
    if missing:
        raise BadBackup(f"{path}: not an omnichannel database (no {', '.join(missing)} table)")
    version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    contacts, conversations, messages = (
        int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
        for t in ("contacts", "conversations", "messages"))
    size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute(
        "PRAGMA page_size").fetchone()[0]
    return Snapshot(path, int(version[0]), contacts, conversations, messages, size)


def restore(source: Path, db_path: Path, *, now: float | None = None) -> Restored:
    """Replace the database at `db_path` with the backup at `source`.

    The caller holds the daemon's lock. The backup is read through SQLite into a staging
    file next to the database, checked (integrity, schema version not newer than this
    release) and migrated; only then is the current database folded into one file and kept
    as `<name>.before-restore-<timestamp>`, and the staged file renamed into place. No
    -wal or -shm file of the old database is left beside the new one, where SQLite would
    replay it into the restored file.
    """
    if not source.is_file():
        raise BadBackup(f"{source}: no such backup file")
    if source.resolve() == db_path.resolve():
        raise BadBackup(f"{source} is the live database itself, not a backup")
    staged = db_path.with_name(db_path.name + ".restoring")
    _remove_with_sidecars(staged)
    try:
        snap = _stage(source, staged)
        dst = sqlite3.connect(staged, isolation_level=None)
        try:
            version = migrate(dst)  # an older backup is brought up to date here, not later
        finally:
            dst.close()
    except BaseException:
        _remove_with_sidecars(staged)
        raise
    _fsync(staged)
    kept = _set_aside(db_path, now if now is not None else time.time())
    os.replace(staged, db_path)
    _fsync(db_path.parent)
    return Restored(replace(snap, schema_version=version), source, snap.schema_version, kept)


def _stage(source: Path, staged: Path) -> Snapshot:
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BadBackup(f"{source}: cannot open: {exc}") from None
    try:
        _private(staged)
        dst = sqlite3.connect(staged, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            snap = inspect(dst, source)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BadBackup(f"{source}: not a readable SQLite database ({exc})") from None
    finally:
        src.close()
    if snap.schema_version > len(MIGRATIONS):
        raise BadBackup(f"{source}: schema version {snap.schema_version} is newer than this "
                        f"release's ({len(MIGRATIONS)}); upgrade omnichannel first")
    return snap


def _set_aside(db_path: Path, now: float) -> Path | None:
    """Rename the current database (with any sidecars) out of the way; its new name."""
    if db_path.exists():
        try:
            _fold(db_path)
        except sqlite3.DatabaseError:
            pass  # a damaged file is kept as it is, its sidecars beside it
    present = [db_path.with_name(db_path.name + s) for s in ("", *_SIDECARS)]
    if not any(p.exists() for p in present):
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
    n = 1
    while any(kept.with_name(kept.name + s).exists() for s in ("", *_SIDECARS)):
        n += 1
        kept = db_path.with_name(f"{db_path.name}.before-restore-{stamp}-{n}")
    for suffix in ("", *_SIDECARS):
        path = db_path.with_name(db_path.name + suffix)
        if path.exists():
            os.replace(path, kept.with_name(kept.name + suffix))
    return kept


def _fold(db_path: Path) -> None:
    """Checkpoint the WAL into the database file and leave WAL mode: one file, nothing lost."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def compact(db_path: Path) -> None:
    """Rebuild the file without free pages and empty the WAL, so erased bytes are gone.

    Only with the daemon stopped: VACUUM needs the database to itself.
    """
    conn = connect(db_path)
    try:
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def truncate_wal(db_path: Path) -> bool:
    """Copy the WAL into the database and empty it (old page images go with it).

    Safe beside a running daemon: it waits for the writer like any connection. False when
    readers kept part of the log in use.
    """
    conn = connect(db_path)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.close()
    return not busy


def _private(path: Path) -> None:
    """Create `path` empty with mode 0600 (SQLite then writes into it)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _remove_with_sidecars(path: Path) -> None:
    for suffix in ("", *_SIDECARS):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
