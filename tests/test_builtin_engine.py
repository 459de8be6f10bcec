"""The built-in engine over the shipped help center, and its handoff triggers."""

from __future__ import annotations

import pytest

from omnichannel.conversation import Owner, Role


@pytest.fixture
async def agent(gateway_factory):  # type: ignore[no-untyped-def]
    return await gateway_factory(engine="builtin")


async def _ask(gw, text: str, chat: str = "s", value: str | None = None) -> list:  # type: ignore[no-untyped-def,type-arg]
    await gw.loopback.say(text, chat_id=chat, button_value=value)
    out = [await gw.loopback.reply(chat)]
    while True:
        try:
            out.append(await gw.loopback.reply(chat, timeout=0.3))
        except TimeoutError:
            return out


@pytest.mark.parametrize(
    ("question", "article", "word"),
    [
        ("How do I return an item?", "Returns and refunds", "30 days"),
        ("how much is shipping", "Shipping", "$50"),
        ("Do you ship to Canada?", "Shipping", "Canada"),
        ("when will I get my money back", "Returns and refunds", "refund"),
        ("can I swap for a bigger size", "Exchanges", "size"),
        ("my zipper is broken", "Warranty", "warranty"),
        ("what payment methods do you accept", "Payment", "PayPal"),
        ("can I change my shipping address", "Changing or cancelling an order", "address"),
        ("what are your hours", "Contact us", "9:00"),
    ],
)
async def test_answers_from_the_help_center_and_names_the_article(
    agent, question: str, article: str, word: str  # type: ignore[no-untyped-def]
) -> None:
    (reply,) = await _ask(agent, question)
    assert reply.role is Role.AGENT
    assert f"(From our help center: {article})" in reply.text
    assert word.lower() in reply.text.lower()


async def test_greets_and_thanks_with_topic_buttons(agent) -> None:  # type: ignore[no-untyped-def]
    (hello,) = await _ask(agent, "hi there")
    assert "Juno" in hello.text and [b.label for b in hello.buttons][:2] == ["Shipping", "Returns"]
    (thanks,) = await _ask(agent, "thanks!")
    assert "welcome" in thanks.text.lower()


async def test_says_plainly_when_it_does_not_know_and_offers_a_person(agent) -> None:  # type: ignore[no-untyped-def]
    (reply,) = await _ask(agent, "do you sell bicycles")
    assert "not sure" in reply.text
    assert "handoff" in [b.value for b in reply.buttons]


async def test_repeated_failure_hands_off(agent) -> None:  # type: ignore[no-untyped-def]
    await _ask(agent, "do you sell bicycles")
    replies = await _ask(agent, "what about unicycles then")
    assert replies[-1].role is Role.SYSTEM and "our team" in replies[-1].text
    convs = await agent.store.list_conversations(owner="staff")
    assert convs[0].handoff_reason == "repeated_failure"


@pytest.mark.parametrize(
    ("text", "value", "reason"),
    [
        ("I want to talk to a human", None, "requested"),
        ("Talk to a person", "handoff", "requested"),
        ("this is a SCAM, I'm furious", None, "anger"),
        ("I will contact my lawyer about this", None, "legal"),
        ("you stupid bot", None, "abuse"),
        ("here is my card 4242 4242 4242 4242", None, "card_number"),
        ("I want to kill myself", None, "self_harm"),
    ],
)
async def test_handoff_triggers(agent, text: str, value: str | None, reason: str) -> None:  # type: ignore[no-untyped-def]
    replies = await _ask(agent, text, value=value)
    notice = replies[-1]
    assert notice.role is Role.SYSTEM
    assert "passed this conversation to our team" in notice.text
    conv = (await agent.store.list_conversations(owner="staff"))[0]
    assert conv.handoff_reason == reason
    # The agent goes quiet afterwards.
    await agent.loopback.say("hello?", chat_id="s")
    with pytest.raises(TimeoutError):
        await agent.loopback.reply("s", timeout=0.5)
    c = await agent.store.conversation(conv.id)
    assert c is not None and c.owner is Owner.STAFF


async def test_self_harm_reply_points_to_help(agent) -> None:  # type: ignore[no-untyped-def]
    replies = await _ask(agent, "I want to end my life")
    assert "988" in replies[0].text
