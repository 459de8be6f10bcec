"""The LLM engine: a litellm tool-calling loop over the same tools and guardrails.

Routing (`auto`): the built-in engine drafts first; a confident draft is sent with no model
call, other turns go to the routine or the complex model (see routing.py). Each tier is a
chain (primary, then fallbacks); when the whole chain fails the built-in engine answers, and
when it cannot either, an honest holding reply and a handoff do. litellm is imported only
when an LLM engine is built.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from omnichannel.agent import intents
from omnichannel.agent.builtin import BuiltinEngine
from omnichannel.agent.engine import Deps, new_customer_messages
from omnichannel.agent.knowledge import rerank
from omnichannel.agent.promises import broken_promises
from omnichannel.agent.prompt import build_messages
from omnichannel.agent.routing import RoutingRules, Tier, route
from omnichannel.agent.turn import Handoff, HandoffReason, Turn, Usage
from omnichannel.agent.understanding.confirm import is_no, is_yes
from omnichannel.commerce import CommerceError, Customer, Order
from omnichannel.conversation import Button, Conversation, Message

log = logging.getLogger(__name__)

YES_NO = (Button("Yes, go ahead", "yes"), Button("No", "no"))
HOLDING = ("Sorry, I can't answer this properly right now, so I've passed it to our team; "
           "a person will reply here.")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout: float = 30.0
    max_tokens: int = 800
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    free: bool = False


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    tool_calls: tuple[ToolCall, ...]
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float


class ModelsUnavailable(Exception):
    """Every model of the chain failed for this call."""


def load_litellm() -> Any:
    """Import litellm on first use, with the offline price map (no network at import)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def register_prices(specs: Sequence[ModelSpec]) -> None:
    """Models litellm has no price for get the configured one."""
    litellm = load_litellm()
    for spec in specs:
        if spec.input_cost_per_token is not None or spec.output_cost_per_token is not None:
            litellm.register_model({spec.model: {
                "input_cost_per_token": spec.input_cost_per_token or 0.0,
                "output_cost_per_token": spec.output_cost_per_token or 0.0,
                "litellm_provider": spec.model.split("/")[0] if "/" in spec.model else "openai",
                "mode": "chat",
            }})


class ModelClient:
    """One completion through a chain of models, with litellm."""

    async def complete(
        self, chain: Sequence[ModelSpec], messages: list[dict[str, Any]],
        tools: list[dict[str, Any]], failed: list[str],
    ) -> Completion:
        litellm = load_litellm()
        for spec in chain:
            for attempt in (1, 2):
                try:
                    resp = await litellm.acompletion(
                        model=spec.model, messages=messages, tools=tools or None,
                        api_base=spec.api_base or None, api_key=spec.api_key or None,
                        timeout=spec.timeout, max_tokens=spec.max_tokens, num_retries=0,
                    )
                    return self._parse(litellm, spec, resp)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # any provider failure moves down the chain
                    wait = _retry_after(exc)
                    log.warning("model call failed", extra={
                        "model": spec.model, "error": f"{type(exc).__name__}: {exc}"[:300]})
                    if attempt == 1 and wait is not None and wait <= 2.0:
                        await asyncio.sleep(wait)
                        continue
                    failed.append(spec.model)
                    break
        raise ModelsUnavailable(", ".join(failed))

    @staticmethod
    def _parse(litellm: Any, spec: ModelSpec, resp: Any) -> Completion:
        message = resp.choices[0].message
        calls = tuple(
            ToolCall(c.id or f"call_{i}", c.function.name or "", c.function.arguments or "")
            for i, c in enumerate(message.tool_calls or [])
        )
        text = message.content or ""
        if not calls and not text.strip():
            raise ValueError("the model returned neither text nor a tool call")
        hidden = getattr(resp, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is None:  # litellm computed none: ask it once
            try:
                cost = litellm.completion_cost(completion_response=resp)
            except Exception:
                cost = 0.0
        cost = float(cost or 0.0)
        if cost == 0.0 and not spec.free:
            log.warning("model cost unknown: set input/output_cost_per_token or free = true",
                        extra={"model": spec.model})
        usage = getattr(resp, "usage", None)
        return Completion(text, calls, spec.model, int(getattr(usage, "prompt_tokens", 0) or 0),
                          int(getattr(usage, "completion_tokens", 0) or 0), cost)


def _retry_after(exc: Exception) -> float | None:
    if "RateLimit" not in type(exc).__name__:
        return None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("retry-after", 1.0))
    except (TypeError, ValueError):
        return 1.0


