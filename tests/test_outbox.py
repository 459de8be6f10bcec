"""Delivery: retries with Retry-After, permanent failures, unknown outcomes, restart rules."""

from __future__ import annotations

import asyncio
import time

from omnichannel.channel import (
    DeliveryReceipt,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from omnichannel.conversation import Button, Delivery, Role
from omnichannel.store import Store
from omnichannel.store.outbox import recover


class Flaky:
    """Wraps loopback.send with a scripted list of failures."""

    def __init__(self, adapter, failures: list[Exception]) -> None:  # type: ignore[no-untyped-def]
        self.adapter = adapter
        self.real = adapter.send
        self.failures = failures
        self.calls: list[float] = []
        adapter.send = self

    async def __call__(self, out: Outbound) -> DeliveryReceipt:
        self.calls.append(time.monotonic())
        if self.failures:
            raise self.failures.pop(0)
        return await self.real(out)


async def _row_status(store: Store, conversation_id: int) -> list[str]:
    def q(conn):  # type: ignore[no-untyped-def]
        return [r[0] for r in conn.execute(
            "SELECT status FROM outbox WHERE conversation_id = ? ORDER BY id", (conversation_id,))]

    return await store.db.read(q)


async def _wait_status(store: Store, conversation_id: int, want: list[str]) -> list[str]:
    for _ in range(100):
        got = await _row_status(store, conversation_id)
        if got == want:
            break
        await asyncio.sleep(0.05)
    return got


async def test_retryable_failure_waits_for_retry_after_then_delivers(gateway) -> None:  # type: ignore[no-untyped-def]
    flaky = Flaky(gateway.loopback, [RetryableDeliveryError("429", retry_after=0.3)])
    pub = await gateway.loopback.say("ping")
    reply = await gateway.loopback.reply()
    assert reply.text == "ping"
    assert len(flaky.calls) == 2
    assert flaky.calls[1] - flaky.calls[0] >= 0.29  # Retry-After honoured
    assert await _wait_status(gateway.store, pub.conversation_id, ["sent"]) == ["sent"]


async def test_order_holds_while_a_row_retries(gateway) -> None:  # type: ignore[no-untyped-def]
    Flaky(gateway.loopback, [RetryableDeliveryError("busy", retry_after=0.2)])
    await gateway.loopback.say("one")
    await gateway.loopback.reply()
    await gateway.loopback.say("two")
    await gateway.loopback.say("three")
    texts = []
    while len(" ".join(texts).split()) < 2:
        texts.append((await gateway.loopback.reply()).text)
    assert " ".join(texts).split() == ["two", "three"]


async def test_permanent_failure_is_recorded_not_retried(gateway) -> None:  # type: ignore[no-untyped-def]
    flaky = Flaky(gateway.loopback, [PermanentDeliveryError("chat not found")])
    pub = await gateway.loopback.say("ping")
    assert await _wait_status(gateway.store, pub.conversation_id, ["failed"]) == ["failed"]
    assert len(flaky.calls) == 1


async def test_unexpected_adapter_error_leaves_the_row_uncertain(gateway) -> None:  # type: ignore[no-untyped-def]
    flaky = Flaky(gateway.loopback, [ValueError("bug in adapter")])
    pub = await gateway.loopback.say("ping")
    want = ["uncertain"]
    assert await _wait_status(gateway.store, pub.conversation_id, want) == want
    await asyncio.sleep(0.3)
    assert len(flaky.calls) == 1  # never blindly resent


async def test_too_many_retries_give_up_as_failed(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory("[outbox]\nmax_attempts = 2\n")
    flaky = Flaky(gw.loopback, [RetryableDeliveryError("x", retry_after=0.01)] * 5)
    pub = await gw.loopback.say("ping")
    assert await _wait_status(gw.store, pub.conversation_id, ["failed"]) == ["failed"]
    assert len(flaky.calls) == 2


async def test_restart_rules(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """sending -> uncertain (flagged), old queued -> dropped with a note, young queued -> kept."""
    from omnichannel.channel import Inbound
    from omnichannel.store.outbox import claim, enqueue

    store = Store(tmp_path)
    store.open()
    try:
        pub = await store.journal(Inbound("loopback", "default", "e1", "c", "c", "hi"))
        cid = pub.conversation_id
        chunk = [("text", ())]

        def setup(conn):  # type: ignore[no-untyped-def]
            sending = enqueue(conn, cid, None, chunk, Role.AGENT)[0]
            claim(conn, sending)
            old = enqueue(conn, cid, None, chunk, Role.AGENT)[0]
            conn.execute("UPDATE outbox SET created_at = created_at - 3600 WHERE id = ?", (old,))
            young = enqueue(conn, cid, None, [("b", (Button("x", "y"),))], Role.AGENT)[0]
            return sending, old, young

        sending, old, young = await store.db.write(setup)
        rec = await store.db.write(recover, 900.0)
        assert rec.uncertain == [sending] and rec.dropped == [old] and rec.requeued == [young]
        assert await _row_status(store, cid) == ["uncertain", "dropped", "queued"]
        notes = [m.text for m in await store.transcript(cid) if m.role is Role.NOTE]
        assert len(notes) == 2 and "uncertain" in notes[0] and "dropped" in notes[1]
        convs = await store.list_conversations()
        assert convs[0].uncertain == 1
    finally:
        store.close()
    assert Delivery.UNCERTAIN.value == "uncertain"


async def test_platform_receipts_move_delivery_forward_and_failures_are_flagged(gateway) -> None:  # type: ignore[no-untyped-def]
    pub = await gateway.loopback.say("ping")
    out = await gateway.loopback.reply()
    ctx = gateway.loopback.ctx
    platform_id = f"lb-out-{out.outbox_id}"
    await _wait_status(gateway.store, pub.conversation_id, ["sent"])
    assert await ctx.delivery_status(platform_id, "read")
    assert await ctx.delivery_status(platform_id, "delivered")  # late: never moves back
    transcript = await gateway.store.transcript(pub.conversation_id)

    def delivery(conn):  # type: ignore[no-untyped-def]
        return conn.execute("SELECT delivery FROM messages WHERE role = 'agent'").fetchone()[0]

    assert await gateway.store.db.read(delivery) == "read"
    assert not await ctx.delivery_status("unknown-id", "delivered")
    assert await ctx.delivery_status(platform_id, "failed", "63016 outside window")
    assert await _row_status(gateway.store, pub.conversation_id) == ["failed"]
    assert transcript


async def test_closed_policy_window_fails_visibly_and_tells_staff(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory("[channels.loopback]\nenabled = true\npolicy_window = 0.2\n")
    pub = await gw.loopback.say("hello")
    await gw.loopback.reply()  # inside the window
    await asyncio.sleep(0.3)
    await gw.store.queue_message(pub.conversation_id, Role.STAFF, "late answer",
                                 [("late answer", ())])
    want = ["sent", "failed"]
    assert await _wait_status(gw.store, pub.conversation_id, want) == want
    notes = [m.text for m in await gw.store.transcript(pub.conversation_id)
             if m.role is Role.NOTE]
    assert any("window is closed" in n for n in notes)


async def test_closed_window_falls_back_to_another_verified_channel(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    import aiohttp

    from omnichannel.adapters.webchat import tokens
    from tests.wsclient import ChatClient

    gw = await gateway_factory(
        "[channels.loopback]\nenabled = true\npolicy_window = 0.2\n"
        '[channels.webchat]\nenabled = true\nidentity_secret = "s"\n')
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        web = ChatClient(base, http)
        await web.new_session(email="ann@example.com",
                              user_hash=tokens.identity_hash(b"s", "ann@example.com"))
        await web.connect()
        await web.send("hi from the web", "w1")
        await web.frame("message")  # the echo reply on the web
        pub = await gw.loopback.say("hello", verified_email="ann@example.com")
        await gw.loopback.reply()
        await asyncio.sleep(0.3)  # the loopback channel's window closes
        await gw.store.queue_message(pub.conversation_id, Role.STAFF, "your parcel left today",
                                     [("your parcel left today", ())])
        moved = await web.frame("message")
        assert moved["text"] == "your parcel left today" and moved["role"] == "staff"
    notes = [m.text for m in await gw.store.transcript(pub.conversation_id)
             if m.role is Role.NOTE]
    assert any("went to the same shopper by webchat" in n for n in notes)


async def test_a_row_waiting_out_the_pacing_gap_is_still_queued(gateway) -> None:  # type: ignore[no-untyped-def]
    """Pacing is waited out before the claim: a crash during the wait must leave the row
    `queued` (sent after the restart), not `sending` (which restart turns into `uncertain`,
    although the row never left)."""
    from dataclasses import replace

    loop = gateway.loopback
    loop.capabilities = replace(loop.capabilities, min_send_interval=30.0)
    pub = await loop.say("one")
    await loop.reply()
    await loop.say("two")
    statuses = await _wait_status(gateway.store, pub.conversation_id, ["sent", "queued"])
    await asyncio.sleep(0.3)  # well inside the 30 s gap: the outbox is waiting
    assert await _row_status(gateway.store, pub.conversation_id) == statuses == [
        "sent", "queued"]
    # What a restart does with it: young and queued, so it is sent, never flagged.
    recovered = await gateway.store.db.write(recover, 3600.0)
    assert await _row_status(gateway.store, pub.conversation_id) == ["sent", "queued"], recovered
