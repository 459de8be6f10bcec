"""The numbers: resolution, response times, handoffs, categories, CSAT and cost.

`compute` turns conversation histories into a `Report` (pure, synchronous: the tests feed
it constructed histories); `build` reads them from the store first and, given a commerce
backend, adds revenue influenced. docs/analytics.md defines every figure.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from omnichannel.analytics.cost import Costs, Failure, Prices, Route, Savings, costs, num
from omnichannel.analytics.resolution import Outcome, Pending, Rule, fin, outcome, zendesk
from omnichannel.analytics.revenue import Revenue, influenced
from omnichannel.analytics.settings import AnalyticsSettings
from omnichannel.commerce import Commerce
from omnichannel.store import Store
from omnichannel.store.analytics import History


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds: how many, median, 90th percentile, mean."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


@dataclass(frozen=True, slots=True)
class RuleSummary:
    rule: str
    definition: str
    resolved: int
    automated: int
    confirmed: int
    assumed: int
    closed: int
    waiting: int
    automated_rate: float | None


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    conversations: int
    engaged: int
    resolved: int
    automated: int
    handed_off: int
    automated_rate: float | None


@dataclass(frozen=True, slots=True)
class Csat:
    by: str  # "agent" | "staff"
    ratings: int
    average: float | None
    satisfied: float | None  # share of 4 and 5


@dataclass(frozen=True, slots=True)
class Day:
    day: str  # YYYY-MM-DD in the report's time zone
    conversations: int
    engaged: int
    resolved: int
    automated: int
    automated_rate: float | None
    first_response_median: float | None
    csat_average: float | None
    csat_ratings: int
    cost_usd: float


@dataclass
class Report:
    since: float
    until: float
    generated_at: float
    rule: str
    definition: str
    conversations: int = 0
    engaged: int = 0
    greeting_only: int = 0
    # Engaged conversations whose rule window is still running: left out of the rates
    # until it passes (they are neither resolved nor failed yet).
    waiting: int = 0
    decided: int = 0
    resolved: int = 0
    automated: int = 0
    confirmed: int = 0
    assumed: int = 0
    closed: int = 0
    resolved_by_staff: int = 0
    durable: int = 0
    durable_known: int = 0  # resolutions old enough to know
    reopened: int = 0
    pending: dict[str, int] = field(default_factory=dict)
    automated_rate: float | None = None  # automated / decided
    resolution_rate: float | None = None  # resolved / decided
    durable_rate: float | None = None  # durable / durable_known
    rules: list[RuleSummary] = field(default_factory=list)
    first_response_agent: Timing = Timing()
    first_response_staff: Timing = Timing()
    resolution_time_agent: Timing = Timing()
    resolution_time_staff: Timing = Timing()
    handoffs: int = 0
    handoff_rate: float | None = None
    handoff_reasons: dict[str, int] = field(default_factory=dict)
    categories: list[Category] = field(default_factory=list)
    csat: list[Csat] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    model_failures: list[Failure] = field(default_factory=list)
    cost_usd: float = 0.0
    cost_per_conversation: float | None = None
    cost_per_resolution: float | None = None
    cost_per_automated_resolution: float | None = None
    savings: Savings | None = None
    revenue: Revenue | None = None
    days: list[Day] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def rules_for(settings: AnalyticsSettings) -> dict[str, Rule]:
    return {"fin": fin(settings.fin_window_hours),
            "zendesk": zendesk(settings.zendesk_window_hours)}


def compute(histories: Iterable[History], settings: AnalyticsSettings, *, since: float,
            until: float | None = None, now: float | None = None,
            prices: Prices | None = None) -> Report:
    """Every figure except revenue, from histories alone."""
    now = time.time() if now is None else now
    histories = list(histories)
    rules = rules_for(settings)
    rule = rules[settings.resolution_rule]
    report = Report(since=since, until=until or now, generated_at=now, rule=rule.name,
                    definition=rule.summary)
    outcomes = [outcome(h, rule, now, settings.durable_days) for h in histories]
    _resolution(report, outcomes)
    report.rules = [_rule_summary(name, r, histories, now, settings.durable_days)
                    for name, r in rules.items()]
    _timing(report, outcomes)
    _handoffs(report, outcomes)
    report.categories = _categories(histories, outcomes)
    report.csat = _csat(outcomes)
    _cost(report, costs(histories, prices or Prices()))
    report.days = _days(histories, outcomes, settings, since, until or now)
    return report


async def build(store: Store, settings: AnalyticsSettings, *, since: float,
                until: float | None = None, now: float | None = None,
                prices: Prices | None = None, commerce: Commerce | None = None) -> Report:
    """Read the period's conversations and compute the report (revenue with a backend)."""
    histories = await store.histories(since, until)
    report = compute(histories, settings, since=since, until=until, now=now, prices=prices)
    if commerce is not None:
        report.revenue = await influenced(histories, commerce, settings.attribution_days)
    return report


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _waiting(o: Outcome) -> bool:
    return o.pending is Pending.WAITING


