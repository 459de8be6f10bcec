"""The email adapter: every fixture parsed, then a real Dovecot (IMAP IDLE) and an aiosmtpd
sink on 127.0.0.1 around an in-process gateway."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import ssl
import time
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from omnichannel.adapters.email import EmailAdapter, compose
from omnichannel.adapters.email.config import EmailConfig
from omnichannel.adapters.email.imap import Session
from omnichannel.adapters.email.parse import Mail, from_bytes, noise, parse
from omnichannel.adapters.email.state import MailState
from omnichannel.channel import (
    AdapterNotReady,
    Inbound,
    Outbound,
    PermanentDeliveryError,
    Published,
    Role,
)
from omnichannel.gateway import Gateway as Runtime
from omnichannel.gateway import GatewayContext
from omnichannel.supervisor import State, Supervisor
from tests.conftest import Gateway, close
from tests.dovecot import PASSWORD, USER, Dovecot, dovecot_binary, self_signed
from tests.support import ROOT, free_port, until

FIXTURES = ROOT.parent / "shared" / "fixtures" / "email"
SUPPORT = "support@shop.test"
SHOPPER = "Ada@Example.COM"
_n = itertools.count(1)


# ---------------------------------------------------------------- fixtures: every file
IGNORED = {
    "auto_reply_auto_submitted_rfc2047_utf8.eml": "auto-submitted (auto-replied)",
    "bounce_dsn_gmail_address_not_found.eml": "bounce",
    "bounce_dsn_mailbox_full_aol.eml": "bounce",
    "read_receipt_mdn.eml": "read receipt",
}
TEXTS = {
    "charset_iso_2022_jp.eml": "すみません。",
    "charset_iso_8859_2_outlook.eml": "Body of encoding iso-8859-2 test: ťžščľžťťč",
    "charset_shift_jis_8bit.eml": ("あいうえお\n\nこのメールはテスト用のメールです。\n\n"
                                   "今後ともよろしくお願い申し上げます！"),
    "charset_windows_1251_8bit.eml": "Это сообщение имеет неправильную кодировка.",
    "encoded_word_iso_8859_1_from_header.eml": (
        "This is a test email body.\n\nIt validates two specific fixes:\n1.  The 'From' header"
        " contains a comma in the encoded display name.\n2.  The 'To' header has an encoded "
        "display name that matches the email address.\n3.  The 'Cc' header has a mix of "
        "simple and encoded addresses."),
    "gmail_multipart_mixed_png_attachment.eml":
        "This message has an attachment.\n[image attached: heart.png]",
    "gmail_reply_quoted_in_reply_to_references.eml":
        "Yes, I am providing you step how to reproduce this issue",
    "gmail_reply_quoted_multipart.eml": "Hello",
    "html_only.eml": "This is html only mail",
    "outlook_reply_from_sent_block.eml": "Hello",
    "thunderbird_reply_in_reply_to_references.eml": "Message body",
}
SENDERS = {
    "encoded_word_iso_8859_1_from_header.eml": ("comma.name@example.com",
                                                "LastßlName, FirstName"),
    "charset_iso_2022_jp.eml": ("mikel@example.com", "Mikel Lindsaar"),
    "gmail_reply_quoted_in_reply_to_references.eml": ("sony@chatwoot.com", "Sony Mathew"),
}
FORWARD = "forward_with_rfc2231_encoded_attachment_name.eml"


def fixture_files() -> dict[str, Path]:
    if not FIXTURES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"email fixtures missing at {FIXTURES}", pytrace=False)
        pytest.skip(f"email fixtures not found at {FIXTURES}")
    return {p.name: p for p in sorted(FIXTURES.glob("*.eml"))}


def test_every_fixture_file_has_an_expectation() -> None:
    assert set(fixture_files()) == set(IGNORED) | set(TEXTS) | {FORWARD}


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_machine_mail_is_ignored(name: str) -> None:
    assert noise(from_bytes(fixture_files()[name].read_bytes()), SUPPORT) == IGNORED[name]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_fixture_text_is_normalised(name: str) -> None:
    msg = from_bytes(fixture_files()[name].read_bytes())
    assert noise(msg, SUPPORT) is None
    mail = parse(msg)
    assert mail.text == TEXTS[name]
    assert mail.sender == mail.sender.lower() and "@" in mail.sender
    if name in SENDERS:
        assert (mail.sender, mail.sender_name) == SENDERS[name]


def test_a_forward_keeps_the_forwarded_message_and_names_the_attachment() -> None:
    mail = parse(from_bytes(fixture_files()[FORWARD].read_bytes()))
    assert mail.text.startswith("We should not include these files or vcards as attachments."
                                "\n\n---------- Forwarded message ----------\nFrom: ")
    assert "Test attachments oddly encoded with japanese charset." in mail.text
    note = mail.text.splitlines()[-1]
    assert note.startswith("[file attached: 01 Quien Te Dij") and note.endswith(
        "Pitbull.mp3]")  # RFC 2231 name; its one invalid iso-2022-jp byte is U+FFFD


def test_threading_headers_of_a_gmail_reply() -> None:
    mail = parse(from_bytes(
        fixture_files()["gmail_reply_quoted_in_reply_to_references.eml"].read_bytes()))
    assert mail.refs[0] == ("<0100017b5d8efc70-c7f18809-aa55-48f6-91fd-b626092ed8b3-000000"
                            "@email.amazonses.com>")
    assert "reply+6bdc3f4d-0bec-4515-a284-5d916fdde489@example.com" in mail.recipients


# ---------------------------------------------------------------- threading (pure)
def _mail(sender: str = "ada@example.com", subject: str = "Order 1042", refs: tuple[str, ...]
          = (), rcpt: tuple[str, ...] = (SUPPORT,), mid: str | None = None) -> Mail:
    return Mail(message_id=mid or make_msgid(domain="example.com"), sender=sender,
                sender_name=None, subject=subject, refs=refs, recipients=rcpt, text="x",
                date=None)


def test_thread_matching_order_and_contact_scope() -> None:
    st, ours = MailState(), compose.our_ids("abcd1234", "shop.test")
    first = _mail()
    chat = st.thread(first, "support", "shop.test", ours)
    st.note_inbound(chat, first)
    mid = compose.message_id(chat, 7, "abcd1234", "shop.test")
    assert ours.match(mid) and ours.match(mid).group(1) == chat  # type: ignore[union-attr]
    # Our Message-ID in In-Reply-To, even with another subject.
    assert st.thread(_mail(subject="hello", refs=(mid,)), "support", "shop.test", ours) == chat
    # The plus address.
    plus = _mail(subject="other", rcpt=(f"support+{chat}@shop.test",))
    assert st.thread(plus, "support", "shop.test", ours) == chat
    # The subject, only from the same sender.
    assert st.thread(_mail(subject="RE: Re:  Order 1042"), "support", "shop.test", ours) == chat
    stranger = _mail(sender="eve@example.com", refs=(mid,),
                     rcpt=(f"support+{chat}@shop.test",))
    assert st.thread(stranger, "support", "shop.test", ours) != chat
    assert st.thread(_mail(subject="new topic"), "support", "shop.test", ours) != chat


def test_reply_headers() -> None:
    st = MailState()
    first = _mail(mid="<m1@example.com>", refs=("<m0@example.com>",),
                  subject="Re: Re: Where is my parcel")
    st.note_inbound("c" * 20, first)
    msg = compose.build(chat_id="c" * 20, chat=st.chats["c" * 20], text="On its way.",
                        mid="<x@shop.test>", from_addr=SUPPORT, from_name="Shop",
                        reply_to=f"support+{'c' * 20}@shop.test")
    assert msg["Subject"] == "Re: Where is my parcel"
    assert msg["In-Reply-To"] == "<m1@example.com>"
    assert msg["References"] == "<m0@example.com> <m1@example.com>"
    assert msg["Auto-Submitted"] == "auto-replied" and msg["To"] == "ada@example.com"


# ---------------------------------------------------------------- live: Dovecot + aiosmtpd
class Sink:
    """aiosmtpd on 127.0.0.1: every mail it accepts lands in an asyncio queue. With `tls`
    (certificate, key) it offers STARTTLS and refuses mail sent without it."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[EmailMessage] = asyncio.Queue()
        self.all: list[EmailMessage] = []
        self.tls_sessions = 0
        extra: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            extra = {"tls_context": context, "require_starttls": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), **extra)
        self.controller.start()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = from_bytes(envelope.original_content or envelope.content)
        self.tls_sessions += session.ssl is not None
        self.all.append(msg)
        self.loop.call_soon_threadsafe(self.queue.put_nowait, msg)
        return "250 OK"

    async def received(self, timeout: float = 20.0) -> EmailMessage:
        return await asyncio.wait_for(self.queue.get(), timeout)

    def stop(self) -> None:
        self.controller.stop()


