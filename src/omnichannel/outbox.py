"""Delivery: outbox rows to adapters, one ordered queue per conversation.

Rows leave in id order per conversation (invariant 3). Each send is claimed first (the row
becomes `sending` and the owner is re-checked, invariant 5), then finished as `sent`,
re-queued with backoff (honouring Retry-After), or `failed`. An unexpected exception from an
adapter leaves the outcome unknown: the row becomes `uncertain` rather than being resent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable

from omnichannel import faults
from omnichannel.channel import (
    Adapter,
    DeliveryReceipt,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
    WindowClosedError,
)
from omnichannel.chunking import chunk_text
from omnichannel.config import OutboxConfig
from omnichannel.conversation import Button, Delivery
from omnichannel.logs import conversation_var
from omnichannel.store import OutboxRow, Store

log = logging.getLogger(__name__)


class Outbox:
    def __init__(
        self,
        store: Store,
        adapters: Callable[[str], Adapter | None],
        config: OutboxConfig,
    ) -> None:
        self.store = store
        self._adapter = adapters
        self.config = config
        self._queues: dict[int, deque[int]] = {}
        self._known: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        # When each conversation may send next (its channel's pacing gap after the last
        # send). Waited out BEFORE a row is claimed: a crash during the wait leaves the row
        # `queued` (sent after restart), never `sending` (which would become `uncertain`).
        self._next_send: dict[int, float] = {}
        self._poller: asyncio.Task[None] | None = None
        self._started = False
        self.sent = 0

    def kick(self, conversation_id: int, outbox_ids: list[int]) -> None:
        """Queue rows for delivery (ids must be increasing per conversation)."""
        q = self._queues.setdefault(conversation_id, deque())
        for oid in outbox_ids:
            if oid not in self._known:
                self._known.add(oid)
                q.append(oid)
        task = self._tasks.get(conversation_id)
        if self._started and q and (task is None or task.done()):
            self._tasks[conversation_id] = asyncio.create_task(
                self._deliver(conversation_id), name=f"outbox:{conversation_id}"
            )

    async def start(self, *, recover: bool = True, poll: bool = True) -> None:
        """Apply the restart rules (invariant 4), then deliver.

        Nothing is sent before the rules ran: rows queued meanwhile wait in memory.
        `recover=False, poll=False` (the terminal chat beside a running daemon) touches no
        one else's rows.
        """
        if recover:
            rec = await self.store.recover(self.config.stale_after_seconds)
            if rec.uncertain or rec.dropped or rec.requeued:
                log.warning("outbox recovered", extra={"uncertain": len(rec.uncertain),
                            "dropped": len(rec.dropped), "requeued": len(rec.requeued)})
            for oid, conv_id, _due in await self.store.queued():
                self.kick(conv_id, [oid])
        self._started = True
        for conv_id in list(self._queues):
            self.kick(conv_id, [])
        if poll:
            self._poller = asyncio.create_task(self._poll(), name="outbox:poll")

    async def flush(self, timeout: float) -> int:
        """Deliver what is due before a graceful stop: wait until no delivery is in flight
        and no row is due now, or `timeout`. Returns the rows still queued (they stay in
        the store for the next start; rows waiting out a backoff are not hurried)."""
        deadline = time.monotonic() + timeout
        while True:
            busy = [t for t in self._tasks.values() if not t.done()]
            now = time.time()
            try:
                due = [r for r in await self.store.queued() if r[2] <= now]
            except Exception:
                log.exception("outbox flush could not read the queue")
                return -1
            if (not busy and not due) or time.monotonic() >= deadline:
                return len(due)
            for oid, conv_id, _due in due:
                if oid not in self._known:
                    self.kick(conv_id, [oid])
            await asyncio.sleep(0.05)

    async def stop(self, grace: float = 5.0) -> None:
        if self._poller:
            self._poller.cancel()
        tasks = [t for t in self._tasks.values() if not t.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, *( [self._poller] if self._poller else []),
                             return_exceptions=True)

    async def _poll(self) -> None:
        """Pick up rows written by other processes (CLI replies) and retries that fell due."""
        while True:
            await asyncio.sleep(self.config.poll_seconds)
            try:
                rows = await self.store.queued()
            except Exception:
                log.exception("outbox poll failed")
                continue
            by_conv: dict[int, list[int]] = {}
            now = time.time()
            for oid, conv_id, due in rows:
                if oid not in self._known and due <= now:
                    by_conv.setdefault(conv_id, []).append(oid)
            for conv_id, ids in by_conv.items():
                self.kick(conv_id, ids)

    async def _deliver(self, conversation_id: int) -> None:
        q = self._queues[conversation_id]
        conversation_var.set(conversation_id)
        while q:
            oid = q[0]
            try:
                done = await self._attempt(oid, conversation_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox delivery crashed", extra={"outbox_id": oid})
                done = True
            if done:
                q.popleft()
                self._known.discard(oid)
        self._queues.pop(conversation_id, None)
        self._tasks.pop(conversation_id, None)

    async def _attempt(self, oid: int, conversation_id: int) -> bool:
        """Try one row until it is settled. True when it left the queue."""
        while True:
            await self._pace(conversation_id)
            row = await self.store.claim(oid)
            if row is None:
                return True
            faults.point("outbox_sending")
            adapter = self._adapter(row.channel)
            if adapter is None:
                await self._retry(row, f"channel {row.channel} is not running", None)
                continue
            try:
                receipt: DeliveryReceipt = await adapter.send(
                    _outbound(row, adapter.capabilities.policy_window))
            except RetryableDeliveryError as exc:
                if exc.retry_after is not None:  # the platform's rate limit: counted
                    await self.store.note_rate_limited(row.conversation_id, row.channel,
                                                       exc.retry_after)
                if row.attempts >= self.config.max_attempts:
                    await self.store.finish(oid, Delivery.FAILED, error=str(exc))
                    return True
                await self._retry(row, str(exc), exc.retry_after)
                continue
            except WindowClosedError as exc:
                # Never "sent" and lost: the row fails visibly, then goes out on another
                # channel of the same (verified) contact, or staff are told.
                log.warning("policy window closed", extra={"outbox_id": oid})
                await self._fall_back(row, f"window closed: {exc}")
                return True
            except PermanentDeliveryError as exc:
                log.warning("delivery refused", extra={"outbox_id": oid, "error": str(exc)})
                await self.store.finish(oid, Delivery.FAILED, error=str(exc))
                return True
            except Exception as exc:
                log.exception("adapter send raised", extra={"outbox_id": oid})
                await self.store.finish(oid, Delivery.UNCERTAIN,
                                        error=f"{type(exc).__name__}: {exc}")
                return True
            gap = adapter.capabilities.min_send_interval
            if gap > 0:
                self._next_send[row.conversation_id] = time.monotonic() + gap
            # Not awaited: the writer applies writes in order, so the next claim of this
            # conversation still follows this mark; a crash before it lands leaves the row
            # `sending`, which the restart rules turn into `uncertain`, the truth.
            self.store.finish_later(oid, Delivery.SENT,
                                    platform_message_id=receipt.platform_message_id)
            self.sent += 1
            return True

    async def _fall_back(self, row: OutboxRow, error: str) -> None:
        """Never "sent" and lost: the row fails visibly and, in the same transaction, the
        reply is queued on another channel of the same (verified) contact, or staff are
        told to reach the shopper another way."""
        for conv_id, channel in await self.store.other_channels(row.conversation_id):
            adapter = self._adapter(channel)
            if adapter is None:
                continue
            limit = adapter.capabilities.max_text_length
            chunks: list[tuple[str, tuple[Button, ...]]] = [
                (c, ()) for c in chunk_text(row.text, limit)]
            ids = await self.store.reroute(
                row.id, error, row.conversation_id,
                f"The {row.channel} window is closed: this reply went to the same shopper "
                f"by {channel} instead.",
                (conv_id, row.role, row.text, chunks))
            self.kick(conv_id, ids)
            return
        await self.store.reroute(
            row.id, error, row.conversation_id,
            "A reply could not be sent: the channel's 24-hour window is closed, no template "
            "applies and the shopper has no other verified channel. Reach the shopper another "
            "way.", None)

    async def _retry(self, row: OutboxRow, error: str, retry_after: float | None) -> None:
        delay = retry_after if retry_after is not None else min(
            self.config.backoff_max,
            self.config.backoff_base * 2 ** (row.attempts - 1) * random.uniform(0.8, 1.2),
        )
        log.info("delivery retry", extra={"outbox_id": row.id, "error": error, "delay": delay})
        await self.store.finish(row.id, Delivery.QUEUED, error=error,
                                next_attempt_at=time.time() + delay)
        await asyncio.sleep(delay)

    async def _pace(self, conversation_id: int) -> None:
        """Wait out the channel's pacing gap since this conversation's last send."""
        wait = self._next_send.get(conversation_id, 0.0) - time.monotonic()
        if wait > 0:
            faults.point("outbox_pacing")
            await asyncio.sleep(wait)


def _outbound(row: OutboxRow, window: float | None = None) -> Outbound:
    open_ = window is None or (time.time() - row.last_inbound_at) <= window
    return Outbound(
        outbox_id=row.id,
        conversation_id=row.conversation_id,
        chat_id=row.chat_id,
        role=row.role,
        text=row.text,
        buttons=row.buttons,
        message_id=row.message_id,
        owner=row.owner,
        window_open=open_,
        language=row.language,
    )
