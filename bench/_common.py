"""Helpers every benchmark here uses: ports, machine CPU counters, percentiles, JSON."""

from __future__ import annotations

import math
import socket
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # benchmarks only ever listen and connect here


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def machine_cpu() -> tuple[int, int, int]:
    """(total, idle+iowait, steal) jiffies from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(v), v[3] + v[4], v[7]


def log(line: str = "") -> None:
    print(line, flush=True)


def pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if obj != obj else round(obj, 3)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj
