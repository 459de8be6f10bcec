"""Email: IMAP (IDLE, else polling) in, SMTP out.

Inbound: new UIDs of `mailbox` are fetched in order (BODY.PEEK: flags stay untouched),
parsed (stdlib `email`, policy.default), journaled through `ctx.publish`, and only then
is the UID recorded in the state file (persist before ack). UIDVALIDITY is tracked: when
it changes, the mails of the last day before the previous save are read again (the
journal deduplicates on the Message-ID, the external id). The first run starts at UIDNEXT:
mail that was already in the box is not answered.

Machine mail (bounces / DSNs, auto-replies, read receipts, bulk and list mail) is logged
and skipped, never journaled. The agent reads the new text only: quoted history and the
signature are stripped, HTML-only mail is turned into text, attachments become
"[image attached: name]" notes.

Threads: chat_id is a 20-hex token per thread, sender_id the lower-cased From address
(not `verified_email`: From can be forged). A mail joins a thread through our Message-IDs
in In-Reply-To / References, then a `local+<token>@domain` recipient, then the same
subject from the same sender; every match is scoped to that sender.

Outbound: one mail per Outbound, Message-ID `<token.outbox_id.salt@domain>` (stable for
a retried outbox row; salt = per-installation secret), In-Reply-To / References of the
shopper's last mail, "Re: " once, `Auto-Submitted: auto-replied`. Buttons are not sent
(the router lists them in the text). SMTP 5xx -> PermanentDeliveryError, 4xx / network ->
RetryableDeliveryError. An unknown chat id (no thread, so no address) is permanent.

The IMAP connection is supervised by the adapter itself: any error or a silent stall
(IDLE is re-issued every `idle_seconds`, DONE must be answered) closes it and reconnects
with backoff; `start` only fails when the first connection does.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import aiosmtplib

from omnichannel.adapters.email import compose
from omnichannel.adapters.email.config import EmailConfig
from omnichannel.adapters.email.imap import Disconnected, Session
from omnichannel.adapters.email.parse import from_bytes, noise, parse
from omnichannel.adapters.email.state import MailState, write_atomic
from omnichannel.channel import (
    AdapterAuthFailed,
    AdapterNotReady,
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Inbound,
    Markup,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """The journal did not take a mail: keep the UID, retry after a backoff."""


class EmailAdapter:
    name: ClassVar[str] = "email"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=20000, markup=Markup.PLAIN, buttons=False, typing=False)
    config_model: ClassVar[type[ChannelConfig]] = EmailConfig

    def __init__(self, settings: EmailConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self.state = MailState()
        self.path = settings.state_file or Path("state/email-default.json")
        self.salt = ""
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        await self.stop()  # a supervised retry starts from scratch
        s = self.settings
        self.path = s.state_file or ctx.state_dir / f"email-{ctx.account}.json"
        self.state = await asyncio.to_thread(MailState.load, self.path)
        self.salt = ctx.secret("message-id")[:4].hex()
        self.ctx = ctx
        session = Session(s)
        try:
            await session.open()
        except Disconnected as exc:
            raise AdapterNotReady(str(exc)) from None
        await self._position(session)
        self._task = asyncio.create_task(self._run(session), name="email:imap")

    async def stop(self) -> None:
        """Cancels the IMAP loop and waits for it, bounded: a library that swallowed one
        cancellation must not hold the daemon's shutdown (or a test) forever."""
        task, self._task = self._task, None
        if task is None or task.done():
            return
        for _ in range(3):
            task.cancel()
            done, _pending = await asyncio.wait({task}, timeout=5)
            if done:
                if not task.cancelled() and task.exception() is not None:
                    log.warning("IMAP loop ended with an error while stopping",
                                extra={"channel": self.name,
                                       "error": repr(task.exception())})
                return
        log.error("IMAP loop did not stop after three cancellations; abandoning it",
                  extra={"channel": self.name})

    async def typing(self, chat_id: str) -> None:
        return None  # email has no typing indicator

    # inbound
    async def _run(self, session: Session | None) -> None:
        s, attempt = self.settings, 0
        try:
            while True:
                try:
                    if session is None:
                        session = Session(s)
                        await session.open()
                        await self._position(session)
                        log.info("IMAP reconnected", extra={"channel": self.name})
                        if self.ctx is not None:
                            self.ctx.report(True)
                    await self._sync(session)
                    attempt = 0
                    if session.can_idle:
                        await session.idle(s.idle_seconds)
                    else:
                        await asyncio.sleep(s.poll_seconds)
                except (Disconnected, PublishFailed, AdapterAuthFailed) as exc:
                    attempt += 1
                    delay = min(s.reconnect_cap, s.reconnect_base * 2 ** min(attempt - 1, 20))
                    delay *= random.uniform(0.8, 1.2)
                    if self.ctx is not None:
                        self.ctx.report(False, f"IMAP connection lost; retry in {delay:.0f}s")
                    log.warning("IMAP connection lost, reconnecting",
                                extra={"channel": self.name, "error": str(exc),
                                       "retry_in": round(delay, 2)})
                    if session is not None:
                        await session.close()
                    session = None
                    await asyncio.sleep(delay)
        finally:
            if session is not None:
                await session.close()

    async def _position(self, session: Session) -> None:
        st = self.state
        if st.uidvalidity == session.uidvalidity:
            return
        if st.uidvalidity is None:
            st.last_uid = session.uidnext - 1  # first run: only mail that arrives from now
        else:
            since = datetime.fromtimestamp(st.saved_at, UTC) - timedelta(days=1)
            uids = await session.uids_since(since.date())
            st.last_uid = (min(uids) - 1) if uids else session.uidnext - 1
            log.warning("UIDVALIDITY changed: re-reading recent mail",
                        extra={"channel": self.name, "from_uid": st.last_uid + 1})
        st.uidvalidity = session.uidvalidity
        await self._save()

    async def _sync(self, session: Session) -> None:
        while uids := await session.uids_after(self.state.last_uid):
            for uid in uids:
                raw = await session.fetch(uid)
                if raw is not None:
                    await self._handle(uid, raw)
                self.state.last_uid = uid
                await self._save()

    async def _handle(self, uid: int, raw: bytes) -> None:
        ctx, s = self.ctx, self.settings
        assert ctx is not None
        try:
            msg = from_bytes(raw)
            reason = noise(msg, s.address)
            mail = None if reason else parse(msg)
        except Exception:  # a mail we cannot read must not block the mailbox
            log.exception("unreadable mail skipped", extra={"channel": self.name, "uid": uid})
            return
        if mail is None:
            log.info("machine mail ignored", extra={"channel": self.name, "uid": uid,
                                                     "reason": reason})
            return
        local, _, domain = s.address.partition("@")
        chat_id = self.state.thread(mail, local, domain, compose.our_ids(self.salt, s.domain))
        inbound = Inbound(
            channel=self.name, account=ctx.account,
            external_id=mail.message_id or f"uid:{self.state.uidvalidity}:{uid}",
            chat_id=chat_id, sender_id=mail.sender, text=mail.text,
            sender_name=mail.sender_name, received_at=mail.date)
        try:
            await ctx.publish(inbound)
        except Exception as exc:
            log.exception("could not journal a mail", extra={"channel": self.name, "uid": uid})
            raise PublishFailed(f"journal write failed: {type(exc).__name__}") from None
        self.state.note_inbound(chat_id, mail)

    async def _save(self) -> None:
        async with self._lock:
            await asyncio.to_thread(write_atomic, self.path, self.state.dumps())

    async def probe(self) -> str:
        """For `omnichannel doctor`: SMTP connect, EHLO, STARTTLS/TLS and login, without
        sending anything; raises with the server's answer when one step fails."""
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls", timeout=s.timeout,
            tls_context=s.tls_context() if s.smtp_security != "none" else None)
        await client.connect()
        try:
            if s.smtp_user and password:
                await client.login(s.smtp_user, password)
            return f"SMTP {s.smtp_host}:{s.smtp_port} accepted EHLO" + (
                " and the login" if s.smtp_user else "")
        finally:
            client.close()

    # outbound
    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        s, ctx = self.settings, self.ctx
        if ctx is None:
            raise RetryableDeliveryError("email channel is not running")
        chat = self.state.chats.get(outbound.chat_id)
        if chat is None:
            raise PermanentDeliveryError(f"no email thread {outbound.chat_id!r} is known")
        local, _, domain = s.address.partition("@")
        mid = compose.message_id(outbound.chat_id, outbound.outbox_id, self.salt, s.domain)
        msg = compose.build(
            chat_id=outbound.chat_id, chat=chat, text=outbound.text, mid=mid,
            from_addr=s.address, from_name=s.from_name or ctx.brand.shop_name,
            reply_to=f"{local}+{outbound.chat_id}@{domain}" if s.plus_addressing else None,
            language=outbound.language)
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        try:
            await aiosmtplib.send(
                msg, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_user,
                password=password, use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls", timeout=s.timeout,
                tls_context=s.tls_context() if s.smtp_security != "none" else None)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if all(500 <= c < 600 for c in codes):
                raise PermanentDeliveryError(f"SMTP refused the recipient ({codes})") from None
            raise RetryableDeliveryError(f"SMTP deferred the recipient ({codes})") from None
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError):
                raise PermanentDeliveryError(f"SMTP {exc.code}: {exc.message}") from None
            raise RetryableDeliveryError(f"SMTP {exc.code}: {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RetryableDeliveryError(f"SMTP unreachable: {type(exc).__name__}") from None
        self.state.remember(mid, outbound.chat_id)
        await self._save()
        return DeliveryReceipt(platform_message_id=mid)


__all__ = ["EmailAdapter", "EmailConfig"]
