"""Replay a log of tool calls (τ-bench gold actions) through the tool layer.

Replay mode: the session is authenticated as the task's customer and every confirmation
is granted, so what is tested is the tools' semantics and guardrails, not the dialogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnichannel.agent.guardrails import Policy, Session, Verification
from omnichannel.agent.tools import ToolBox
from omnichannel.commerce import Commerce

# τ-bench data has no dates and no refund caps: replay with the limits off.
REPLAY_POLICY = Policy(return_window_days=None, max_refund_per_order=None,
                       max_refund_per_customer_30d=None, max_refund_per_day=None)


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    kwargs: dict[str, Any]


def replay_session(customer_id: str) -> Session:
    session = Session(auto_confirm=True)
    session.verify(customer_id, Verification.REPLAY)
    return session


async def replay(
    commerce: Commerce, customer_id: str, actions: Sequence[Action], key: str = "replay"
) -> list[str | None]:
    """Run each action; per action None, or the error it returned (nothing changed then)."""
    tools = ToolBox(commerce, replay_session(customer_id), REPLAY_POLICY, conversation_key=key)
    errors: list[str | None] = []
    for action in actions:
        result = await tools.call(action.name, dict(action.kwargs))
        errors.append(result.error or result.held)
    return errors
