"""ruff on everything; mypy --strict on the contract, the model and the agent (STYLE.md)."""

from __future__ import annotations

import subprocess
import sys

from tests.support import ROOT


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "adapters", "tests",
                             "bench"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_channel_conversation_and_agent() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "src/omnichannel/channel.py",
         "src/omnichannel/conversation.py", "src/omnichannel/agent/"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
