"""The daemon's lock: `<state_dir>/omnichannel.lock`, held with LOCK_EX while it runs.

Restore and erasure take the same lock without blocking: they refuse while a daemon runs on
the state directory, and a daemon started meanwhile finds the lock taken.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from omnichannel.datacare.errors import DaemonRunning

# The daemon (ops/lock.py) takes the same file; its name is part of the state directory.
LOCK_NAME = "omnichannel.lock"


@contextmanager
def daemon_stopped(state_dir: Path, doing: str) -> Iterator[None]:
    """Hold the daemon's lock for the block; DaemonRunning when a daemon holds it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DaemonRunning(
                f"omnichannel is running on {state_dir} (it holds {path}); stop it before "
                f"you {doing} (systemctl stop omnichannel), then start it again"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
