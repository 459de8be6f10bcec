"""The state directory's files that hold personal data beside the database.

- media: `<state_dir>/media/<channel>/` (or a channel's own `media_dir`), named after the
  provider's message id, which is the journal's external id (`<id>.<ext>`, Twilio's
  `<id>-<n>.<ext>`), or for WhatsApp Cloud after the media id its message text names;
- `email-<account>.json`: the email adapter's thread map (addresses, subjects, Message-IDs);
- `sms-opt-outs-<account>.json`: the numbers that texted STOP;
- `sms-full-replies/<token>.txt`: whole SMS replies behind a short link, the token being an
  HMAC of the outbox row id with the channel's `sms-full-reply` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from omnichannel.config import Config
from omnichannel.datacare.errors import DataCareError
from omnichannel.store.datacare import phone_of

OPT_OUT_PREFIX = "hmac-sha256:"
# The SMS adapter's own secret name (ctx.secret("opt-out") on channel "sms"), so it can
# recognise a hashed opt-out without a second key.
OPT_OUT_SECRET = "sms-opt-out"
PAGES = "sms-full-replies"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_SCAN_CHUNK = 1 << 20


def secret(state_dir: Path, name: str) -> bytes:
    """`<state_dir>/secrets/<name>`, created (0600) like the gateway's channel secrets."""
    folder = state_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# media
def media_roots(config: Config) -> list[Path]:
    """`<state_dir>/media` and every channel's own `media_dir`."""
    roots = [config.store.state_dir / "media"]
    for table in config.channels.values():
        folder = table.get("media_dir") if isinstance(table, dict) else None
        if folder:
            roots.append(Path(folder).resolve())
    unique: list[Path] = []
    for root in roots:
        if root not in unique and not any(root.is_relative_to(u) for u in unique):
            unique.append(root)
    return unique


def channel_media_dirs(config: Config, channel: str) -> list[Path]:
    """Where one channel keeps its media: `<state_dir>/media/<channel>` and its `media_dir`."""
    dirs = [config.store.state_dir / "media" / channel]
    table = config.channels.get(channel)
    folder = table.get("media_dir") if isinstance(table, dict) else None
    if folder:
        dirs.append(Path(folder).resolve())
    return dirs


def media_for(config: Config, keys: Iterable[tuple[str, str]]) -> list[Path]:
    """Media files named after one of `keys` ((channel, message or media id)) in that
    channel's folders, partial downloads too."""
    wanted: dict[str, set[str]] = {}
    for channel, key in keys:
        wanted.setdefault(channel, set()).update({key, _UNSAFE.sub("", key)[:80]} - {""})
    found: list[Path] = []
    for channel, names in wanted.items():
        for path in _files(channel_media_dirs(config, channel)):
            stem = path.name.lstrip(".").split(".", 1)[0]
            if (stem in names or re.sub(r"-\d+$", "", stem) in names) and path not in found:
                found.append(path)
    return found


def older_than(roots: list[Path], cutoff: float) -> list[Path]:
    found = []
    for path in _files(roots):
        try:
            if path.stat().st_mtime < cutoff:
                found.append(path)
        except OSError:
            continue
    return found


def remove(paths: Iterable[Path]) -> tuple[int, int]:
    """Delete files; (files removed, bytes freed)."""
    count = size = 0
    for path in paths:
        try:
            n = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        count, size = count + 1, size + n
    return count, size


# SMS full-reply pages
def full_reply_pages(state_dir: Path, outbox: Iterable[tuple[int, str, str]],
                     needles: list[str]) -> list[Path]:
    """Pages of these outbox rows: by token where the channel's secret exists, else by text;
    also any page that names the person."""
    folder = state_dir / PAGES
    if not folder.is_dir():
        return []
    tokens, texts = set(), set()
    for outbox_id, channel, text in outbox:
        key_file = state_dir / "secrets" / f"{channel}-sms-full-reply"
        if key_file.is_file():
            key = bytes.fromhex(key_file.read_text().strip())
            digest = hmac.new(key, b"sms-full-reply:%d" % outbox_id, hashlib.sha256)
            tokens.add(base64.urlsafe_b64encode(digest.digest()[:12]).decode())
        if text.strip():
            texts.add(text.strip())
    lowered = [n.lower() for n in needles]
    found = []
    for path in sorted(folder.glob("*.txt")):
        try:
            body = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.stem in tokens or body in texts or any(n in body.lower() for n in lowered):
            found.append(path)
    return found


