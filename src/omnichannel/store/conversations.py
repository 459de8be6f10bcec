"""SQL for the journal, contacts, identities, conversations and messages.

Every function takes the connection first and runs inside the caller's transaction (the
writer's group commit) or on a reader connection.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

from omnichannel.channel import Inbound, Published
from omnichannel.conversation import (
    Button,
    Contact,
    Conversation,
    Message,
    Owner,
    Role,
    Status,
)
from omnichannel.store.rating import awaiting, score_in


def buttons_json(buttons: tuple[Button, ...]) -> str | None:
    if not buttons:
        return None
    return json.dumps([{"label": b.label, "value": b.value} for b in buttons])


def buttons_from(raw: str | None) -> tuple[Button, ...]:
    if not raw:
        return ()
    return tuple(Button(label=b["label"], value=b["value"]) for b in json.loads(raw))


def row_conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        channel=row["channel"],
        account=row["account"],
        chat_id=row["chat_id"],
        identity_id=row["identity_id"],
        contact_id=row["contact_id"],
        status=Status(row["status"]),
        owner=Owner(row["owner"]),
        mode=row["mode"] or "autonomous",
        intent=row["intent"],
        failures=row["failures"] or 0,
        owner_epoch=row["owner_epoch"] or 0,
        agent_state=row["agent_state"],
        tool_session=row["tool_session"],
        language=row["language"] if "language" in row.keys() else None,
        language_hint=row["language_hint"] if "language_hint" in row.keys() else None,
    )


_ROLES = {r.value: r for r in Role}


def row_message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=_ROLES[row["role"]],
        text=row["text"],
        buttons=buttons_from(row["buttons"]),
        button_value=row["button_value"],
        created_at=row["created_at"] or 0.0,
    )


def journal_inbound(conn: sqlite3.Connection, inbound: Inbound) -> Published:
    """Journal an event; on first sight also file it as a customer message."""
    now = time.time()
    payload = json.dumps(
        {
            "text": inbound.text,
            "button_value": inbound.button_value,
            "sender_name": inbound.sender_name,
            "verified_email": inbound.verified_email,
            "verified_phone": inbound.verified_phone,
        }
    )
    cur = conn.execute(
        "INSERT OR IGNORE INTO journal (channel, account, external_id, chat_id, sender_id, "
        "payload, status, received_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
        (
            inbound.channel,
            inbound.account,
            inbound.external_id,
            inbound.chat_id,
            inbound.sender_id,
            payload,
            now,
        ),
    )
    if cur.rowcount == 0:
        row = conn.execute(
            "SELECT conversation_id, message_id FROM journal "
            "WHERE channel = ? AND account = ? AND external_id = ?",
            (inbound.channel, inbound.account, inbound.external_id),
        ).fetchone()
        return Published(row["message_id"], row["conversation_id"], duplicate=True)
    journal_id = cur.lastrowid
    identity_id, contact_id = _identity(conn, inbound, now)
    # A rating answers the question of a conversation that may be resolved already: it goes
    # to the latest conversation of the chat instead of opening a new one. A typed one only
    # while that question still waits for it (store/rating.py); it is then filed with the
    # value of the button it stands for, so everything after reads it as the rating.
    value = inbound.button_value
    score = None if value else score_in(inbound.text)
    conv = None
    if (value or "").startswith("csat:") or score is not None:
        conv = conn.execute(
            "SELECT id FROM conversations WHERE channel = ? AND account = ? AND chat_id = ? "
            "ORDER BY id DESC LIMIT 1", (inbound.channel, inbound.account, inbound.chat_id),
        ).fetchone()
        if conv is not None and score is not None:
            if awaiting(conn, conv["id"], now):
                value = f"csat:{score}"
            else:
                conv = None
    if conv is None:
        conv = conn.execute(
            "SELECT id FROM conversations WHERE channel = ? AND account = ? AND chat_id = ? "
            "AND status = 'open' ORDER BY id DESC LIMIT 1",
            (inbound.channel, inbound.account, inbound.chat_id),
        ).fetchone()
    if conv is None:
        conversation_id = conn.execute(
            "INSERT INTO conversations (channel, account, chat_id, identity_id, contact_id, "
            "status, owner, mode, failures, created_at, updated_at, last_inbound_at) "
            "VALUES (?, ?, ?, ?, ?, 'open', 'agent', 'autonomous', 0, ?, ?, ?)",
            (inbound.channel, inbound.account, inbound.chat_id, identity_id, contact_id,
             now, now, now),
        ).lastrowid
    else:
        conversation_id = conv["id"]
        conn.execute(
            "UPDATE conversations SET last_inbound_at = ?, updated_at = ? WHERE id = ?",
            (now, now, conversation_id),
        )
    if inbound.language_hint:
        conn.execute("UPDATE conversations SET language_hint = ? WHERE id = ?",
                     (inbound.language_hint[:35], conversation_id))
    message_id = conn.execute(
        "INSERT INTO messages (conversation_id, direction, role, text, button_value, "
        "journal_id, created_at) VALUES (?, 'in', 'customer', ?, ?, ?, ?)",
        (conversation_id, inbound.text, value, journal_id, now),
    ).lastrowid
    conn.execute(
        "UPDATE journal SET conversation_id = ?, message_id = ? WHERE id = ?",
        (conversation_id, message_id, journal_id),
    )
    assert conversation_id is not None and message_id is not None
    return Published(message_id, conversation_id, duplicate=False)


def _identity(conn: sqlite3.Connection, inbound: Inbound, now: float) -> tuple[int, int]:
    row = conn.execute(
        "SELECT id, contact_id FROM identities WHERE channel = ? AND account = ? "
        "AND external_id = ?",
        (inbound.channel, inbound.account, inbound.sender_id),
    ).fetchone()
    if row is None:
        contact_id = None
        if inbound.verified_email:
            found = conn.execute(
                "SELECT id FROM contacts WHERE email = ? AND email_verified = 1",
                (inbound.verified_email.lower(),),
            ).fetchone()
            contact_id = found["id"] if found else None
        if contact_id is None and inbound.verified_phone:
            # A number the provider vouches for on two channels (SMS and WhatsApp) is one
            # person: the contact is shared, which lets a reply fall back between them.
            found = conn.execute(
                "SELECT id FROM contacts WHERE phone = ? AND phone_verified = 1",
                (inbound.verified_phone,),
            ).fetchone()
            contact_id = found["id"] if found else None
        if contact_id is None:
            contact_id = conn.execute(
                "INSERT INTO contacts (name, email, email_verified, phone, phone_verified, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (inbound.sender_name,
                 inbound.verified_email.lower() if inbound.verified_email else None,
                 1 if inbound.verified_email else 0,
                 inbound.verified_phone, 1 if inbound.verified_phone else 0, now),
            ).lastrowid
        identity_id = conn.execute(
            "INSERT INTO identities (channel, account, external_id, contact_id, display_name, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (inbound.channel, inbound.account, inbound.sender_id, contact_id,
             inbound.sender_name, now),
        ).lastrowid
        assert identity_id is not None and contact_id is not None
        return identity_id, contact_id
    if inbound.verified_phone:
        # Proof that arrives later (a Telegram contact card the shopper shares about
        # themself) counts too, but never replaces a number already verified.
        conn.execute(
            "UPDATE contacts SET phone = ?, phone_verified = 1 "
            "WHERE id = ? AND (phone_verified = 0 OR phone IS NULL)",
            (inbound.verified_phone, row["contact_id"]),
        )
    return row["id"], row["contact_id"]


@dataclass(frozen=True, slots=True)
class PendingTurn:
    conversation: Conversation
    history: tuple[Message, ...]
    journal_ids: tuple[int, ...]
    last_inbound_at: float
    contact: Contact


def pending_turn(conn: sqlite3.Connection, conversation_id: int, limit: int) -> PendingTurn:
    """History and pending journal ids read in one snapshot, so none is marked handled unseen."""
    conn.execute("BEGIN")
    try:
        return _pending_turn(conn, conversation_id, limit)
    finally:
        conn.execute("COMMIT")


def _pending_turn(conn: sqlite3.Connection, conversation_id: int, limit: int) -> PendingTurn:
    conv = conn.execute(
        "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    journal = conn.execute(
        "SELECT id, message_id FROM journal WHERE conversation_id = ? AND status = 'pending' "
        "ORDER BY id",
        (conversation_id,),
    ).fetchall()
    # A message that arrived while the previous turn ran is older (by id) than that turn's
    # reply, yet still unanswered: the unanswered burst goes last, where engines look for it.
    fresh = {r["message_id"] for r in journal}
    if limit > 0:
        rows = conn.execute(
            "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ? "
            "ORDER BY id DESC LIMIT ?) ORDER BY id",
            (conversation_id, limit),
        ).fetchall()
    else:  # the engine reads only the unanswered burst
        marks = ",".join("?" * len(fresh))
        rows = conn.execute(
            f"SELECT * FROM messages WHERE id IN ({marks}) ORDER BY id", tuple(fresh)
        ).fetchall() if fresh else []
    history = [row_message(r) for r in rows if r["id"] not in fresh]
    history += [row_message(r) for r in rows if r["id"] in fresh]
    person = conn.execute("SELECT * FROM contacts WHERE id = ?", (conv["contact_id"],)).fetchone()
    return PendingTurn(
        conversation=row_conversation(conv),
        history=tuple(history),
        journal_ids=tuple(r["id"] for r in journal),
        last_inbound_at=conv["last_inbound_at"] or 0.0,
        contact=Contact(
            id=person["id"], name=person["name"], email=person["email"], phone=person["phone"],
            email_verified=bool(person["email_verified"]),
            phone_verified=bool(person["phone_verified"]),
        ),
    )


def pending_conversations(conn: sqlite3.Connection) -> list[int]:
    rows = conn.execute(
        "SELECT DISTINCT conversation_id FROM journal WHERE status = 'pending' "
        "AND conversation_id IS NOT NULL ORDER BY conversation_id"
    ).fetchall()
    return [r[0] for r in rows]


def add_message(
    conn: sqlite3.Connection,
    conversation_id: int,
    role: Role,
    text: str,
    buttons: tuple[Button, ...] = (),
) -> int:
    direction = "in" if role is Role.CUSTOMER else "out"
    msg_id = conn.execute(
        "INSERT INTO messages (conversation_id, direction, role, text, buttons, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (conversation_id, direction, role.value, text, buttons_json(buttons), time.time()),
    ).lastrowid
    assert msg_id is not None
    return msg_id


def add_event(
    conn: sqlite3.Connection, conversation_id: int | None, kind: str, detail: dict[str, object]
) -> None:
    conn.execute(
        "INSERT INTO events (conversation_id, kind, detail, created_at) VALUES (?, ?, ?, ?)",
        (conversation_id, kind, json.dumps(detail), time.time()),
    )


def mark_handled(conn: sqlite3.Connection, journal_ids: tuple[int, ...]) -> None:
    now = time.time()
    conn.executemany(
        "UPDATE journal SET status = 'handled', handled_at = ? WHERE id = ?",
        [(now, jid) for jid in journal_ids],
    )


def set_owner(
    conn: sqlite3.Connection, conversation_id: int, owner: Owner, reason: str | None = None
) -> bool:
    cur = conn.execute(
        "UPDATE conversations SET owner = ?, handoff_reason = COALESCE(?, handoff_reason), "
        "owner_epoch = owner_epoch + 1, updated_at = ? WHERE id = ? AND owner != ?",
        (owner.value, reason, time.time(), conversation_id, owner.value),
    )
    if cur.rowcount:
        add_event(conn, conversation_id, "owner", {"owner": owner.value, "reason": reason})
    return bool(cur.rowcount)


def set_status(conn: sqlite3.Connection, conversation_id: int, status: Status) -> None:
    conn.execute(
        "UPDATE conversations SET status = ?, updated_at = ? WHERE id = ?",
        (status.value, time.time(), conversation_id),
    )
    add_event(conn, conversation_id, "status", {"status": status.value})


def get_conversation(conn: sqlite3.Connection, conversation_id: int) -> Conversation | None:
    row = conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    return row_conversation(row) if row else None


def chat_history(
    conn: sqlite3.Connection, channel: str, account: str, chat_id: str, limit: int
) -> tuple[Owner, list[Message]]:
    conv = conn.execute(
        "SELECT id, owner FROM conversations WHERE channel = ? AND account = ? AND chat_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (channel, account, chat_id),
    ).fetchone()
    if conv is None:
        return Owner.AGENT, []
    rows = conn.execute(
        "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ? AND role != 'note' "
        "AND COALESCE(delivery, '') NOT IN ('cancelled', 'dropped') "
        "ORDER BY id DESC LIMIT ?) ORDER BY id",
        (conv["id"], limit),
    ).fetchall()
    return Owner(conv["owner"]), [row_message(r) for r in rows]


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    id: int
    channel: str
    chat_id: str
    status: str
    owner: str
    handoff_reason: str | None
    updated_at: float
    last_text: str | None
    uncertain: int


def list_conversations(
    conn: sqlite3.Connection, owner: str | None, status: str | None, limit: int
) -> list[ConversationSummary]:
    clauses, args = [], []
    if owner:
        clauses.append("c.owner = ?")
        args.append(owner)
    if status:
        clauses.append("c.status = ?")
        args.append(status)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = conn.execute(
        "SELECT c.*, (SELECT text FROM messages m WHERE m.conversation_id = c.id "
        "ORDER BY m.id DESC LIMIT 1) AS last_text, "
        "(SELECT COUNT(*) FROM outbox o WHERE o.conversation_id = c.id "
        "AND o.status = 'uncertain') AS uncertain "
        f"FROM conversations c {where} ORDER BY c.updated_at DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [
        ConversationSummary(
            id=r["id"], channel=r["channel"], chat_id=r["chat_id"], status=r["status"],
            owner=r["owner"], handoff_reason=r["handoff_reason"], updated_at=r["updated_at"],
            last_text=r["last_text"], uncertain=r["uncertain"],
        )
        for r in rows
    ]


def transcript(conn: sqlite3.Connection, conversation_id: int) -> list[Message]:
    rows = conn.execute(
        "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    ).fetchall()
    return [row_message(r) for r in rows]


def usage_totals(conn: sqlite3.Connection, conversation_id: int | None) -> dict[str, float]:
    """Tokens and cost of model calls, for one conversation or (None) all of them."""
    where, args = ("WHERE kind = 'llm_usage'", [])
    if conversation_id is not None:
        where += " AND conversation_id = ?"
        args.append(conversation_id)
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(json_extract(detail, '$.prompt_tokens')), 0), "
        "COALESCE(SUM(json_extract(detail, '$.completion_tokens')), 0), "
        f"COALESCE(SUM(json_extract(detail, '$.cost_usd')), 0) FROM events {where}", args,
    ).fetchone()
    return {"turns": row[0], "prompt_tokens": row[1], "completion_tokens": row[2],
            "cost_usd": round(float(row[3]), 6)}


def other_channels(conn: sqlite3.Connection, conversation_id: int) -> list[tuple[int, str]]:
    """The same contact's most recent conversation on each other channel, newest first."""
    rows = conn.execute(
        "SELECT c2.id, c2.channel, MAX(c2.last_inbound_at) AS seen FROM conversations c1 "
        "JOIN conversations c2 ON c2.contact_id = c1.contact_id AND c2.channel != c1.channel "
        "WHERE c1.id = ? GROUP BY c2.channel ORDER BY seen DESC",
        (conversation_id,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
