"""Model calls through litellm: one completion down a chain of models (primary, then
fallbacks), each failed call recorded with its kind of error. litellm is imported on first use.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnichannel.agent.llmsetup import load_litellm
from omnichannel.agent.turn import ModelFailure

log = logging.getLogger(__name__)


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

    def __init__(self, failures: Sequence[ModelFailure]) -> None:
        super().__init__(", ".join(f"{f.model} ({f.error})" for f in failures))
        self.failures = tuple(failures)


def error_kind(exc: BaseException) -> tuple[str, int | None]:
    """A provider failure as a small fixed vocabulary (for stats and /metrics), with the
    HTTP status where there was one."""
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    name = type(exc).__name__
    if "RateLimit" in name or status == 429:
        return "rate_limit", status
    if "Timeout" in name or isinstance(exc, TimeoutError):
        return "timeout", status
    if "Authentication" in name or "PermissionDenied" in name or status in (401, 403):
        return "auth", status
    if "Connection" in name:
        return "connection", status
    if isinstance(exc, ValueError) or "JSON" in name:
        return "malformed", status
    if status is not None and status >= 500 or "ServiceUnavailable" in name or \
            "InternalServer" in name:
        return "server_error", status
    if "BadRequest" in name or status in (400, 404, 422):
        return "bad_request", status
    return "other", status


class ModelClient:
    """One completion through a chain of models, with litellm."""

    async def complete(
        self, chain: Sequence[ModelSpec], messages: list[dict[str, Any]],
        tools: list[dict[str, Any]], failed: list[ModelFailure],
    ) -> Completion:
        """The first model of the chain that answers; each failed call is appended to
        `failed` (a 429 with a short Retry-After is retried once on the same model)."""
        litellm = load_litellm()
        start = len(failed)
        for spec in chain:
            for attempt in (1, 2):
                began = time.monotonic()
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
                    kind, status = error_kind(exc)
                    failed.append(ModelFailure(spec.model, kind,
                                               round(time.monotonic() - began, 4), status))
                    wait = _retry_after(exc)
                    log.warning("model call failed", extra={
                        "model": spec.model, "error_kind": kind,
                        "error": f"{type(exc).__name__}: {exc}"[:300]})
                    if attempt == 1 and wait is not None and wait <= 2.0:
                        await asyncio.sleep(wait)
                        continue
                    break
        raise ModelsUnavailable(failed[start:])

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