def _decided(outs: Iterable[Outcome]) -> int:
    return sum(o.engaged and not _waiting(o) for o in outs)


def _resolution(report: Report, outcomes: list[Outcome]) -> None:
    report.conversations = len(outcomes)
    report.engaged = sum(o.engaged for o in outcomes)
    report.greeting_only = report.conversations - report.engaged
    resolved = [o for o in outcomes if o.resolved]
    report.resolved = len(resolved)
    report.automated = sum(o.automated for o in resolved)
    report.resolved_by_staff = sum(o.resolved_by == "staff" for o in resolved)
    kinds = Counter(o.kind.value for o in resolved if o.kind is not None)
    report.confirmed, report.assumed, report.closed = (
        kinds["confirmed"], kinds["assumed"], kinds["closed"])
    report.durable_known = sum(o.durable_known for o in resolved)
    report.durable = sum(o.durable for o in resolved)
    report.reopened = sum(o.reopened > 0 for o in outcomes)
    report.pending = dict(Counter(o.pending.value for o in outcomes if o.pending).most_common())
    report.waiting = sum(_waiting(o) for o in outcomes)
    report.decided = report.engaged - report.waiting
    report.automated_rate = _rate(report.automated, report.decided)
    report.resolution_rate = _rate(report.resolved, report.decided)
    report.durable_rate = _rate(report.durable, report.durable_known)


def _rule_summary(name: str, rule: Rule, histories: list[History], now: float,
                  durable_days: float) -> RuleSummary:
    outs = [outcome(h, rule, now, durable_days) for h in histories]
    kinds = Counter(o.kind.value for o in outs if o.kind is not None)
    automated = sum(o.automated for o in outs)
    return RuleSummary(
        rule=name, definition=rule.summary, resolved=sum(o.resolved for o in outs),
        automated=automated, confirmed=kinds["confirmed"], assumed=kinds["assumed"],
        closed=kinds["closed"], waiting=sum(_waiting(o) for o in outs),
        automated_rate=_rate(automated, _decided(outs)))


def timing(values: Iterable[float]) -> Timing:
    xs = sorted(v for v in values if v is not None and v >= 0)
    if not xs:
        return Timing()

    def rank(q: float) -> float:  # nearest rank
        return round(xs[max(0, math.ceil(q * len(xs)) - 1)], 3)

    return Timing(count=len(xs), median=rank(0.5), p90=rank(0.9),
                  mean=round(sum(xs) / len(xs), 3))


def _timing(report: Report, outcomes: list[Outcome]) -> None:
    report.first_response_agent = timing(
        o.first_response for o in outcomes if o.first_response is not None)
    report.first_response_staff = timing(
        o.staff_first_response for o in outcomes if o.staff_first_response is not None)
    report.resolution_time_agent = timing(
        o.time_to_resolution for o in outcomes
        if o.time_to_resolution is not None and o.automated)
    # Staff: from the handoff (or the first message, when staff answered unasked).
    report.resolution_time_staff = timing(
        (o.resolved_at - (o.handoff_at or o.created_at)) for o in outcomes
        if o.resolved_at is not None and o.resolved_by == "staff")


def _handoffs(report: Report, outcomes: list[Outcome]) -> None:
    handed = [o for o in outcomes if o.handed_off]
    report.handoffs = len(handed)
    report.handoff_rate = _rate(len(handed), report.conversations)
    report.handoff_reasons = dict(Counter(o.handoff_reason or "unknown"
                                          for o in handed).most_common())


