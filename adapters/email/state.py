"""What survives a restart: the IMAP position and the thread map, in one JSON file.

The file is replaced atomically (write a temporary file, fsync, rename) after every
published message, so the UID moves only once the journal has the mail. Re-reading a UID
after a crash is harmless: the journal deduplicates on the external id (Message-ID).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omnichannel.adapters.email.parse import Mail, base_subject

MAX_IDS = 20_000       # message-id -> chat entries kept (oldest dropped first)
MAX_REFS = 20          # References carried on a reply
MAX_CHATS = 5_000      # threads kept (least recently active dropped first)


@dataclass
class Chat:
    address: str                  # the shopper's lower-cased address
    subject: str = ""             # the thread's subject without Re:/Fwd:
    last_id: str | None = None    # the shopper's last Message-ID (our In-Reply-To)
    refs: list[str] = field(default_factory=list)


@dataclass
class MailState:
    uidvalidity: int | None = None
    last_uid: int = 0
    saved_at: float = 0.0
    chats: dict[str, Chat] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)   # Message-ID -> chat id

    @classmethod
    def load(cls, path: Path) -> MailState:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        chats = {k: Chat(**v) for k, v in data.get("chats", {}).items()}
        return cls(uidvalidity=data.get("uidvalidity"), last_uid=int(data.get("last_uid", 0)),
                   saved_at=float(data.get("saved_at", 0.0)), chats=chats,
                   ids=dict(data.get("ids", {})))

    def dumps(self) -> str:
        self.saved_at = time.time()
        return json.dumps({"uidvalidity": self.uidvalidity, "last_uid": self.last_uid,
                           "saved_at": self.saved_at, "ids": self.ids,
                           "chats": {k: asdict(v) for k, v in self.chats.items()}})

    # threading
    def thread(self, mail: Mail, own_local: str, own_domain: str,
               our_chat: re.Pattern[str]) -> str:
        """The chat a mail belongs to: our Message-IDs it answers, then a reply+token@
        address, then the same subject from the same sender; else a new thread. Only
        threads of this sender count (a colleague replying starts a thread of their own)."""
        def mine(chat_id: str | None) -> str | None:
            if chat_id is None:
                return None
            chat = self.chats.get(chat_id)
            return chat_id if chat is None or chat.address == mail.sender else None

        for ref in mail.refs:
            m = our_chat.match(ref)
            found = mine(self.ids.get(ref) or (m.group(1) if m else None))
            if found:
                return found
        for rcpt in mail.recipients:
            local, _, domain = rcpt.partition("@")
            base, plus, token = local.partition("+")
            if plus and base == own_local and domain == own_domain and token in self.chats:
                found = mine(token)
                if found:
                    return found
        subject = base_subject(mail.subject).casefold()
        if subject:
            for chat_id, chat in reversed(self.chats.items()):
                if chat.address == mail.sender and chat.subject.casefold() == subject:
                    return chat_id
        root = (mail.refs[-1] if mail.refs else mail.message_id) or (
            f"{mail.sender}|{mail.subject}|{mail.date}")
        return hashlib.sha256(f"{mail.sender}|{root}".encode()).hexdigest()[:20]

    def note_inbound(self, chat_id: str, mail: Mail) -> None:
        chat = self.chats.pop(chat_id, None) or Chat(address=mail.sender)
        if not chat.subject or base_subject(mail.subject):
            chat.subject = base_subject(mail.subject) or chat.subject
        if mail.message_id:
            chat.last_id = mail.message_id
            chat.refs = [r for r in reversed(mail.refs) if r != mail.message_id][-MAX_REFS:]
            self.remember(mail.message_id, chat_id)
        self.chats[chat_id] = chat  # most recent last: subject matching prefers it
        while len(self.chats) > MAX_CHATS:
            self.chats.pop(next(iter(self.chats)))

    def remember(self, message_id: str, chat_id: str) -> None:
        self.ids.pop(message_id, None)
        self.ids[message_id] = chat_id
        while len(self.ids) > MAX_IDS:
            self.ids.pop(next(iter(self.ids)))


def write_atomic(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
