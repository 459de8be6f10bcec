"""Typing-aware answers: a quick reply to a complete message, a held one while the shopper
is still typing, bursts still merged. Every check is about order and cause, never time."""

from __future__ import annotations

import asyncio

import aiohttp

from omnichannel import router as router_mod
from omnichannel.channel import typing_signal
from omnichannel.config import AgentConfig
from omnichannel.router import MAX_DEBOUNCE_WAIT, Lane
from tests.wsclient import ChatClient

# A short merge window and the longest grace: a held lane cannot be answered by accident.
HOLD = "[agent]\ntyping_grace_seconds = 10\n"


async def _typing(gw, chat: str) -> int:  # type: ignore[no-untyped-def]
    ctx = gw.loopback.ctx
    return (await ctx.publish(typing_signal("loopback", ctx.account, chat))).conversation_id


async def test_typing_holds_the_answer_while_complete_messages_go_out(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(HOLD, debounce=0.05)
    first = await gw.loopback.say("hi", chat_id="typist")
    assert await _typing(gw, "typist") == first.conversation_id  # the waiting lane is held
    # Someone else's complete message, sent after, is answered while the typist is held...
    await gw.loopback.say("How do I return an item?", chat_id="quick")
    assert (await gw.loopback.reply("quick")).text == "How do I return an item?"
    assert gw.loopback.queue("typist").empty()
    # ...and the rest of the typist's message joins the first in one turn.
    await gw.loopback.say("my order is late", chat_id="typist")
    assert (await gw.loopback.reply("typist")).text == "hi\nmy order is late"
    assert gw.rt.router.turns == 2


async def test_typing_with_nothing_waiting_is_ignored_and_stored_nowhere(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(HOLD, debounce=0.05)
    assert await _typing(gw, "nobody") == 0
    assert await gw.store.list_conversations(limit=10) == []
    assert await gw.store.pending_conversations() == []
    # Once its turn has begun nothing is waiting: typing holds nothing, the next message is new.
    await gw.loopback.say("first", chat_id="later")
    assert (await gw.loopback.reply("later")).text == "first"
    assert await _typing(gw, "later") == 0
    transcript = await gw.store.transcript((await gw.store.list_conversations())[0].id)
    assert [m.text for m in transcript] == ["first", "first"]  # no row for a typing signal


async def test_grace_zero_ignores_typing(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory("[agent]\ntyping_grace_seconds = 0\n", debounce=0.05)
    await gw.loopback.say("hi", chat_id="a")
    assert await _typing(gw, "a") == 0
    assert (await gw.loopback.reply("a")).text == "hi"


async def test_a_burst_is_still_one_turn_with_the_default_window(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    default = AgentConfig.model_fields["debounce_seconds"].default
    assert 0 < default <= 0.5  # a complete message is answered within a few hundred ms
    gw = await gateway_factory(debounce=default)
    await gw.loopback.say("hi")
    await asyncio.sleep(0.1)  # two messages 100 ms apart
    await gw.loopback.say("where is my order")
    assert (await gw.loopback.reply()).text == "hi\nwhere is my order"
    assert gw.rt.router.turns == 1


def test_lane_deadline_moves_with_typing_and_messages(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = [100.0]
    monkeypatch.setattr(router_mod.time, "monotonic", lambda: now[0])
    lane = Lane(None, 1)  # type: ignore[arg-type]
    assert not lane.hold(3.0)  # nothing waiting: nothing to hold
    lane.push(0.25)
    assert lane.deadline == 100.25
    now[0] = 100.2
    assert lane.hold(3.0) and lane.deadline == 103.2  # typing: the rest is coming
    now[0] = 101.0
    lane.hold(1.0)
    assert lane.deadline == 103.2  # a signal never shortens the wait
    lane.push(0.25)  # the rest arrived: answer it soon, and wake the sleeping lane
    assert lane.deadline == 101.25 and lane.moved.is_set()
    now[0] = 109.0
    lane.hold(3.0)
    assert lane.deadline == 100.0 + MAX_DEBOUNCE_WAIT  # never past the cap


async def test_widget_typing_frame_postpones_the_answer(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    # A wider window here: the typing frame travels a socket before it reaches the lane.
    gw = await gateway_factory(HOLD, debounce=1.0, webchat=True)
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        typist, quick = ChatClient(base, http), ChatClient(base, http)
        await typist.connect()
        await quick.connect()
        await typist.send("hello", "t1")
        await typist.frame("ack")
        assert typist.ws is not None
        await typist.ws.send_json({"type": "typing"})
        await quick.send("do you ship to canada", "q1")
        assert (await quick.frame("message"))["text"] == "do you ship to canada"
        await typist.send("I need to change my address", "t2")
        await typist.frame("ack")
        # The first message frame the typist gets answers both: nothing went out between.
        assert (await typist.frame("message"))["text"] == "hello\nI need to change my address"
        await typist.close()
        await quick.close()