def pages_older_than(state_dir: Path, cutoff: float) -> list[Path]:
    return older_than([state_dir / PAGES], cutoff)


# email thread state
def check_readable(config: Config) -> None:
    """Refuse up front when a state file an erasure must change cannot be parsed."""
    for path in [*email_state_files(config), *opt_out_files(config.store.state_dir)]:
        try:
            json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DataCareError(f"{path} cannot be read ({exc}); repair or move it, then "
                                "erase again (nothing was erased)") from None


def email_state_files(config: Config) -> list[Path]:
    state_dir = config.store.state_dir
    found = sorted(state_dir.glob("email-*.json"))
    table = config.channels.get("email")
    custom = table.get("state_file") if isinstance(table, dict) else None
    if custom and Path(custom).resolve() not in [p.resolve() for p in found]:
        found.append(Path(custom).resolve())
    return [p for p in found if p.is_file()]


def scrub_email_state(path: Path, addresses: set[str], chat_ids: set[str]) -> int:
    """Drop the threads of these addresses or chats and the Message-IDs that lead to them."""
    data = json.loads(path.read_text())
    chats = data.get("chats", {})
    drop = {cid for cid, chat in chats.items()
            if cid in chat_ids or str(chat.get("address", "")).lower() in addresses}
    if not drop:
        return 0
    data["chats"] = {cid: chat for cid, chat in chats.items() if cid not in drop}
    data["ids"] = {mid: cid for mid, cid in data.get("ids", {}).items() if cid not in drop}
    write_atomic(path, json.dumps(data))
    return len(drop)


# SMS opt-outs
def opt_out_files(state_dir: Path) -> list[Path]:
    return sorted(state_dir.glob("sms-opt-outs-*.json"))


def opt_out_digest(key: bytes, address: str) -> str:
    return OPT_OUT_PREFIX + hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def hash_opt_outs(path: Path, phones: set[str], key: bytes) -> int:
    """Replace these numbers by their keyed hash: the opt-out stays on record (it must be
    honoured), the number does not. Returns how many entries were replaced."""
    entries = [str(e) for e in json.loads(path.read_text())]
    out, replaced = [], 0
    for entry in entries:
        if not entry.startswith(OPT_OUT_PREFIX) and phone_of(entry, True) in phones:
            entry, replaced = opt_out_digest(key, entry), replaced + 1
        out.append(entry)
    if replaced:
        write_atomic(path, json.dumps(sorted(set(out))))
    return replaced


# the final check
def leftovers(state_dir: Path, needles: list[str], roots: Iterable[Path] = ()) -> list[Path]:
    """Files under the state directory (and media roots) whose bytes still hold a needle."""
    wanted = [n.lower().encode() for n in needles if n]
    if not wanted:
        return []
    overlap = max(len(w) for w in wanted)
    hits = []
    for path in _files([state_dir, *roots]):
        try:
            with path.open("rb") as fh:
                tail = b""
                while chunk := fh.read(_SCAN_CHUNK):
                    window = (tail + chunk).lower()
                    if any(w in window for w in wanted):
                        hits.append(path)
                        break
                    tail = window[-overlap:]
        except OSError:
            continue
    return hits


def _files(roots: Iterable[Path]) -> list[Path]:
    seen: set[Path] = set()
    found = []
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                path = Path(dirpath) / name
                if path not in seen and path.is_file() and not path.is_symlink():
                    seen.add(path)
                    found.append(path)
    return sorted(found)
