"""Versioned migrations. Each runs once, in order, inside one transaction."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db["contacts"].create(
        {
            "id": int,
            "name": str,
            "email": str,
            "phone": str,
            "email_verified": int,
            "phone_verified": int,
            "created_at": float,
        },
        pk="id",
        defaults={"email_verified": 0, "phone_verified": 0},
    )
    db["contacts"].create_index(["email"])
    db["identities"].create(
        {
            "id": int,
            "channel": str,
            "account": str,
            "external_id": str,
            "contact_id": int,
            "display_name": str,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("contact_id", "contacts", "id")],
        not_null={"channel", "account", "external_id", "contact_id"},
    )
    db["identities"].create_index(["channel", "account", "external_id"], unique=True)
    db["conversations"].create(
        {
            "id": int,
            "channel": str,
            "account": str,
            "chat_id": str,
            "identity_id": int,
            "contact_id": int,
            "status": str,
            "owner": str,
            "mode": str,
            "intent": str,
            "failures": int,
            # Bumped by every change of owner; agent rows carry the epoch they were written in.
            "owner_epoch": int,
            "console_ref": str,
            "handoff_reason": str,
            # The engine's dialogue state and the tool layer's session, as JSON.
            "agent_state": str,
            "tool_session": str,
            "created_at": float,
            "updated_at": float,
            "last_inbound_at": float,
        },
        pk="id",
        foreign_keys=[("identity_id", "identities", "id"), ("contact_id", "contacts", "id")],
        not_null={"channel", "account", "chat_id", "status", "owner"},
        defaults={"status": "open", "owner": "agent", "mode": "autonomous", "failures": 0,
                  "owner_epoch": 0},
    )
    db["conversations"].create_index(["channel", "account", "chat_id", "status"])
    db["conversations"].create_index(["owner", "status"])
    db["journal"].create(
        {
            "id": int,
            "channel": str,
            "account": str,
            "external_id": str,
            "chat_id": str,
            "sender_id": str,
            "payload": str,
            "status": str,
            "conversation_id": int,
            "message_id": int,
            "received_at": float,
            "handled_at": float,
        },
        pk="id",
        not_null={"channel", "account", "external_id", "status"},
        defaults={"status": "pending"},
    )
    # Invariant 1: a platform retry of the same event is a no-op.
    db["journal"].create_index(["channel", "account", "external_id"], unique=True)
    db.execute(
        "CREATE INDEX idx_journal_pending ON journal (conversation_id, id) "
        "WHERE status = 'pending'"
    )
    db["messages"].create(
        {
            "id": int,
            "conversation_id": int,
            "direction": str,
            "role": str,
            "text": str,
            "buttons": str,
            "button_value": str,
            "journal_id": int,
            "delivery": str,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "direction", "role", "text"},
    )
    db["messages"].create_index(["conversation_id", "id"])
    db["outbox"].create(
        {
            "id": int,
            "conversation_id": int,
            "message_id": int,
            "channel": str,
            "account": str,
            "chat_id": str,
            "role": str,
            "text": str,
            "buttons": str,
            "owner_epoch": int,
            "status": str,
            "attempts": int,
            "next_attempt_at": float,
            "platform_message_id": str,
            "error": str,
            "created_at": float,
            "updated_at": float,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "channel", "chat_id", "role", "text", "status"},
        defaults={"status": "queued", "attempts": 0},
    )
    db["outbox"].create_index(["status", "next_attempt_at"])
    db["outbox"].create_index(["conversation_id", "id"])
    db["actions"].create(
        {
            "id": int,
            "conversation_id": int,
            "tool": str,
            "args": str,
            "result": str,
            "approved_by": str,
            "customer_id": str,
            "order_id": str,
            "refund": float,
            "created_at": float,
        },
        pk="id",
        defaults={"refund": 0.0},
    )
    db["actions"].create_index(["customer_id", "created_at"])
    db["actions"].create_index(["order_id"])
    db["actions"].create_index(["created_at"])
    db["events"].create(
        {"id": int, "conversation_id": int, "kind": str, "detail": str, "created_at": float},
        pk="id",
    )
    db["events"].create_index(["conversation_id"])
    db["events"].create_index(["kind"])
    # `root` is what was ingested (a folder, zip file or site URL) and `source` one document
    # in it; `ingested_at` is the last change of content, `fetched_at` the last time it was read.
    db["knowledge_docs"].create(
        {"id": int, "source": str, "title": str, "sha256": str, "ingested_at": float,
         "root": str, "fetched_at": float},
        pk="id",
        not_null={"source"},
    )
    db["knowledge_docs"].create_index(["source"], unique=True)
    db["knowledge_docs"].create_index(["root"])
    db.execute(
        "CREATE VIRTUAL TABLE knowledge USING fts5("
        "title, heading, body, doc_id UNINDEXED, source UNINDEXED, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )


def _v2(db: sqlite_utils.Database) -> None:
    # Data care (docs/datacare.md): a message body or journal payload removed by retention or
    # erasure is marked, so "empty" and "purged" stay distinct; an erased contact is dated.
    db["messages"].add_column("purged", int, not_null_default=0)
    db["journal"].add_column("purged", int, not_null_default=0)
    db["contacts"].add_column("erased_at", float)


def _v3(db: sqlite_utils.Database) -> None:
    # The staff console (docs/console.md): one Slack thread per conversation, drafts waiting
    # for approval (assisted mode) or kept privately (shadow mode), and staff replies typed
    # in a thread of an agent-owned conversation, waiting for "take over or send once?".
    db["staff_threads"].create(
        {"conversation_id": int, "channel": str, "thread_ts": str, "created_at": float},
        pk="conversation_id")
    db["staff_threads"].create_index(["channel", "thread_ts"], unique=True)
    db["drafts"].create(
        {"id": int, "conversation_id": int, "category": str, "mode": str, "text": str,
         "buttons": str, "proposed": str, "status": str, "final_text": str,
         "edit_distance": int, "decided_by": str, "error": str, "slack_ts": str,
         "created_at": float, "decided_at": float},
        pk="id", not_null={"conversation_id", "category", "mode", "text", "status"})
    db["drafts"].create_index(["conversation_id", "status"])
    db["drafts"].create_index(["category", "status"])
    db["staff_pending"].create(
        {"key": str, "conversation_id": int, "text": str, "author": str,
         "created_at": float},
        pk="key")


def _v4(db: sqlite_utils.Database) -> None:
    # Languages (docs/languages.md): the conversation's language as detected, and the
    # channel's hint (the widget's browser language, Telegram's language_code) for messages
    # too short to tell.
    db["conversations"].add_column("language", str)
    db["conversations"].add_column("language_hint", str)


def _v5(db: sqlite_utils.Database) -> None:
    # Knowledge in several languages (docs/languages.md): each section keeps its language and
    # is stemmed in Python by that language's Snowball stemmer (FTS5's Porter stemmer is
    # English only); what was indexed before is re-stemmed in the language it is written in.
    from omnichannel.knowledge.language import of_text
    from omnichannel.store.knowledge import reindex

    reindex(db.conn, of_text)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the version now in force."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at REAL)"
    )
    current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]
    db = sqlite_utils.Database(conn)
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(db)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, time.time()),
            )
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)
