"""Row-level SQL of data care: find, export and erase one contact; purge old bodies.

Every function takes the connection first and runs inside the caller's transaction (the
store's writer for writes). Erasure and purging run with `secure_delete` on, so the bytes
of what they remove are overwritten in the pages rather than left in free space.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

ERASED = "[erased]"
# Event and action fields that are codes, ids or numbers, never what a person wrote or is.
SAFE_EVENT_KEYS = frozenset({"owner", "reason", "status", "model", "tier", "fallbacks",
                             "via", "outbox_id", "calls"})
SAFE_ARG_KEYS = frozenset({"order_id", "item_ids", "new_item_ids", "product_id",
                           "payment_method_id", "user_id", "reason"})
# Channels whose chat and sender ids are phone numbers (WhatsApp Cloud's lack the "+").
PHONE_CHANNELS = frozenset({"sms", "whatsapp", "whatsapp_cloud"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?\d{8,15}$")
_MEDIA_REF = re.compile(r"\(media ([A-Za-z0-9_.:-]+)\)")
_FTS_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")

# Every table and what erasure does with it (docs/datacare.md); a test fails when a table is
# added without a line here, so new personal data cannot slip past an erasure unnoticed.
# Whatever the treatment, every text column of every table is also scrubbed of the
# person's email addresses and phone numbers.
TABLES: dict[str, str] = {
    "contacts": "row kept, name/email/phone cleared, erased_at set",
    "identities": "row kept, external id replaced, display name cleared",
    "conversations": "row kept, chat id replaced, dialogue state cleared, resolved",
    "messages": "row kept, text/buttons cleared, purged = 1",
    "journal": "row kept, payload/chat/sender cleared, purged = 1",
    "outbox": "row kept, text/buttons/chat/error cleared, unsent rows cancelled",
    "events": "row kept, free-text fields of the detail replaced",
    "actions": "row kept (refund ledger), args reduced to ids, result replaced",
    "knowledge_docs": "scrubbed only (shop documents, not conversations)",
    "knowledge": "scrubbed only; full-text index optimized so old terms go",
    "staff_threads": "kept: Slack thread references, listed for deletion by hand",
    "drafts": "row kept, draft texts cleared",
    "staff_pending": "rows deleted (staff replies waiting for a decision)",
}
_CHUNK = 500


def email_of(value: str | None) -> str | None:
    if value and _EMAIL.match(value.strip()):
        return value.strip().lower()
    return None


def phone_of(value: str | None, digits_are_phones: bool = False) -> str | None:
    """E.164 form of a phone-number-looking id ("whatsapp:+1 555..." -> "+1555...")."""
    if not value:
        return None
    text = value.strip()
    for prefix in ("whatsapp:", "sms:", "tel:"):
        if text.lower().startswith(prefix):
            text, digits_are_phones = text[len(prefix):], True
    text = re.sub(r"[\s().-]", "", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _PHONE.match(text) or (not text.startswith("+") and not digits_are_phones):
        return None
    return text if text.startswith("+") else "+" + text


@dataclass(frozen=True, slots=True)
class ContactMatch:
    id: int
    name: str | None
    email: str | None
    phone: str | None
    erased_at: float | None
    identities: tuple[str, ...]
    conversations: int


@dataclass(frozen=True, slots=True)
class Footprint:
    """Where one contact shows up, read before anything of it is erased."""

    contact_id: int
    emails: frozenset[str]
    phones: frozenset[str]
    identities: tuple[tuple[str, str, str], ...]  # (channel, account, external id)
    conversations: tuple[int, ...]
    chats: tuple[tuple[str, str, str], ...]  # (channel, account, chat id)
    # (channel, key): journal external ids and media ids named in the texts
    media_keys: frozenset[tuple[str, str]]
    outbox: tuple[tuple[int, str, str], ...]  # (outbox id, channel, text)
    console_refs: tuple[str, ...]

    def needles(self) -> list[str]:
        """The strings that identify this person wherever they were copied."""
        found = set(self.emails)
        for phone in self.phones:
            found |= {phone, phone.lstrip("+")}
        return sorted(found)


@dataclass(slots=True)
class Erased:
    messages: int = 0
    journal: int = 0
    outbox: int = 0
    events: int = 0
    actions: int = 0
    identities: int = 0
    conversations: int = 0
    drafts: int = 0
    other_rows: int = 0  # rows elsewhere that mentioned the person, scrubbed
    console_refs: list[str] = field(default_factory=list)


def find_contacts(conn: sqlite3.Connection, values: list[str]) -> list[ContactMatch]:
    """Contacts whose email, phone, identity or chat is one of `values`."""
    marks = ",".join("?" * len(values))
    lowered = [v.lower() for v in values]
    ids = {r[0] for r in conn.execute(
        f"SELECT id FROM contacts WHERE lower(email) IN ({marks}) OR phone IN ({marks})",
        (*lowered, *values))}
    ids |= {r[0] for r in conn.execute(
        f"SELECT contact_id FROM identities WHERE external_id IN ({marks}) "
        f"OR lower(external_id) IN ({marks})", (*values, *lowered))}
    ids |= {r[0] for r in conn.execute(
        f"SELECT contact_id FROM conversations WHERE contact_id IS NOT NULL AND "
        f"(chat_id IN ({marks}) OR lower(chat_id) IN ({marks}))", (*values, *lowered))}
    return [m for m in (describe(conn, i) for i in sorted(ids)) if m is not None]


def describe(conn: sqlite3.Connection, contact_id: int) -> ContactMatch | None:
    row = conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    if row is None:
        return None
    idents = tuple(f"{r['channel']}:{r['external_id']}" for r in conn.execute(
        "SELECT channel, external_id FROM identities WHERE contact_id = ? ORDER BY id",
        (contact_id,)))
    convs = conn.execute("SELECT COUNT(*) FROM conversations WHERE contact_id = ?",
                         (contact_id,)).fetchone()[0]
    return ContactMatch(row["id"], row["name"], row["email"], row["phone"], row["erased_at"],
                        idents, convs)


def footprint(conn: sqlite3.Connection, contact_id: int) -> Footprint | None:
    contact = conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    if contact is None:
        return None
    emails = {e for e in [email_of(contact["email"])] if e}
    phones = {p for p in [phone_of(contact["phone"], True)] if p}
    idents = conn.execute("SELECT id, channel, account, external_id FROM identities "
                          "WHERE contact_id = ? ORDER BY id", (contact_id,)).fetchall()
    convs = conn.execute(
        "SELECT id, channel, account, chat_id, console_ref FROM conversations "
        "WHERE contact_id = ? OR identity_id IN (SELECT id FROM identities WHERE contact_id = ?) "
        "ORDER BY id", (contact_id, contact_id)).fetchall()
    conv_ids = [c["id"] for c in convs]
    addresses = [(r["channel"], r["external_id"]) for r in idents]
    addresses += [(c["channel"], c["chat_id"]) for c in convs]
    media: set[tuple[str, str]] = set()
    for row in _rows_in(conn, "SELECT channel, external_id, chat_id, sender_id, payload "
                        "FROM journal WHERE conversation_id IN ({})", conv_ids):
        media.add((row["channel"], row["external_id"]))
        addresses += [(row["channel"], row["chat_id"]), (row["channel"], row["sender_id"])]
        payload = _json(row["payload"])
        if isinstance(payload, dict):
            addresses += [("", str(payload.get("verified_email") or "")),
                          ("sms", str(payload.get("verified_phone") or ""))]
    for row in _rows_in(conn, "SELECT c.channel, m.text FROM messages m JOIN conversations c "
                        "ON c.id = m.conversation_id WHERE m.conversation_id IN ({})", conv_ids):
        media.update((row["channel"], ref) for ref in _MEDIA_REF.findall(row["text"] or ""))
    for channel, value in addresses:
        if (email := email_of(value)) is not None:
            emails.add(email)
        elif (phone := phone_of(value, channel in PHONE_CHANNELS)) is not None:
            phones.add(phone)
    outbox = tuple((r["id"], r["channel"], r["text"]) for r in _rows_in(
        conn, "SELECT id, channel, text FROM outbox WHERE conversation_id IN ({})", conv_ids))
    return Footprint(
        contact_id=contact_id, emails=frozenset(emails), phones=frozenset(phones),
        identities=tuple((r["channel"], r["account"], r["external_id"]) for r in idents),
        conversations=tuple(conv_ids),
        chats=tuple((c["channel"], c["account"], c["chat_id"]) for c in convs),
        media_keys=frozenset(m for m in media if m[1]), outbox=outbox,
        console_refs=tuple(c["console_ref"] for c in convs if c["console_ref"]) + tuple(
            f"{r['channel']} thread {r['thread_ts']}" for r in (_rows_in(
                conn, "SELECT channel, thread_ts FROM staff_threads WHERE conversation_id IN "
                "({})", conv_ids) if _columns(conn, "staff_threads") >= {
                    "conversation_id", "channel", "thread_ts"} else [])),
    )


def export(conn: sqlite3.Connection, contact_id: int) -> dict[str, object] | None:
    """Everything stored about one contact, as the JSON document `contact export` writes."""
    contact = conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    if contact is None:
        return None
    fp = footprint(conn, contact_id)
    assert fp is not None
    conversations = []
    for conv in _rows_in(conn, "SELECT * FROM conversations WHERE id IN ({}) ORDER BY id",
                         list(fp.conversations)):
        cid = conv["id"]
        item = _plain(conv, ("agent_state", "tool_session"))
        item["messages"] = [_plain(r, ("buttons",)) for r in conn.execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (cid,))]
        item["events"] = [_plain(r, ("detail",)) for r in conn.execute(
            "SELECT * FROM events WHERE conversation_id = ? ORDER BY id", (cid,))]
        item["actions"] = [_plain(r, ("args",)) for r in conn.execute(
            "SELECT * FROM actions WHERE conversation_id = ? ORDER BY id", (cid,))]
        item["deliveries"] = [_plain(r, ("buttons",)) for r in conn.execute(
            "SELECT * FROM outbox WHERE conversation_id = ? ORDER BY id", (cid,))]
        conversations.append(item)
    journal = [_plain(r, ("payload",)) for r in _rows_in(
        conn, "SELECT * FROM journal WHERE conversation_id IN ({}) ORDER BY id",
        list(fp.conversations))]
    return {
        "contact": _plain(contact, ()),
        "identities": [_plain(r, ()) for r in conn.execute(
            "SELECT * FROM identities WHERE contact_id = ? ORDER BY id", (contact_id,))],
        "conversations": conversations,
        "journal": journal,
    }


def erase(conn: sqlite3.Connection, fp: Footprint, now: float) -> Erased:
    """Remove one contact's personal data from every table; analytics rows stay."""
    done = Erased(console_refs=list(fp.console_refs))
    convs = list(fp.conversations)
    with secure_delete(conn):
        _run_in(conn, "UPDATE outbox SET status = 'cancelled', error = 'contact erased', "
                "updated_at = ? WHERE status IN ('queued', 'sending') AND conversation_id "
                "IN ({})", convs, now)
        done.messages = _run_in(conn, "UPDATE messages SET text = '', buttons = NULL, "
                                "button_value = NULL, purged = 1 WHERE conversation_id IN ({})",
                                convs)
        done.journal = _run_in(conn, "UPDATE journal SET payload = '{{}}', chat_id = ?, "
                               "sender_id = ?, purged = 1, status = 'handled', "
                               "handled_at = COALESCE(handled_at, ?) "
                               "WHERE conversation_id IN ({})", convs, ERASED, ERASED, now)
        done.outbox = _run_in(conn, "UPDATE outbox SET text = '', buttons = NULL, chat_id = ?, "
                              "error = NULL WHERE conversation_id IN ({})", convs, ERASED)
        done.conversations = _run_in(
            conn, "UPDATE conversations SET chat_id = 'erased:' || id, agent_state = NULL, "
            "tool_session = NULL, status = 'resolved', updated_at = ? WHERE id IN ({})",
            convs, now)
        for row in _rows_in(conn, "SELECT id, detail FROM events WHERE conversation_id IN ({})",
                            convs):
            cleaned = _keep_only(_json(row["detail"]), SAFE_EVENT_KEYS)
            if cleaned != row["detail"]:
                conn.execute("UPDATE events SET detail = ? WHERE id = ?", (cleaned, row["id"]))
                done.events += 1
        for row in _rows_in(conn, "SELECT id, args FROM actions WHERE conversation_id IN ({})",
                            convs):
            conn.execute("UPDATE actions SET args = ?, result = ? WHERE id = ?",
                         (_keep_only(_json(row["args"]), SAFE_ARG_KEYS), ERASED, row["id"]))
            done.actions += 1
        done.drafts = _blank(conn, "drafts", convs, text="''", proposed="NULL",
                             final_text="NULL", buttons="NULL", error="NULL")
        if "conversation_id" in _columns(conn, "staff_pending"):
            _run_in(conn, "DELETE FROM staff_pending WHERE conversation_id IN ({})", convs)
        done.identities = conn.execute(
            "UPDATE identities SET external_id = 'erased:' || id, display_name = NULL "
            "WHERE contact_id = ?", (fp.contact_id,)).rowcount
        conn.execute("UPDATE contacts SET name = NULL, email = NULL, phone = NULL, "
                     "email_verified = 0, phone_verified = 0, erased_at = ? WHERE id = ?",
                     (now, fp.contact_id))
        done.other_rows = scrub(conn, fp.needles())
        for table in _fts_tables(conn):
            conn.execute(f'INSERT INTO "{table}" ("{table}") VALUES (\'optimize\')')
    return done


