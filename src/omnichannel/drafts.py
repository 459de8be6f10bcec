"""Staff decisions on the agent's drafts (assisted mode): approve, edit, reject.

A decision is taken once: the draft moves out of `pending` in one UPDATE, so a second press
of Approve finds it decided and sends nothing. Writes the agent proposed (a cancel, a
refund...) run at approval, through the same guarded tool layer, before the text is sent: a
refused write sends nothing and tells staff why, so the draft's "Done" is never a lie.
"""

from __future__ import annotations

import logging

from omnichannel.agent.guardrails import Session
from omnichannel.agent.tools import ToolBox
from omnichannel.router import Router, chunks_for_reply
from omnichannel.store import Draft

log = logging.getLogger(__name__)


def edit_distance(a: str, b: str, cap: int = 4000) -> int:
    """Levenshtein distance in characters (texts capped at `cap` characters each)."""
    a, b = a[:cap], b[:cap]
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class Outcome:
    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"
    DECIDED = "already decided"
    MISSING = "no such draft"


async def approve(router: Router, draft_id: int, by: str,
                  edited: str | None = None) -> tuple[str, str]:
    """(outcome, detail for staff)."""
    store = router.store
    draft = await store.draft(draft_id)
    if draft is None:
        return Outcome.MISSING, f"draft {draft_id} does not exist"
    final = draft.text if edited is None or not edited.strip() else edited.strip()
    changed = final != draft.text
    decided = await store.decide_draft(draft_id, "edited" if changed else "approved", by,
                                       final, edit_distance(draft.text, final))
    if decided is None:
        current = await store.draft(draft_id)
        status = current.status if current else "?"
        return Outcome.DECIDED, f"draft {draft_id} was already {status}"
    refused = await _run_writes(router, decided, by)
    if refused is not None:
        await store.finish_draft(draft_id, "failed", refused)
        log.warning("approved draft not sent: a write was refused",
                    extra={"draft_id": draft_id, "error": refused})
        return Outcome.FAILED, f"nothing was sent: {refused}"
    conv = await store.conversation(draft.conversation_id)
    assert conv is not None
    buttons = () if changed else draft.buttons
    chunks = chunks_for_reply(router, conv.channel, final, buttons)
    ids = await store.send_draft(draft_id, final, chunks, buttons)
    router.outbox.kick(conv.id, ids)
    how = "sent as edited" if changed else "sent"
    return Outcome.SENT, f"{how} to the shopper ({conv.channel})"


async def reject(router: Router, draft_id: int, by: str) -> tuple[str, str]:
    decided = await router.store.decide_draft(draft_id, "rejected", by)
    if decided is None:
        current = await router.store.draft(draft_id)
        if current is None:
            return Outcome.MISSING, f"draft {draft_id} does not exist"
        return Outcome.DECIDED, f"draft {draft_id} was already {current.status}"
    return Outcome.REJECTED, "rejected: nothing was sent; reply in the thread to answer"


async def _run_writes(router: Router, draft: Draft, by: str) -> str | None:
    if not draft.proposed:
        return None
    if router.commerce is None:
        return "no commerce backend is configured"
    conv = await router.store.conversation(draft.conversation_id)
    assert conv is not None
    ledger = router.store.ledger(conv.id)
    tools = ToolBox(router.commerce, Session.from_json(conv.tool_session), router.policy,
                    conversation_key=f"conv-{conv.id}", ledger=ledger, recorder=ledger,
                    approved_by=f"staff:{by}", currency=router.config.brand.currency)
    for step in draft.proposed:
        result = await tools.call(step["tool"], dict(step["args"]))
        if not result.ok:
            why = result.error or result.held or "it needs the shopper's confirmation again"
            return f"{step['tool']} was refused: {why.removeprefix('Error: ')}"
    return None
