"""SQL for the outbox: enqueue, claim with the owner re-check, finish, restart rules."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from omnichannel.conversation import Button, Delivery, Owner, Role
from omnichannel.store.conversations import add_event, add_message, buttons_from, buttons_json


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    conversation_id: int
    message_id: int | None
    channel: str
    account: str
    chat_id: str
    role: Role
    text: str
    buttons: tuple[Button, ...]
    attempts: int
    owner: Owner
    last_inbound_at: float = 0.0
    language: str | None = None


def enqueue(
    conn: sqlite3.Connection,
    conversation_id: int,
    message_id: int | None,
    chunks: list[tuple[str, tuple[Button, ...]]],
    role: Role,
    owner_epoch: int | None = None,
) -> list[int]:
    conv = conn.execute(
        "SELECT channel, account, chat_id, owner_epoch FROM conversations WHERE id = ?",
        (conversation_id,),
    ).fetchone()
    epoch = conv["owner_epoch"] if owner_epoch is None else owner_epoch
    now = time.time()
    ids = []
    for text, buttons in chunks:
        cur = conn.execute(
            "INSERT INTO outbox (conversation_id, message_id, channel, account, chat_id, role, "
            "text, buttons, owner_epoch, status, attempts, next_attempt_at, created_at, "
            "updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
            (conversation_id, message_id, conv["channel"], conv["account"], conv["chat_id"],
             role.value, text, buttons_json(buttons), epoch, now, now, now),
        )
        assert cur.lastrowid is not None
        ids.append(cur.lastrowid)
    return ids


def claim(conn: sqlite3.Connection, outbox_id: int) -> OutboxRow | None:
    """Move a due `queued` row to `sending`, re-checking the owner (invariant 5).

    An agent-written row is cancelled instead when the owner changed after it was written
    (staff took over meanwhile): the agent never talks over a person. The handoff turn's
    own words are written after its owner change, so they still go out.
    Returns None when there is nothing to send.
    """
    row = conn.execute(
        "SELECT o.*, c.owner AS owner, c.owner_epoch AS epoch, "
        "c.last_inbound_at AS last_inbound_at, c.language AS language FROM outbox o "
        "JOIN conversations c ON c.id = o.conversation_id "
        "WHERE o.id = ? AND o.status = 'queued'",
        (outbox_id,),
    ).fetchone()
    if row is None:
        return None
    now = time.time()
    if row["role"] == Role.AGENT.value and row["owner_epoch"] != row["epoch"]:
        conn.execute(
            "UPDATE outbox SET status = 'cancelled', error = 'owner is staff', updated_at = ? "
            "WHERE id = ?",
            (now, outbox_id),
        )
        _set_delivery(conn, row["message_id"], Delivery.CANCELLED)
        add_event(conn, row["conversation_id"], "outbox_cancelled",
                  {"outbox_id": outbox_id, "reason": "owner is staff"})
        return None
    conn.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? "
        "WHERE id = ?",
        (now, outbox_id),
    )
    return OutboxRow(
        id=row["id"], conversation_id=row["conversation_id"], message_id=row["message_id"],
        channel=row["channel"], account=row["account"], chat_id=row["chat_id"],
        role=Role(row["role"]), text=row["text"], buttons=buttons_from(row["buttons"]),
        attempts=row["attempts"] + 1, owner=Owner(row["owner"]),
        last_inbound_at=row["last_inbound_at"] or 0.0, language=row["language"],
    )


def finish(
    conn: sqlite3.Connection,
    outbox_id: int,
    status: Delivery,
    *,
    platform_message_id: str | None = None,
    error: str | None = None,
    next_attempt_at: float | None = None,
) -> None:
    conn.execute(
        "UPDATE outbox SET status = ?, platform_message_id = COALESCE(?, platform_message_id), "
        "error = ?, next_attempt_at = COALESCE(?, next_attempt_at), updated_at = ? WHERE id = ?",
        (status.value, platform_message_id, error, next_attempt_at, time.time(), outbox_id),
    )
    if status is not Delivery.QUEUED:
        row = conn.execute(
            "SELECT message_id, conversation_id FROM outbox WHERE id = ?", (outbox_id,)
        ).fetchone()
        _set_delivery(conn, row["message_id"], status)
        if status is Delivery.FAILED:
            add_event(conn, row["conversation_id"], "delivery_failed",
                      {"outbox_id": outbox_id, "error": error})


def finish_row(
    conn: sqlite3.Connection,
    outbox_id: int,
    status: Delivery,
    platform_message_id: str | None,
    error: str | None,
    next_attempt_at: float | None,
) -> None:
    finish(conn, outbox_id, status, platform_message_id=platform_message_id, error=error,
           next_attempt_at=next_attempt_at)


def _set_delivery(conn: sqlite3.Connection, message_id: int | None, status: Delivery) -> None:
    if message_id is not None:
        conn.execute("UPDATE messages SET delivery = ? WHERE id = ?", (status.value, message_id))


def queued(conn: sqlite3.Connection) -> list[tuple[int, int, float]]:
    """(outbox id, conversation id, due time) of every queued row, oldest first."""
    rows = conn.execute(
        "SELECT id, conversation_id, next_attempt_at FROM outbox WHERE status = 'queued' "
        "ORDER BY id"
    ).fetchall()
    return [(r[0], r[1], r[2] or 0.0) for r in rows]


@dataclass(frozen=True, slots=True)
class Recovery:
    uncertain: list[int]
    dropped: list[int]
    requeued: list[int]


def recover(conn: sqlite3.Connection, stale_after: float) -> Recovery:
    """Restart rules (invariant 4), run once before any send after a start.

    `sending` rows may or may not have reached the shopper: they become `uncertain`, are
    flagged to staff and never resent. `queued` rows older than `stale_after` are dropped
    with a note in the transcript; younger ones are sent.
    """
    now = time.time()
    uncertain = [
        (r["id"], r["conversation_id"], r["message_id"])
        for r in conn.execute("SELECT * FROM outbox WHERE status = 'sending'").fetchall()
    ]
    for oid, conv_id, msg_id in uncertain:
        conn.execute(
            "UPDATE outbox SET status = 'uncertain', updated_at = ? WHERE id = ?", (now, oid)
        )
        _set_delivery(conn, msg_id, Delivery.UNCERTAIN)
        add_event(conn, conv_id, "outbox_uncertain", {"outbox_id": oid})
        add_message(conn, conv_id, Role.NOTE,
                    f"Delivery of outbox #{oid} is uncertain after a restart: it may or may "
                    "not have reached the shopper, so it was not resent. Check with the shopper.")
    stale = [
        (r["id"], r["conversation_id"], r["message_id"])
        for r in conn.execute(
            "SELECT * FROM outbox WHERE status = 'queued' AND created_at < ?",
            (now - stale_after,),
        ).fetchall()
    ]
    for oid, conv_id, msg_id in stale:
        conn.execute(
            "UPDATE outbox SET status = 'dropped', updated_at = ? WHERE id = ?", (now, oid)
        )
        _set_delivery(conn, msg_id, Delivery.DROPPED)
        add_event(conn, conv_id, "outbox_dropped", {"outbox_id": oid})
        add_message(conn, conv_id, Role.NOTE,
                    f"Outbox #{oid} was too old to send after a restart and was dropped.")
    requeued = [r[0] for r in conn.execute(
        "SELECT id FROM outbox WHERE status = 'queued' ORDER BY id").fetchall()]
    return Recovery([u[0] for u in uncertain], [s[0] for s in stale], requeued)


_RECEIPTS = {"sent": 1, "delivered": 2, "read": 3}


def receipt(conn: sqlite3.Connection, channel: str, platform_message_id: str, status: str,
            error: str | None) -> bool:
    """Apply a platform's delivery receipt; statuses only move forward (sent < delivered <
    read), and "failed" is recorded with an event so staff can see it."""
    row = conn.execute(
        "SELECT id, conversation_id, message_id, status FROM outbox "
        "WHERE channel = ? AND platform_message_id = ?", (channel, platform_message_id),
    ).fetchone()
    if row is None:
        return False
    current = conn.execute("SELECT delivery FROM messages WHERE id = ?",
                           (row["message_id"],)).fetchone() if row["message_id"] else None
    before = current["delivery"] if current else None
    if status == "failed":
        conn.execute("UPDATE outbox SET status = 'failed', error = ?, updated_at = ? "
                     "WHERE id = ?", (error or "failed", time.time(), row["id"]))
        _set_delivery(conn, row["message_id"], Delivery.FAILED)
        add_event(conn, row["conversation_id"], "delivery_failed",
                  {"outbox_id": row["id"], "error": error, "via": "receipt"})
        return True
    if _RECEIPTS.get(status, 0) > _RECEIPTS.get(before or "", 0) and row["message_id"]:
        conn.execute("UPDATE messages SET delivery = ? WHERE id = ?",
                     (status, row["message_id"]))
    return True


def health(conn: sqlite3.Connection) -> tuple[int, int, float | None]:
    queued, oldest = conn.execute(
        "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status = 'queued'").fetchone()
    uncertain = conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE status = 'uncertain'").fetchone()[0]
    return int(queued), int(uncertain), oldest
