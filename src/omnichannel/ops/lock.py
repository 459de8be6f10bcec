"""One daemon per state directory: an exclusive flock on <state_dir>/omnichannel.lock.

flock is released by the kernel when the process dies, so a crash never leaves a stale
lock. The file records the holder's pid for the error message; the lock, not the pid, is
the truth. `restore` uses the same file to refuse while a daemon runs.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from omnichannel.datacare.lock import LOCK_NAME


class AlreadyRunning(RuntimeError):
    pass


class InstanceLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(
                f"another omnichannel process (pid {holder}) is running on {self.path.parent}; "
                "stop it first, or give this one its own [store] state_dir") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
