"""SQL for analytics: conversation histories, the dashboard's lists and the /metrics snapshot.

Everything is read at query time from the tables the gateway already keeps (conversations,
messages, events, actions, journal, outbox); nothing here is a counter of its own. The
functions take a connection and are run through `store.db.read` (or `db.write` for the two
writers at the end).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    role: str
    text: str
    button_value: str | None
    buttons: tuple[str, ...]  # button values offered with the message
    delivery: str | None
    purged: bool
    created_at: float


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    kind: str
    detail: dict[str, object]
    created_at: float


@dataclass(frozen=True, slots=True)
class ActionRow:
    id: int
    tool: str
    args: str
    result: str
    approved_by: str | None
    customer_id: str | None
    order_id: str | None
    refund: float
    created_at: float


@dataclass(frozen=True, slots=True)
class History:
    """One conversation with everything the accounting rules read."""

    id: int
    channel: str
    account: str
    chat_id: str
    contact_id: int | None
    status: str
    owner: str
    intent: str | None
    failures: int
    handoff_reason: str | None
    created_at: float
    updated_at: float
    # The commerce customer the tools verified, and the contact's verified email.
    customer_id: str | None
    email: str | None
    # When the next conversation on the same chat began (a closed chat's follow-up).
    next_on_chat_at: float | None
    messages: tuple[MessageRow, ...] = ()
    events: tuple[EventRow, ...] = ()
    actions: tuple[ActionRow, ...] = ()


_EVENT_KINDS = ("handoff", "owner", "status", "llm_usage", "csat")


def histories(conn: sqlite3.Connection, since: float, until: float | None = None,
              conversation_id: int | None = None) -> list[History]:
    """Conversations begun in [since, until) (or one by id), with their rows, in one snapshot."""
    conn.execute("BEGIN")
    try:
        return _histories(conn, since, until, conversation_id)
    finally:
        conn.execute("COMMIT")


def _histories(conn: sqlite3.Connection, since: float, until: float | None,
               conversation_id: int | None) -> list[History]:
    args: list[float]
    if conversation_id is not None:
        where, args = "c.id = ?", [conversation_id]
    else:
        where, args = "c.created_at >= ? AND c.created_at < ?", [since, until or 1e18]
    rows = conn.execute(
        "SELECT c.*, CASE WHEN json_valid(c.tool_session) "
        "THEN json_extract(c.tool_session, '$.customer_id') END AS customer_id, "
        "CASE WHEN p.email_verified = 1 THEN p.email END AS verified_email, "
        "(SELECT MIN(n.created_at) FROM conversations n WHERE n.channel = c.channel "
        "AND n.account = c.account AND n.chat_id = c.chat_id AND n.id > c.id) AS next_at "
        f"FROM conversations c LEFT JOIN contacts p ON p.id = c.contact_id WHERE {where} "
        "ORDER BY c.id",
        args,
    ).fetchall()
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    messages: dict[int, list[MessageRow]] = {i: [] for i in ids}
    events: dict[int, list[EventRow]] = {i: [] for i in ids}
    actions: dict[int, list[ActionRow]] = {i: [] for i in ids}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for m in conn.execute(
            "SELECT id, conversation_id, role, text, button_value, buttons, delivery, purged, "
            f"created_at FROM messages WHERE conversation_id IN ({marks}) ORDER BY id", chunk,
        ):
            messages[m["conversation_id"]].append(MessageRow(
                id=m["id"], role=m["role"], text=m["text"] or "",
                button_value=m["button_value"], buttons=_button_values(m["buttons"]),
                delivery=m["delivery"], purged=bool(m["purged"]),
                created_at=m["created_at"] or 0.0))
        kinds = ",".join("?" * len(_EVENT_KINDS))
        for e in conn.execute(
            f"SELECT id, conversation_id, kind, detail, created_at FROM events "
            f"WHERE conversation_id IN ({marks}) AND kind IN ({kinds}) ORDER BY id",
            (*chunk, *_EVENT_KINDS),
        ):
            events[e["conversation_id"]].append(EventRow(
                id=e["id"], kind=e["kind"], detail=_detail(e["detail"]),
                created_at=e["created_at"] or 0.0))
        for a in conn.execute(
            f"SELECT * FROM actions WHERE conversation_id IN ({marks}) ORDER BY id", chunk,
        ):
            actions[a["conversation_id"]].append(_action(a))
    return [
        History(
            id=r["id"], channel=r["channel"], account=r["account"], chat_id=r["chat_id"],
            contact_id=r["contact_id"], status=r["status"], owner=r["owner"],
            intent=r["intent"], failures=r["failures"] or 0,
            handoff_reason=r["handoff_reason"], created_at=r["created_at"] or 0.0,
            updated_at=r["updated_at"] or 0.0, customer_id=r["customer_id"],
            email=r["verified_email"], next_on_chat_at=r["next_at"],
            messages=tuple(messages[r["id"]]), events=tuple(events[r["id"]]),
            actions=tuple(actions[r["id"]]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ListedConversation:
    id: int
    channel: str
    chat_id: str
    status: str
    owner: str
    intent: str | None
    handoff_reason: str | None
    created_at: float
    updated_at: float
    messages: int
    last_role: str | None
    last_text: str | None
    last_at: float | None
    uncertain: int


def conversation_list(conn: sqlite3.Connection, channel: str | None, owner: str | None,
                      status: str | None, limit: int) -> list[ListedConversation]:
    """The most recently active conversations first, optionally filtered, with their last
    visible message."""
    clauses, args = [], []
    for column, value in (("channel", channel), ("owner", owner), ("status", status)):
        if value:
            clauses.append(f"c.{column} = ?")
            args.append(value)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    # The page of conversations first (most recently active), then their details: the
    # per-row lookups run for the page only, not for every conversation in the store.
    rows = conn.execute(
        "SELECT c.id, c.channel, c.chat_id, c.status, c.owner, c.intent, c.handoff_reason, "
        "c.created_at, c.updated_at, "
        "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id "
        " AND m.role != 'note') AS n, "
        "l.role AS last_role, l.text AS last_text, l.created_at AS last_at, "
        "(SELECT COUNT(*) FROM outbox o WHERE o.conversation_id = c.id "
        " AND o.status = 'uncertain') AS uncertain "
        f"FROM (SELECT * FROM conversations c {where} "
        " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?) c "
        "LEFT JOIN messages l ON l.id = ("
        " SELECT MAX(id) FROM messages m2 WHERE m2.conversation_id = c.id "
        " AND m2.role != 'note') "
        "ORDER BY c.updated_at DESC, c.id DESC",
        (*args, limit),
    ).fetchall()
    return [
        ListedConversation(
            id=r["id"], channel=r["channel"], chat_id=r["chat_id"], status=r["status"],
            owner=r["owner"], intent=r["intent"], handoff_reason=r["handoff_reason"],
            created_at=r["created_at"] or 0.0, updated_at=r["updated_at"] or 0.0,
            messages=r["n"], last_role=r["last_role"], last_text=r["last_text"],
            last_at=r["last_at"], uncertain=r["uncertain"],
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class QueuedHandoff:
    id: int
    channel: str
    chat_id: str
    reason: str | None
    handed_off_at: float
    last_customer_at: float | None
    # The last staff reply, if any came after the handoff.
    staff_replied_at: float | None
    last_text: str | None


def handoff_queue(conn: sqlite3.Connection, limit: int = 100) -> list[QueuedHandoff]:
    """Open conversations owned by staff, longest waiting first."""
    rows = conn.execute(
        "SELECT c.id, c.channel, c.chat_id, c.handoff_reason, c.updated_at, "
        "(SELECT MAX(e.created_at) FROM events e WHERE e.conversation_id = c.id "
        " AND e.kind = 'owner' AND json_extract(e.detail, '$.owner') = 'staff') AS since, "
        "(SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id "
        " AND m.role = 'customer') AS last_customer, "
        "(SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id "
        " AND m.role = 'staff') AS last_staff, "
        "(SELECT m.text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer' "
        " ORDER BY m.id DESC LIMIT 1) AS last_text "
        "FROM conversations c WHERE c.owner = 'staff' AND c.status = 'open' "
        "ORDER BY COALESCE(since, c.updated_at) LIMIT ?",
        (limit,),
    ).fetchall()
    out = []
    for r in rows:
        since = r["since"] or r["updated_at"] or 0.0
        staff = r["last_staff"] if r["last_staff"] and r["last_staff"] >= since else None
        out.append(QueuedHandoff(
            id=r["id"], channel=r["channel"], chat_id=r["chat_id"], reason=r["handoff_reason"],
            handed_off_at=since, last_customer_at=r["last_customer"], staff_replied_at=staff,
            last_text=r["last_text"]))
    return out


def channel_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT channel FROM conversations ORDER BY channel").fetchall()]


@dataclass(slots=True)
class MetricsSnapshot:
    """What /metrics reports from the store, read in one snapshot."""

    inbound: dict[str, int] = field(default_factory=dict)  # channel -> journal rows
    outbound: dict[str, int] = field(default_factory=dict)  # channel -> outbox rows
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status)
    retries: dict[str, int] = field(default_factory=dict)  # channel -> attempts beyond 1st
    # channel -> rows whose last error (kept until a send succeeds) was a rate limit
    rate_limited: dict[str, int] = field(default_factory=dict)
    # every 429 the outbox met (events `rate_limited`), per channel: a running total
    rate_limited_total: dict[str, int] = field(default_factory=dict)
    oldest_queued_at: float | None = None
    journal_pending: int = 0
    oldest_pending_at: float | None = None
    # handled_at - received_at of the journal rows handled in the last window.
    handle_lags: list[float] = field(default_factory=list)
    handoffs: dict[str, int] = field(default_factory=dict)  # reason -> handoff events
    conversations: dict[tuple[str, str], int] = field(default_factory=dict)  # (status, owner)
    # (model, tier) -> [turns, calls, prompt tokens, completion tokens, cost]
    llm: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    # (model, tier) -> seconds of each model turn that recorded its latency
    llm_latency: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    # (model, error kind) -> [failed calls, seconds spent on them]
    llm_failures: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    csat: dict[str, list[int]] = field(default_factory=dict)  # by -> [count, sum]


# Words a platform's error text uses when it throttled us (the outbox keeps the last error).
_THROTTLED = ("%429%", "%rate limit%", "%rate-limit%", "%too many requests%", "%retry after%",
              "%retry-after%")


def metrics_snapshot(conn: sqlite3.Connection, lag_window: float = 3600.0) -> MetricsSnapshot:
    conn.execute("BEGIN")
    try:
        return _metrics(conn, lag_window)
    finally:
        conn.execute("COMMIT")


def _metrics(conn: sqlite3.Connection, lag_window: float) -> MetricsSnapshot:
    snap = MetricsSnapshot()
    for r in conn.execute("SELECT channel, COUNT(*) FROM journal GROUP BY channel"):
        snap.inbound[r[0]] = r[1]
    throttled = " OR ".join("LOWER(COALESCE(error, '')) LIKE ?" for _ in _THROTTLED)
    for r in conn.execute(
        "SELECT channel, status, COUNT(*), SUM(MAX(attempts - 1, 0)), "
        f"SUM(CASE WHEN {throttled} THEN 1 ELSE 0 END) FROM outbox GROUP BY channel, status",
        _THROTTLED,
    ):
        snap.outbox[(r[0], r[1])] = r[2]
        snap.outbound[r[0]] = snap.outbound.get(r[0], 0) + r[2]
        snap.retries[r[0]] = snap.retries.get(r[0], 0) + (r[3] or 0)
        snap.rate_limited[r[0]] = snap.rate_limited.get(r[0], 0) + (r[4] or 0)
    for r in conn.execute("SELECT json_extract(detail, '$.channel'), COUNT(*) FROM events "
                          "WHERE kind = 'rate_limited' GROUP BY 1"):
        snap.rate_limited_total[str(r[0])] = int(r[1])
    snap.oldest_queued_at = conn.execute(
        "SELECT MIN(created_at) FROM outbox WHERE status = 'queued'").fetchone()[0]
    pending, oldest = conn.execute(
        "SELECT COUNT(*), MIN(received_at) FROM journal WHERE status = 'pending'").fetchone()
    snap.journal_pending, snap.oldest_pending_at = pending, oldest
    snap.handle_lags = [r[0] for r in conn.execute(
        "SELECT handled_at - received_at FROM journal WHERE status = 'handled' "
        "AND handled_at >= ? AND received_at IS NOT NULL", (time.time() - lag_window,))]
    for r in conn.execute(
        "SELECT COALESCE(json_extract(detail, '$.reason'), 'unknown'), COUNT(*) FROM events "
        "WHERE kind = 'handoff' GROUP BY 1"
    ):
        snap.handoffs[r[0]] = r[1]
    for r in conn.execute("SELECT status, owner, COUNT(*) FROM conversations GROUP BY 1, 2"):
        snap.conversations[(r[0], r[1])] = r[2]
    for r in conn.execute(
        "SELECT COALESCE(json_extract(detail, '$.model'), ''), "
        "COALESCE(json_extract(detail, '$.tier'), ''), COUNT(*), "
        "SUM(COALESCE(json_extract(detail, '$.calls'), 0)), "
        "SUM(COALESCE(json_extract(detail, '$.prompt_tokens'), 0)), "
        "SUM(COALESCE(json_extract(detail, '$.completion_tokens'), 0)), "
        "SUM(COALESCE(json_extract(detail, '$.cost_usd'), 0)) "
        "FROM events WHERE kind = 'llm_usage' "
        "AND COALESCE(json_extract(detail, '$.calls'), 1) > 0 GROUP BY 1, 2"
    ):  # a turn whose every call failed was answered by the rules: not a model turn
        snap.llm[(r[0], r[1])] = [float(x or 0) for x in r[2:]]
    for r in conn.execute(
        "SELECT COALESCE(json_extract(f.value, '$.model'), ''), "
        "COALESCE(json_extract(f.value, '$.error'), 'other'), COUNT(*), "
        "SUM(COALESCE(json_extract(f.value, '$.latency_s'), 0)) "
        "FROM events e, json_each(e.detail, '$.failures') f "
        "WHERE e.kind = 'llm_usage' AND json_type(e.detail, '$.failures') = 'array' "
        "GROUP BY 1, 2"
    ):
        snap.llm_failures[(r[0], r[1])] = [float(r[2]), float(r[3] or 0)]
    for r in conn.execute(
        "SELECT COALESCE(json_extract(detail, '$.model'), ''), "
        "COALESCE(json_extract(detail, '$.tier'), ''), "
        "COALESCE(json_extract(detail, '$.latency_s'), "
        "json_extract(detail, '$.latency_ms') / 1000.0) FROM events "
        "WHERE kind = 'llm_usage' AND COALESCE(json_extract(detail, '$.calls'), 1) > 0 "
        "AND (json_extract(detail, '$.latency_s') IS NOT NULL "
        "OR json_extract(detail, '$.latency_ms') IS NOT NULL)"
    ):
        snap.llm_latency.setdefault((r[0], r[1]), []).append(float(r[2]))
    for r in conn.execute(
        "SELECT COALESCE(json_extract(detail, '$.by'), 'agent'), COUNT(*), "
        "SUM(json_extract(detail, '$.score')) FROM events WHERE kind = 'csat' GROUP BY 1"
    ):
        snap.csat[r[0]] = [int(r[1]), int(r[2] or 0)]
    return snap


# writers


def record_csat(conn: sqlite3.Connection, conversation_id: int, score: int, by: str) -> None:
    """A shopper's 1-5 rating, as the `csat` event the accounting reads."""
    if not 1 <= score <= 5 or by not in ("agent", "staff"):
        raise ValueError("a CSAT score is 1-5, given to the agent or to staff")
    conn.execute(
        "INSERT INTO events (conversation_id, kind, detail, created_at) VALUES (?, ?, ?, ?)",
        (conversation_id, "csat", json.dumps({"score": score, "by": by}), time.time()),
    )


