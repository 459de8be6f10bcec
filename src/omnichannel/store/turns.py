"""SQL that files one agent turn atomically (invariant 4's first half)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from omnichannel.conversation import Button, Owner, Role
from omnichannel.store.conversations import add_event, add_message, mark_handled, set_owner
from omnichannel.store.outbox import enqueue
from omnichannel.store.staff import add_draft


@dataclass(frozen=True, slots=True)
class OutMessage:
    role: Role
    text: str
    buttons: tuple[Button, ...] = ()
    # The text as the channel will carry it; empty for notes that are never sent.
    chunks: list[tuple[str, tuple[Button, ...]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TurnWrite:
    conversation_id: int
    journal_ids: tuple[int, ...]
    messages: list[OutMessage]
    intent: str | None = None
    failures: int | None = None
    # The owner epoch the turn read; a takeover since then silences its agent rows.
    owner_epoch: int = 0
    agent_state: str | None = None
    tool_session: str | None = None
    # Model usage of the turn (tokens, cost), recorded as an `llm_usage` event.
    usage: dict[str, object] | None = None
    handoff_reason: str | None = None
    handoff_summary: str | None = None
    # Assisted / shadow mode: the agent's reply kept as a draft instead of being sent.
    draft: DraftWrite | None = None
    # The turn carries the satisfaction question (recorded so it is asked once).
    csat_asked: bool = False
    # The conversation's language after this turn (detected from the shopper's messages).
    language: str | None = None


@dataclass(frozen=True, slots=True)
class DraftWrite:
    category: str
    mode: str
    text: str
    buttons: tuple[Button, ...]
    proposed: list[dict[str, Any]]
    status: str  # "pending" (staff approve it) or "shadow" (kept privately)


def commit_turn(conn: sqlite3.Connection, turn: TurnWrite) -> list[int]:
    """Store replies, queue them, mark the inbound events handled: all or nothing."""
    outbox_ids: list[int] = []
    epoch = turn.owner_epoch
    current = conn.execute(
        "SELECT owner_epoch FROM conversations WHERE id = ?", (turn.conversation_id,)
    ).fetchone()[0]
    if turn.handoff_reason and current == epoch:
        if set_owner(conn, turn.conversation_id, Owner.STAFF, turn.handoff_reason):
            epoch += 1
        add_event(conn, turn.conversation_id, "handoff",
                  {"reason": turn.handoff_reason, "summary": turn.handoff_summary})
    for msg in turn.messages:
        msg_id = add_message(conn, turn.conversation_id, msg.role, msg.text, msg.buttons)
        if msg.chunks:
            outbox_ids += enqueue(conn, turn.conversation_id, msg_id, msg.chunks, msg.role,
                                  epoch)
    if turn.draft is not None:
        d = turn.draft
        add_draft(conn, turn.conversation_id, d.category, d.mode, d.text, d.buttons,
                  d.proposed, d.status)
    if turn.csat_asked:
        add_event(conn, turn.conversation_id, "csat_asked", {})
    mark_handled(conn, turn.journal_ids)
    if turn.usage:
        add_event(conn, turn.conversation_id, "llm_usage", turn.usage)
    conn.execute(
        "UPDATE conversations SET intent = COALESCE(?, intent), "
        "failures = COALESCE(?, failures), agent_state = ?, "
        "tool_session = COALESCE(?, tool_session), language = COALESCE(?, language), "
        "updated_at = ? WHERE id = ?",
        (turn.intent, turn.failures, turn.agent_state, turn.tool_session, turn.language,
         time.time(), turn.conversation_id),
    )
    return outbox_ids


def queue_message(
    conn: sqlite3.Connection,
    conversation_id: int,
    role: Role,
    text: str,
    chunks: list[tuple[str, tuple[Button, ...]]],
    owner: Owner | None,
) -> list[int]:
    """A message from outside a turn (staff reply, give-back notice), with an owner change."""
    if owner is not None:
        set_owner(conn, conversation_id, owner, f"{role.value}_message")
    msg_id = add_message(conn, conversation_id, role, text)
    return enqueue(conn, conversation_id, msg_id, chunks, role)
