"""The rating question on a text channel: a typed score answers it, on the conversation that
asked (resolved or not), while the question still waits; anything else is a message."""

from __future__ import annotations

import json

import pytest

from omnichannel.agent import Turn
from omnichannel.channel import Capabilities
from omnichannel.conversation import Status
from omnichannel.router import CSAT_TEXT, CSAT_THANKS, csat_for
from omnichannel.store.rating import REPLY_WINDOW, score_in


@pytest.mark.parametrize(("text", "score"), [
    ("5", 5), ("4/5", 4), ("5 stars", 5), ("I'd give it a 4", 4), ("I\u2019d give it a 4!", 4),
    ("five stars", 5), ("1 star", 1), ("4 out of 5", 4), ("rating: 3", 3), ("a solid 4", 4),
    ("5/5 thanks", 5), ("I would rate you 5 out of 5", 5), ("2.", 2),
    ("\u2b50\u2b50\u2b50\u2b50", 4),
])
def test_typed_ratings_read_as_scores(text: str, score: int) -> None:
    assert score_in(text) == score


@pytest.mark.parametrize("text", [
    "2 items", "order 3", "3 please", "6", "0", "10/10", "I have 4 questions",
    "where is order 5", "",
])
def test_other_text_is_not_a_rating(text: str) -> None:
    assert score_in(text) is None


async def _text_channel(gateway_factory):  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    # A channel without buttons (SMS, email): the question asks for a typed number.
    gw.loopback.capabilities = Capabilities(max_text_length=4096, typing=True)
    return gw


async def _resolve_and_ask(gw, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    """What a staff resolve does (console, CLI): close it, then ask once."""
    await gw.store.set_status(conversation_id, Status.RESOLVED)
    question = csat_for(gw.rt.router, "loopback")
    ids = await gw.store.ask_csat(conversation_id, question.text, question.chunks,
                                  question.buttons)
    gw.rt.router.outbox.kick(conversation_id, ids)
    asked = await gw.loopback.reply()
    assert asked.text == CSAT_TEXT and asked.buttons == ()


async def _ratings(gw) -> list[tuple[int, dict]]:  # type: ignore[no-untyped-def, type-arg]
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], json.loads(r[1])) for r in conn.execute(
            "SELECT conversation_id, detail FROM events WHERE kind = 'csat' ORDER BY id")]

    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def test_typed_rating_after_a_resolve_lands_where_it_was_asked(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await _text_channel(gateway_factory)
    pub = await gw.loopback.say("where is my parcel")
    await gw.loopback.reply()
    await _resolve_and_ask(gw, pub.conversation_id)
    rating = await gw.loopback.say("I'd give it a 4")
    assert (await gw.loopback.reply()).text == CSAT_THANKS
    assert rating.conversation_id == pub.conversation_id  # no new conversation for it
    assert [c.id for c in await gw.store.list_conversations()] == [pub.conversation_id]
    assert await _ratings(gw) == [(pub.conversation_id, {"score": 4, "by": "agent"})]
    said = (await gw.store.transcript(pub.conversation_id))[-2]
    assert (said.text, said.button_value) == ("I'd give it a 4", "csat:4")  # read as the press
    # Rated once: a second score is a message like any other, in a new conversation.
    again = await gw.loopback.say("5")
    assert (await gw.loopback.reply()).text == "5"
    assert again.conversation_id != pub.conversation_id
    assert len(await _ratings(gw)) == 1


async def test_typed_rating_when_the_agent_asked_in_an_open_conversation(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await _text_channel(gateway_factory)

    async def answer(conv, history, deps) -> Turn:  # type: ignore[no-untyped-def]
        return Turn(text="Returns are free within 30 days.", intent="policy.returns")

    gw.rt.router.engine.respond = answer  # type: ignore[method-assign]
    pub = await gw.loopback.say("how do I return an item?")
    await gw.loopback.reply()
    await gw.loopback.say("thanks")
    await gw.loopback.reply()
    assert (await gw.loopback.reply()).text == CSAT_TEXT
    await gw.loopback.say("5 stars")
    assert (await gw.loopback.reply()).text == CSAT_THANKS
    assert await _ratings(gw) == [(pub.conversation_id, {"score": 5, "by": "agent"})]


async def test_a_number_after_another_answer_is_a_message_not_a_rating(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await _text_channel(gateway_factory)
    pub = await gw.loopback.say("hello")
    await gw.loopback.reply()
    await _resolve_and_ask(gw, pub.conversation_id)
    # The shopper moves on instead: a new conversation, and its "3" answers the agent.
    later = await gw.loopback.say("how many days do returns take")
    assert later.conversation_id != pub.conversation_id
    await gw.loopback.reply()
    three = await gw.loopback.say("3")
    assert three.conversation_id == later.conversation_id
    assert (await gw.loopback.reply()).text == "3"
    assert await _ratings(gw) == []


async def test_a_number_after_the_agent_spoke_again_is_not_a_rating(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await _text_channel(gateway_factory)

    async def answer(conv, history, deps) -> Turn:  # type: ignore[no-untyped-def]
        return Turn(text=f"About: {history[-1].text}", intent="policy.returns")

    gw.rt.router.engine.respond = answer  # type: ignore[method-assign]
    await gw.loopback.say("how do I return an item?")
    await gw.loopback.reply()
    await gw.loopback.say("thanks")
    await gw.loopback.reply()
    assert (await gw.loopback.reply()).text == CSAT_TEXT
    await gw.loopback.say("oh, and how many can I send back at once?")
    await gw.loopback.reply()  # the agent answered after the question: it no longer waits
    await gw.loopback.say("2")
    assert (await gw.loopback.reply()).text == "About: 2"
    assert await _ratings(gw) == []


async def test_a_typed_rating_after_the_window_is_a_new_message(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await _text_channel(gateway_factory)
    pub = await gw.loopback.say("hello")
    await gw.loopback.reply()
    await _resolve_and_ask(gw, pub.conversation_id)

    def age(conn):  # type: ignore[no-untyped-def]
        conn.execute("UPDATE events SET created_at = created_at - ? WHERE kind = 'csat_asked'",
                     (REPLY_WINDOW + 60,))

    await gw.store.db.write(age)
    late = await gw.loopback.say("5")
    assert (await gw.loopback.reply()).text == "5"
    assert late.conversation_id != pub.conversation_id
    assert await _ratings(gw) == []