# Mirrors agent/categories.py (the autonomy ladder's categories): a write names the
# category, else the intent, else the reads the tools made.
_WRITE_CATEGORY = {
    "cancel_pending_order": "cancel", "modify_pending_order_address": "address",
    "modify_user_address": "address", "modify_pending_order_payment": "payment",
    "modify_pending_order_items": "exchange", "return_delivered_order_items": "return",
    "exchange_delivered_order_items": "exchange", "refund_order": "refund",
}
_READ_CATEGORY = {
    "get_order_details": "tracking", "search_products": "product",
    "get_product_details": "product", "list_all_product_types": "product",
    "lookup_promo_code": "product", "transfer_to_human_agents": "other",
}
_TASKS = {"cancel": "cancel", "return": "return", "exchange": "exchange",
          "address": "address", "payment": "payment", "items": "exchange",
          "refund": "refund", "modify": "address"}


def category(h: History) -> str:
    """The conversation's intent category (tracking, cancel, return, exchange, address,
    payment, refund, product, policy, other)."""
    for a in h.actions:
        if a.tool in _WRITE_CATEGORY:
            return _WRITE_CATEGORY[a.tool]
    intent = h.intent or ""
    if intent.startswith("orders."):
        if intent.startswith("orders.ask_order."):
            return _TASKS.get(intent.rsplit(".", 1)[1], "tracking")
        return next((c for k, c in _TASKS.items() if k in intent), "tracking")
    if intent.startswith("catalog."):
        return "product"
    if intent.startswith("faq."):
        return "policy"
    for a in h.actions:
        if a.tool in _READ_CATEGORY:
            return _READ_CATEGORY[a.tool]
    return "other"


def _categories(histories: list[History], outcomes: list[Outcome]) -> list[Category]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for h, o in zip(histories, outcomes, strict=True):
        groups[category(h)].append(o)
    out = []
    for name, outs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        engaged = sum(o.engaged for o in outs)
        automated = sum(o.automated for o in outs)
        out.append(Category(
            name=name, conversations=len(outs), engaged=engaged,
            resolved=sum(o.resolved for o in outs), automated=automated,
            handed_off=sum(o.handed_off for o in outs),
            automated_rate=_rate(automated, _decided(outs))))
    return out


def _csat(outcomes: list[Outcome]) -> list[Csat]:
    out = []
    for by in ("agent", "staff"):
        scores = [o.csat[0] for o in outcomes if o.csat is not None and o.csat[1] == by]
        out.append(Csat(
            by=by, ratings=len(scores),
            average=round(sum(scores) / len(scores), 2) if scores else None,
            satisfied=_rate(sum(s >= 4 for s in scores), len(scores))))
    return out


def _cost(report: Report, c: Costs) -> None:
    report.routes, report.cost_usd, report.savings = c.routes, c.total_usd, c.savings
    report.model_failures = c.failures
    n, actual = report.conversations, c.total_usd
    report.cost_per_conversation = round(actual / n, 6) if n else None
    report.cost_per_resolution = round(actual / report.resolved, 6) if report.resolved else None
    report.cost_per_automated_resolution = (round(actual / report.automated, 6)
                                            if report.automated else None)


def local_day(ts: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, zone).date()


def _days(histories: list[History], outcomes: list[Outcome], settings: AnalyticsSettings,
          since: float, until: float) -> list[Day]:
    zone = ZoneInfo(settings.timezone)
    if not histories:
        return []
    first = local_day(max(since, min(h.created_at for h in histories)), zone)
    last = local_day(until, zone)
    by_day: dict[date, list[Outcome]] = defaultdict(list)
    cost: dict[date, float] = defaultdict(float)
    for h, o in zip(histories, outcomes, strict=True):
        by_day[local_day(h.created_at, zone)].append(o)
        for e in h.events:
            if e.kind == "llm_usage":
                cost[local_day(e.created_at, zone)] += num(e.detail.get("cost_usd"))
    days = []
    d = first
    while d <= last:
        outs = by_day.get(d, [])
        engaged = sum(o.engaged for o in outs)
        automated = sum(o.automated for o in outs)
        frt = timing(o.first_response for o in outs if o.first_response is not None)
        scores = [o.csat[0] for o in outs if o.csat is not None]
        days.append(Day(
            day=d.isoformat(), conversations=len(outs), engaged=engaged,
            resolved=sum(o.resolved for o in outs), automated=automated,
            automated_rate=_rate(automated, _decided(outs)), first_response_median=frt.median,
            csat_average=round(sum(scores) / len(scores), 2) if scores else None,
            csat_ratings=len(scores), cost_usd=round(cost.get(d, 0.0), 6)))
        d += timedelta(days=1)
    return days
