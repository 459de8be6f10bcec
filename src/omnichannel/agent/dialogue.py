"""What the built-in engine remembers of a conversation between turns: its open tasks, the
question it asked, what the shopper said, and the orders it showed. JSON the router keeps."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SAID_KEPT = 12  # the shopper's messages kept while a task is open


@dataclass
class Task:
    intent: str
    order_id: str | None = None
    item_ids: list[str] = field(default_factory=list)
    new_item_ids: list[str] = field(default_factory=list)
    payment_method_id: str | None = None
    reason: str | None = None
    address: dict[str, str] | None = None


@dataclass
class State:
    tasks: list[Task] = field(default_factory=list)
    pending: dict[str, Any] | None = None  # {"tool", "args", "token", "summary"}
    said: list[str] = field(default_factory=list)  # the shopper's words while a task is open
    asking: str | None = None  # the slot last asked for
    misses: int = 0  # answers in a row that did not fill it
    listed: list[str] = field(default_factory=list)  # order ids last shown, in that order
    focus: str | None = None  # the order the conversation is about
    last: dict[str, Any] | None = None  # the last task done ("the other one too")
    offer: str | None = None  # a task offered with a policy answer ("Start a return")

    def to_json(self) -> str | None:
        if not (self.tasks or self.pending or self.focus or self.listed or self.last or
                self.offer):
            return None
        return json.dumps({"tasks": [asdict(t) for t in self.tasks], "pending": self.pending,
                           "said": self.said, "asking": self.asking, "misses": self.misses,
                           "listed": self.listed, "focus": self.focus, "last": self.last,
                           "offer": self.offer})

    @classmethod
    def from_json(cls, text: str | None) -> State:
        if not text:
            return cls()
        try:
            raw = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(raw, dict):
            return cls()
        return cls([Task(**t) for t in raw.get("tasks", [])], raw.get("pending"),
                   list(raw.get("said", [])), raw.get("asking"), int(raw.get("misses", 0)),
                   list(raw.get("listed", [])), raw.get("focus"), raw.get("last"), raw.get("offer"))

    def restore(self, saved: str | None) -> None:
        """Back to a state saved with to_json (a reply that turned out not to answer)."""
        other = State.from_json(saved)
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))

    def clear(self) -> None:
        self.tasks.clear()
        self.pending = None
        self.said.clear()
        self.asking = None
        self.misses = 0
