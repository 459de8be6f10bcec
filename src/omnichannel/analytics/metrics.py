"""`/metrics`: the gateway in Prometheus' text format (version 0.0.4).

Counts come from the store at scrape time (so they survive restarts and agree with
`omnichannel stats`); the process adds what only it knows (channel health, lanes, turns).
docs/analytics.md lists every metric.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from omnichannel.analytics.process import process
from omnichannel.store import analytics as sql

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_QUANTILES = (0.5, 0.9, 0.99)


class Exposition:
    """Metric families written in order, each with its HELP and TYPE once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_: str,
               samples: Iterable[tuple[dict[str, str], float]]) -> None:
        self.lines.append(f"# HELP {name} {_help(help_)}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{_labels(labels)} {_value(value)}")

    def summary(self, name: str, help_: str,
                series: Iterable[tuple[dict[str, str], list[float]]]) -> None:
        self.lines.append(f"# HELP {name} {_help(help_)}")
        self.lines.append(f"# TYPE {name} summary")
        for labels, values in series:
            xs = sorted(values)
            for q in _QUANTILES:
                v = xs[max(0, math.ceil(q * len(xs)) - 1)] if xs else math.nan
                self.lines.append(f"{name}{_labels({**labels, 'quantile': str(q)})} "
                                  f"{_value(v)}")
            self.lines.append(f"{name}_sum{_labels(labels)} {_value(sum(xs))}")
            self.lines.append(f"{name}_count{_labels(labels)} {len(xs)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _value(v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(float(v))


def render(snap: sql.MetricsSnapshot, runtime: Any = None, now: float | None = None) -> str:
    """The exposition of a store snapshot, plus the running process's own gauges."""
    now = time.time() if now is None else now
    x = Exposition()
    x.family("omnichannel_inbound_messages_total", "counter",
             "Inbound events journaled, per channel.",
             (({"channel": c}, n) for c, n in sorted(snap.inbound.items())))
    x.family("omnichannel_outbound_messages_total", "counter",
             "Outbound message parts written to the outbox, per channel.",
             (({"channel": c}, n) for c, n in sorted(snap.outbound.items())))
    x.family("omnichannel_outbox_messages", "gauge",
             "Outbox rows per channel and delivery status.",
             (({"channel": c, "status": s}, n) for (c, s), n in sorted(snap.outbox.items())))
    x.family("omnichannel_outbox_depth", "gauge", "Outbox rows queued for delivery.",
             [({}, sum(n for (_c, s), n in snap.outbox.items() if s == "queued"))])
    x.family("omnichannel_outbox_oldest_queued_age_seconds", "gauge",
             "Age of the oldest queued outbox row (0 when none is queued).",
             [({}, max(0.0, now - snap.oldest_queued_at) if snap.oldest_queued_at else 0)])
    x.family("omnichannel_outbox_retries_total", "counter",
             "Delivery attempts beyond each row's first, per channel.",
             (({"channel": c}, n) for c, n in sorted(snap.retries.items())))
    x.family("omnichannel_outbox_uncertain", "gauge",
             "Outbox rows whose delivery is uncertain (a crash or an unexpected error "
             "mid-send; flagged to staff, never resent), per channel.",
             (({"channel": c}, snap.outbox.get((c, "uncertain"), 0))
              for c in sorted(snap.outbound)))
    x.family("omnichannel_outbox_rate_limited", "gauge",
             "Outbox rows whose last attempt the platform refused with its rate limit (HTTP "
             "429 or equivalent), waiting out a Retry-After or failed on it, per channel.",
             (({"channel": c}, n) for c, n in sorted(snap.rate_limited.items())))
    x.family("omnichannel_rate_limited_total", "counter",
             "Sends a platform refused with its rate limit (HTTP 429 and a Retry-After), "
             "each counted once, per channel.",
             (({"channel": c}, n) for c, n in sorted(snap.rate_limited_total.items())))
    x.family("omnichannel_journal_pending", "gauge",
             "Inbound events journaled but not yet handled by the agent.",
             [({}, snap.journal_pending)])
    x.family("omnichannel_journal_oldest_pending_age_seconds", "gauge",
             "Age of the oldest unhandled journal event (0 when none waits).",
             [({}, max(0.0, now - snap.oldest_pending_at) if snap.oldest_pending_at else 0)])
    x.summary("omnichannel_journal_handle_seconds",
              "Seconds from journaling an event to handling it (debounce included), over "
              "the events handled in the last hour.", [({}, snap.handle_lags)])
    x.family("omnichannel_handoffs_total", "counter", "Handoffs to staff, per reason code.",
             (({"reason": r}, n) for r, n in sorted(snap.handoffs.items())))
    x.family("omnichannel_conversations", "gauge", "Conversations per status and owner.",
             (({"status": s, "owner": o}, n)
              for (s, o), n in sorted(snap.conversations.items())))
    llm = sorted(snap.llm.items())
    x.family("omnichannel_llm_turns_total", "counter",
             "Agent turns answered by a model, per model and route.",
             (({"model": m, "tier": t}, v[0]) for (m, t), v in llm))
    x.family("omnichannel_llm_calls_total", "counter",
             "Model calls (a turn may make several), per model and route.",
             (({"model": m, "tier": t}, v[1]) for (m, t), v in llm))
    x.family("omnichannel_llm_tokens_total", "counter",
             "Model tokens, per model, route and kind (prompt or completion).",
             [sample for (m, t), v in llm for sample in (
                 ({"model": m, "tier": t, "kind": "prompt"}, v[2]),
                 ({"model": m, "tier": t, "kind": "completion"}, v[3]))])
    x.family("omnichannel_llm_cost_usd_total", "counter",
             "Model cost in US dollars, per model and route.",
             (({"model": m, "tier": t}, v[4]) for (m, t), v in llm))
    failures = sorted(snap.llm_failures.items())
    x.family("omnichannel_llm_failures_total", "counter",
             "Model calls that failed (each retry and fallback step), per model and kind of "
             "error: rate_limit, timeout, server_error, connection, auth, bad_request, "
             "malformed, other.",
             (({"model": m, "error": e}, v[0]) for (m, e), v in failures))
    x.family("omnichannel_llm_failure_seconds_total", "counter",
             "Seconds spent on model calls that failed, per model and kind of error.",
             (({"model": m, "error": e}, v[1]) for (m, e), v in failures))
    if snap.llm_latency:
        x.summary("omnichannel_llm_turn_seconds",
                  "Seconds a model turn took, where the turn recorded it.",
                  (({"model": m, "tier": t}, v)
                   for (m, t), v in sorted(snap.llm_latency.items())))
    x.family("omnichannel_csat_ratings_total", "counter",
             "CSAT ratings received, by who was rated (agent or staff).",
             (({"by": b}, v[0]) for b, v in sorted(snap.csat.items())))
    x.family("omnichannel_csat_score_total", "counter",
             "Sum of CSAT scores (1-5), by who was rated; divided by the ratings: the mean.",
             (({"by": b}, v[1]) for b, v in sorted(snap.csat.items())))
    if runtime is not None:
        _process(x, runtime)
    return x.text()


def _process(x: Exposition, rt: Any) -> None:
    sups = sorted(rt.supervisors.items())
    x.family("omnichannel_component_up", "gauge",
             "1 when a supervised component (a channel adapter, the Slack console) is "
             "running and ready, else 0.",
             (({"component": n}, 1 if s.health.state.value == "ready" else 0)
              for n, s in sups))
    x.family("omnichannel_component_restarts_total", "counter",
             "Restarts of a supervised component since the process started.",
             (({"component": n}, s.health.restarts) for n, s in sups))
    router = rt.router
    if router is not None:
        x.family("omnichannel_agent_turns_total", "counter",
                 "Agent turns run by this process since it started.", [({}, router.turns)])
        x.family("omnichannel_lanes_active", "gauge",
                 "Conversations with a turn waiting or running in this process.",
                 [({}, len(router.lanes))])
        x.family("omnichannel_outbox_sent_process_total", "counter",
                 "Message parts this process delivered since it started.",
                 [({}, router.outbox.sent)])


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics."""
    rt = process(request)
    snap = await rt.store.metrics_snapshot()
    return web.Response(body=render(snap, rt).encode(), headers={"Content-Type": CONTENT_TYPE})
