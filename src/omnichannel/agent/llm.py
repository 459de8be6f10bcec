"""The LLM engine: a litellm tool-calling loop over the same tools and guardrails.

Routing (`auto`): the built-in engine drafts first; its draft is sent with no model call only
where the rules are measured to be right, and an upset shopper or a request for several
writes goes to the complex model (routing.py). Each tier is a chain (primary, then
fallbacks); when the whole chain fails the built-in engine answers, and when it cannot
either, an honest holding reply and a handoff do.

What the model writes reaches the shopper only through three checks: the output filter
(nothing addressed to the model), the claim checker (nothing said to be done, or promised,
that no action backs) and the confirmation rule (the exact summary of a write waiting for a
yes is always shown).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import omnichannel.i18n as i18n
from omnichannel.agent import intents, modelnotes, understanding
from omnichannel.agent.builtin import BuiltinEngine
from omnichannel.agent.claims import claims, unbacked
from omnichannel.agent.engine import Deps, new_customer_messages
from omnichannel.agent.llmsetup import register_prices
from omnichannel.agent.modelclient import (
    Completion,
    ModelClient,
    ModelSpec,
    ModelsUnavailable,
    ToolCall,
)
from omnichannel.agent.outgoing import shopper_text
from omnichannel.agent.prompt import build_messages
from omnichannel.agent.routing import RoutingRules, Signals, Tier, route, signals
from omnichannel.agent.tools import ToolBox
from omnichannel.agent.turn import Handoff, HandoffReason, ModelFailure, Turn, Usage
from omnichannel.agent.understanding.confirm import is_no, is_yes
from omnichannel.commerce import CommerceError, Customer, Order
from omnichannel.conversation import Button, Conversation, Message
from omnichannel.knowledge.ranking import rerank

__all__ = ["LLMEngine", "LLMState", "ModelClient", "ModelSpec"]

log = logging.getLogger(__name__)

_ = i18n.translator("llm")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Ý0-9\"'(¿¡])|\n+")


def _yes_no() -> tuple[Button, ...]:
    return (Button(_("Yes, go ahead"), "yes"), Button(_("No"), "no"))


def _holding() -> str:
    """The reply when the model could not answer (the router's handoff notice says the rest)."""
    return _("Sorry, I can't answer this properly right now.")


@dataclass
class _Run:
    """One model turn's bookkeeping: usage, failed calls, what was said to the model."""

    tier: Tier
    model: str = ""
    prompt: int = 0
    completion: int = 0
    cost: float = 0.0
    calls: int = 0
    waited: float = 0.0
    failed: list[ModelFailure] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)  # tool and system notes to the model
    labels: dict[str, str] = field(default_factory=dict)  # payment method id -> label
    held: list[str] = field(default_factory=list)  # plain words for each held write

    def add(self, c: Completion) -> None:
        self.model, self.calls = c.model, self.calls + 1
        self.prompt += c.prompt_tokens
        self.completion += c.completion_tokens
        self.cost += c.cost

    def usage(self) -> Usage | None:
        if not self.calls and not self.failed:
            return None
        return Usage(model=self.model or (self.failed[0].model if self.failed else ""),
                     prompt_tokens=self.prompt, completion_tokens=self.completion,
                     cost_usd=round(self.cost, 8), calls=self.calls, tier=self.tier.value,
                     fallbacks=tuple(dict.fromkeys(f.model for f in self.failed)),
                     latency_s=round(self.waited, 4), failures=tuple(self.failed))


@dataclass
class LLMState:
    """The model's pending confirmations, kept beside the built-in engine's state (auto
    mode shares one conversation state; neither engine drops the other's keys)."""

    pending: list[dict[str, Any]] = field(default_factory=list)
    other: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str | None:
        raw = dict(self.other)
        if self.pending:
            raw["llm_pending"] = self.pending
        return json.dumps(raw) if raw else None

    @classmethod
    def from_json(cls, text: str | None) -> LLMState:
        try:
            raw = json.loads(text) if text else {}
        except ValueError:
            raw = {}
        if not isinstance(raw, dict):
            return cls()
        pending = list(raw.pop("llm_pending", []))
        return cls(pending, raw)

    @property
    def rules_mid_task(self) -> bool:
        """The built-in engine was asking for a detail or a yes."""
        return bool(self.other.get("asking") or self.other.get("pending"))

    def model_took_over(self) -> None:
        """The model answered: the rules' open question and unconfirmed write are void (a
        later "yes" must not run what the rules proposed before); remembered facts stay."""
        for key in ("pending", "asking"):
            if self.other.get(key):
                self.other[key] = None
        self.other["tasks"] = []
        self.other["misses"] = 0


