"""One IMAP connection (aioimaplib): login, select, UID search / fetch, IDLE.

aioimaplib does not notice a silently dropped connection during IDLE, so IDLE is bounded
by `idle_seconds` and re-issued, a DONE that is not answered in time counts as a
disconnect, and the transport's connection_lost callback ends an IDLE at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import date

import aioimaplib  # type: ignore[import-untyped]

from omnichannel.adapters.email.config import EmailConfig
from omnichannel.channel import AdapterAuthFailed

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
_FETCH_UID = re.compile(rb"UID (\d+)")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


class Disconnected(Exception):
    """The IMAP connection is gone or misbehaves: reconnect with backoff."""


class Session:
    def __init__(self, s: EmailConfig) -> None:
        self.s = s
        self.lost = asyncio.Event()
        self.client: aioimaplib.IMAP4 | None = None
        self.uidvalidity = 0
        self.uidnext = 1

    @property
    def can_idle(self) -> bool:
        return self.client is not None and self.client.has_capability("IDLE")

    async def open(self) -> None:
        s = self.s
        try:
            if s.imap_security == "tls":
                self.client = aioimaplib.IMAP4_SSL(
                    s.imap_host, s.imap_port, timeout=s.timeout,
                    ssl_context=s.tls_context())
            else:
                self.client = aioimaplib.IMAP4(s.imap_host, s.imap_port, timeout=s.timeout)
            self.client.protocol.conn_lost_cb = self._lost
            await self.client.wait_hello_from_server()
            login = await self.client.login(s.imap_user, s.imap_password.get_secret_value())
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            await self.close()
            raise Disconnected(f"IMAP {s.imap_host}:{s.imap_port} unreachable: "
                               f"{type(exc).__name__}: {exc}") from None
        if login.result != "OK":
            await self.close()
            raise AdapterAuthFailed(f"IMAP login refused for {s.imap_user}")
        selected = await self._ok(self.client.select(s.mailbox), "SELECT")
        blob = b"\n".join(x for x in selected.lines if isinstance(x, bytes))
        validity, nxt = _UIDVALIDITY.search(blob), _UIDNEXT.search(blob)
        if validity is None:
            raise Disconnected("the server sent no UIDVALIDITY")
        self.uidvalidity = int(validity.group(1))
        self.uidnext = int(nxt.group(1)) if nxt else 1

    def _lost(self, exc: Exception | None) -> None:
        self.lost.set()

    async def _ok(self, coro: object, what: str) -> aioimaplib.Response:
        if self.lost.is_set():
            raise Disconnected("connection lost")
        try:
            response: aioimaplib.Response = await asyncio.wait_for(
                coro, self.s.timeout)  # type: ignore[arg-type]
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise Disconnected(f"{what}: {type(exc).__name__}: {exc}") from None
        if response.result != "OK":
            raise Disconnected(f"{what} answered {response.result}: {response.lines[-1:]}")
        return response

    def _c(self) -> aioimaplib.IMAP4:
        if self.client is None:
            raise Disconnected("not connected")
        return self.client

    async def uids_after(self, last: int) -> list[int]:
        if not self.can_idle:
            await self._ok(self._c().noop(), "NOOP")  # lets the server report new mail
        r = await self._ok(self._c().uid_search("UID", f"{last + 1}:*", charset=None),
                           "UID SEARCH")
        return self._uids(r, last)

    async def uids_since(self, day: date) -> list[int]:
        since = f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"
        r = await self._ok(self._c().uid_search("SINCE", since, charset=None), "UID SEARCH")
        return self._uids(r, 0)

    @staticmethod
    def _uids(r: aioimaplib.Response, last: int) -> list[int]:
        found = {int(x) for line in r.lines[:-1] if isinstance(line, bytes)
                 for x in line.split() if x.isdigit()}
        return sorted(u for u in found if u > last)  # "N:*" also matches the last UID

    async def fetch(self, uid: int) -> bytes | None:
        """The whole message, or None when it was expunged meanwhile."""
        r = await self._ok(self._c().uid("fetch", str(uid), "(UID BODY.PEEK[])"), "UID FETCH")
        for i, line in enumerate(r.lines):
            if isinstance(line, bytes) and b"FETCH" in line and i + 1 < len(r.lines):
                m = _FETCH_UID.search(line)
                body = r.lines[i + 1]
                if m and int(m.group(1)) == uid and isinstance(body, bytearray):
                    return bytes(body)
        return None

    async def idle(self, seconds: float) -> None:
        """Returns when the mailbox may have changed or `seconds` passed."""
        client = self._c()
        try:
            task = await asyncio.wait_for(client.idle_start(timeout=seconds + 60),
                                          self.s.timeout)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise Disconnected(f"IDLE: {type(exc).__name__}: {exc}") from None
        push = asyncio.ensure_future(client.wait_server_push(timeout=seconds))
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            await asyncio.wait({push, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (push, lost):
                t.cancel()
        if self.lost.is_set():
            raise Disconnected("connection lost during IDLE")
        if push.done() and not push.cancelled() and push.exception() is None:
            lines = push.result()
            if isinstance(lines, list) and any(b"BYE" in x for x in lines
                                               if isinstance(x, bytes)):
                raise Disconnected("the server said BYE")
        client.idle_done()
        try:
            await asyncio.wait_for(task, self.s.timeout)
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise Disconnected(f"IDLE DONE unanswered: {type(exc).__name__}") from None

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        if not self.lost.is_set() and not client.has_pending_idle():
            with contextlib.suppress(Exception):  # polite, never required
                await asyncio.wait_for(client.logout(), 1)
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
        for t in list(client.tasks) + list(client.protocol.tasks):
            t.cancel()
