"""SQL for recorded tool calls and the refund ledger the caps read."""

from __future__ import annotations

import json
import sqlite3
import time

from omnichannel.conversation import ActionEntry


def record(conn: sqlite3.Connection, conversation_id: int | None, entry: ActionEntry) -> None:
    conn.execute(
        "INSERT INTO actions (conversation_id, tool, args, result, approved_by, customer_id, "
        "order_id, refund, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (conversation_id, entry.tool, json.dumps(entry.args, default=str), entry.outcome,
         entry.approved_by, entry.customer_id, entry.order_id, entry.refund, time.time()),
    )


def refunded(conn: sqlite3.Connection, column: str | None, value: str | None,
             since: float) -> float:
    where = "refund > 0 AND approved_by IS NOT NULL AND created_at >= ?"
    args: list[object] = [since]
    if column in ("customer_id", "order_id"):
        where += f" AND {column} = ?"
        args.append(value)
    row = conn.execute(f"SELECT COALESCE(SUM(refund), 0) FROM actions WHERE {where}",
                       args).fetchone()
    return float(row[0])


def for_conversation(conn: sqlite3.Connection, conversation_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM actions WHERE conversation_id = ? ORDER BY id", (conversation_id,)
    ).fetchall()


def done_tools(conn: sqlite3.Connection, conversation_id: int) -> set[str]:
    """The tools that really acted in a conversation: writes that ran (approved by the
    shopper, staff or a replay) and transfers to staff."""
    rows = conn.execute(
        "SELECT DISTINCT tool FROM actions WHERE conversation_id = ? AND (approved_by IS NOT "
        "NULL OR (tool = 'transfer_to_human_agents' AND result = 'Transfer successful'))",
        (conversation_id,)).fetchall()
    return {r[0] for r in rows}
