"""A report as text tables (the terminal), as CSV rows and as JSON: the same numbers."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator, Sequence

from omnichannel.analytics.accounting import Report, Timing


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def money(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"${value:,.{digits}f}"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header]] + [["-" if c is None else str(c) for c in r]
                                          for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        first = r[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [title, line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]] or ["(none)"]
    return "\n".join(out)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _timing_row(name: str, t: Timing) -> list[object]:
    return [name, t.count, duration(t.median), duration(t.p90), duration(t.mean)]


def text(report: Report) -> str:
    r = report
    parts = [f"omnichannel stats: conversations begun {_when(r.since)} to {_when(r.until)}"
             if r.since > 0 else f"omnichannel stats: every conversation to {_when(r.until)}",
             f"resolution rule: {r.definition}"]
    parts.append(table("Resolution", ["", "count", "share"], [
        ["conversations", r.conversations, ""],
        ["greetings only (not counted)", r.greeting_only, ""],
        ["engaged", r.engaged, ""],
        ["  still inside the rule's window", r.waiting, ""],
        ["  decided (the rates' base)", r.decided, ""],
        ["resolved", r.resolved, percent(r.resolution_rate)],
        ["  confirmed", r.confirmed, ""],
        ["  assumed", r.assumed, ""],
        ["  closed by staff", r.closed, ""],
        ["automated resolutions", r.automated, percent(r.automated_rate)],
        ["resolved with staff", r.resolved_by_staff, ""],
        ["durable (of resolutions old enough)", f"{r.durable}/{r.durable_known}",
         percent(r.durable_rate)],
        ["reopened", r.reopened, ""],
        *[[f"not resolved: {k.replace('_', ' ')}", v, ""] for k, v in r.pending.items()
          if k != "waiting"],
    ]))
    parts.append(table("Resolution rules side by side",
                       ["rule", "resolved", "automated", "confirmed", "assumed", "closed",
                        "waiting", "automated rate"],
                       [[s.rule, s.resolved, s.automated, s.confirmed, s.assumed, s.closed,
                         s.waiting, percent(s.automated_rate)] for s in r.rules]))
    parts.append(table("Times", ["", "count", "median", "p90", "mean"], [
        _timing_row("first response, agent", r.first_response_agent),
        _timing_row("first response, staff after handoff", r.first_response_staff),
        _timing_row("time to resolution, agent", r.resolution_time_agent),
        _timing_row("time to resolution, staff after handoff", r.resolution_time_staff),
    ]))
    parts.append(table(f"Handoffs: {r.handoffs} ({percent(r.handoff_rate)} of conversations)",
                       ["reason", "conversations", "share"],
                       [[k, v, percent(v / r.handoffs if r.handoffs else None)]
                        for k, v in r.handoff_reasons.items()]))
    parts.append(table("Categories", ["category", "conversations", "engaged", "resolved",
                                      "automated", "handed off", "automated rate"],
                       [[c.name, c.conversations, c.engaged, c.resolved, c.automated,
                         c.handed_off, percent(c.automated_rate)] for c in r.categories]))
    parts.append(table("CSAT (1-5)", ["rated", "ratings", "average", "satisfied (4-5)"],
                       [[c.by, c.ratings, c.average, percent(c.satisfied)] for c in r.csat]))
    parts.append(table("Model cost by route", ["route", "model", "turns", "calls",
                                               "prompt tokens", "completion tokens", "cost"],
                       [[x.tier, x.model, x.turns, x.calls, x.prompt_tokens,
                         x.completion_tokens, money(x.cost_usd)] for x in r.routes]))
    if r.model_failures:
        parts.append(table(f"Failed model calls: {sum(f.calls for f in r.model_failures)}",
                           ["model", "error", "calls", "seconds"],
                           [[f.model, f.error, f.calls, f.seconds] for f in r.model_failures]))
    s = r.savings
    rows: list[list[object]] = [
        ["total", money(r.cost_usd)],
        ["per conversation", money(r.cost_per_conversation)],
        ["per resolution", money(r.cost_per_resolution)],
        ["per automated resolution", money(r.cost_per_automated_resolution)],
    ]
    if s is not None:
        rows += [
            [f"everything on the complex model ({s.complex_model or 'not set'})",
             money(s.all_complex_usd)],
            ["saved on model turns", money(s.saved_on_model_turns_usd)],
            [f"rule-engine turns ({s.rule_turns}) at the complex model, estimated",
             money(s.rule_turns_estimate_usd)],
            ["routing saved", money(s.saved_usd)],
        ]
    parts.append(table("Cost", ["", "USD"], rows) + (f"\n({s.note})" if s else ""))
    v = r.revenue
    if v is None:
        parts.append("Revenue influenced\n(not computed: no commerce backend)")
    else:
        parts.append(table("Revenue influenced", ["", "value"], [
            ["conversations with a product or promo suggestion",
             v.conversations_with_suggestions],
            ["  of them with a known customer", v.conversations_with_customer],
            ["orders attributed", v.orders],
            ["revenue", money(v.revenue, 2)],
            *[[f"  via {k}", money(x, 2)] for k, x in sorted(v.by_kind.items())],
            ["backend lookups failed", v.errors],
        ]) + f"\nattribution: {v.rule}")
    parts.append(table("By day", ["day", "conversations", "automated rate",
                                  "first response (median)", "CSAT", "cost"],
                       [[d.day, d.conversations, percent(d.automated_rate),
                         duration(d.first_response_median), d.csat_average,
                         money(d.cost_usd)] for d in r.days]))
    return "\n\n".join(parts) + "\n"


def rows(report: Report) -> Iterator[tuple[str, str, str, object]]:
    """(section, name, metric, value): every figure of the report, one per row."""
    r = report
    for key in ("conversations", "engaged", "greeting_only", "waiting", "decided", "resolved",
                "automated",
                "confirmed", "assumed", "closed", "resolved_by_staff", "durable",
                "durable_known", "reopened", "automated_rate", "resolution_rate",
                "durable_rate", "handoffs", "handoff_rate", "cost_usd",
                "cost_per_conversation", "cost_per_resolution",
                "cost_per_automated_resolution"):
        yield "overview", "", key, getattr(r, key)
    yield "overview", "", "rule", r.rule
    for k, v in r.pending.items():
        yield "not_resolved", k, "conversations", v
    for s in r.rules:
        for key in ("resolved", "automated", "confirmed", "assumed", "closed", "waiting",
                    "automated_rate"):
            yield "rule", s.rule, key, getattr(s, key)
    for name in ("first_response_agent", "first_response_staff", "resolution_time_agent",
                 "resolution_time_staff"):
        t = getattr(r, name)
        for key in ("count", "median", "p90", "mean"):
            yield "timing", name, key, getattr(t, key)
    for k, v in r.handoff_reasons.items():
        yield "handoff_reason", k, "conversations", v
    for c in r.categories:
        for key in ("conversations", "engaged", "resolved", "automated", "handed_off",
                    "automated_rate"):
            yield "category", c.name, key, getattr(c, key)
    for rating in r.csat:
        for key in ("ratings", "average", "satisfied"):
            yield "csat", rating.by, key, getattr(rating, key)
    for x in r.routes:
        for key in ("turns", "calls", "prompt_tokens", "completion_tokens", "cost_usd"):
            yield "route", f"{x.tier}/{x.model}", key, getattr(x, key)
    for f in r.model_failures:
        yield "model_failure", f"{f.model}/{f.error}", "calls", f.calls
        yield "model_failure", f"{f.model}/{f.error}", "seconds", f.seconds
    if r.savings is not None:
        for key in ("all_complex_usd", "saved_on_model_turns_usd", "rule_turns",
                    "rule_turns_estimate_usd", "saved_usd"):
            yield "savings", r.savings.complex_model or "", key, getattr(r.savings, key)
    if r.revenue is not None:
        for key in ("conversations_with_suggestions", "conversations_with_customer",
                    "influencing_conversations", "orders", "revenue"):
            yield "revenue", "", key, getattr(r.revenue, key)
        yield "revenue", "", "attribution_rule", r.revenue.rule
    for d in r.days:
        for key in ("conversations", "engaged", "resolved", "automated", "automated_rate",
                    "first_response_median", "csat_average", "csat_ratings", "cost_usd"):
            yield "day", d.day, key, getattr(d, key)


def as_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "name", "metric", "value"])
    for section, name, metric, value in rows(report):
        w.writerow([section, name, metric, "" if value is None else value])
    return buf.getvalue()


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=False, default=str) + "\n"
