"""sd_notify written directly to $NOTIFY_SOCKET (no libsystemd): READY, STATUS, WATCHDOG,
RELOADING and STOPPING.

Outside systemd (no NOTIFY_SOCKET) every call is a no-op. An abstract socket name starts
with "@" (a NUL byte on the wire). Datagrams are fire-and-forget: a failed send is logged
once, never raised, because the daemon must not stop over its supervisor's mailbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = None
        if raw.startswith("@"):
            self.address = "\0" + raw[1:]
        elif raw.startswith("/"):
            self.address = raw
        self.watchdog_seconds: float | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_seconds = int(usec) / 1e6
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.connect(self.address)
                s.sendall("\n".join(fields).encode())
            return True
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("sd_notify failed", extra={"error": str(exc)})
            return False

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def reloading(self) -> None:
        # Type=notify-reload wants MONOTONIC_USEC with RELOADING=1; plain notify ignores it.
        usec = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6)
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")

    async def watchdog(self) -> None:
        """WATCHDOG=1 at half the interval systemd asked for, from the event loop itself:
        a loop stuck in a blocking call stops petting and systemd restarts the service."""
        if self.watchdog_seconds is None or self.address is None:
            return
        period = self.watchdog_seconds / 2
        while True:
            self.send("WATCHDOG=1")
            await asyncio.sleep(period)
