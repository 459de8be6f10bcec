"""Turning the LLM engine on: the missing extra named with its commands, exit 2 and not a
traceback, and custom prices registered without litellm's cache-price warning."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from omnichannel.agent import llmsetup
from omnichannel.config import ConfigError
from tests.conftest import make_config
from tests.support import ROOT

UV = "uv sync --frozen --extra llm"
PIP = "pip install 'omnichannel[llm]'"
CACHE_WARNING = "cache_read_input_token_cost"

# Run before anything else in a child: litellm cannot be found, as without the extra.
BLOCK_LITELLM = """
import sys

class Blocked:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "litellm":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocked())
"""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def hide(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None):  # type: ignore[no-untyped-def]
        return None if name in names else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@dataclass(frozen=True)
class Priced:
    model: str
    input_cost_per_token: float | None = 0.000001
    output_cost_per_token: float | None = 0.000002


def litellm_warnings(caplog: pytest.LogCaptureFixture, err: str) -> list[str]:
    found = [r.getMessage() for r in caplog.records
             if r.name.startswith("LiteLLM") and r.levelno >= logging.WARNING]
    return found + [line for line in err.splitlines() if CACHE_WARNING in line]


def test_the_extra_installed_is_none_and_checking_does_not_import_litellm() -> None:
    assert llmsetup.missing_llm_extra() is None
    code = run_python(
        "import sys\n"
        "from omnichannel.agent.llmsetup import missing_llm_extra\n"
        "from omnichannel.console.doctor import Report, _llm_extra\n"
        "assert missing_llm_extra() is None\n"
        "assert _llm_extra(Report(as_json=True), 'auto')\n"
        "assert 'litellm' not in sys.modules, 'the check imported litellm'\n")
    assert code.returncode == 0, code.stderr


def test_a_missing_package_is_named_with_both_install_commands(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hide(monkeypatch, "litellm")
    message = llmsetup.missing_llm_extra()
    assert message is not None and "\n" not in message
    assert "litellm is not installed" in message and UV in message and PIP in message
    hide(monkeypatch, "litellm", "mcp")
    assert "litellm and mcp are not installed" in (llmsetup.missing_llm_extra() or "")


def test_building_the_llm_engine_without_the_extra_is_a_config_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from omnichannel.gateway import engine_for

    config = make_config(tmp_path, '[models.routine]\nmodel = "openai/some-model"\n',
                         engine="auto")
    hide(monkeypatch, "litellm")
    with pytest.raises(ConfigError) as caught:
        engine_for(config)
    assert caught.value.problems[0].startswith("agent.engine: 'auto': ")
    assert UV in caught.value.render() and PIP in caught.value.render()


def test_run_without_the_extra_exits_2_naming_the_commands(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nstate_dir = "{tmp_path / "state"}"\n[agent]\nengine = "llm"\n'
                      '[models.routine]\nmodel = "openai/some-model"\n')
    code = run_python(BLOCK_LITELLM + "from omnichannel.cli import main\n"
                      f"sys.exit(main(['--config', {str(config)!r}, 'run']))\n")
    assert code.returncode == 2, code.stderr
    assert "Traceback" not in code.stderr
    assert f"invalid configuration in {config}:" in code.stderr
    assert "agent.engine: 'llm': the LLM engine needs the llm extra" in code.stderr
    assert UV in code.stderr and PIP in code.stderr


def test_litellm_warns_about_cache_prices_unless_they_are_given(
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    litellm = llmsetup.load_litellm()
    caplog.set_level(logging.WARNING)
    litellm.register_model({"openai/setup-bare": {  # the control: the capture sees it
        "input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002,
        "litellm_provider": "openai", "mode": "chat"}})
    assert litellm_warnings(caplog, capfd.readouterr().err)
    caplog.clear()
    llmsetup.register_prices([Priced("openai/setup-priced"), Priced("openai/setup-out-only",
                                                                    input_cost_per_token=None)])
    assert litellm_warnings(caplog, capfd.readouterr().err) == []
    usage = {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100,
             "prompt_tokens_details": {"cached_tokens": 800}}
    response = litellm.ModelResponse(model="openai/setup-priced", usage=usage, choices=[
        {"message": {"role": "assistant", "content": "Hi"}}])
    cost = litellm.completion_cost(completion_response=response, model="openai/setup-priced")
    assert cost == pytest.approx(1000 * 0.000001 + 100 * 0.000002)  # cached tokens as input


def test_a_known_model_keeps_the_cache_prices_litellm_has_for_it() -> None:
    litellm = llmsetup.load_litellm()
    key = "gpt-4.1-nano"
    saved = dict(litellm.model_cost[key])
    try:
        known = litellm.get_model_info(f"openai/{key}")["cache_read_input_token_cost"]
        llmsetup.register_prices([Priced(f"openai/{key}")])
        after = litellm.get_model_info(f"openai/{key}")
        assert after["cache_read_input_token_cost"] == known
        assert after["input_cost_per_token"] == 0.000001
    finally:
        litellm.model_cost[key] = saved


async def test_starting_the_llm_engine_with_custom_prices_logs_no_cache_warning(
        gateway_factory, caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
        capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.WARNING)
    await gateway_factory("""
[agent]
engine = "auto"
[models.routine]
model = "openai/shop-routine-priced"
api_base = "http://127.0.0.1:9/v1"
input_cost_per_token = 0.0000005
output_cost_per_token = 0.0000015
fallbacks = ["openai/shop-fallback"]
[models.complex]
model = "hosted_vllm/shop-complex-priced"
api_base = "http://127.0.0.1:9/v1"
input_cost_per_token = 0.000003
output_cost_per_token = 0.000015
""")
    assert litellm_warnings(caplog, capfd.readouterr().err) == []
