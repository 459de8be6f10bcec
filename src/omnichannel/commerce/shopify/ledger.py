"""The idempotency ledger: Shopify has no idempotency header for these mutations, so every
write key is written down, before the mutation ("started") and after it ("done").

A key seen "done" replays the first outcome without calling Shopify again. A key seen
"started" means an earlier attempt was cut off mid-write: the backend resumes what can be
resumed (a cancellation's job) and otherwise refuses, because sending it again might act
twice. The file is small JSON in the state directory, replaced atomically on every change.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from omnichannel.commerce.protocol import InvalidRequest

log = logging.getLogger(__name__)
KEEP = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class Entry:
    op: str
    fingerprint: str
    state: str  # "started" | "done"
    at: str
    order: str | None = None  # the order's name, re-read on replay
    customer: str | None = None
    job: str | None = None  # orderCancel's job, polled again on resume
    detail: str = ""


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, Entry] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text("utf-8"))
                self._entries = {k: Entry(**v) for k, v in raw.get("entries", {}).items()}
            except (ValueError, TypeError) as exc:
                # Refuse to run without the record of past writes: a replay could act twice.
                raise RuntimeError(f"{path}: the Shopify write ledger is unreadable ({exc}); "
                                   "move it aside only after checking recent writes") from exc
        cutoff = datetime.now(UTC) - KEEP
        self._entries = {k: e for k, e in self._entries.items()
                         if e.state == "started" or datetime.fromisoformat(e.at) > cutoff}

    def get(self, key: str) -> Entry | None:
        return self._entries.get(key)

    def begin(self, key: str, op: str, fingerprint: str) -> Entry | None:
        """The earlier entry for `key`, or None after recording this attempt as started."""
        if not key or not key.strip():
            raise InvalidRequest("Every change needs an idempotency key.")
        seen = self._entries.get(key)
        if seen is not None:
            if (seen.op, seen.fingerprint) != (op, fingerprint):
                raise InvalidRequest("This idempotency key was already used for a different "
                                     "change.")
            return seen
        self._entries[key] = Entry(op, fingerprint, "started", datetime.now(UTC).isoformat())
        self._save()
        return None

    def note(self, key: str, **fields: Any) -> None:
        self._entries[key] = replace(self._entries[key], **fields)
        self._save()

    def finish(self, key: str, *, order: str | None = None, customer: str | None = None,
               detail: str = "") -> None:
        self.note(key, state="done", order=order, customer=customer, detail=detail,
                  at=datetime.now(UTC).isoformat())

    def forget(self, key: str) -> None:
        """Nothing happened (Shopify refused): the same key may try again."""
        if self._entries.pop(key, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps({"version": 1, "entries": {k: asdict(e) for k, e in
                                                     self._entries.items()}}, indent=1)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
