"""Bad configs name the key path and what was expected, and the process exits non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from omnichannel.config import ConfigError, load, parse
from tests.support import ROOT


def _run(tmp_path: Path, text: str, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    import os

    return subprocess.run(
        [sys.executable, "-m", "omnichannel", "--config", str(cfg), *(args or ("run",))],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, **(env or {})},
    )


def test_repository_config_is_valid() -> None:
    config = load(ROOT / "config.toml")
    assert config.enabled_channels() == ["webchat"]
    assert config.agent.engine == "builtin"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[server]\nprot = 8080\n", "server.prot: unknown key"),
        ("[server]\nport = 'eighty'\n", "server.port: Input should be a valid integer"),
        ("[agent]\ndebounce_seconds = -1\n", "agent.debounce_seconds: Input should be greater"),
        ("[brand]\ncolour = 'green'\n", "brand.colour: Value error, expected a colour"),
        ("[channels.webchat]\nenabled = true\nmax_message_chars = 'x'\n",
         "channels.webchat.max_message_chars: Input should be a valid integer"),
        ("[channels.webchat]\nenabled = true\nbogus = 1\n", "channels.webchat.bogus: unknown key"),
        ("[channels.nosuch]\nenabled = true\n", "channels.nosuch: no adapter named 'nosuch'"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_path_and_exit_non_zero(tmp_path: Path, text: str,
                                                      expected: str) -> None:
    result = _run(tmp_path, text)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "state").exists()  # nothing started


def test_missing_secret_is_named_with_its_key(tmp_path: Path) -> None:
    text = '[channels.webchat]\nenabled = true\nsession_secret = "${OMNI_TEST_MISSING}"\n'
    result = _run(tmp_path, text, "config", "validate")
    assert result.returncode == 2
    assert "channels.webchat.session_secret: secret ${OMNI_TEST_MISSING} is not set" in (
        result.stderr
    )


def test_secrets_from_env_and_credentials_directory(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "WIDGET_ID").write_text("from-credential\n")
    text = (
        '[channels.webchat]\nenabled = true\nsession_secret = "${SESSION}"\n'
        'identity_secret = "${WIDGET_ID}"\n'
    )
    config = parse(text, "t", env={"SESSION": "from-env", "CREDENTIALS_DIRECTORY": str(creds)})
    table = config.channels["webchat"]
    assert table["session_secret"] == "from-env"
    assert table["identity_secret"] == "from-credential"


def test_secret_values_never_print(tmp_path: Path) -> None:
    from omnichannel.adapters.webchat import WebchatConfig

    cfg = WebchatConfig.model_validate({"enabled": True, "session_secret": "hunter2"})
    assert "hunter2" not in repr(cfg) and "hunter2" not in str(cfg.model_dump())


def test_validate_command_accepts_a_good_file(tmp_path: Path) -> None:
    result = _run(tmp_path, "[server]\nport = 9999\n", "config", "validate")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_unreadable_or_non_utf8_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[server]\nhost = '\xff'\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "missing.toml")


def test_llm_engine_needs_a_routine_model(tmp_path: Path) -> None:
    result = _run(tmp_path, '[agent]\nengine = "llm"\n', "config", "validate")
    assert result.returncode == 2
    assert "models.routine: required when agent.engine is 'llm'" in result.stderr
    ok = _run(tmp_path, '[agent]\nengine = "auto"\n[models.routine]\nmodel = "openai/x"\n'
              'api_key = "${OMNI_TEST_KEY}"\n', "config", "validate",
              env={"OMNI_TEST_KEY": "k"})
    assert ok.returncode == 0, ok.stderr
    bad = _run(tmp_path, '[agent]\nengine = "auto"\n[models.routine]\nmodl = "x"\n',
               "config", "validate")
    assert bad.returncode == 2 and "models.routine.modl: unknown key" in bad.stderr