def scrub(conn: sqlite3.Connection, needles: list[str]) -> int:
    """Replace every occurrence of `needles` (any case) in every text column of every table,
    the full-text index included; returns the rows changed."""
    wanted = sorted({n.lower() for n in needles if n}, key=len, reverse=True)
    if not wanted:
        return 0
    pattern = re.compile("|".join(re.escape(n) for n in wanted), re.IGNORECASE)
    changed = 0
    for table, columns in _text_columns(conn):
        cols = ", ".join(_q(c) for c in columns)
        cond = " OR ".join(f"instr(lower({_q(c)}), ?) > 0" for c in columns for _ in wanted)
        args = [n for _c in columns for n in wanted]
        rows = conn.execute(f"SELECT rowid, {cols} FROM {_q(table)} WHERE {cond}",
                            args).fetchall()
        for row in rows:
            values = {c: pattern.sub(ERASED, row[c]) for c in columns
                      if isinstance(row[c], str) and pattern.search(row[c])}
            if not values:
                continue
            sets = ", ".join(f"{_q(c)} = ?" for c in values)
            sql = f"UPDATE {_q(table)} SET {sets} WHERE rowid = ?"
            try:
                conn.execute(sql, (*values.values(), row[0]))
            except sqlite3.IntegrityError:  # a unique id: make the replacement unique too
                conn.execute(sql, (*(f"{ERASED}:{table}:{row[0]}" for _ in values), row[0]))
            changed += 1
    return changed


