"""The agent core: knows conversations, never channels."""

from __future__ import annotations

from omnichannel.agent.builtin import BuiltinEngine
from omnichannel.agent.engine import Deps, EchoEngine, Engine
from omnichannel.agent.turn import Handoff, HandoffReason, Turn
from omnichannel.agent.voice import Voice

__all__ = ["Deps", "Engine", "Handoff", "HandoffReason", "Turn", "Voice", "make_engine"]


def make_engine(name: str) -> Engine:
    """The engine named in `[agent] engine`."""
    if name == "builtin":
        return BuiltinEngine()
    if name == "echo":
        return EchoEngine()
    raise ValueError(f"unknown engine {name!r}: expected 'builtin' or 'echo'")
