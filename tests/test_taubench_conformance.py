"""Conformance: every τ-bench retail gold action log, replayed through the tool layer,
ends in the expected database (hash), and the gold actions expected to fail fail."""

from __future__ import annotations

import json
import subprocess
import sys

from omnichannel.console.taubench import replay_task
from tests.support import ROOT, require_taubench

DATA = require_taubench()


async def test_all_gold_action_logs_reach_the_expected_end_state() -> None:
    from omnichannel.commerce.taubench import TaubenchCommerce

    base = TaubenchCommerce.load(DATA)
    expected = json.loads((DATA / "expected_end_states.json").read_text())
    assert base.db_hash() == expected["initial_db_hash"]
    passed, failures, total = 0, [], 0
    for split in ("train", "dev"):
        tasks = json.loads((DATA / f"tasks_{split}.json").read_text())
        for entry in expected["splits"][split]:
            total += 1
            index = entry["task_index"]
            got = await replay_task(base, index, tasks[index])
            want_errors = [name for name, _msg in entry["gold_action_errors"]]
            got_errors = [name for name, _msg in got["errors"]]
            if got["final_db_hash"] == entry["final_db_hash"] and got_errors == want_errors:
                passed += 1
            else:
                failures.append((split, index, got_errors, want_errors, got["errors"][:2]))
    print(f"\nτ-bench conformance: {passed}/{total} tasks reach the expected end state")
    assert total == 520
    assert failures == [], failures[:10]


def test_replay_command_prints_one_line_per_task(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tasks = json.loads((DATA / "tasks_dev.json").read_text())[:3]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    out = subprocess.run(
        [sys.executable, "-m", "omnichannel", "taubench", "replay", str(path), "--data",
         str(DATA)], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    expected = json.loads((DATA / "expected_end_states.json").read_text())["splits"]["dev"]
    assert [line["task_index"] for line in lines] == [0, 1, 2]
    for line, entry in zip(lines, expected[:3], strict=True):
        assert line["final_db_hash"] == entry["final_db_hash"]


def test_replay_command_rejects_a_bad_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = subprocess.run(
        [sys.executable, "-m", "omnichannel", "taubench", "replay", str(bad), "--data",
         str(DATA)], capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert out.returncode == 1 and "cannot read a task file" in out.stderr
