"""`omnichannel doctor` against loopback fakes: healthy, wrong token, closed port, corrupt
database; text and --json; the exit code is the worst level."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.support import ROOT, free_port, write_config


async def doctor(config: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "omnichannel", "--config", str(config), "doctor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


def slack_table(base: str, token: str) -> str:
    return (f'[channels.slack]\nenabled = true\nbot_token = "{token}"\n'
            f'signing_secret = "s3cret"\napi_base = "{base}"\n')


async def test_healthy_and_wrong_token_against_the_fake_slack(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    try:
        good = write_config(tmp_path, free_port(), slack_table(fake.base, BOT_TOKEN))
        code, out = await doctor(good, "--json")
        report = json.loads(out)
        levels = {c["name"]: c["level"] for c in report["checks"]}
        assert levels["channel slack"] == "ok" and levels["channel webchat"] == "ok"
        assert levels["store"] == "ok" and levels["daemon"] == "warn"  # not running
        assert code == 1 and report["status"] == "warn"
        bad_dir = tmp_path / "bad"
        bad_dir.mkdir()
        bad = write_config(bad_dir, free_port(), slack_table(fake.base, "xoxb-wrong"))
        code, out = await doctor(bad)
        assert code == 2
        assert "[FAIL] channel slack: credentials refused" in out
        assert "fix: check the token / password in [channels.slack]" in out
    finally:
        await fake.stop()


async def test_closed_port_and_corrupt_database_fail_with_a_fix(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    config = write_config(tmp_path, free_port(), slack_table(closed, BOT_TOKEN))
    state = tmp_path / "state"
    state.mkdir()
    (state / "omnichannel.db").write_bytes(b"SQLite format 3\x00" + b"\x13" * 8192)
    code, out = await doctor(config, "--json")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == 2
    assert checks["channel slack"]["level"] == "fail"
    assert "unreachable" in checks["channel slack"]["detail"]
    assert checks["store integrity"]["level"] == "fail"
    assert "restore" in checks["store integrity"]["fix"]


def llm_config(folder: Path, models: str) -> Path:
    path = write_config(folder, free_port())
    path.write_text(path.read_text().replace("[agent]\n", '[agent]\nengine = "auto"\n', 1)
                    + models)
    return path


async def test_llm_engine_without_the_extra_fails_naming_both_install_commands(
        tmp_path: Path) -> None:
    from tests.test_llm_setup import BLOCK_LITELLM

    config = llm_config(tmp_path, '[models.routine]\nmodel = "openai/some-model"\n')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BLOCK_LITELLM + "from omnichannel.cli import main\n"
        f"sys.exit(main(['--config', {str(config)!r}, 'doctor']))\n",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    out = (await asyncio.wait_for(proc.communicate(), 120))[0].decode()
    assert proc.returncode == 2, out
    assert "[FAIL] llm extra: litellm not installed; engine 'auto' needs the llm extra" in out
    assert ("fix: `uv sync --frozen --extra llm` (uv) or `pip install 'omnichannel[llm]'` (pip)"
            in out)
    assert "Traceback" not in out


async def test_llm_engine_with_the_extra_names_the_litellm_version(tmp_path: Path) -> None:
    import importlib.metadata

    from omnichannel import config as config_mod
    from omnichannel.console.doctor import Report, _engine
    from tests.fake_llm import FakeLLM, reply

    fake = await FakeLLM().start()
    try:
        fake.script("fake-routine", reply("OK"))
        path = llm_config(tmp_path, f'[models.routine]\nmodel = "openai/fake-routine"\n'
                                    f'api_base = "{fake.base}"\napi_key = "test-key"\n')
        report = Report(as_json=True)
        await _engine(report, config_mod.load(path))
    finally:
        await fake.close()
    checks = {c.name: c for c in report.checks}
    version = importlib.metadata.version("litellm")
    assert (checks["llm extra"].level, checks["llm extra"].detail) == (
        "ok", f"litellm {version} installed")
    assert checks["model routine"].level == "ok"
