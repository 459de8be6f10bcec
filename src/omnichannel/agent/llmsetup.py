"""Getting litellm ready: the optional extra, a quiet import, the configured prices."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from typing import Any, Protocol

EXTRA = "llm"
MODULES = ("litellm", "mcp")  # the extra's packages; litellm imports mcp for tool calls
INSTALL = f"`uv sync --frozen --extra {EXTRA}` (uv) or `pip install 'omnichannel[{EXTRA}]'` (pip)"
CACHE_PRICES = ("cache_read_input_token_cost", "cache_creation_input_token_cost")


class PricedModel(Protocol):
    """What register_prices reads of a model spec."""

    @property
    def model(self) -> str: ...
    @property
    def input_cost_per_token(self) -> float | None: ...
    @property
    def output_cost_per_token(self) -> float | None: ...


def missing_llm_extra() -> str | None:
    """None when the llm extra is installed, else one line naming the install commands."""
    missing = missing_modules()
    if not missing:
        return None
    what = " and ".join(missing) + (" is" if len(missing) == 1 else " are")
    return f"the LLM engine needs the {EXTRA} extra ({what} not installed): {INSTALL}"


def missing_modules() -> list[str]:
    """The llm extra's packages that cannot be imported, found without importing them."""
    return [name for name in MODULES if not _importable(name)]


def _importable(name: str) -> bool:
    # find_spec looks without importing: importing litellm takes seconds
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def load_litellm() -> Any:
    """Import litellm on first use, with the offline price map (no network at import)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def register_prices(specs: Iterable[PricedModel]) -> None:
    """Models litellm has no price for get the configured one."""
    litellm = load_litellm()
    for spec in specs:
        if spec.input_cost_per_token is None and spec.output_cost_per_token is None:
            continue
        entry: dict[str, Any] = {
            "input_cost_per_token": spec.input_cost_per_token or 0.0,
            "output_cost_per_token": spec.output_cost_per_token or 0.0,
            "litellm_provider": spec.model.split("/")[0] if "/" in spec.model else "openai",
            "mode": "chat",
        }
        entry.update(_cache_prices(litellm, spec.model, entry["input_cost_per_token"]))
        litellm.register_model({spec.model: entry})


def _cache_prices(litellm: Any, model: str, input_cost: float) -> dict[str, float]:
    """The cache rates litellm knows for the model, else the input rate.

    litellm bills an absent cache rate as ordinary input already, but register_model warns
    on every start that it "defaults to 0" unless the rates are given; giving the rate it
    would bill anyway keeps the cost the same and the log quiet.
    """
    try:
        known = litellm.get_model_info(model)
    except Exception:  # not in litellm's map: the usual case for a custom-priced model
        known = {}
    rates = {key: known.get(key) for key in CACHE_PRICES}
    return {key: input_cost if rate is None else float(rate) for key, rate in rates.items()}
