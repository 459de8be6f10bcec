"""`omnichannel taubench replay`: τ-bench task files through the tool layer."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from omnichannel.agent.replay import Action, replay
from omnichannel.commerce.taubench import TaubenchCommerce


def load_tasks(path: Path) -> list[dict[str, Any]]:
    try:
        tasks = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a task file ({exc})") from exc
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: expected a JSON list of tasks")
    return tasks


async def replay_task(base: TaubenchCommerce, index: int, task: dict[str, Any]
                      ) -> dict[str, Any]:
    backend = base.clone()
    actions = [Action(a["name"], a.get("kwargs", {})) for a in task.get("actions", [])]
    errors = await replay(backend, task["user_id"], actions, key=f"task-{index}")
    return {
        "task_index": index,
        "final_db_hash": backend.db_hash(),
        "errors": [[a.name, e] for a, e in zip(actions, errors, strict=True) if e],
    }


async def replay_file(tasks_path: Path, data: Path) -> int:
    """One JSON line per task on stdout."""
    try:
        tasks = load_tasks(tasks_path)
        base = TaubenchCommerce.load(data)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for index, task in enumerate(tasks):
        print(json.dumps(await replay_task(base, index, task)))
    return 0
