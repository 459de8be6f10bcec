"""Block Kit for the console: the handoff packet, a draft to approve, a staff reply that
needs "take over or send once?". Pure functions of store rows."""

from __future__ import annotations

import json
from typing import Any

import omnichannel.i18n as i18n
from omnichannel.store import Draft

REASONS = {
    "requested": "The shopper asked for a person",
    "anger": "The shopper is upset",
    "abuse": "Abusive messages",
    "legal": "Legal threat",
    "self_harm": "Possible self-harm: answer with care",
    "card_number": "A card number was typed in chat (redacted)",
    "repeated_failure": "The agent could not help twice",
    "over_cap": "An action over the limits needs approval",
    "engine_failure": "The agent failed",
    "broken_promise": "The agent's draft promised something it had not done",
    "merchant_topic": "A topic you route to people",
    "category_off": "A category you keep with people",
}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _button(text: str, action: str, value: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text},
                         "action_id": action, "value": value}
    if style:
        b["style"] = style
    return b


def language_name(code: str | None) -> str:
    """ "Spanish" for "es" (staff read English); "not yet known" before the first message."""
    if not code:
        return "not yet known"
    return i18n.ENGLISH_NAMES.get(code, code)


def packet(p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the thread's first message."""
    cid = p["conversation_id"]
    handoff = p.get("handoff") or {}
    reason = str(handoff.get("reason") or ("draft waiting" if p["owner"] == "agent" else "?"))
    title = REASONS.get(reason, reason)
    contact = p.get("contact") or {}
    session = json.loads(p.get("tool_session") or "{}")
    who = []
    if contact.get("name"):
        who.append(str(contact["name"]))
    for key in ("email", "phone"):
        if contact.get(key):
            proof = "verified" if contact.get(f"{key}_verified") else "unverified"
            who.append(f"{contact[key]} ({proof})")
    customer = session.get("customer_id")
    if customer:
        who.append(f"shop customer {customer} ({session.get('verified_by') or 'verified'})")
    facts = [f"*Channel:* {p['channel']}", f"*Intent:* {p.get('intent') or '-'}",
             f"*Reason:* `{reason}`", f"*Owner:* {p['owner']}",
             f"*Language:* {language_name(p.get('language'))}"]
    lines = [f"*{_esc(title)}* · conversation #{cid}"]
    if handoff.get("summary"):
        lines.append(f"> {_esc(str(handoff['summary']))[:500]}")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Shopper:* " + (
            _esc("; ".join(who)) if who else "not identified")}},
    ]
    if p.get("actions"):
        tried = "\n".join(f"• `{a['tool']}`" + (f" {a['order_id']}" if a.get("order_id") else "")
                          + f": {_esc(str(a.get('outcome') or ''))[:160]}" for a in p["actions"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": "*Actions tried:*\n" + tried}})
    if p.get("messages"):
        convo = "\n".join(f"*{m['role']}:* {_esc(str(m['text']))[:300]}" for m in p["messages"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": "*Recent:*\n" + convo[:2900]}})
    blocks.append({"type": "actions", "block_id": f"conv:{cid}", "elements": [
        _button("Take over", "take_over", str(cid), "primary"),
        _button("Send the suggested reply", "send_suggested", str(cid)),
        _button("Give back to the agent", "give_back", str(cid)),
        _button("Resolve", "resolve", str(cid)),
    ]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   "Reply in this thread to answer the shopper on their channel. Start with "
                   "`note:` for an internal note."}]})
    return f"{title} (conversation #{cid})", blocks


def draft(d: Draft) -> tuple[str, list[dict[str, Any]]]:
    writes = "".join(f"\n• will run `{s['tool']}` {json.dumps(s['args'])[:200]}"
                     for s in d.proposed)
    text = (f"*Draft reply* ({d.category}, assisted) waiting for approval:\n>>> "
            + _esc(d.text)[:2500] + (f"\n*On approval:*{writes}" if writes else ""))
    return f"Draft for conversation #{d.conversation_id}", [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"draft:{d.id}", "elements": [
            _button("Approve", "approve_draft", str(d.id), "primary"),
            _button("Edit", "edit_draft", str(d.id)),
            _button("Reject", "reject_draft", str(d.id), "danger"),
        ]},
    ]


def ask_takeover(key: str) -> tuple[str, list[dict[str, Any]]]:
    text = ("The agent owns this conversation. Take it over and send your reply (the agent "
            "goes quiet until you give it back), or send it once and leave the agent on?")
    return text, [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"pending:{key}", "elements": [
            _button("Take over and send", "pending_take_over", key, "primary"),
            _button("Send once", "pending_send_once", key),
        ]},
    ]


def edit_modal(d: Draft) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": "edit_draft", "private_metadata": str(d.id),
        "title": {"type": "plain_text", "text": "Edit the draft"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "reply", "label": {
            "type": "plain_text", "text": "Reply to the shopper"}, "element": {
            "type": "plain_text_input", "action_id": "text", "multiline": True,
            "initial_value": d.text[:3000]}}],
    }