class RecordingContext(GatewayContext):
    """The real gateway context, remembering what each publish returned or raised."""

    def __init__(self, runtime: Runtime, channel: str) -> None:
        super().__init__(runtime, channel)
        self.published: dict[str, Published] = {}
        self.failed: set[str] = set()
        self.events: list[tuple[str, Published | None]] = []

    async def publish(self, inbound: Inbound) -> Published:
        try:
            result = await super().publish(inbound)
        except Exception:
            self.failed.add(inbound.external_id)
            self.events.append((inbound.external_id, None))
            raise
        self.published[inbound.external_id] = result
        self.events.append((inbound.external_id, result))
        return result


def settings(imap_port: int, smtp_port: int, state: Path, **extra: Any) -> EmailConfig:
    return EmailConfig.model_validate({
        "enabled": True, "address": SUPPORT, "imap_host": "127.0.0.1", "imap_port": imap_port,
        "imap_security": "none", "imap_user": USER, "imap_password": PASSWORD,
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none",
        "state_file": str(state), "timeout": 10, "reconnect_base": 0.1,
        "reconnect_cap": 0.5, **extra})



class Live:
    """One adapter attached to a gateway the way app.py does, against Dovecot + the sink."""

    def __init__(self, dovecot: Dovecot, sink: Sink, state: Path) -> None:
        self.dovecot, self.sink, self.state = dovecot, sink, state
        self.adapter: EmailAdapter | None = None
        self.ctx: RecordingContext | None = None
        self.sup: Supervisor | None = None

    async def attach(self, gw: Gateway, **extra: Any) -> EmailAdapter:
        adapter = EmailAdapter(settings(self.dovecot.port, self.sink.port, self.state, **extra))
        ctx = RecordingContext(gw.rt, "email")
        sup = gw.rt.launch("email", adapter, ctx, base=0.05, cap=0.1, max_restarts=2)
        await until(lambda: sup.health.state in (State.READY, State.FAILED))
        assert sup.health.state is State.READY, sup.health.detail
        self.adapter, self.ctx, self.sup = adapter, ctx, sup
        return adapter

    async def detach(self, gw: Gateway) -> None:
        await close(gw)  # as the daemon stops: HTTP, then the gateway with its store
        if self.sup is not None:
            await self.sup.stop()
        if self.adapter is not None:
            await self.adapter.stop()

    def append(self, msg: EmailMessage | bytes, mailbox: str = "INBOX") -> None:
        raw = msg if isinstance(msg, bytes) else msg.as_bytes()
        with self.dovecot.client() as imap:
            imap.append(mailbox, None, None, raw)

    async def mail_in(self, msg: EmailMessage | bytes) -> None:
        await asyncio.to_thread(self.append, msg)