@dataclass
class _Tally:
    model: str = ""
    prompt: int = 0
    completion: int = 0
    cost: float = 0.0
    calls: int = 0
    waited: float = 0.0

    def add(self, c: Completion) -> None:
        self.model, self.calls = c.model, self.calls + 1
        self.prompt += c.prompt_tokens
        self.completion += c.completion_tokens
        self.cost += c.cost


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
        draft = None
        if self.name == "auto" and not LLMState.from_json(conversation.agent_state).pending:
            draft = await self.builtin.respond(conversation, history, deps)
        tier = route(self.rules, conversation, history, text, draft)
        if tier is Tier.NONE and draft is not None:
            return draft
        try:
            return await self._model_turn(tier, conversation, history, deps, text, button)
        except ModelsUnavailable as exc:
            log.error("every model failed; the built-in engine answers", extra={
                "models": str(exc)})
            fallback = draft or await self.builtin.respond(conversation, history, deps)
            if not fallback.failed:
                return fallback
            return Turn(text=HOLDING, intent="llm.unavailable", handoff=Handoff(
                HandoffReason.ENGINE_FAILURE, f"models unavailable: {exc}"))

    async def _model_turn(self, tier: Tier, conversation: Conversation,
                          history: Sequence[Message], deps: Deps, text: str,
                          button: str | None) -> Turn:
        chain = self.complex if tier is Tier.COMPLEX else self.routine
        state = LLMState.from_json(conversation.agent_state)
        tools = deps.tools
        notes = self._confirmations(state, tools, text, button)
        passages = [] if notes else [  # a yes or no needs no help-center text
            r.passage for r in rerank(text, await deps.knowledge.search(text, 10))[:3]
            if r.confidence >= 0.4 and r.coverage >= 0.5 and r.heading_overlap]
        customer, orders = await self._context(deps)
        messages = build_messages(deps.voice, passages, customer, orders, history, notes)
        done: set[str] = set()
        failed: list[str] = []
        tally = _Tally()
        handoff: Handoff | None = None
        regenerated = False
        reply = ""
        for _step in range(self.max_steps):
            # Offered tools follow the session: lookups until verified, then the rest.
            schemas = tools.schemas(verified=tools.session.verified) if tools else []
            started = time.monotonic()
            completion = await self.client.complete(chain, messages, schemas, failed)
            tally.waited += time.monotonic() - started
            tally.add(completion)
            if completion.tool_calls:
                call = completion.tool_calls[0]  # one tool call at a time
                messages.append({"role": "assistant", "content": completion.text or None,
                                 "tool_calls": [{"id": call.id, "type": "function", "function": {
                                     "name": call.name, "arguments": call.arguments}}]})
                result_text, step_handoff = await self._run_tool(call, tools, state, done)
                handoff = handoff or step_handoff
                messages.append({"role": "tool", "tool_call_id": call.id,
                                 "content": result_text})
                continue
            reply = completion.text.strip()
            broken = broken_promises(reply, done)
            if broken and not regenerated:
                regenerated = True
                messages.append({"role": "assistant", "content": reply})
                messages.append({"role": "system", "content": (
                    f"Your reply promised {', '.join(repr(b) for b in broken)}, which no tool "
                    "has done. Rewrite it without that promise, or call the tool first.")})
                continue
            if broken:
                handoff = handoff or Handoff(HandoffReason.PROMISE,
                                             f"the model kept promising: {broken[0]}")
                reply = HOLDING
            break
        else:
            reply = HOLDING
            handoff = handoff or Handoff(HandoffReason.ENGINE_FAILURE,
                                         f"no answer within {self.max_steps} steps")
        return Turn(
            text=deps.voice.sign(reply) if reply != HOLDING else reply,
            buttons=YES_NO if state.pending else (),
            handoff=handoff,
            intent=f"llm.{tier.value}",
            state=state.to_json(),
            usage=Usage(model=tally.model, prompt_tokens=tally.prompt,
                        completion_tokens=tally.completion, cost_usd=round(tally.cost, 8),
                        calls=tally.calls, tier=tier.value, fallbacks=tuple(failed),
                        latency_s=round(tally.waited, 4)),
        )

    @staticmethod
    def _confirmations(state: LLMState, tools: Any, text: str, button: str | None) -> list[str]:
        """Apply the shopper's yes or no to the actions waiting for it."""
        notes: list[str] = []
        if not state.pending or tools is None:
            return notes
        if button == "yes" or (button is None and is_yes(text)):
            for p in state.pending:
                tools.confirm(p["token"])
                notes.append(f"The shopper confirmed: {p['summary']} Call {p['tool']} now with "
                             f"exactly these arguments: {json.dumps(p['args'])}")
        elif button == "no" or (button is None and is_no(text)):
            notes += [f"The shopper declined: {p['summary']} Do not do it."
                      for p in state.pending]
        state.pending = []
        return notes

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
    async def _run_tool(call: ToolCall, tools: Any, state: LLMState, done: set[str]
                        ) -> tuple[str, Handoff | None]:
        """Run one tool call; errors go back to the model as the tool's answer."""
        try:
            args = json.loads(call.arguments or "{}")
        except ValueError as exc:
            return f"Error: the arguments are not valid JSON ({exc}); call again.", None
        if not isinstance(args, dict):
            return "Error: the arguments must be a JSON object; call again.", None
        if tools is None:
            return "Error: no shop is connected; answer from the help center only.", None
        result = await tools.call(call.name, args)
        if result.confirmation is not None:
            state.pending.append({"token": result.confirmation.token, "tool": call.name,
                                  "args": args, "summary": result.confirmation.summary})
            return (f"NEEDS CONFIRMATION, nothing was done. Ask the shopper to confirm exactly "
                    f"this: {result.confirmation.summary}"), None
        if result.held is not None:
            return (f"HELD FOR STAFF APPROVAL ({result.held}). Tell the shopper a person will "
                    "review it; do not promise the outcome."), Handoff(
                        HandoffReason.OVER_CAP, result.held)
        if result.error is not None:
            return result.error, None
        done.add(call.name)
        if result.handoff:
            return "Transfer successful", Handoff(HandoffReason.REQUESTED,
                                                  str(args.get("summary", ""))[:500])
        return result.output or "ok", None