class LLMEngine:
    """`llm`: every turn goes to a model; `auto`: only turns the rules cannot answer."""

    history = 30

    def __init__(
        self,
        routine: Sequence[ModelSpec],
        complex_: Sequence[ModelSpec] | None = None,
        *,
        mode: str = "llm",
        rules: RoutingRules | None = None,
        max_steps: int = 6,
        client: ModelClient | None = None,
    ) -> None:
        self.name = mode
        self.routine = tuple(routine)
        self.complex = tuple(complex_ or routine)
        self.rules = rules or RoutingRules()
        self.max_steps = max_steps
        self.client = client or ModelClient()
        self.builtin = BuiltinEngine()
        register_prices((*self.routine, *self.complex))

    async def respond(
        self, conversation: Conversation, history: Sequence[Message], deps: Deps
    ) -> Turn:
        burst = new_customer_messages(history)
        text = " ".join(m.text for m in burst)
        button = burst[-1].button_value if burst else None
        if intents.red_flag(text) or intents.wants_person(text, button):
            return await self.builtin.respond(conversation, history, deps)  # never a model
        state = LLMState.from_json(conversation.agent_state)
        draft = None
        if self.name == "auto" and not state.pending:
            draft = await self.builtin.respond(conversation, history, deps)
        tier = route(self.rules, conversation, history,
                     await self._signals(text, history, state), draft)
        if tier is Tier.NONE and draft is not None:
            return draft
        run = _Run(tier if tier is not Tier.NONE else Tier.ROUTINE)
        try:
            return await self._model_turn(run, conversation, history, deps, text, button)
        except ModelsUnavailable as exc:
            log.error("every model failed; the built-in engine answers", extra={
                "models": str(exc)})
            fallback = draft or await self.builtin.respond(conversation, history, deps)
            if fallback.failed:
                fallback = Turn(text=_holding(), intent="llm.unavailable", handoff=Handoff(
                    HandoffReason.ENGINE_FAILURE, f"models unavailable: {exc}"))
            return replace(fallback, usage=run.usage())

    async def _signals(self, text: str, history: Sequence[Message],
                       state: LLMState) -> Signals:
        """Mood, writes named and the reading's confidence. Only `auto` reads the intent
        (its draft just read the same words: the reading is cached); `llm` routes on mood and
        the writes named, which cost no classifier time."""
        reading = None
        if text and self.name == "auto":
            reading = await asyncio.to_thread(understanding.read, text)
        return signals(reading, text, history, mid_task=state.rules_mid_task)

    async def _model_turn(self, run: _Run, conversation: Conversation,
                          history: Sequence[Message], deps: Deps, text: str,
                          button: str | None) -> Turn:
        chain = self.complex if run.tier is Tier.COMPLEX else self.routine
        state = LLMState.from_json(conversation.agent_state)
        tools = deps.tools
        notes, confirmed = self._confirmations(state, tools, text, button)
        run.internal += notes
        passages = [] if notes else [  # a yes or no needs no help-center text
            r.passage for r in rerank(text, await deps.knowledge.search(text, 10))[:3]
            if r.confidence >= 0.4 and r.coverage >= 0.5 and r.heading_overlap]
        customer, orders = await self._context(deps)
        if customer is not None:
            run.labels = {p.id: p.label() for p in customer.payment_methods}
        messages = build_messages(deps.voice, passages, customer, orders, history, notes)
        handoff: Handoff | None = None
        rewrites = 0
        reply = ""
        for _step in range(self.max_steps):
            # Offered tools follow the session: lookups until verified, then the rest.
            schemas = tools.schemas(verified=tools.session.verified) if tools else []
            started = time.monotonic()
            try:
                completion = await self.client.complete(chain, messages, schemas, run.failed)
            finally:
                run.waited += time.monotonic() - started
            run.add(completion)
            if completion.tool_calls:
                call = completion.tool_calls[0]  # one tool call at a time
                messages.append({"role": "assistant", "content": completion.text or None,
                                 "tool_calls": [{"id": call.id, "type": "function", "function": {
                                     "name": call.name, "arguments": call.arguments}}]})
                note, step_handoff = await self._run_tool(call, tools, state, run)
                handoff = handoff or step_handoff
                run.internal.append(modelnotes.internal_part(note))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": note})
                continue
            draft = completion.text.strip()
            reply, problem = await self._checked(draft, run, state, tools, handoff)
            if problem is None:
                break
            if rewrites == 0:
                rewrites = 1
                messages.append({"role": "assistant", "content": draft})
                messages.append({"role": "system", "content": problem})
                run.internal.append(problem)
                continue
            if problem.startswith(modelnotes.REWRITE_PREFIX):
                handoff = handoff or Handoff(HandoffReason.PROMISE,
                                             f"the model kept claiming: {draft[:300]}")
            else:
                handoff = handoff or Handoff(HandoffReason.ENGINE_FAILURE,
                                             "the model kept addressing internals")
            reply = ""
            break
        else:
            reply = ""
            handoff = handoff or Handoff(HandoffReason.ENGINE_FAILURE,
                                         f"no answer within {self.max_steps} steps")
        if tools is not None:  # a yes is for this turn's call only
            tools.session.confirmed.difference_update(confirmed)
        reply = self._finish(reply, run, state, handoff)
        state.model_took_over()
        return Turn(
            text=deps.voice.sign(reply) if reply and reply != _holding() else reply,
            buttons=_yes_no() if state.pending and not handoff else (),
            handoff=handoff,
            intent=f"llm.{run.tier.value}",
            state=state.to_json(),
            usage=run.usage(),
        )

    async def _checked(self, draft: str, run: _Run, state: LLMState, tools: ToolBox | None,
                       handoff: Handoff | None) -> tuple[str, str | None]:
        """The reply as the shopper may read it, or a note asking the model to rewrite."""
        clean = shopper_text(draft, run.internal, run.labels)
        if not clean.strip():
            return "", modelnotes.filtered_note()
        done = await tools.done() if tools is not None else set()
        bad = unbacked(clean, done, handed_off=handoff is not None or bool(run.held),
                       pending=[p["tool"] for p in state.pending], lang=i18n.current())
        if bad:
            return clean, modelnotes.rewrite_note([c.text for c in bad])
        return clean, None

    @staticmethod
    def _finish(reply: str, run: _Run, state: LLMState, handoff: Handoff | None) -> str:
        """Plain words for a held write; the exact summary of a write waiting for a yes;
        and no second handoff announcement (the router's notice is the one)."""
        if run.held:
            return " ".join(run.held)
        if handoff is not None:
            reply = _without_handoff_claims(reply)
            return reply or (_holding() if handoff.reason is not HandoffReason.REQUESTED else "")
        if state.pending:
            missing = [p["summary"] for p in state.pending if p["summary"] not in reply]
            if missing:
                reply = (f"{reply}\n\n" if reply else "") + _(
                    "To confirm: {summary} Shall I go ahead?").format(summary=" ".join(missing))
        return reply or _holding()

    @staticmethod
    def _confirmations(state: LLMState, tools: ToolBox | None, text: str,
                       button: str | None) -> tuple[list[str], set[str]]:
        """Apply the shopper's yes or no to the actions waiting for it: the notes for the
        model and the tokens confirmed (valid for this turn only)."""
        notes: list[str] = []
        confirmed: set[str] = set()
        if not state.pending or tools is None:
            return notes, confirmed
        if button == "yes" or (button is None and is_yes(text)):
            for p in state.pending:
                tools.confirm(p["token"])
                confirmed.add(p["token"])
                notes.append(modelnotes.confirmed_note(p["summary"], p["tool"], p["args"]))
        elif button == "no" or (button is None and is_no(text)):
            notes += [modelnotes.declined_note(p["summary"]) for p in state.pending]
        state.pending = []
        return notes, confirmed

    @staticmethod
    async def _context(deps: Deps) -> tuple[Customer | None, list[Order]]:
        tools = deps.tools
        if tools is None or not tools.session.verified:
            return None, []
        try:
            customer = await tools.customer()
            orders = [await tools.order(o) for o in list(customer.order_ids)[-5:]]
        except CommerceError:
            return None, []
        return customer, orders

    @staticmethod
    async def _run_tool(call: ToolCall, tools: ToolBox | None, state: LLMState, run: _Run
                        ) -> tuple[str, Handoff | None]:
        """Run one tool call; errors go back to the model as the tool's answer."""
        try:
            args = json.loads(call.arguments or "{}")
        except ValueError as exc:
            return modelnotes.bad_arguments(f"the arguments are not valid JSON ({exc})"), None
        if not isinstance(args, dict):
            return modelnotes.bad_arguments("the arguments must be a JSON object"), None
        if tools is None:
            return modelnotes.no_shop(), None
        result = await tools.call(call.name, args)
        note = modelnotes.tool_note(call.name, args, result)
        if result.confirmation is not None:
            if all(p["token"] != result.confirmation.token for p in state.pending):
                state.pending.append({"token": result.confirmation.token, "tool": call.name,
                                      "args": args, "summary": result.confirmation.summary})
            return note, None
        if result.held is not None:
            run.held.append(_held_words(tools, result.amount))
            return note, Handoff(HandoffReason.OVER_CAP, result.held)
        if result.handoff:
            return note, Handoff(HandoffReason.REQUESTED, str(args.get("summary", ""))[:500])
        return note, None


def _held_words(tools: ToolBox, amount: float) -> str:
    if amount > 0:
        return _("A refund of {amount} is more than I can approve on my own, so a person from "
                 "our team needs to check it.").format(amount=tools.money(amount))
    return _("This is something I can't approve on my own, so a person from our team needs to "
             "check it.")


def _without_handoff_claims(text: str) -> str:
    """The reply without sentences announcing the handoff (the router's notice does)."""
    kept = [s for s in _SENTENCE.split(text)
            if s.strip() and not any(c.kind == "handoff" for c in claims(s, i18n.current()))]
    return " ".join(s.strip() for s in kept)
