"""Journal -> lanes -> agent -> outbox. The one module that knows channels and the agent.

`publish` journals an event and returns (invariant 1); the agent runs later, from the
journal, in the conversation's lane (invariants 2 and 3). A lane is a task per conversation
that exists only while it has work: it waits out the debounce (a short merge window,
restarted by each new message, held longer while the channel says the shopper is typing),
runs one turn over everything pending, files the reply and the journal's "handled" mark in
one transaction, and hands the rows to the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime

import omnichannel.i18n as i18n
from omnichannel import faults
from omnichannel.agent import Deps, Engine, Handoff, HandoffReason, Turn
from omnichannel.agent.categories import WRITE_CATEGORY, category_for
from omnichannel.agent.engine import new_customer_messages
from omnichannel.agent.guardrails import Policy, Session, Verification
from omnichannel.agent.intents import is_goodbye, is_thanks, redact_cards
from omnichannel.agent.tools import ToolBox
from omnichannel.channel import (
    Adapter,
    Capabilities,
    ChatHistory,
    HistoryItem,
    Inbound,
    InboundKind,
    Published,
)
from omnichannel.chunking import chunk_text
from omnichannel.commerce import Commerce
from omnichannel.config import Config
from omnichannel.conversation import Button, Conversation, Message, Owner, Role
from omnichannel.hours import handoff_notice
from omnichannel.i18n import detect
from omnichannel.logs import conversation_var
from omnichannel.outbox import Outbox
from omnichannel.registry import AdapterUnavailable, load_class
from omnichannel.store import DraftWrite, OutMessage, PendingTurn, Store, TurnWrite

log = logging.getLogger(__name__)

# The handoff notice that follows says a person takes over: this only says why.
_ = i18n.translator("gateway")
# English msgids (English at import); sent through `_` in the turn's language.
HOLDING_REPLY = _("Sorry, I'm having trouble answering right now.")
CSAT_QUESTION = _("Did we solve it? Please rate this conversation from 1 (poor) to 5 (great).")
CSAT_BUTTONS = tuple(Button(str(n), f"csat:{n}") for n in range(1, 6))
CSAT_THANKS = _("Thank you for your rating!")
SMALL_TALK = ("greeting", "thanks", "goodbye", "echo")
CSAT_TEXT = _("Did we solve it? Please rate this conversation from 1 (poor) to 5 (great). "
              "Reply with a number.")
# A channel whose adapter is not installed (its rows wait for it): the strictest common
# limit, so what is stored fits every platform we know (Twilio's 1,600 is the smallest).
UNKNOWN_CHANNEL = Capabilities(max_text_length=1600)
# A stream of messages (or of typing signals) cannot postpone its answer forever.
MAX_DEBOUNCE_WAIT = 10.0
# Show "typing" only when an answer takes long enough for the shopper to wonder.
TYPING_AFTER = 0.3


async def _typing(adapter: Adapter, chat_id: str) -> None:
    """Show "typing" once the answer has taken TYPING_AFTER seconds."""
    await asyncio.sleep(TYPING_AFTER)
    try:
        await adapter.typing(chat_id)
    except Exception:
        log.debug("typing indicator failed", exc_info=True)


class Lane:
    """One conversation's FIFO worker. `wake` is set while messages wait for a turn."""

    def __init__(self, router: Router, conversation_id: int) -> None:
        self.router = router
        self.conversation_id = conversation_id
        self.chat: tuple[str, str, str] | None = None  # (channel, account, chat id)
        self.deadline = 0.0
        self.first_pending = 0.0
        self.wake = asyncio.Event()
        self.moved = asyncio.Event()  # the deadline came closer: stop sleeping to the old one
        self.task: asyncio.Task[None] | None = None

    def push(self, debounce: float) -> None:
        """A new message: answer `debounce` from now (whatever typing had asked for)."""
        now = time.monotonic()
        if not self.wake.is_set():
            self.first_pending = now
        deadline = min(now + debounce, self.first_pending + MAX_DEBOUNCE_WAIT)
        if deadline < self.deadline:
            self.moved.set()
        self.deadline = deadline
        self.wake.set()

    def hold(self, grace: float) -> bool:
        """The shopper is typing more: wait `grace` from now, if messages are still waiting."""
        if not self.wake.is_set():
            return False  # nothing pending, or its turn has begun: a later message says more
        cap = self.first_pending + MAX_DEBOUNCE_WAIT
        self.deadline = max(self.deadline, min(time.monotonic() + grace, cap))
        return True

    async def run(self) -> None:
        conversation_var.set(self.conversation_id)
        while self.wake.is_set():
            # Messages push the deadline on, typing holds it, a message after typing brings
            # it closer again: sleep to it, woken early when it comes closer.
            while (delay := self.deadline - time.monotonic()) > 0:
                self.moved.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self.moved.wait()
            self.wake.clear()
            try:
                await self.router.run_turn(self.conversation_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("turn failed")
        self.router.lanes.pop(self.conversation_id, None)
        if self.chat is not None and self.router.chats.get(self.chat) == self.conversation_id:
            del self.router.chats[self.chat]


class Router:
    def __init__(
        self,
        config: Config,
        store: Store,
        engine: Engine,
        deps: Deps,
        adapters: Callable[[str], Adapter | None],
        *,
        commerce: Commerce | None = None,
        policy: Policy | None = None,
        owned: Callable[[str], Adapter | None] | None = None,
    ) -> None:
        self.config = config
        self.commerce = commerce
        self.policy = policy or Policy()
        self.store = store
        self.engine = engine
        self.deps = deps
        self._adapter = adapters
        # The adapter instance the gateway owns for a channel, connected or not.
        self._owned = owned or adapters
        self._declared: dict[str, Capabilities] = {}
        self.outbox = Outbox(store, adapters, config.outbox)
        self.lanes: dict[int, Lane] = {}
        # The conversation whose lane a chat's typing signals hold (only while it has one).
        self.chats: dict[tuple[str, str, str], int] = {}
        self.turns = 0
        # Called after a handoff or a new pending draft (the staff console wakes up).
        self.staff_listeners: list[Callable[[], None]] = []

    def reconfigure(self, config: Config, engine: Engine, deps: Deps, policy: Policy) -> None:
        """A reload: later turns use the new config, engine, knowledge, voice and guardrails;
        lanes and the outbox keep running (turns in progress finish with the old ones)."""
        self.config, self.engine, self.deps, self.policy = config, engine, deps, policy
        self.outbox.config = config.outbox

    def capabilities(self, channel: str) -> Capabilities:
        """What `channel` declares it can carry: its adapter class's attributes, from the
        registry (the instance's when it declares its own), whether or not it is connected
        now. A reply written while Discord reconnects is still cut at Discord's 2,000."""
        adapter = self._owned(channel)
        if adapter is not None:
            return adapter.capabilities
        if channel not in self._declared:
            try:
                self._declared[channel] = load_class(channel).capabilities
            except AdapterUnavailable:
                self._declared[channel] = UNKNOWN_CHANNEL
        return self._declared[channel]

    async def say(self, conversation_id: int, text: str, *, role: Role = Role.STAFF,
                  buttons: tuple[Button, ...] = (), owner: Owner | None = None) -> list[int]:
        """Queue a message outside a turn (staff replies, notices, approved drafts): stored
        and chunked by the channel's declared limits in one transaction (`owner` moves the
        conversation too), then handed to the outbox. The only way to send outside a turn."""
        conv = await self.store.conversation(conversation_id)
        if conv is None:
            raise LookupError(f"no conversation #{conversation_id}")
        caps = self.capabilities(conv.channel)
        out = _out(role, text, buttons, caps.max_text_length,
                   caps.max_buttons if caps.buttons else 0)
        ids = await self.store.queue_message(conversation_id, role, out.text, out.chunks, owner)
        self.outbox.kick(conversation_id, ids)
        return ids

    def csat_question(self, channel: str, language: str | None = None) -> OutMessage:
        """The rating question for `channel`, in `language` (staff resolve outside a turn)."""
        caps = self.capabilities(channel)
        with i18n.using(language or self.config.brand.language):
            return csat_message(caps.max_text_length, caps.max_buttons if caps.buttons else 0)

    # inbound side
    async def publish(self, inbound: Inbound) -> Published:
        if inbound.kind is InboundKind.TYPING:
            return self.typing(inbound)
        clean = redact_cards(inbound.text)
        if clean != inbound.text:
            inbound = replace(inbound, text=clean)
        published = await self.store.journal(inbound)
        faults.point("after_journal")
        if not published.duplicate:
            self.schedule(published.conversation_id, self.config.agent.debounce_seconds,
                          (inbound.channel, inbound.account, inbound.chat_id))
        return published

    def typing(self, inbound: Inbound) -> Published:
        """The shopper is typing: a lane still waiting holds its answer a little longer.
        Nothing is stored and the store is never asked (only chats with a lane are known)."""
        conversation_id = self.chats.get((inbound.channel, inbound.account, inbound.chat_id))
        lane = self.lanes.get(conversation_id) if conversation_id is not None else None
        grace = self.config.agent.typing_grace_seconds
        held = lane is not None and grace > 0 and lane.hold(grace)
        return Published(0, (conversation_id or 0) if held else 0, duplicate=False)

    def schedule(self, conversation_id: int, debounce: float,
                 chat: tuple[str, str, str] | None = None) -> None:
        lane = self.lanes.get(conversation_id)
        if lane is None:
            lane = self.lanes[conversation_id] = Lane(self, conversation_id)
        if chat is not None:
            lane.chat = chat
            self.chats[chat] = conversation_id
        lane.push(debounce)
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(lane.run(), name=f"lane:{conversation_id}")

    async def history(self, channel: str, account: str, chat_id: str, limit: int) -> ChatHistory:
        owner, messages = await self.store.chat_history(channel, account, chat_id, limit)
        return ChatHistory(
            messages=tuple(HistoryItem(m.id, m.role, m.text, m.buttons) for m in messages),
            owner=owner,
        )

    # lifecycle
    async def resume(self) -> None:
        """Answer what the last process journaled but never answered (it died mid-turn)."""
        for conv_id in await self.store.pending_conversations():
            self.schedule(conv_id, 0)

    async def stop(self) -> None:
        """Finish turns in progress (their replies reach the outbox), then cancel the rest."""
        await self.drain_lanes(timeout=5.0)
        lanes = [lane.task for lane in self.lanes.values() if lane.task]
        for task in lanes:
            task.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)

    async def drain_lanes(self, timeout: float) -> None:
        """Let turns in progress finish (a graceful stop answers what it has journaled)."""
        tasks = [lane.task for lane in self.lanes.values() if lane.task and not lane.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    # the turn
    async def run_turn(self, conversation_id: int) -> None:
        limit = min(self.config.agent.history_limit, self.engine.history)
        pending = await self.store.pending_turn(conversation_id, limit)
        if not pending.journal_ids:
            return
        lang = await self._language(pending)
        with i18n.using(lang):  # everything this turn says is in the shopper's language
            await self._turn(pending, replace(pending.conversation, language=lang))

    async def _language(self, pending: PendingTurn) -> str:
        """The conversation's language after the shopper's new messages (docs/languages.md):
        their words when long and clear enough, else the language so far, then the channel's
        hints, then the shop's language."""
        conv, brand = pending.conversation, self.config.brand
        burst = [m.text for m in new_customer_messages(pending.history)]
        return await asyncio.to_thread(
            detect.choose, " ".join(burst), previous=conv.language,
            hints=(conv.language_hint, detect.phone_language(pending.contact.phone)),
            allowed=brand.languages, default=brand.language)

    async def _turn(self, pending: PendingTurn, conv: Conversation) -> None:
        adapter = self._adapter(conv.channel)
        if await self._rating(conv, pending, adapter):
            return
        if conv.owner is Owner.STAFF:
            # Invariant 5: staff own it, the agent stays quiet; the console sees the message.
            await self.store.commit_turn(TurnWrite(conv.id, pending.journal_ids, []))
            return
        # Owned by this turn: cancelled (and awaited) as soon as the answer is ready.
        typing = (asyncio.create_task(_typing(adapter, conv.chat_id))
                  if adapter is not None and adapter.capabilities.typing else None)
        tools = await self._toolbox(pending) if self.commerce is not None else None
        try:
            topic = self._topic(pending.history)
            if topic is not None:
                turn = Turn(text="", handoff=Handoff(HandoffReason.TOPIC, f"topic: {topic}"),
                            intent="handoff.merchant_topic")
            else:
                turn = await self._respond(conv, pending.history, tools)
        finally:
            if typing is not None:
                typing.cancel()
                await asyncio.gather(typing, return_exceptions=True)
        self.turns += 1
        turn, draft = self._autonomy(turn, tools)
        caps = self.capabilities(conv.channel)
        limit, max_buttons = caps.max_text_length, caps.max_buttons if caps.buttons else 0
        messages: list[OutMessage] = []
        if turn.text and draft is None:
            messages.append(_out(Role.AGENT, turn.text, turn.buttons, limit, max_buttons))
        if turn.handoff is not None:
            messages.append(_out(Role.SYSTEM, self.handoff_notice(), (), limit, 0))
        notice = self.config.autonomy.text("pending_notice")
        if draft is not None and draft.status == "pending" and notice and \
                await self.store.latest_draft(conv.id, "pending") is None:
            messages.append(_out(Role.SYSTEM, notice, (), limit, 0))  # not left in silence
        # After a real answer (not a greeting alone) the shopper closes: ask for a rating.
        ask_csat = (turn.handoff is None and draft is None and _closing(pending.history)
                    and (conv.intent or "greeting") not in SMALL_TALK
                    and await self.store.may_ask_csat(conv.id))
        if ask_csat:
            messages.append(csat_message(limit, max_buttons))
        failures = (conv.failures + 1) if turn.failed else 0
        outbox_ids = await self.store.commit_turn(
            TurnWrite(
                conversation_id=conv.id,
                journal_ids=pending.journal_ids,
                messages=messages,
                intent=turn.intent,
                failures=failures,
                handoff_reason=turn.handoff.reason.value if turn.handoff else None,
                handoff_summary=turn.handoff.summary if turn.handoff else None,
                owner_epoch=conv.owner_epoch,
                agent_state=turn.state,
                tool_session=tools.session.to_json() if tools else None,
                usage=asdict(turn.usage) if turn.usage else None,
                draft=draft,
                csat_asked=ask_csat,
                language=conv.language,
            )
        )
        if turn.handoff is not None:
            log.info("handed off", extra={"reason": turn.handoff.reason.value})
        if draft is not None:
            log.info("draft kept", extra={"category": draft.category, "status": draft.status})
        if turn.handoff is not None or (draft is not None and draft.status == "pending"):
            for wake in self.staff_listeners:
                wake()
        self.outbox.kick(conv.id, outbox_ids)

    async def _rating(self, conv: Conversation, pending: PendingTurn,
                      adapter: Adapter | None) -> bool:
        """A rating (a button, or typed while the question waited: the journal files it with
        the button's value, store/rating.py): recorded once as the conversation's CSAT,
        thanked, and never sent to the agent (so it also works on a resolved or staff-owned
        one)."""
        last = pending.history[-1] if pending.history else None
        if last is None or last.role is not Role.CUSTOMER:
            return False
        value = last.button_value or ""
        if not value.startswith("csat:") or value[5:] not in ("1", "2", "3", "4", "5"):
            return False
        score = int(value[5:])
        rated = await self.store.rate(conv.id, score)
        limit = self.capabilities(conv.channel).max_text_length
        messages = [_out(Role.SYSTEM, _(CSAT_THANKS), (), limit, 0)] if rated else []
        ids = await self.store.commit_turn(TurnWrite(conv.id, pending.journal_ids, messages,
                                                     owner_epoch=conv.owner_epoch))
        self.outbox.kick(conv.id, ids)
        log.info("csat", extra={"score": score, "recorded": rated})
        return True

    def handoff_notice(self, now: datetime | None = None) -> str:
        """In or out of business hours, honestly (config [handoff.hours])."""
        h = self.config.handoff
        return handoff_notice(h.text("notice"), h.text("out_of_hours_notice"), h.hours,
                              now or datetime.now(UTC))

    def _topic(self, history: Sequence[Message]) -> str | None:
        """A merchant topic ([handoff] topics) in the shopper's latest message."""
        topics = self.config.handoff.spoken_topics()
        last = next((m for m in reversed(history) if m.role is Role.CUSTOMER), None)
        if not topics or last is None:
            return None
        text = last.text.lower()
        for topic in topics:
            if re.search(rf"(?<!\w){re.escape(topic.lower())}(?!\w)", text):
                return topic
        return None

    def _autonomy(self, turn: Turn, tools: ToolBox | None) -> tuple[Turn, DraftWrite | None]:
        """Per category: autonomous replies go out; assisted ones (and any deferred write)
        become a pending draft for staff; "off" hands off, keeping a private shadow draft."""
        if turn.handoff is not None or not turn.text:
            return turn, None
        proposed = list(tools.proposed) if tools is not None else []
        called = (tools.called if tools is not None else []) + [p["tool"] for p in proposed]
        category = category_for(turn.intent, called)
        auto = self.config.autonomy
        mode = auto.mode(category)
        if mode == "assisted" or (proposed and mode != "off"):
            return turn, DraftWrite(category, "assisted", turn.text, turn.buttons, proposed,
                                    "pending")
        if mode == "off":
            handed = replace(turn, text="", buttons=(), handoff=Handoff(
                HandoffReason.CATEGORY_OFF, f"{category} questions go to a person"))
            shadow = DraftWrite(category, "off", turn.text, turn.buttons, proposed, "shadow")
            return handed, shadow if auto.shadow else None
        return turn, None

    async def _toolbox(self, pending: PendingTurn) -> ToolBox:
        """The shop's tools for this turn, with what the channel itself proved about identity."""
        assert self.commerce is not None
        conv, contact = pending.conversation, pending.contact
        session = Session.from_json(conv.tool_session)
        if not session.verified:
            found, how = None, None
            if contact.email_verified and contact.email:
                found = await self.commerce.find_customer_by_email(contact.email)
                how = Verification.SIGNED_IDENTITY
            if found is None and contact.phone_verified and contact.phone:
                found = await self.commerce.find_customer_by_phone(contact.phone)
                how = Verification.CHANNEL_PHONE
            if found is not None and how is not None:
                session.verify(found, how)
        log_ = self.store.ledger(conv.id)
        auto = self.config.autonomy

        def defer(tool: str) -> bool:
            return auto.mode(WRITE_CATEGORY.get(tool, "other")) != "autonomous"

        words = " ".join(m.text for m in pending.history if m.role is Role.CUSTOMER)
        return ToolBox(self.commerce, session, self.policy, conversation_key=f"conv-{conv.id}",
                       currency=self.config.brand.currency, shopper_words=words,
                       ledger=log_, recorder=log_, defer=defer)

    async def _respond(
        self, conv: Conversation, history: Sequence[Message], tools: ToolBox | None = None
    ) -> Turn:
        """Invariant 7: an engine failure becomes a holding reply and a handoff, never silence."""
        try:
            deps = replace(self.deps, tools=tools) if tools is not None else self.deps
            return await self.engine.respond(conv, history, deps)
        except Exception:
            log.exception("engine failed", extra={"engine": self.engine.name})
            return Turn(
                text=_(HOLDING_REPLY),
                handoff=Handoff(HandoffReason.ENGINE_FAILURE, "the agent engine raised an error"),
                intent="engine_failure",
            )


def csat_message(limit: int, max_buttons: int) -> OutMessage:
    """The rating question: five buttons where the channel shows five, else typed digits."""
    if max_buttons >= len(CSAT_BUTTONS):
        return _out(Role.SYSTEM, _(CSAT_QUESTION), CSAT_BUTTONS, limit, max_buttons)
    return _out(Role.SYSTEM, _(CSAT_TEXT), (), limit, 0)


def csat_for(router: Router, channel: str, language: str | None = None) -> OutMessage:
    """The rating question for a channel, in the conversation's language."""
    return router.csat_question(channel, language)


def _closing(history: Sequence[Message]) -> bool:
    """The shopper's latest message closes the matter ("thanks", "that's all", "bye");
    the store checks that someone had answered before (`may_ask`)."""
    last = next((m for m in reversed(history) if m.role is Role.CUSTOMER), None)
    return last is not None and (is_thanks(last.text) or is_goodbye(last.text))


def _out(
    role: Role, text: str, buttons: tuple[Button, ...], limit: int, max_buttons: int
) -> OutMessage:
    """A message and its chunks; buttons ride on the last chunk, text-listed if unsupported."""
    # All the choices or none: buttons the channel cannot show all of are listed in text.
    shown = buttons if max_buttons and len(buttons) <= max_buttons else ()
    if buttons and not shown:
        text = text + "\n\n" + "\n".join(f"- {b.label}" for b in buttons)
    pieces = chunk_text(text, limit) or [text]
    chunks = [(p, ()) for p in pieces[:-1]] + [(pieces[-1], shown)]
    return OutMessage(role=role, text=text, buttons=shown, chunks=chunks)


def chunks_for_reply(router: Router, channel: str, text: str,
                     buttons: tuple[Button, ...]) -> list[tuple[str, tuple[Button, ...]]]:
    """An agent message's chunks for `channel` (its declared limits)."""
    caps = router.capabilities(channel)
    return _out(Role.AGENT, text, buttons, caps.max_text_length,
                caps.max_buttons if caps.buttons else 0).chunks


def chunks_for(
    adapter: Adapter | type[Adapter] | None, text: str
) -> list[tuple[str, tuple[Button, ...]]]:
    """Chunk a staff or system text for a channel (used by the console and the CLI)."""
    caps = adapter.capabilities if adapter is not None else UNKNOWN_CHANNEL
    return _out(Role.STAFF, text, (), caps.max_text_length, 0).chunks