def identifiers(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(contact id, kind, value) of every email, phone and identity, for the erasure ledger."""
    found: list[tuple[int, str, str]] = []
    for row in conn.execute("SELECT id, email, phone FROM contacts "
                            "WHERE email IS NOT NULL OR phone IS NOT NULL"):
        if row["email"]:
            found.append((row["id"], "email", row["email"]))
        if row["phone"]:
            found.append((row["id"], "phone", row["phone"]))
    for row in conn.execute("SELECT contact_id, channel, account, external_id FROM identities"):
        found.append((row[0], "identity", f"{row[1]}:{row[2]}:{row[3]}"))
    return found


# retention: (condition, assignment) per table; `?` in the condition is the cutoff
PURGES: dict[str, tuple[str, str]] = {
    # a message the agent has not answered yet keeps its text until it is handled
    "messages": ("created_at < ? AND purged = 0 AND id NOT IN (SELECT message_id FROM journal "
                 "WHERE status = 'pending' AND message_id IS NOT NULL)",
                 "text = '', buttons = NULL, button_value = NULL, purged = 1"),
    "journal": ("received_at < ? AND purged = 0 AND status != 'pending'",
                "payload = '{}', purged = 1"),
    "outbox": ("created_at < ? AND status NOT IN ('queued', 'sending') "
               "AND (text != '' OR buttons IS NOT NULL)", "text = '', buttons = NULL"),
    "events": ("created_at < ? AND kind IN ('note', 'handoff') AND CASE WHEN "
               "json_valid(detail) THEN json_extract(detail, '$.text') IS NOT NULL "
               "OR json_extract(detail, '$.summary') IS NOT NULL ELSE 0 END",
               "detail = json_remove(detail, '$.text', '$.summary')"),
    "conversations": ("COALESCE(updated_at, created_at) < ? AND "
                      "(agent_state IS NOT NULL OR tool_session IS NOT NULL)",
                      "agent_state = NULL, tool_session = NULL"),
    "drafts": ("created_at < ? AND decided_at IS NOT NULL AND (text != '' OR proposed IS NOT "
               "NULL OR final_text IS NOT NULL)", "text = '', proposed = NULL, final_text = NULL"),
}


def purge_tables(conn: sqlite3.Connection) -> list[str]:
    """The tables retention purges in this database (drafts only once they exist)."""
    needed = {"drafts": {"id", "created_at", "decided_at", "text", "proposed", "final_text"}}
    return [t for t in PURGES if t not in needed or _columns(conn, t) >= needed[t]]


def purge_step(conn: sqlite3.Connection, table: str, cutoff: float, after_id: int,
               limit: int) -> tuple[int, int]:
    """Purge up to `limit` rows of `table` past `after_id`; (rows purged, last id seen)."""
    where, assign = PURGES[table]
    ids = [r[0] for r in conn.execute(
        f"SELECT id FROM {table} WHERE id > ? AND {where} ORDER BY id LIMIT ?",
        (after_id, cutoff, limit))]
    if ids:
        with secure_delete(conn):
            _run_in(conn, f"UPDATE {table} SET {assign.replace('{', '{{').replace('}', '}}')} "
                    "WHERE id IN ({})", ids)
    return len(ids), ids[-1] if ids else after_id


def purge_count(conn: sqlite3.Connection, table: str, cutoff: float) -> int:
    where, _assign = PURGES[table]
    return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}",
                            (cutoff,)).fetchone()[0])


@contextmanager
def secure_delete(conn: sqlite3.Connection) -> Iterator[None]:
    """Overwrite freed cell content while the block runs (restored afterwards)."""
    before = int(conn.execute("PRAGMA secure_delete").fetchone()[0])
    conn.execute("PRAGMA secure_delete=ON")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA secure_delete={before}")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({_q(table)})")}


def _blank(conn: sqlite3.Connection, table: str, convs: list[int], **values: str) -> int:
    """Set these columns (those the table has) to SQL literals for the conversations' rows."""
    have = _columns(conn, table)
    sets = [f"{_q(c)} = {v}" for c, v in values.items() if c in have]
    if "conversation_id" not in have or not sets:
        return 0
    return _run_in(conn, f"UPDATE {_q(table)} SET {', '.join(sets)} WHERE conversation_id IN "
                   "({})", convs)


def _text_columns(conn: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' "
                          "ORDER BY name").fetchall()
    fts = {name for name, sql in tables if "USING FTS5" in (sql or "").upper()}
    shadows = {f + s for f in fts for s in _FTS_SHADOWS}
    found = []
    for name, _sql in tables:
        if name in shadows:
            continue  # the full-text table itself is scrubbed; its index follows
        info = conn.execute(f"PRAGMA table_info({_q(name)})").fetchall()
        cols = [r["name"] for r in info
                if name in fts or (r["type"] or "").upper() in ("", "TEXT")
                or "CHAR" in (r["type"] or "").upper() or "CLOB" in (r["type"] or "").upper()]
        if cols:
            found.append((name, cols))
    return found


def _fts_tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = "
                                       "'table'") if "USING FTS5" in (r[1] or "").upper()]