def age_conversation(conn: sqlite3.Connection, conversation_id: int, seconds: float) -> None:
    """Move every timestamp of one conversation `seconds` into the past.

    For building histories with real gaps (tests, demos): write part of a conversation,
    age it, write the rest.
    """
    s = float(seconds)
    conn.execute(
        "UPDATE conversations SET created_at = created_at - ?, updated_at = updated_at - ?, "
        "last_inbound_at = last_inbound_at - ? WHERE id = ?", (s, s, s, conversation_id))
    for table in ("messages", "events", "actions", "outbox"):
        conn.execute(f"UPDATE {table} SET created_at = created_at - ? "
                     "WHERE conversation_id = ?", (s, conversation_id))
    conn.execute(
        "UPDATE journal SET received_at = received_at - ?, handled_at = handled_at - ? "
        "WHERE conversation_id = ?", (s, s, conversation_id))


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _detail(raw: str | None) -> dict[str, object]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _button_values(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    try:
        return tuple(str(b.get("value", "")) for b in json.loads(raw) if isinstance(b, dict))
    except ValueError:
        return ()


def _action(a: sqlite3.Row) -> ActionRow:
    return ActionRow(
        id=a["id"], tool=a["tool"] or "", args=a["args"] or "", result=a["result"] or "",
        approved_by=a["approved_by"], customer_id=a["customer_id"], order_id=a["order_id"],
        refund=a["refund"] or 0.0, created_at=a["created_at"] or 0.0)
