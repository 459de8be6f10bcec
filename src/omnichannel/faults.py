"""Crash points for the restart tests: `OMNICHANNEL_CRASH_AT=<point>` kills the process.

The kill is a real SIGKILL of the daemon at a named place (after the journal write, while
an outbox row is `sending`), so the tests exercise the same recovery a power cut would.
Unset in production: one dictionary lookup per call.
"""

from __future__ import annotations

import os
import signal

_POINT = os.environ.get("OMNICHANNEL_CRASH_AT", "")


def point(name: str) -> None:
    if _POINT and _POINT == name:
        os.kill(os.getpid(), signal.SIGKILL)