def shopper_mail(text: str, subject: str = "Where is my order?", sender: str = SHOPPER,
                 mid: str | None = None, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Ada Lovelace <{sender}>"
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Message-ID"] = mid or f"<shopper-{next(_n)}-{time.time_ns()}@example.com>"
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(text)
    return msg


def body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n").removesuffix("\n")


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    dovecot_binary()
    dovecot = Dovecot().start()
    sink = Sink()
    try:
        yield Live(dovecot, sink, tmp_path / "email-state.json")
    finally:
        sink.stop()
        dovecot.close()


async def conversations(gw: Gateway) -> list[Any]:
    return list(await gw.store.list_conversations())


async def test_idle_answers_a_new_mail_with_threading_headers(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await live.attach(gw)
    try:
        sent = shopper_mail("Hi, where is order 1042?\n\n-- \nAda", subject="Re: Order 1042",
                            References="<older@example.com>")
        await live.mail_in(sent)
        reply = await live.sink.received()
        assert body(reply) == "Hi, where is order 1042?"  # echo engine; signature stripped
        assert reply["Subject"] == "Re: Order 1042"
        assert reply["In-Reply-To"] == sent["Message-ID"]
        assert reply["References"] == f"<older@example.com> {sent['Message-ID']}"
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["To"] == SHOPPER.lower()
        assert str(reply["Message-ID"]).endswith("@shop.test>")
        [published] = live.ctx.published.values()
        [conv] = await conversations(gw)
        assert conv.id == published.conversation_id
        # The UID is saved after the journal write; the reply can overtake the save.
        state = await until(lambda: _saved_uid(live.state, 1))
        assert state["uidvalidity"]
    finally:
        await live.detach(gw)


def _saved_uid(path: Path, uid: int) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if state.get("last_uid") == uid else None


async def test_a_follow_up_to_our_reply_joins_the_conversation(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await live.attach(gw)
    try:
        await live.mail_in(shopper_mail("first question"))
        reply = await live.sink.received()
        # A different subject: only In-Reply-To ties it to the thread.
        await live.mail_in(shopper_mail("and a follow-up", subject="something else",
                                        In_Reply_To=str(reply["Message-ID"])))
        second = await live.sink.received()
        assert body(second) == "and a follow-up"
        assert second["Subject"] == "Re: something else"  # "Re: " + the shopper's last
        ids = [p.conversation_id for p in live.ctx.published.values()]
        assert len(ids) == 2 and ids[0] == ids[1]
        # Another sender quoting our reply starts a conversation of their own.
        await live.mail_in(shopper_mail("me too", sender="eve@example.com",
                                        In_Reply_To=str(reply["Message-ID"])))
        assert (await live.sink.received())["To"] == "eve@example.com"
        assert len(await conversations(gw)) == 2
    finally:
        await live.detach(gw)


async def test_dovecot_restart_mid_idle_is_survived(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await live.attach(gw)
    try:
        await live.mail_in(shopper_mail("before the restart"))
        assert body(await live.sink.received()) == "before the restart"
        await asyncio.to_thread(live.dovecot.restart)
        await live.mail_in(shopper_mail("after the restart"))
        assert body(await live.sink.received(timeout=30)) == "after the restart"
    finally:
        await live.detach(gw)


async def test_no_mail_is_answered_twice_across_a_restart(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await live.attach(gw)
    await live.mail_in(shopper_mail("one"))
    assert body(await live.sink.received()) == "one"
    await live.detach(gw)
    # A crash between the journal write and the state file: the UID did not move.
    state = json.loads(live.state.read_text())
    state["last_uid"] = 0
    live.state.write_text(json.dumps(state))
    gw2 = await gateway_factory()
    await live.attach(gw2)
    try:
        await until(lambda: live.ctx.published)  # "one" read again: a duplicate
        assert [p.duplicate for p in live.ctx.published.values()] == [True]
        await live.mail_in(shopper_mail("two"))
        assert body(await live.sink.received()) == "two"
        assert [body(m) for m in live.sink.all] == ["one", "two"]
    finally:
        await live.detach(gw2)


async def test_machine_mail_is_not_journaled_and_not_answered(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await live.attach(gw)
    try:
        for name in sorted(IGNORED):
            await live.mail_in(fixture_files()[name].read_bytes())
        await live.mail_in(shopper_mail("a real question", Auto_Submitted="no"))
        assert body(await live.sink.received()) == "a real question"
        assert len(live.sink.all) == 1 and len(await conversations(gw)) == 1
        assert await until(lambda: _saved_uid(live.state, len(IGNORED) + 1))
    finally:
        await live.detach(gw)


async def test_a_failed_journal_write_keeps_the_uid_and_is_retried(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await live.attach(gw)
    router = gw.rt.router
    original = router.publish

    async def failing(inbound: Inbound) -> Published:
        raise OSError("disk full")

    router.publish = failing
    try:
        await live.mail_in(shopper_mail("kept for later"))
        await until(lambda: live.ctx.failed)
        assert json.loads(live.state.read_text())["last_uid"] == 0
        router.publish = original
        assert body(await live.sink.received()) == "kept for later"
    finally:
        router.publish = original
        await live.detach(gw)


async def _live(tmp_path: Path, **dovecot: Any) -> Live:
    dovecot_binary()
    tls = dovecot.get("tls")
    server = await asyncio.to_thread(Dovecot(**dovecot).start)
    return Live(server, Sink(tls), tmp_path / "email-state.json")


async def test_imaps_and_smtp_starttls_with_a_private_ca(tmp_path, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "tls"
    folder.mkdir()
    tls = self_signed(folder)
    live = await _live(tmp_path, tls=tls)
    gw = await gateway_factory()
    try:
        await live.attach(gw, imap_security="tls", smtp_security="starttls",
                          tls_ca_file=str(tls[0]))
        await live.mail_in(shopper_mail("over TLS"))
        assert body(await live.sink.received()) == "over TLS"
        assert live.sink.tls_sessions == 1  # the sink refuses mail before STARTTLS anyway
        await live.detach(gw)
    finally:
        live.sink.stop()
        live.dovecot.close()


async def test_an_untrusted_imap_certificate_is_refused(tmp_path, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "tls"
    folder.mkdir()
    tls = self_signed(folder)
    live = await _live(tmp_path, tls=tls)
    gw = await gateway_factory()
    adapter = EmailAdapter(settings(live.dovecot.port, live.sink.port, live.state,
                                    imap_security="tls"))
    try:
        with pytest.raises(AdapterNotReady, match="CERTIFICATE_VERIFY_FAILED"):
            await adapter.start(GatewayContext(gw.rt, "email"))
    finally:
        await adapter.stop()
        live.sink.stop()
        live.dovecot.close()
    with pytest.raises(ValueError, match="no such file"):
        settings(1, 2, live.state, tls_ca_file=str(tmp_path / "missing.pem"))


async def test_without_idle_the_mailbox_is_polled(tmp_path, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    live = await _live(tmp_path, idle=False)
    gw = await gateway_factory()
    try:
        probe = Session(settings(live.dovecot.port, live.sink.port, live.state))
        await probe.open()
        assert not probe.can_idle  # so the adapter must poll
        await probe.close()
        await live.attach(gw, poll_seconds=0.3)
        await live.mail_in(shopper_mail("polled, not pushed"))
        assert body(await live.sink.received()) == "polled, not pushed"
        await live.detach(gw)
    finally:
        live.sink.stop()
        live.dovecot.close()


async def test_refused_login_fails_the_channel(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = EmailAdapter(settings(live.dovecot.port, live.sink.port, live.state,
                                    imap_password="wrong-password"))
    from omnichannel.channel import AdapterAuthFailed
    with pytest.raises(AdapterAuthFailed):
        await adapter.start(GatewayContext(gw.rt, "email"))
    assert "wrong-password" not in repr(adapter.settings)
    await adapter.stop()


async def test_unknown_chat_is_a_permanent_error(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await live.attach(gw)
    try:
        with pytest.raises(PermanentDeliveryError):
            await adapter.send(Outbound(outbox_id=1, conversation_id=1, chat_id="nobody",
                                        role=Role.AGENT, text="hi"))
    finally:
        await live.detach(gw)


# ---------------------------------------------------------------- contract-suite driver
class EmailDriver:
    """The contract suite's driver: mails APPENDed to a private Dovecot, replies caught by
    the aiosmtpd sink. chat ids are thread tokens, so a send to an unknown chat id (no
    address to write to) is a PermanentDeliveryError, not a receipt."""

    name = "email"
    # For the contract check "send returns a typed receipt": an unknown chat id has no
    # address, so the typed answer is PermanentDeliveryError.
    unknown_chat_is_permanent = True

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.live: Live | None = None

    @property
    def adapter(self) -> EmailAdapter:
        assert self.live is not None and self.live.adapter is not None
        return self.live.adapter

    async def open(self) -> str:
        dovecot_binary()
        dovecot = Dovecot().start()
        self.live = Live(dovecot, Sink(), dovecot.dir / "email-state.json")
        await self.live.attach(self.gw)
        return "contract"

    async def inject(self, text: str, event_id: str) -> int | None:
        live = self.live
        assert live is not None and live.ctx is not None
        ctx, seen = live.ctx, len(live.ctx.events)
        mid = f"<{event_id}@contract.example.com>"
        await live.mail_in(shopper_mail(text, subject="contract", mid=mid))
        await until(lambda: any(e == mid for e, _ in ctx.events[seen:]))
        result = next(r for e, r in ctx.events[seen:] if e == mid)
        if result is None:
            raise RuntimeError("the journal did not take the mail; its UID was kept")
        return result.message_id

    async def received(self) -> dict[str, Any]:
        assert self.live is not None
        msg = await self.live.sink.received()
        return {"text": body(msg), "mail": msg}

    async def close(self) -> None:
        live, self.live = self.live, None
        if live is None:
            return
        if live.sup is not None:
            await live.sup.stop()
        if live.adapter is not None:
            await live.adapter.stop()
        live.sink.stop()
        live.dovecot.close()


async def test_doctor_probe_checks_smtp_without_sending(live, gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await live.attach(gw)
    try:
        assert "accepted EHLO" in await adapter.probe()
        assert live.sink.all == []  # nothing was sent
        closed = EmailAdapter(settings(live.dovecot.port, free_port(), live.state))
        with pytest.raises(OSError):
            await closed.probe()
    finally:
        await live.detach(gw)


def test_a_reply_to_a_mail_without_subject_is_titled_in_the_shoppers_language() -> None:
    from omnichannel.adapters.email.state import Chat

    kw: dict = {"chat_id": "c" * 20, "chat": Chat("ana@example.com"), "text": "Ya sale.",  # type: ignore[type-arg]
                "mid": "<x@shop.test>", "from_addr": "help@shop.test", "from_name": "Juniper",
                "reply_to": None}
    assert compose.build(**kw)["Subject"] == "Re: your message to Juniper"
    assert compose.build(**kw, language="es")["Subject"] == "Re: tu mensaje a Juniper"
