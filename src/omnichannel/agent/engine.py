"""The engine interface every agent engine implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from omnichannel.agent.tools import ToolBox
from omnichannel.agent.turn import Turn
from omnichannel.agent.voice import Voice
from omnichannel.conversation import Conversation, Message, Role
from omnichannel.knowledge.model import KnowledgeSource


@dataclass(frozen=True, slots=True)
class Deps:
    knowledge: KnowledgeSource
    voice: Voice
    max_failures: int = 2
    # The shop's tools for this conversation; None when no commerce backend is configured.
    tools: ToolBox | None = None


class Engine(Protocol):
    name: str
    # Past messages the engine reads besides the unanswered burst (0: the burst alone).
    history: int

    async def respond(
        self, conversation: Conversation, history: Sequence[Message], deps: Deps
    ) -> Turn: ...


def new_customer_messages(history: Sequence[Message]) -> list[Message]:
    """The customer's messages since the last reply: one debounced burst."""
    out: list[Message] = []
    for msg in reversed(history):
        if msg.role is Role.CUSTOMER:
            out.append(msg)
        elif msg.role in (Role.AGENT, Role.STAFF, Role.SYSTEM):
            break
    return list(reversed(out))


class EchoEngine:
    """Repeats the shopper: isolates the gateway's own cost in benchmarks and tests."""

    name = "echo"
    history = 0

    async def respond(
        self, conversation: Conversation, history: Sequence[Message], deps: Deps
    ) -> Turn:
        burst = new_customer_messages(history)
        return Turn(text="\n".join(m.text for m in burst) or "(empty)", intent="echo")
