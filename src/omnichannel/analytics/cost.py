"""Model cost: by route, and what routing saved against the complex model for everything.

From the `llm_usage` event of each model turn (model, tier, prompt and completion tokens,
cost_usd, calls). docs/analytics.md states the method and its estimates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from omnichannel.analytics.settings import AnalyticsSettings
from omnichannel.store.analytics import History


@dataclass(frozen=True, slots=True)
class Route:
    tier: str
    model: str
    turns: int
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Failure:
    """Failed model calls of one model and kind of error (they cost time, not tokens)."""

    model: str
    error: str
    calls: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Prices:
    """The complex model's per-token prices, for what routing saved."""

    model: str | None = None
    input_per_token: float | None = None
    output_per_token: float | None = None

    @property
    def known(self) -> bool:
        return self.input_per_token is not None and self.output_per_token is not None


@dataclass(frozen=True, slots=True)
class Savings:
    complex_model: str | None
    priced: bool
    actual_usd: float
    # What the model turns would have cost on the complex model.
    all_complex_usd: float | None
    saved_on_model_turns_usd: float | None
    # Turns the rule engine answered with no model, and their estimated complex cost.
    rule_turns: int
    rule_turns_estimate_usd: float | None
    saved_usd: float | None
    note: str


@dataclass(frozen=True, slots=True)
class Costs:
    routes: list[Route]
    total_usd: float
    savings: Savings
    failures: list[Failure]


def usage_of(h: History) -> list[dict[str, object]]:
    return [e.detail for e in h.events if e.kind == "llm_usage"]


def num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def costs(histories: list[History], prices: Prices) -> Costs:
    """Cost by route and the routing savings of the conversations in `histories`."""
    routes: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * 5)
    actual = counterfactual = prompt_sum = completion_sum = 0.0
    model_turns = rule_turns = 0
    failed: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for h in histories:
        events = usage_of(h)
        for u in events:
            for f in u.get("failures") or ():  # type: ignore[attr-defined]
                if isinstance(f, dict):
                    row = failed[(str(f.get("model") or "-"), str(f.get("error") or "other"))]
                    row[0] += 1
                    row[1] += num(f.get("latency_s"))
        # A turn whose every call failed was answered by the rules: not a model turn.
        usage = [u for u in events if num(u.get("calls", 1)) > 0]
        agent_turns = sum(m.role == "agent" for m in h.messages)
        rule_turns += max(0, agent_turns - len(usage))
        for u in usage:
            tier, model = str(u.get("tier") or "-"), str(u.get("model") or "-")
            prompt, completion = num(u.get("prompt_tokens")), num(u.get("completion_tokens"))
            cost = num(u.get("cost_usd"))
            row = routes[(tier, model)]
            row[0] += 1
            row[1] += num(u.get("calls"))
            row[2] += prompt
            row[3] += completion
            row[4] += cost
            actual += cost
            model_turns += 1
            prompt_sum += prompt
            completion_sum += completion
            if prices.known:
                assert prices.input_per_token is not None
                assert prices.output_per_token is not None
                counterfactual += cost if tier == "complex" else (
                    prompt * prices.input_per_token + completion * prices.output_per_token)
    routes_out = [
        Route(tier=t, model=m, turns=int(r[0]), calls=int(r[1]), prompt_tokens=int(r[2]),
              completion_tokens=int(r[3]), cost_usd=round(r[4], 6))
        for (t, m), r in sorted(routes.items())
    ]
    failures = [Failure(m, e, int(v[0]), round(v[1], 3))
                for (m, e), v in sorted(failed.items())]
    return Costs(routes_out, round(actual, 6),
                 _savings(prices, actual, counterfactual, model_turns, rule_turns, prompt_sum,
                          completion_sum), failures)


def _savings(prices: Prices, actual: float, counterfactual: float, model_turns: int,
             rule_turns: int, prompt_sum: float, completion_sum: float) -> Savings:
    if not prices.known:
        return Savings(
            complex_model=prices.model, priced=False, actual_usd=round(actual, 6),
            all_complex_usd=None, saved_on_model_turns_usd=None, rule_turns=rule_turns,
            rule_turns_estimate_usd=None, saved_usd=None,
            note="no per-token price for the complex model: set input_cost_per_token and "
                 "output_cost_per_token in [models.complex] (or [analytics])")
    assert prices.input_per_token is not None and prices.output_per_token is not None
    estimate = None
    note = ("model turns re-priced at the complex model's per-token prices (token counts "
            "as the routine model counted them)")
    if model_turns:
        estimate = rule_turns * (prompt_sum / model_turns * prices.input_per_token
                                 + completion_sum / model_turns * prices.output_per_token)
        note += ("; rule-engine turns estimated at the mean tokens of a model turn")
    elif rule_turns:
        note += "; no model turn to estimate the rule-engine turns from"
    saved_models = counterfactual - actual
    saved = saved_models + (estimate or 0.0)
    return Savings(
        complex_model=prices.model, priced=True, actual_usd=round(actual, 6),
        all_complex_usd=round(counterfactual, 6),
        saved_on_model_turns_usd=round(saved_models, 6), rule_turns=rule_turns,
        rule_turns_estimate_usd=round(estimate, 6) if estimate is not None else None,
        saved_usd=round(saved, 6), note=note)


def prices_for(config: object, settings: AnalyticsSettings) -> Prices:
    """The complex model's per-token prices: `[analytics]` overrides, else `[models.complex]`,
    else litellm's own price list when litellm is installed (read locally, no network)."""
    complex_ = getattr(getattr(config, "models", None), "complex", None)
    model = getattr(complex_, "model", None)
    prompt = settings.complex_input_cost_per_token
    completion = settings.complex_output_cost_per_token
    if prompt is None or completion is None:
        if complex_ is not None and getattr(complex_, "free", False):
            return Prices(model, 0.0, 0.0)
        prompt = prompt if prompt is not None else getattr(complex_, "input_cost_per_token",
                                                           None)
        completion = completion if completion is not None else getattr(
            complex_, "output_cost_per_token", None)
    if (prompt is None or completion is None) and model:
        known = _litellm_prices(model)
        if known is not None:
            prompt = prompt if prompt is not None else known[0]
            completion = completion if completion is not None else known[1]
    return Prices(model, prompt, completion)


def _litellm_prices(model: str) -> tuple[float, float] | None:
    import importlib.util
    import os

    if importlib.util.find_spec("litellm") is None:
        return None
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    entry = litellm.model_cost.get(model) or litellm.model_cost.get(model.split("/", 1)[-1])
    if not entry:
        return None
    try:
        return float(entry["input_cost_per_token"]), float(entry["output_cost_per_token"])
    except (KeyError, TypeError, ValueError):
        return None
