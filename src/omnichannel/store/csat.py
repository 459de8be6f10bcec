"""SQL for the one-question satisfaction rating (CSAT): asked once per conversation after
a resolution, never after an angry or abusive handoff; the rating is a `csat` event the
analytics read (store/analytics.py)."""

from __future__ import annotations

import json
import sqlite3

from omnichannel.conversation import Button, Role
from omnichannel.store.conversations import add_event, add_message
from omnichannel.store.outbox import enqueue

ANGRY = ("anger", "abuse")


def may_ask(conn: sqlite3.Connection, conversation_id: int) -> bool:
    """Someone answered, nobody asked yet, and no angry or abusive handoff happened."""
    answered = conn.execute("SELECT 1 FROM messages WHERE conversation_id = ? AND role IN "
                            "(?, ?) LIMIT 1", (conversation_id, Role.AGENT.value,
                                               Role.STAFF.value)).fetchone()
    if answered is None:
        return False
    rows = conn.execute("SELECT kind, detail FROM events WHERE conversation_id = ? AND kind IN "
                        "('csat_asked', 'csat', 'handoff')", (conversation_id,)).fetchall()
    for kind, detail in rows:
        if kind in ("csat_asked", "csat"):
            return False
        if json.loads(detail or "{}").get("reason") in ANGRY:
            return False
    return True


def mark_asked(conn: sqlite3.Connection, conversation_id: int) -> None:
    add_event(conn, conversation_id, "csat_asked", {})


def ask(conn: sqlite3.Connection, conversation_id: int, text: str,
        chunks: list[tuple[str, tuple[Button, ...]]], buttons: tuple[Button, ...]) -> list[int]:
    """Queue the question once (a staff resolve); [] when it may not be asked."""
    if not may_ask(conn, conversation_id):
        return []
    mark_asked(conn, conversation_id)
    msg_id = add_message(conn, conversation_id, Role.SYSTEM, text, buttons)
    return enqueue(conn, conversation_id, msg_id, chunks, Role.SYSTEM)


def rate(conn: sqlite3.Connection, conversation_id: int, score: int) -> bool:
    """Record the rating once, for the agent or for staff (whoever answered). False when
    it was not asked here or is already rated."""
    kinds = {r[0] for r in conn.execute("SELECT kind FROM events WHERE conversation_id = ? "
                                        "AND kind IN ('csat_asked', 'csat')",
                                        (conversation_id,))}
    if "csat_asked" not in kinds or "csat" in kinds:
        return False
    staff = conn.execute("SELECT 1 FROM messages WHERE conversation_id = ? AND role = ? "
                         "LIMIT 1", (conversation_id, Role.STAFF.value)).fetchone()
    add_event(conn, conversation_id, "csat", {"score": score,
                                              "by": "staff" if staff else "agent"})
    return True
