"""The store: the only package that speaks SQL. `Store` is its async face."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from omnichannel.channel import Inbound, Published
from omnichannel.conversation import (
    ActionEntry,
    Button,
    Conversation,
    Delivery,
    Message,
    Owner,
    Role,
    Status,
)
from omnichannel.knowledge.model import Document, Passage
from omnichannel.store import actions as actions_sql
from omnichannel.store import analytics as analytics_sql
from omnichannel.store import conversations as conv_sql
from omnichannel.store import csat as csat_sql
from omnichannel.store import datacare as datacare_sql
from omnichannel.store import knowledge as knowledge_sql
from omnichannel.store import outbox as outbox_sql
from omnichannel.store import staff as staff_sql
from omnichannel.store import turns as turns_sql
from omnichannel.store.conversations import ConversationSummary, PendingTurn
from omnichannel.store.db import Database
from omnichannel.store.outbox import OutboxRow, Recovery
from omnichannel.store.schema import migrate
from omnichannel.store.staff import Draft
from omnichannel.store.turns import DraftWrite, OutMessage, TurnWrite

__all__ = [
    "ActionLog",
    "ConversationSummary",
    "Draft",
    "DraftWrite",
    "OutMessage",
    "OutboxRow",
    "PendingTurn",
    "Recovery",
    "Store",
    "TurnWrite",
]

DB_NAME = "omnichannel.db"
DAY = 86400.0


class Store:
    """Conversation storage on SQLite. Async methods for the daemon, `*_sync` for the CLI."""

    def __init__(self, state_dir: Path, *, synchronous: str = "NORMAL",
                 file_name: str = DB_NAME) -> None:
        self.db = Database(state_dir / file_name, synchronous=synchronous)

    @classmethod
    def at(cls, db_path: Path) -> Store:
        """A store on a database file other than the state directory's own (a restored
        backup or a set-aside copy)."""
        return cls(db_path.parent, file_name=db_path.name)

    def open(self) -> None:
        self.db.open(migrate)

    def close(self) -> None:
        self.db.close()

    def knowledge_index(self) -> knowledge_sql.KnowledgeIndex:
        """The help-center index the agent searches (one language at a time)."""
        return knowledge_sql.KnowledgeIndex(self.db)

    # inbound
    async def journal(self, inbound: Inbound) -> Published:
        return await self.db.write(conv_sql.journal_inbound, inbound)

    async def pending_turn(self, conversation_id: int, limit: int) -> PendingTurn:
        if limit == 0:  # the unanswered burst alone: a few indexed rows
            return self.db.read_now(conv_sql.pending_turn, conversation_id, limit)
        return await self.db.read(conv_sql.pending_turn, conversation_id, limit)

    async def pending_conversations(self) -> list[int]:
        return await self.db.read(conv_sql.pending_conversations)

    async def commit_turn(self, turn: TurnWrite) -> list[int]:
        return await self.db.write(turns_sql.commit_turn, turn)

    async def chat_history(
        self, channel: str, account: str, chat_id: str, limit: int
    ) -> tuple[Owner, list[Message]]:
        return await self.db.read(conv_sql.chat_history, channel, account, chat_id, limit)

    async def conversation(self, conversation_id: int) -> Conversation | None:
        return await self.db.read(conv_sql.get_conversation, conversation_id)

    # outbox
    async def claim(self, outbox_id: int) -> OutboxRow | None:
        return await self.db.write(outbox_sql.claim, outbox_id)

    async def finish(
        self,
        outbox_id: int,
        status: Delivery,
        *,
        platform_message_id: str | None = None,
        error: str | None = None,
        next_attempt_at: float | None = None,
    ) -> None:
        await self.db.write(
            outbox_sql.finish_row, outbox_id, status, platform_message_id, error, next_attempt_at
        )

    def finish_later(
        self, outbox_id: int, status: Delivery, *, platform_message_id: str | None = None
    ) -> None:
        """Queue a finish mark without waiting for its commit (failures are logged)."""
        self.db.write_nowait(
            outbox_sql.finish_row, outbox_id, status, platform_message_id, None, None
        )

    async def receipt(self, channel: str, platform_message_id: str, status: str,
                      error: str | None = None) -> bool:
        return await self.db.write(outbox_sql.receipt, channel, platform_message_id, status,
                                   error)

    async def queued(self) -> list[tuple[int, int, float]]:
        return await self.db.read(outbox_sql.queued)

    async def recover(self, stale_after: float) -> Recovery:
        return await self.db.write(outbox_sql.recover, stale_after)

    # staff
    async def queue_message(
        self,
        conversation_id: int,
        role: Role,
        text: str,
        chunks: list[tuple[str, tuple[Button, ...]]],
        owner: Owner | None = None,
    ) -> list[int]:
        return await self.db.write(
            turns_sql.queue_message, conversation_id, role, text, chunks, owner
        )

    async def reroute(
        self,
        outbox_id: int,
        error: str,
        conversation_id: int,
        note: str,
        fallback: tuple[int, Role, str, list[tuple[str, tuple[Button, ...]]]] | None,
    ) -> list[int]:
        """One transaction: the row fails, the reply is queued on the fallback conversation
        (if any) and the note lands, so a crash never leaves a failed row nobody heard of."""
        return await self.db.write(_reroute, outbox_id, error, conversation_id, note, fallback)

    # satisfaction rating
    async def ask_csat(self, conversation_id: int, text: str,
                       chunks: list[tuple[str, tuple[Button, ...]]],
                       buttons: tuple[Button, ...]) -> list[int]:
        return await self.db.write(csat_sql.ask, conversation_id, text, chunks, buttons)

    async def may_ask_csat(self, conversation_id: int) -> bool:
        return await self.db.read(csat_sql.may_ask, conversation_id)

    async def rate(self, conversation_id: int, score: int) -> bool:
        return await self.db.write(csat_sql.rate, conversation_id, score)

    # staff console
    async def draft(self, draft_id: int) -> Draft | None:
        return await self.db.read(staff_sql.get_draft, draft_id)

    async def unposted_drafts(self) -> list[Draft]:
        return await self.db.read(staff_sql.unposted_drafts)

    async def mark_draft_posted(self, draft_id: int, ts: str) -> None:
        await self.db.write(staff_sql.mark_draft_posted, draft_id, ts)

    async def decide_draft(self, draft_id: int, status: str, by: str,
                           final_text: str | None = None,
                           edit_distance: int | None = None) -> Draft | None:
        return await self.db.write(staff_sql.decide_draft, draft_id, status, by, final_text,
                                   edit_distance)

    async def finish_draft(self, draft_id: int, status: str, error: str | None = None) -> None:
        await self.db.write(staff_sql.finish_draft, draft_id, status, error)

    async def send_draft(self, draft_id: int, text: str,
                         chunks: list[tuple[str, tuple[Button, ...]]],
                         buttons: tuple[Button, ...]) -> list[int]:
        return await self.db.write(staff_sql.send_draft, draft_id, text, chunks, buttons)

    async def latest_draft(self, conversation_id: int, status: str = "shadow") -> Draft | None:
        return await self.db.read(staff_sql.latest_draft, conversation_id, status)

    async def score_shadow(self, draft_id: int, staff_text: str, distance: int) -> None:
        await self.db.write(staff_sql.score_shadow, draft_id, staff_text, distance)

    async def autonomy_rows(self) -> list[tuple[str, str, int, str]]:
        return await self.db.read(staff_sql.autonomy_rows)

    async def thread_for(self, conversation_id: int) -> tuple[str, str] | None:
        return await self.db.read(staff_sql.thread_for, conversation_id)

    async def conversation_for_thread(self, channel: str, thread_ts: str) -> int | None:
        return await self.db.read(staff_sql.conversation_for_thread, channel, thread_ts)

    async def save_thread(self, conversation_id: int, channel: str, thread_ts: str) -> None:
        await self.db.write(staff_sql.save_thread, conversation_id, channel, thread_ts)

    async def needing_threads(self) -> list[int]:
        return await self.db.read(staff_sql.needing_threads)

    async def handoff_packet(self, conversation_id: int) -> dict[str, object]:
        return await self.db.read(staff_sql.handoff_packet, conversation_id)

    async def put_pending(self, key: str, conversation_id: int, text: str, author: str) -> bool:
        return await self.db.write(staff_sql.put_pending, key, conversation_id, text, author)

    async def take_pending(self, key: str) -> tuple[int, str] | None:
        return await self.db.write(staff_sql.take_pending, key)

    async def note_rate_limited(self, conversation_id: int, channel: str,
                                retry_after: float) -> None:
        """A platform's 429 (with its wait): an event, so /metrics can count them all."""
        await self.db.write(conv_sql.add_event, conversation_id, "rate_limited",
                            {"channel": channel, "retry_after": retry_after})

    async def outbox_health(self) -> tuple[int, int, float | None]:
        """(queued rows, uncertain rows, oldest queued row's creation time) for doctor."""
        return await self.db.read(outbox_sql.health)

    async def schema_version(self) -> int:
        return await self.db.read(
            lambda c: int(c.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]))

    async def other_channels(self, conversation_id: int) -> list[tuple[int, str]]:
        return await self.db.read(conv_sql.other_channels, conversation_id)

    async def note(self, conversation_id: int, text: str) -> None:
        """An internal note in the transcript (staff see it; the shopper never does)."""
        await self.db.write(_note, conversation_id, text)

    async def set_owner(self, conversation_id: int, owner: Owner, reason: str | None) -> bool:
        return await self.db.write(conv_sql.set_owner, conversation_id, owner, reason)

    async def set_status(self, conversation_id: int, status: Status) -> None:
        await self.db.write(conv_sql.set_status, conversation_id, status)

    async def list_conversations(
        self, owner: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[ConversationSummary]:
        return await self.db.read(conv_sql.list_conversations, owner, status, limit)

    async def usage(self, conversation_id: int | None = None) -> dict[str, float]:
        return await self.db.read(conv_sql.usage_totals, conversation_id)

    async def transcript(self, conversation_id: int) -> list[Message]:
        return await self.db.read(conv_sql.transcript, conversation_id)

    # tool calls and the refund ledger
    def ledger(self, conversation_id: int | None) -> ActionLog:
        """The recorder and refund ledger for one conversation's tool box."""
        return ActionLog(self, conversation_id)

    # knowledge
    async def index_document(
        self, doc: Document, root: str | None = None, fetched_at: float | None = None
    ) -> bool:
        return await self.db.write(
            knowledge_sql.replace_document, doc.source, doc.title, doc.sha256, doc.sections,
            root, fetched_at,
        )

    async def documents_for_root(self, root: str) -> list[str]:
        return await self.db.read(knowledge_sql.documents_for_root, root)

    async def remove_document(self, source: str) -> bool:
        return await self.db.write(knowledge_sql.remove_document, source)

    async def search(self, text: str, limit: int = 3) -> list[Passage]:
        return await self.db.read(knowledge_sql.search, text, limit)

    async def all_passages(self) -> list[Passage]:
        return await self.db.read(knowledge_sql.all_passages)

    async def knowledge_version(self) -> str:
        return await self.db.read(knowledge_sql.version)

    async def document_count(self) -> int:
        return await self.db.read(knowledge_sql.document_count)


    # reports (analytics, the dashboard, /metrics)
    @property
    def path(self) -> Path:
        return self.db.path

    async def histories(self, since: float, until: float | None = None,
                        conversation_id: int | None = None) -> list[analytics_sql.History]:
        return await self.db.read(analytics_sql.histories, since, until, conversation_id)

    async def metrics_snapshot(self) -> analytics_sql.MetricsSnapshot:
        return await self.db.read(analytics_sql.metrics_snapshot)

    async def handoff_queue(self, limit: int = 100) -> list[analytics_sql.QueuedHandoff]:
        return await self.db.read(analytics_sql.handoff_queue, limit)

    async def conversation_list(self, channel: str | None, owner: str | None,
                                status: str | None,
                                limit: int) -> list[analytics_sql.ListedConversation]:
        return await self.db.read(analytics_sql.conversation_list, channel, owner, status,
                                  limit)

    async def channel_names(self) -> list[str]:
        return await self.db.read(analytics_sql.channel_names)

    # data care (contact export and erasure, retention)
    async def find_contacts(self, values: list[str]) -> list[datacare_sql.ContactMatch]:
        return await self.db.read(datacare_sql.find_contacts, values)

    async def contact_export(self, contact_id: int) -> dict[str, object] | None:
        return await self.db.read(datacare_sql.export, contact_id)

    async def footprint(self, contact_id: int) -> datacare_sql.Footprint | None:
        return await self.db.read(datacare_sql.footprint, contact_id)

    async def erase(self, fp: datacare_sql.Footprint, now: float) -> datacare_sql.Erased:
        return await self.db.write(datacare_sql.erase, fp, now)

    def identifiers_sync(self) -> list[tuple[int, str, str]]:
        return self.db.read_sync(datacare_sql.identifiers)

    def footprint_sync(self, contact_id: int) -> datacare_sql.Footprint | None:
        return self.db.read_sync(datacare_sql.footprint, contact_id)

    def erase_sync(self, fp: datacare_sql.Footprint, now: float) -> datacare_sql.Erased:
        return self.db.write_sync(datacare_sql.erase, fp, now)

    async def purge_tables(self) -> list[str]:
        return await self.db.read(datacare_sql.purge_tables)

    async def purge_count(self, table: str, cutoff: float) -> int:
        return await self.db.read(datacare_sql.purge_count, table, cutoff)

    async def purge_step(self, table: str, cutoff: float, after_id: int,
                         limit: int) -> tuple[int, int]:
        return await self.db.write(datacare_sql.purge_step, table, cutoff, after_id, limit)


class ActionLog:
    """`ActionRecorder` and `RefundLedger` over the actions table."""

    def __init__(self, store: Store, conversation_id: int | None) -> None:
        self.store = store
        self.conversation_id = conversation_id

    async def record(self, entry: ActionEntry) -> None:
        await self.store.db.write(actions_sql.record, self.conversation_id, entry)

    async def refunded_for_order(self, order_id: str) -> float:
        return await self.store.db.read(actions_sql.refunded, "order_id", order_id, 0.0)

    async def done_tools(self) -> set[str]:
        if self.conversation_id is None:
            return set()
        return await self.store.db.read(actions_sql.done_tools, self.conversation_id)

    async def refunded_for_customer(self, customer_id: str, days: int) -> float:
        since = time.time() - days * DAY
        return await self.store.db.read(actions_sql.refunded, "customer_id", customer_id, since)

    async def refunded_by_shop(self, days: int) -> float:
        return await self.store.db.read(actions_sql.refunded, None, None,
                                        time.time() - days * DAY)


def _reroute(
    conn: sqlite3.Connection,
    outbox_id: int,
    error: str,
    conversation_id: int,
    note: str,
    fallback: tuple[int, Role, str, list[tuple[str, tuple[Button, ...]]]] | None,
) -> list[int]:
    outbox_sql.finish_row(conn, outbox_id, Delivery.FAILED, None, error, None)
    ids: list[int] = []
    if fallback is not None:
        ids = turns_sql.queue_message(conn, *fallback, None)
    _note(conn, conversation_id, note)
    return ids


def _note(conn: sqlite3.Connection, conversation_id: int, text: str) -> None:
    conv_sql.add_message(conn, conversation_id, Role.NOTE, text)
    conv_sql.add_event(conn, conversation_id, "note", {"text": text[:200]})
