"""SQLite access: one writer thread with group commit, a small pool of readers.

Writes are functions `fn(conn, *args)` queued to a single writer thread that owns the only
write connection. The thread drains whatever is queued and runs it in one transaction, each
operation inside its own SAVEPOINT, so one failing operation rolls back alone and a burst of
writes costs one commit. Reads run on their own executor with one connection per thread
(WAL lets them proceed beside the writer). Neither uses the loop's default executor.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
_BATCH = 128
_STOP = object()
# WAL checkpoints run when the writer is idle (or every so many batches under constant
# load), never inside a shopper's commit: SQLite's automatic ones stall a commit for ms.
_IDLE_CHECKPOINT = 1.0
_CHECKPOINT_EVERY = 500


def private(path: Path) -> None:
    """The state directory 0700 and the database file 0600, whatever the umask of whoever
    started us (by hand a 0022 umask made both readable by every local user). SQLite gives
    its -wal and -shm files the database file's mode."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = folder.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        folder.chmod(0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def connect(path: Path, *, synchronous: str = "NORMAL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Database:
    """The SQLite file, its writer thread and its readers."""

    def __init__(self, path: Path, *, synchronous: str = "NORMAL", readers: int = 2) -> None:
        self.path = path
        self._synchronous = synchronous
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="store-read")
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def open(self, migrate: Callable[[sqlite3.Connection], None]) -> None:
        """Create the file, run migrations on the writer connection, start the writer."""
        private(self.path)
        conn = connect(self.path, synchronous=self._synchronous)
        migrate(conn)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._writer = threading.Thread(
            target=self._write_loop, args=(conn,), name="store-writer", daemon=True
        )
        self._writer.start()

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join(timeout=30)
            self._writer = None
        self._readers.shutdown(wait=True)
        with self._lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((fn, args, fut, loop))
        return await fut

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn, args)

    def read_now(self, fn: Callable[..., T], *args: Any) -> T:
        """A short indexed read on the caller's thread (the event loop).

        For the hot path's point lookups (tens of microseconds), a thread hop costs more
        than the query and contends for the GIL; anything that scans goes through `read`.
        """
        return self._run_read(fn, args)

    def write_nowait(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue a write and return at once; an error is logged, not raised."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        fut.add_done_callback(_log_failure)
        self._queue.put((fn, args, fut, loop))

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """For the CLI and tests outside a loop: the same queue, waited on from a thread."""
        done = threading.Event()
        box: dict[str, Any] = {}

        class _Fut:
            def done(self) -> bool:
                return False

            def set_result(self, value: Any) -> None:
                box["value"] = value
                done.set()

            def set_exception(self, exc: BaseException) -> None:
                box["error"] = exc
                done.set()

        self._queue.put((fn, args, _Fut(), None))
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["value"]  # type: ignore[no-any-return]

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return self._run_read(fn, args)

    def _run_read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, synchronous=self._synchronous)
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return fn(conn, *args)

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        since_checkpoint = 0
        try:
            while True:
                try:
                    item = self._queue.get(timeout=_IDLE_CHECKPOINT)
                except queue.Empty:
                    if since_checkpoint:
                        _checkpoint(conn)
                        since_checkpoint = 0
                    continue
                if item is _STOP:
                    _checkpoint(conn)
                    return
                batch = [item]
                stop = False
                while len(batch) < _BATCH:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        stop = True
                        break
                    batch.append(nxt)
                self._run_batch(conn, batch)
                since_checkpoint += 1
                if since_checkpoint >= _CHECKPOINT_EVERY:
                    _checkpoint(conn)
                    since_checkpoint = 0
                if stop:
                    _checkpoint(conn)
                    return
        finally:
            conn.close()

    def _run_batch(self, conn: sqlite3.Connection, batch: list[Any]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, args, _fut, _loop in batch:
                conn.execute("SAVEPOINT op")
                try:
                    outcomes.append((True, fn(conn, *args)))
                    conn.execute("RELEASE op")
                except Exception as exc:  # one operation fails alone
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((False, exc))
            conn.execute("COMMIT")
        except Exception as exc:
            log.exception("store commit failed")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(batch)
        by_loop: dict[Any, list[tuple[Any, bool, Any]]] = {}
        for (_fn, _args, fut, loop), (ok, value) in zip(batch, outcomes, strict=True):
            by_loop.setdefault(loop, []).append((fut, ok, value))
        for loop, items in by_loop.items():
            if loop is None:
                _settle(items)
            else:
                try:
                    loop.call_soon_threadsafe(_settle, items)
                except RuntimeError:  # the loop closed while we wrote
                    pass


def _checkpoint(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        log.warning("WAL checkpoint failed", exc_info=True)


def _log_failure(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("background store write failed", exc_info=fut.exception())


def _settle(items: list[tuple[Any, bool, Any]]) -> None:
    for fut, ok, value in items:
        if fut.done():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


def quick_check(path: Path) -> str:
    """SQLite's quick_check on a read-only connection: "ok", or what is wrong."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    finally:
        conn.close()
    return "; ".join(str(r[0]) for r in rows)
