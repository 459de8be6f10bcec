"""The erasure ledger: keyed hashes of what an erasure removed, so it stays removed.

A backup taken before an erasure still holds the person. `restore` (and erasure itself, for
the databases a restore set aside) re-erases every contact whose email, phone or channel
identity hashes to an entry here. The ledger holds HMAC-SHA256 digests under a key in
`<state_dir>/secrets/`, never the identifiers themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from pathlib import Path

from omnichannel.datacare import files
from omnichannel.store.datacare import Footprint, email_of, phone_of

LEDGER_NAME = "erasures.json"
KEY_NAME = "datacare-erasure"


def _key(state_dir: Path) -> bytes:
    return files.secret(state_dir, KEY_NAME)


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _normal(kind: str, value: str) -> str | None:
    if kind == "email":
        return email_of(value)
    if kind == "phone":
        return phone_of(value, True)
    return value


def _digests(key: bytes, pairs: Iterable[tuple[str, str]]) -> set[str]:
    found = set()
    for kind, value in pairs:
        normal = _normal(kind, value)
        if normal:
            found.add(_digest(key, kind, normal))
    return found


def record(state_dir: Path, fp: Footprint, now: float) -> None:
    """Add one erasure (before the data goes, so an interrupted erasure is still on record)."""
    pairs = [("email", e) for e in fp.emails] + [("phone", p) for p in fp.phones]
    pairs += [("identity", f"{c}:{a}:{x}") for c, a, x in fp.identities
              if not x.startswith("erased:")]
    digests = _digests(_key(state_dir), pairs)
    if not digests:
        return
    entries = _entries(state_dir)
    entries.append({"erased_at": round(now, 3), "digests": sorted(digests)})
    files.write_atomic(state_dir / LEDGER_NAME, json.dumps(entries, indent=1))


def wanted(state_dir: Path) -> set[str]:
    found: set[str] = set()
    for entry in _entries(state_dir):
        digests = entry.get("digests")
        if isinstance(digests, list):
            found.update(str(d) for d in digests)
    return found


def matching(state_dir: Path, known: Iterable[tuple[int, str, str]]) -> list[int]:
    """The contacts among `known` (contact id, kind, value) an earlier erasure covered."""
    want = wanted(state_dir)
    if not want:
        return []
    key = _key(state_dir)
    return sorted({cid for cid, kind, value in known if _digests(key, [(kind, value)]) & want})


def _entries(state_dir: Path) -> list[dict[str, object]]:
    path = state_dir / LEDGER_NAME
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    return list(data)