def _keep_only(value: object, safe: frozenset[str]) -> str:
    if not isinstance(value, dict):
        return json.dumps(ERASED)
    return json.dumps({k: v if k in safe or v is None or isinstance(v, int | float | bool)
                       else ERASED for k, v in value.items()})


def _plain(row: sqlite3.Row, json_columns: Iterable[str]) -> dict[str, object]:
    item: dict[str, object] = dict(zip(row.keys(), tuple(row), strict=True))
    for col in json_columns:
        item[col] = _json(item.get(col))
    return item


def _json(raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows_in(conn: sqlite3.Connection, sql: str, ids: list[int]) -> list[sqlite3.Row]:
    rows: list[sqlite3.Row] = []
    for i in range(0, len(ids), _CHUNK):
        part = ids[i:i + _CHUNK]
        rows += conn.execute(sql.format(",".join("?" * len(part))), part).fetchall()
    return rows


def _run_in(conn: sqlite3.Connection, sql: str, ids: list[int], *args: object) -> int:
    """Run `sql` (its `{}` is the id list, after `args`) over `ids` in chunks; rows changed."""
    changed = 0
    for i in range(0, len(ids), _CHUNK):
        part = ids[i:i + _CHUNK]
        changed += conn.execute(sql.format(",".join("?" * len(part))),
                                (*args, *part)).rowcount
    return changed
