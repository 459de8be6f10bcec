"""The dashboard's HTML, built on the server. Every value from the store is escaped: shopper
text is hostile input. No inline script or style (the pages are served under a strict CSP)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import omnichannel.i18n as i18n
from omnichannel.analytics.accounting import Report
from omnichannel.analytics.dashboard import charts
from omnichannel.analytics.resolution import Outcome
from omnichannel.analytics.tables import duration, money, percent
from omnichannel.store.analytics import History, ListedConversation, QueuedHandoff

PREFIX = "/dashboard"


def when(ts: float | None, zone: ZoneInfo) -> str:
    if not ts:
        return "-"
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M")


def layout(title: str, body: str, csrf: str | None, active: str = "") -> str:
    nav = ""
    if csrf is not None:
        links = [("overview", PREFIX, "Overview"),
                 ("conversations", f"{PREFIX}/conversations", "Conversations"),
                 ("handoffs", f"{PREFIX}/handoffs", "Handoff queue")]
        current = ' aria-current="page"'
        items = "".join(
            f'<a href="{href}"{current if key == active else ""}>{label}</a>'
            for key, href, label in links)
        nav = (f'<nav>{items}<form method="post" action="{PREFIX}/logout" class="logout">'
               f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
               '<button type="submit">Sign out</button></form></nav>')
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)} · omnichannel</title><link rel=\"icon\" href=\"data:,\">"
        f'<link rel="stylesheet" href="{PREFIX}/static/dashboard.css">'
        f'<script src="{PREFIX}/static/dashboard.js" defer></script></head>'
        f"<body><header><strong>omnichannel</strong>{nav}</header>"
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def login(token: str, error: str | None = None, next_: str = PREFIX) -> str:
    alert = f'<p class="error" role="alert" id="login-error">{escape(error)}</p>' if error else ""
    body = (
        f'{alert}<form method="post" action="{PREFIX}/login" class="login" id="login">'
        f'<input type="hidden" name="csrf" value="{escape(token)}">'
        f'<input type="hidden" name="next" value="{escape(next_)}">'
        '<label>Password <input type="password" name="password" id="password" '
        'autocomplete="current-password" required autofocus></label>'
        '<button type="submit">Sign in</button></form>')
    return layout("Sign in", body, None)


def _tile(label: str, value: str, note: str = "", key: str = "") -> str:
    return (f'<div class="tile" data-kpi="{escape(key)}"><span class="label">{escape(label)}'
            f'</span><span class="value">{escape(value)}</span>'
            f'<span class="note">{escape(note)}</span></div>')


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "",
           body_attrs: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<table class="{cls}"><thead><tr>{head}</tr></thead>'
            f"<tbody {body_attrs}>{body}</tbody></table>")


def overview(report: Report, queue: list[QueuedHandoff], days: int, zone: ZoneInfo,
             csrf: str) -> str:
    r = report
    current = ' aria-current="true"'
    periods = "".join(
        f'<a href="{PREFIX}?days={n}"{current if n == days else ""}>{n} days</a>'
        for n in (7, 30, 90))
    csat = {c.by: c for c in r.csat}
    s = r.savings
    v = r.revenue
    tiles = "".join([
        _tile("Conversations", str(r.conversations), f"{r.engaged} engaged", "conversations"),
        _tile("Automated resolution", percent(r.automated_rate),
              f"{r.automated} of {r.decided} decided ({r.waiting} waiting)", "automated_rate"),
        _tile("Resolved", percent(r.resolution_rate),
              f"{r.confirmed} confirmed, {r.assumed} assumed, {r.closed} closed", "resolved"),
        _tile("First response (agent)", duration(r.first_response_agent.median),
              f"p90 {duration(r.first_response_agent.p90)}", "frt_agent"),
        _tile("First response (staff)", duration(r.first_response_staff.median),
              "after a handoff", "frt_staff"),
        _tile("Handoffs", percent(r.handoff_rate), f"{r.handoffs} conversations", "handoffs"),
        _tile("CSAT agent", _csat(csat.get("agent")), "1-5", "csat_agent"),
        _tile("CSAT staff", _csat(csat.get("staff")), "1-5", "csat_staff"),
        _tile("Model cost", money(r.cost_usd), f"{money(r.cost_per_resolution)} per "
              "resolution", "cost"),
        _tile("Routing saved", money(s.saved_usd) if s else "-",
              "vs everything on the complex model" if s and s.priced else "no price set",
              "saved"),
        _tile("Revenue influenced", money(v.revenue, 2) if v else "-",
              f"{v.orders} orders" if v else "no commerce backend", "revenue"),
    ])
    points = [(d.day, float(d.conversations)) for d in r.days]
    chart_html = "".join([
        charts.bars("Conversations per day", points, lambda x: f"{x:.0f}"),
        charts.line("Automated resolution rate", [(d.day, d.automated_rate) for d in r.days],
                    lambda x: f"{x * 100:.0f}%", top=1.0),
        charts.line("First response time, median (agent)",
                    [(d.day, d.first_response_median) for d in r.days], duration),
        charts.line("CSAT, average", [(d.day, d.csat_average) for d in r.days],
                    lambda x: f"{x:.1f}", top=5.0),
        charts.bars("Model cost per day (USD)", [(d.day, d.cost_usd) for d in r.days],
                    lambda x: f"${x:.4f}"),
    ])
    reasons = _table(["Reason", "Conversations"],
                     [[escape(k), str(n)] for k, n in r.handoff_reasons.items()])
    cats = _table(["Category", "Conversations", "Automated", "Handed off", "Automated rate"],
                  [[escape(c.name), str(c.conversations), str(c.automated), str(c.handed_off),
                    percent(c.automated_rate)] for c in r.categories])
    rule = (f'<p class="rule">Resolution rule: {escape(r.definition)}. '
            + " · ".join(f"{escape(x.rule)}: {x.resolved} resolved, {x.automated} automated"
                         for x in r.rules) + "</p>")
    revenue = (f'<p class="rule">Revenue attribution: {escape(v.rule)}.</p>' if v else "")
    return layout("Overview", (
        f'<p class="periods">{periods}</p><section class="tiles">{tiles}</section>{rule}'
        f'{revenue}<section class="charts" id="charts">{chart_html}</section>'
        f'<section><h2>Handoff queue</h2>{handoff_table(queue[:10], zone)}'
        f'<p><a href="{PREFIX}/handoffs">The whole queue</a></p></section>'
        f'<section class="split"><div><h2>Handoffs by reason</h2>{reasons}</div>'
        f'<div><h2>Categories</h2>{cats}</div></section>'), csrf, "overview")


def _csat(c: object) -> str:
    avg = getattr(c, "average", None)
    return "-" if avg is None else f"{avg:.1f} ({getattr(c, 'ratings', 0)})"


def handoff_rows(queue: list[QueuedHandoff], zone: ZoneInfo) -> str:
    now = time.time()
    if not queue:
        return '<tr class="none"><td colspan="6">Nobody is waiting for staff.</td></tr>'
    return "".join(
        f'<tr data-id="{q.id}"><td><a href="{PREFIX}/conversations/{q.id}">#{q.id}</a></td>'
        f"<td>{escape(q.channel)}</td><td>{escape(q.reason or '-')}</td>"
        f"<td>{when(q.handed_off_at, zone)}</td><td>{duration(now - q.handed_off_at)}</td>"
        f"<td>{'replied ' + when(q.staff_replied_at, zone) if q.staff_replied_at else 'waiting'}"
        f"</td></tr>"
        for q in queue)


def handoff_table(queue: list[QueuedHandoff], zone: ZoneInfo, poll: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in ("Conversation", "Channel", "Reason",
                                             "Handed off", "Waiting", "Staff"))
    return (f'<table class="queue"><thead><tr>{head}</tr></thead>'
            f'<tbody id="handoff-rows" {poll}>{handoff_rows(queue, zone)}</tbody></table>')


def handoffs(queue: list[QueuedHandoff], zone: ZoneInfo, csrf: str, poll_seconds: float) -> str:
    poll = (f'data-poll-src="{PREFIX}/handoffs/rows" data-poll-seconds="{poll_seconds:g}"')
    return layout("Handoff queue", handoff_table(queue, zone, poll), csrf, "handoffs")


def conversation_rows(rows: list[ListedConversation], zone: ZoneInfo) -> str:
    if not rows:
        return '<tr class="none"><td colspan="7">No conversations.</td></tr>'
    out = []
    for c in rows:
        last = (c.last_text or "").replace("\n", " ")
        if len(last) > 90:
            last = last[:89] + "…"
        flag = f' <span class="flag">{c.uncertain} uncertain</span>' if c.uncertain else ""
        out.append(
            f'<tr data-id="{c.id}" data-channel="{escape(c.channel)}" '
            f'data-owner="{escape(c.owner)}" data-status="{escape(c.status)}">'
            f'<td><a href="{PREFIX}/conversations/{c.id}">#{c.id}</a></td>'
            f"<td>{escape(c.channel)}</td><td>{escape(c.owner)}</td>"
            f"<td>{escape(c.status)}</td><td>{escape(c.intent or '-')}</td>"
            f'<td class="text">{escape(c.last_role or "")}: {escape(last)}{flag}</td>'
            f"<td>{when(c.last_at or c.updated_at, zone)}</td></tr>")
    return "".join(out)


def conversations(rows: list[ListedConversation], filters: dict[str, str], channels: list[str],
                  zone: ZoneInfo, csrf: str, poll_seconds: float) -> str:
    def select(name: str, options: Sequence[str]) -> str:
        opts = '<option value="">any</option>' + "".join(
            f'<option value="{escape(o)}"{" selected" if filters.get(name) == o else ""}>'
            f"{escape(o)}</option>" for o in options)
        return f'<label>{name.title()} <select name="{name}" id="f-{name}">{opts}</select></label>'

    form = (f'<form method="get" action="{PREFIX}/conversations" class="filters">'
            f'{select("channel", channels)}{select("owner", ["agent", "staff"])}'
            f'{select("status", ["open", "resolved"])}<button type="submit">Filter</button></form>')
    query = urlencode({k: v for k, v in filters.items() if v})
    src = f"{PREFIX}/conversations/rows" + (f"?{query}" if query else "")
    head = "".join(f"<th>{h}</th>" for h in ("Conversation", "Channel", "Owner", "Status",
                                             "Intent", "Last message", "When"))
    table = (f'<table class="conversations"><thead><tr>{head}</tr></thead>'
             f'<tbody id="conversation-rows" data-poll-src="{escape(src)}" '
             f'data-poll-seconds="{poll_seconds:g}">{conversation_rows(rows, zone)}</tbody>'
             "</table>")
    return layout("Conversations", form + table, csrf, "conversations")


_EVENT_TEXT = {
    "handoff": lambda d: f"handed off: {d.get('reason')}"
    + (f" ({d.get('summary')})" if d.get("summary") else ""),
    "owner": lambda d: f"owner is now {d.get('owner')}"
    + (f" ({d.get('reason')})" if d.get("reason") else ""),
    "status": lambda d: f"status: {d.get('status')}",
    "csat": lambda d: f"rated {d.get('score')}/5 ({d.get('by') or 'agent'})",
    "llm_usage": lambda d: f"model {d.get('model')} ({d.get('tier') or '-'}): "
    f"{d.get('prompt_tokens')}+{d.get('completion_tokens')} tokens, ${d.get('cost_usd')}",
}


def transcript(h: History, result: Outcome, zone: ZoneInfo, csrf: str,
               notice: str | None = None, language: str | None = None, *,
               translations: dict[int, str] | None = None, translate_into: str | None = None,
               staff_language: str = "", draft: str = "") -> str:
    """The conversation page; with an LLM configured, shopper messages in another language
    carry a translation and the reply form offers "translate into <language>"."""
    items: list[tuple[float, int, str]] = []
    translations = translations or {}
    for m in h.messages:
        delivery = f' <span class="delivery">{escape(m.delivery)}</span>' if m.delivery else ""
        pressed = (f' <span class="pressed">pressed {escape(m.button_value)}</span>'
                   if m.button_value else "")
        offered = "".join(f'<span class="button">{escape(b)}</span>' for b in m.buttons)
        text = '<em class="purged">(removed by retention)</em>' if m.purged else escape(m.text)
        items.append((m.created_at, m.id, (
            f'<li class="msg" data-role="{escape(m.role)}" data-id="{m.id}">'
            f'<span class="meta">{escape(m.role)} · {when(m.created_at, zone)}{delivery}'
            f'{pressed}</span><div class="text">{text}</div>'
            f"{_translation(translations.get(m.id), staff_language)}"
            f"{_buttons(offered)}</li>")))
    for e in h.events:
        describe = _EVENT_TEXT.get(e.kind)
        line = describe(e.detail) if describe else e.kind
        items.append((e.created_at, 0, (
            f'<li class="event" data-kind="{escape(e.kind)}"><span class="meta">'
            f"{when(e.created_at, zone)}</span> {escape(line)}</li>")))
    items.sort(key=lambda x: (x[0], x[1]))
    actions = _table(
        ["When", "Tool", "Arguments", "Result", "Approved by", "Refund"],
        [[when(a.created_at, zone), f"<code>{escape(a.tool)}</code>",
          f"<code>{escape(_short(a.args))}</code>", escape(_short(a.result, 400)),
          escape(a.approved_by or "-"), f"{a.refund:.2f}" if a.refund else "-"]
         for a in h.actions], "actions", 'id="action-rows"')
    verdict = (f"resolved ({result.kind.value if result.kind else ''}) by {result.resolved_by}"
               if result.resolved else f"not resolved: {(result.pending or '').replace('_', ' ')}")
    facts = [
        ("Channel", f"{h.channel} · {h.chat_id}"), ("Owner", h.owner), ("Status", h.status),
        ("Intent", h.intent or "-"),
        ("Language", i18n.ENGLISH_NAMES.get(language, language) if language else "-"),
        ("Outcome", verdict),
        ("First response", duration(result.first_response)),
        ("Handoff", f"{result.handoff_reason} at {when(result.handoff_at, zone)}"
         if result.handed_off else "-"),
        ("CSAT", f"{result.csat[0]}/5 ({result.csat[1]})" if result.csat else "-"),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    base = f"{PREFIX}/conversations/{h.id}"

    def button(action: str, label: str) -> str:
        return (f'<form method="post" action="{base}/{action}" class="inline">'
                f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
                f'<button type="submit" id="do-{action}">{label}</button></form>')

    staff = (
        f'<section class="staff"><h2>Staff</h2>'
        f'<form method="post" action="{base}/reply" class="reply">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<label>Reply to the shopper (takes the conversation over) '
        '<textarea name="text" id="reply-text" rows="3" required maxlength="4000">'
        f'{escape(draft)}</textarea></label>'
        + (f'<label class="translate"><input type="checkbox" name="translate" value="1" '
           f'id="reply-translate"> Translate into {escape(translate_into)} before sending'
           '</label>' if translate_into else "")
        + '<button type="submit" id="do-reply">Send</button></form>'
        + (button("takeover", "Take over") if h.owner == "agent" else
           button("giveback", "Give back to the agent"))
        + (button("resolve", "Mark resolved") if h.status == "open" else "")
        + "</section>")
    flash = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    return layout(f"Conversation #{h.id}", (
        f'{flash}<dl class="facts">{dl}</dl>'
        f'<section><h2>Transcript</h2><ol class="transcript" id="transcript">'
        f'{"".join(x[2] for x in items)}</ol></section>'
        f"<section><h2>Actions and results</h2>{actions}</section>{staff}"), csrf,
        "conversations")


def _translation(text: str | None, language: str) -> str:
    if text is None:
        return ""
    if not text:
        return '<div class="translation unavailable">(translation unavailable)</div>'
    return (f'<div class="translation"><span class="meta">{escape(language)}:</span> '
            f"{escape(text)}</div>")


def _buttons(offered: str) -> str:
    return f'<div class="buttons">{offered}</div>' if offered else ""


def _short(text: str, limit: int = 200) -> str:
    try:  # arguments are JSON: show them compactly
        text = json.dumps(json.loads(text), separators=(", ", ": "))
    except ValueError:
        pass
    return text if len(text) <= limit else text[:limit - 1] + "…"
