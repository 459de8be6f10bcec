"""SQL for the staff console: Slack threads per conversation, drafts, pending staff replies.

Draft statuses: `pending` (assisted: waiting for staff), `approved` / `edited` (decided,
writes and text on their way), `sent`, `rejected`, `failed` (a deferred write refused at
approval: nothing sent), `shadow` (an "off" category: kept privately) and `scored` (a
shadow draft compared with what staff sent).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from omnichannel.conversation import Button, Owner, Role
from omnichannel.store.conversations import add_event, add_message, buttons_from, buttons_json
from omnichannel.store.outbox import enqueue


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    conversation_id: int
    category: str
    mode: str
    text: str
    buttons: tuple[Button, ...]
    proposed: list[dict[str, Any]]
    status: str
    final_text: str | None
    slack_ts: str | None
    error: str | None


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(row["id"], row["conversation_id"], row["category"], row["mode"], row["text"],
                 buttons_from(row["buttons"]), json.loads(row["proposed"] or "[]"),
                 row["status"], row["final_text"], row["slack_ts"], row["error"])


def add_draft(conn: sqlite3.Connection, conversation_id: int, category: str, mode: str,
              text: str, buttons: tuple[Button, ...], proposed: list[dict[str, Any]],
              status: str) -> int:
    cur = conn.execute(
        "INSERT INTO drafts (conversation_id, category, mode, text, buttons, proposed, status, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (conversation_id, category, mode, text, buttons_json(buttons), json.dumps(proposed),
         status, time.time()))
    add_event(conn, conversation_id, "draft", {"category": category, "mode": mode,
                                               "status": status})
    assert cur.lastrowid is not None
    return cur.lastrowid


def get_draft(conn: sqlite3.Connection, draft_id: int) -> Draft | None:
    row = conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    return _draft(row) if row else None


def unposted_drafts(conn: sqlite3.Connection) -> list[Draft]:
    rows = conn.execute("SELECT * FROM drafts WHERE status = 'pending' AND slack_ts IS NULL "
                        "ORDER BY id").fetchall()
    return [_draft(r) for r in rows]


def mark_draft_posted(conn: sqlite3.Connection, draft_id: int, ts: str) -> None:
    conn.execute("UPDATE drafts SET slack_ts = ? WHERE id = ?", (ts, draft_id))


def decide_draft(conn: sqlite3.Connection, draft_id: int, status: str, by: str,
                 final_text: str | None, edit_distance: int | None) -> Draft | None:
    """pending -> status, once: a second press of the same button finds it decided."""
    cur = conn.execute(
        "UPDATE drafts SET status = ?, decided_by = ?, final_text = ?, edit_distance = ?, "
        "decided_at = ? WHERE id = ? AND status = 'pending'",
        (status, by, final_text, edit_distance, time.time(), draft_id))
    if not cur.rowcount:
        return None
    draft = get_draft(conn, draft_id)
    assert draft is not None
    add_event(conn, draft.conversation_id, "draft_decided",
              {"draft_id": draft_id, "status": status, "by": by,
               "edit_distance": edit_distance})
    return draft


def finish_draft(conn: sqlite3.Connection, draft_id: int, status: str,
                 error: str | None = None) -> None:
    conn.execute("UPDATE drafts SET status = ?, error = ? WHERE id = ?",
                 (status, error, draft_id))


def send_draft(conn: sqlite3.Connection, draft_id: int, text: str,
               chunks: list[tuple[str, tuple[Button, ...]]],
               buttons: tuple[Button, ...]) -> list[int]:
    """The approved text as the agent's message, queued under the current owner epoch (a
    person approved it, so a takeover since the draft does not silence it), and the draft
    marked sent: one transaction."""
    draft = get_draft(conn, draft_id)
    assert draft is not None
    epoch = conn.execute("SELECT owner_epoch FROM conversations WHERE id = ?",
                         (draft.conversation_id,)).fetchone()[0]
    msg_id = add_message(conn, draft.conversation_id, Role.AGENT, text, buttons)
    ids = enqueue(conn, draft.conversation_id, msg_id, chunks, Role.AGENT, epoch)
    finish_draft(conn, draft_id, "sent")
    return ids


def latest_draft(conn: sqlite3.Connection, conversation_id: int,
                 status: str = "shadow") -> Draft | None:
    row = conn.execute("SELECT * FROM drafts WHERE conversation_id = ? AND status = ? "
                       "ORDER BY id DESC LIMIT 1", (conversation_id, status)).fetchone()
    return _draft(row) if row else None


def score_shadow(conn: sqlite3.Connection, draft_id: int, staff_text: str,
                 distance: int) -> None:
    conn.execute("UPDATE drafts SET status = 'scored', final_text = ?, edit_distance = ?, "
                 "decided_by = 'staff', decided_at = ? WHERE id = ?",
                 (staff_text, distance, time.time(), draft_id))


def autonomy_rows(conn: sqlite3.Connection) -> list[tuple[str, str, int, str]]:
    """(category, status, edit_distance, mode) of every decided draft, oldest first."""
    rows = conn.execute(
        "SELECT category, status, COALESCE(edit_distance, 0), mode FROM drafts "
        "WHERE status IN ('sent', 'approved', 'edited', 'rejected', 'failed', 'scored') "
        "ORDER BY id").fetchall()
    return [(r[0], r[1], int(r[2]), r[3]) for r in rows]


def pending_decisions(conn: sqlite3.Connection, draft_id: int) -> str | None:
    row = conn.execute("SELECT status FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    return row[0] if row else None


# threads
def thread_for(conn: sqlite3.Connection, conversation_id: int) -> tuple[str, str] | None:
    row = conn.execute("SELECT channel, thread_ts FROM staff_threads WHERE conversation_id = ?",
                       (conversation_id,)).fetchone()
    return (row[0], row[1]) if row else None


def conversation_for_thread(conn: sqlite3.Connection, channel: str,
                            thread_ts: str) -> int | None:
    row = conn.execute("SELECT conversation_id FROM staff_threads WHERE channel = ? AND "
                       "thread_ts = ?", (channel, thread_ts)).fetchone()
    return int(row[0]) if row else None


def save_thread(conn: sqlite3.Connection, conversation_id: int, channel: str,
                thread_ts: str) -> None:
    conn.execute("INSERT OR IGNORE INTO staff_threads (conversation_id, channel, thread_ts, "
                 "created_at) VALUES (?, ?, ?, ?)", (conversation_id, channel, thread_ts,
                                                     time.time()))


def needing_threads(conn: sqlite3.Connection) -> list[int]:
    """Open conversations handed to staff, or with a draft waiting, that have no thread."""
    rows = conn.execute(
        "SELECT c.id FROM conversations c LEFT JOIN staff_threads t ON t.conversation_id = c.id "
        "WHERE t.conversation_id IS NULL AND c.status = 'open' AND (c.owner = ? OR EXISTS "
        "(SELECT 1 FROM drafts d WHERE d.conversation_id = c.id AND d.status = 'pending')) "
        "ORDER BY c.id", (Owner.STAFF.value,)).fetchall()
    return [int(r[0]) for r in rows]


def handoff_packet(conn: sqlite3.Connection, conversation_id: int) -> dict[str, Any]:
    """What the packet shows: the handoff event, the contact, actions tried, recent text."""
    conv = conn.execute("SELECT * FROM conversations WHERE id = ?",
                        (conversation_id,)).fetchone()
    handoff = conn.execute("SELECT detail FROM events WHERE conversation_id = ? AND "
                           "kind = 'handoff' ORDER BY id DESC LIMIT 1",
                           (conversation_id,)).fetchone()
    contact = conn.execute("SELECT name, email, email_verified, phone, phone_verified FROM "
                           "contacts WHERE id = ?", (conv["contact_id"],)).fetchone()
    actions = conn.execute("SELECT tool, result AS outcome, order_id, created_at FROM actions "
                           "WHERE conversation_id = ? ORDER BY id DESC LIMIT 8",
                           (conversation_id,)).fetchall()
    messages = conn.execute("SELECT role, text FROM messages WHERE conversation_id = ? AND "
                            "role IN ('customer', 'agent', 'staff') ORDER BY id DESC LIMIT 6",
                            (conversation_id,)).fetchall()
    return {
        "conversation_id": conversation_id, "channel": conv["channel"],
        "owner": conv["owner"], "intent": conv["intent"],
        "tool_session": conv["tool_session"],
        "handoff": json.loads(handoff[0]) if handoff else None,
        "contact": dict(contact) if contact else {},
        "actions": [dict(a) for a in reversed(actions)],
        "messages": [dict(m) for m in reversed(messages)],
    }


# staff replies waiting for "take over or send once?"
def put_pending(conn: sqlite3.Connection, key: str, conversation_id: int, text: str,
                author: str) -> bool:
    cur = conn.execute("INSERT OR IGNORE INTO staff_pending (key, conversation_id, text, "
                       "author, created_at) VALUES (?, ?, ?, ?, ?)",
                       (key, conversation_id, text, author, time.time()))
    return bool(cur.rowcount)


def take_pending(conn: sqlite3.Connection, key: str) -> tuple[int, str] | None:
    """Remove and return (conversation_id, text), once."""
    row = conn.execute("SELECT conversation_id, text FROM staff_pending WHERE key = ?",
                       (key,)).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM staff_pending WHERE key = ?", (key,))
    return int(row[0]), str(row[1])


def note_message(conn: sqlite3.Connection, conversation_id: int, text: str) -> None:
    add_message(conn, conversation_id, Role.NOTE, text)
