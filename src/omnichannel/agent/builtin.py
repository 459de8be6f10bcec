"""The built-in engine: rules and the help center, no network and no model."""

from __future__ import annotations

import re
from collections.abc import Sequence

from omnichannel.agent import intents
from omnichannel.agent.engine import Deps, new_customer_messages
from omnichannel.agent.knowledge import Passage, Ranked, rerank
from omnichannel.agent.orders import OrderFlow, State
from omnichannel.agent.turn import Handoff, HandoffReason, Turn
from omnichannel.conversation import Button, Conversation, Message

# A passage answers a question when it mentions most of the question's content words and
# ranks well overall (see knowledge.rerank); otherwise the engine says it does not know.
MIN_CONFIDENCE = 0.4
MIN_COVERAGE = 0.5
CANDIDATES = 25

TOPIC_BUTTONS = (
    Button("Shipping", "How much is shipping?"),
    Button("Returns", "How do I return an item?"),
    Button("Sizing", "How do I find my size?"),
)

_SAFETY = {
    HandoffReason.SELF_HARM: (
        "I'm really sorry you're going through this. You don't have to face it alone: if you "
        "are in danger, please call your local emergency number now. In the US you can call or "
        "text 988 to reach the Suicide & Crisis Lifeline at any time."
    ),
    HandoffReason.CARD_NUMBER: (
        "For your safety, please don't type card numbers in chat. I've hidden it from this "
        "conversation. Nobody from our team will ever ask for your full card number here."
    ),
    HandoffReason.LEGAL: "I understand. This needs someone from our team rather than me.",
    HandoffReason.ABUSE: "I'd like to get this sorted for you, so I'm bringing in our team.",
    HandoffReason.ANGER: (
        "I'm sorry this has been so frustrating. I'd like a person from our team to look at "
        "this with you."
    ),
}


class BuiltinEngine:
    name = "builtin"
    history = 0

    async def respond(
        self, conversation: Conversation, history: Sequence[Message], deps: Deps
    ) -> Turn:
        burst = new_customer_messages(history)
        text = " ".join(m.text.strip() for m in burst if m.text.strip())
        button = burst[-1].button_value if burst else None
        voice = deps.voice

        flag = intents.red_flag(text)
        if flag is not None:
            return Turn(
                text=voice.sign(_SAFETY[flag.reason]),
                handoff=Handoff(flag.reason, _summary(flag.detail, burst)),
                intent=f"handoff.{flag.reason.value}",
            )
        if intents.wants_person(text, button):
            return Turn(
                text="",
                handoff=Handoff(HandoffReason.REQUESTED, _summary("asked for a person", burst)),
                intent="handoff.requested",
            )
        if deps.tools is not None and (text or button):
            state = State.from_json(conversation.agent_state)
            flow = OrderFlow(deps.tools, state, voice.sign)
            turn = await flow.handle(text, button)
            if turn is not None:
                return turn
        if not text:
            return Turn(text=voice.greeting, buttons=TOPIC_BUTTONS, intent="greeting")
        if intents.is_greeting(text):
            return Turn(
                text=f"Hi! I'm {voice.assistant_name}, the {voice.shop_name} assistant. "
                "What can I help you with today?",
                buttons=TOPIC_BUTTONS,
                intent="greeting",
            )
        if intents.is_thanks(text):
            return Turn(
                text=voice.sign("You're welcome! Is there anything else I can help with?"),
                intent="thanks",
            )
        if intents.is_goodbye(text):
            return Turn(text=voice.sign("Thanks for chatting with us. Have a great day!"),
                        intent="goodbye")

        ranked = await _best_passage(text, deps)
        if ranked is not None:
            passage = ranked.passage
            return Turn(
                text=voice.sign(_answer(passage)),
                intent=f"faq.{_slug(passage.title)}",
                sources=(passage.source,),
                confidence=ranked.confidence,
            )

        failures = conversation.failures + 1
        if failures >= deps.max_failures:
            return Turn(
                text="I'm sorry, I haven't been able to help with this.",
                handoff=Handoff(
                    HandoffReason.REPEATED_FAILURE,
                    _summary(f"{failures} questions the assistant could not answer", burst),
                ),
                intent="unknown",
                failed=True,
                confidence=0.0,
            )
        return Turn(
            text="I'm not sure about that one, and I'd rather not guess. You can rephrase it, "
            "pick a topic below, or talk to a person from our team.",
            buttons=(*TOPIC_BUTTONS[:2], Button(voice.person_label, intents.HANDOFF_BUTTON)),
            intent="unknown",
            failed=True,
            confidence=0.0,
        )


async def _best_passage(text: str, deps: Deps) -> Ranked | None:
    ranked = rerank(text, await deps.knowledge.search(text, limit=CANDIDATES))
    for r in ranked:
        # No word of the question in the section's heading: a body that merely mentions the
        # words (a tent in the warranty text) is not an answer.
        if r.confidence >= MIN_CONFIDENCE and r.coverage >= MIN_COVERAGE and r.heading_overlap:
            return r
    return None


def _answer(p: Passage) -> str:
    body = re.sub(r"\n{3,}", "\n\n", p.body.strip())
    return f"{body}\n\n(From our help center: {p.title})"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def _summary(reason: str, burst: Sequence[Message]) -> str:
    last = intents.redact_cards(" ".join(m.text for m in burst))[:300]
    return f"{reason}. Last message: {last!r}" if last else reason
