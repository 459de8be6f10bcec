"""Analytics: the accounting rules on histories built through the real store, the stats
command, /metrics read by prometheus-client's own parser, and the dashboard's login."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from omnichannel.analytics.accounting import build, category, compute
from omnichannel.analytics.cost import Prices
from omnichannel.analytics.resolution import Kind, Pending, fin, outcome, zendesk
from omnichannel.analytics.revenue import influenced
from omnichannel.analytics.settings import AnalyticsSettings
from omnichannel.channel import Inbound
from omnichannel.commerce import Address, Order, OrderItem, OrderStatus, Product, Promo, Variant
from omnichannel.conversation import ActionEntry, Button, Delivery, Owner, Role, Status
from omnichannel.store import OutMessage, Store, TurnWrite
from omnichannel.store import analytics as sql
from omnichannel.store.analytics import History
from tests.support import until

H = 3600.0
D = 86400.0
_ids = itertools.count(1)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(tmp_path / "state")
    s.open()
    try:
        yield s
    finally:
        s.close()


class Chat:
    """One shopper's chat written through the store's own APIs."""

    def __init__(self, store: Store, chat_id: str | None = None, channel: str = "loopback",
                 email: str | None = None) -> None:
        self.store = store
        self.chat_id = chat_id or f"chat-{next(_ids)}"
        self.channel = channel
        self.email = email
        self.cid = 0
        self.outbox: list[int] = []

    async def says(self, text: str, button: str | None = None) -> Chat:
        published = await self.store.journal(Inbound(
            channel=self.channel, account="default", external_id=f"ev-{next(_ids)}",
            chat_id=self.chat_id, sender_id=self.chat_id, text=text, button_value=button,
            verified_email=self.email))
        self.cid = published.conversation_id
        return self

    async def agent(self, text: str, *, buttons: tuple[Button, ...] = (),
                    intent: str | None = None, usage: dict[str, object] | None = None,
                    handoff: str | None = None, failures: int | None = 0) -> Chat:
        pending = await self.store.pending_turn(self.cid, 0)
        conv = pending.conversation
        messages = [OutMessage(Role.AGENT, text, buttons, [(text, buttons)])] if text else []
        if handoff:
            messages.append(OutMessage(Role.SYSTEM, "I've passed this to our team.", (),
                                       [("I've passed this to our team.", ())]))
        self.outbox += await self.store.commit_turn(TurnWrite(
            conversation_id=self.cid, journal_ids=pending.journal_ids, messages=messages,
            intent=intent, failures=failures, owner_epoch=conv.owner_epoch, usage=usage,
            handoff_reason=handoff, handoff_summary="summary" if handoff else None))
        return self

    async def delivered(self) -> Chat:
        """Mark what the outbox holds for this chat as sent (no channel runs here)."""
        for oid in self.outbox:
            await self.store.finish(oid, Delivery.SENT, platform_message_id=f"p-{oid}")
        self.outbox = []
        return self

    async def staff(self, text: str) -> Chat:
        await self.store.queue_message(self.cid, Role.STAFF, text, [(text, ())], Owner.STAFF)
        return self

    async def action(self, tool: str, outcome: str = "ok", customer: str | None = None,
                     approved: str | None = "shopper") -> Chat:
        await self.store.ledger(self.cid).record(ActionEntry(
            tool=tool, args={}, outcome=outcome, approved_by=approved, customer_id=customer))
        return self

    async def age(self, seconds: float) -> Chat:
        await self.store.db.write(sql.age_conversation, self.cid, seconds)
        return self

    async def history(self) -> History:
        found = await self.store.db.read(sql.histories, 0, None, self.cid)
        assert len(found) == 1
        return found[0]


def at(hours: float) -> float:
    return time.time() + hours * H


# resolution


async def test_assumed_resolution_waits_for_the_window_of_each_rule(store: Store) -> None:
    chat = await (await Chat(store).says("How long does shipping take?")).agent(
        "Shipping takes 3-5 business days.", intent="faq.shipping")
    h = await chat.history()
    o = outcome(h, fin(), at(23))
    assert not o.resolved and o.pending is Pending.WAITING and o.engaged
    o = outcome(h, fin(), at(25))
    assert o.resolved and o.kind is Kind.ASSUMED and o.automated and o.resolved_by == "agent"
    assert not o.durable and not o.durable_known
    # Zendesk's definition waits for 72 hours of inactivity.
    assert outcome(h, zendesk(), at(25)).pending is Pending.WAITING
    assert outcome(h, zendesk(), at(73)).kind is Kind.ASSUMED
    # The window is configurable: a 2-hour Fin window is over after 3 hours.
    assert outcome(h, fin(2), at(3)).kind is Kind.ASSUMED
    # Still closed 7 days later: durable.
    o = outcome(h, fin(), at(7 * 24 + 1))
    assert o.durable and o.durable_known


async def test_confirmed_resolution_by_words_or_button(store: Store) -> None:
    chat = await (await Chat(store).says("Can I return sale items?")).agent(
        "Yes, within 30 days.", intent="faq.returns")
    await chat.says("Thanks, that solved it!")
    o = outcome(await chat.history(), fin(), at(0.01))
    assert o.kind is Kind.CONFIRMED and o.automated
    # Zendesk counts a confirmation only once the session has been quiet for 72 hours.
    assert outcome(await chat.history(), zendesk(), at(1)).pending is Pending.WAITING
    assert outcome(await chat.history(), zendesk(), at(73)).kind is Kind.CONFIRMED

    ack = await (await Chat(store).says("Is there a warranty?")).agent("Two years.")
    await ack.says("ok thanks")
    assert outcome(await ack.history(), fin(), at(0.01)).kind is Kind.CONFIRMED

    button = await (await Chat(store).says("Do you ship to Canada?")).agent(
        "We do, 7-10 days.", buttons=(Button("Solved", "solved"), Button("More help", "more")))
    await button.says("", button="solved")
    assert outcome(await button.history(), fin(), at(0.01)).kind is Kind.CONFIRMED


async def test_greetings_alone_are_not_a_resolution(store: Store) -> None:
    chat = await (await Chat(store).says("hi there")).agent("Hi! What can I help with?",
                                                           intent="greeting")
    await (await chat.says("thanks")).agent("You're welcome!", intent="thanks")
    await chat.says("bye")
    o = outcome(await chat.history(), fin(), at(48))
    assert not o.resolved and not o.engaged and o.pending is Pending.GREETING_ONLY
    assert o.first_response is not None  # the agent did answer, quickly
    # A closure by staff does not make greetings a resolution either.
    await store.set_status(chat.cid, Status.RESOLVED)
    assert not outcome(await chat.history(), fin(), at(48)).resolved


async def test_a_handoff_is_never_a_resolution_until_staff_resolve(store: Store) -> None:
    chat = await (await Chat(store).says("My parcel never arrived")).agent(
        "It's on its way, 2 more days.", intent="orders.status")
    await chat.age(2 * H)
    await (await chat.says("This is ridiculous, it's been weeks")).agent(
        "I'm sorry this has been so frustrating.", handoff="anger", intent="handoff.anger")
    await chat.says("ok thanks")  # thanking the apology resolves nothing
    await chat.age(30 * 60)
    h = await chat.history()
    o = outcome(h, fin(), at(48))
    assert o.handed_off and o.handoff_reason == "anger" and not o.resolved
    assert o.pending is Pending.HANDOFF and o.staff_first_response is None
    await chat.staff("Hi, I'm Sam. I've re-sent your parcel by express, tracking to follow.")
    await chat.says("Perfect, thank you!")
    o = outcome(await chat.history(), fin(), at(0.1))
    assert o.resolved and o.kind is Kind.CONFIRMED and o.resolved_by == "staff"
    assert not o.automated
    assert o.staff_first_response is not None and 30 * 60 - 5 < o.staff_first_response < 31 * 60
    # Without the shopper's word, silence after a staff reply is not assumed.
    quiet = await (await Chat(store).says("I want a person")).agent(
        "", handoff="requested", intent="handoff.requested")
    await quiet.staff("Hello, how can I help?")
    o = outcome(await quiet.history(), fin(), at(100))
    assert not o.resolved and o.pending is Pending.HANDOFF and o.handoff_reason == "requested"
    # Staff taking over unasked: their first response counts from the request waiting.
    taken = await (await Chat(store).says("Where is my order?")).agent("It shipped.")
    await taken.age(H)
    await taken.says("It says delivered but it isn't here")
    await taken.age(10 * 60)
    await taken.staff("Sorry! I'm opening a carrier claim now.")
    o = outcome(await taken.history(), fin(), at(0))
    assert o.handoff_reason == "staff_takeover"
    assert o.staff_first_response is not None and 10 * 60 - 5 < o.staff_first_response < 11 * 60
    # Staff closing it is a (staff) resolution.
    await store.set_status(quiet.cid, Status.RESOLVED)
    o = outcome(await quiet.history(), fin(), at(100))
    assert o.kind is Kind.CLOSED and o.resolved_by == "staff" and not o.automated


async def test_a_promise_is_never_a_resolution(store: Store) -> None:
    chat = await (await Chat(store).says("Where is my return label?")).agent(
        "I'll email you the return label today.", intent="orders.status")
    o = outcome(await chat.history(), fin(), at(48))
    assert not o.resolved and o.pending is Pending.PROMISE
    # Backed by the tool that sends it, the same words are a fact, not a promise.
    await chat.action("return_delivered_order_items", "Return requested; label emailed")
    assert outcome(await chat.history(), fin(), at(48)).kind is Kind.ASSUMED


async def test_a_question_left_open_or_a_failed_answer_is_not_resolved(store: Store) -> None:
    asked = await (await Chat(store).says("Cancel order W123")).agent(
        "Cancel order W123 (no longer needed)?", buttons=(Button("Yes", "yes"),
                                                           Button("No", "no")))
    assert outcome(await asked.history(), fin(), at(48)).pending is Pending.QUESTION
    failed = await (await Chat(store).says("Do you price match Walmart?")).agent(
        "I'm not sure about that one.", intent="unknown", failures=1)
    assert outcome(await failed.history(), fin(), at(48)).pending is Pending.FAILED
    unsolved = await (await Chat(store).says("How do I reset my password?")).agent(
        "Use the link on the sign-in page.")
    await unsolved.says("That didn't help")
    assert outcome(await unsolved.history(), fin(), at(48)).pending is Pending.FURTHER_HELP


async def test_coming_back_after_the_window_takes_the_resolution_back(store: Store) -> None:
    chat = await (await Chat(store).says("What sizes do the boots come in?")).agent(
        "Sizes 36 to 46.", intent="catalog.product")
    await chat.age(30 * H)
    assert outcome(await chat.history(), fin(), at(0)).kind is Kind.ASSUMED
    await chat.says("And do they run small?")  # back in the same conversation
    o = outcome(await chat.history(), fin(), at(0.01))
    assert not o.resolved and o.reopened == 1 and o.pending is Pending.UNANSWERED
    await chat.agent("They run true to size.")
    o = outcome(await chat.history(), fin(), at(25))
    assert o.kind is Kind.ASSUMED and o.reopened == 1
    # A follow-up inside the window is the same question going on, not a reopen.
    quick = await (await Chat(store).says("Is the tent waterproof?")).agent("Yes, 3000 mm.")
    await (await quick.says("What about the fly sheet?")).agent("Also 3000 mm.")
    assert outcome(await quick.history(), fin(), at(25)).reopened == 0


async def test_a_reopen_after_a_closure_takes_it_back(store: Store) -> None:
    chat = await (await Chat(store).says("Do you gift wrap?")).agent("Yes, for 3.00.")
    await store.set_status(chat.cid, Status.RESOLVED)
    o = outcome(await chat.history(), fin(), at(0.01))
    assert o.kind is Kind.CLOSED and o.automated  # closed, no staff message
    await store.set_status(chat.cid, Status.OPEN)
    o = outcome(await chat.history(), fin(), at(0.01))
    assert o.reopened == 1 and o.pending is Pending.WAITING  # open again, window running

    # The store files a message to a closed chat in a new conversation: within the durable
    # window that is the shopper coming back, and the closure is taken back.
    first = await (await Chat(store).says("Can I change my address?")).agent("Yes, done.")
    await store.set_status(first.cid, Status.RESOLVED)
    await first.age(3 * D)
    second = await Chat(store, chat_id=first.chat_id).says("It went to the old address!")
    assert second.cid != first.cid
    o = outcome(await first.history(), fin(), at(0))
    assert not o.resolved and o.pending is Pending.REOPENED and o.reopened == 1

    # Eight days later it is a new matter: the first resolution stands, durable.
    old = await (await Chat(store).says("Do you sell gift cards?")).agent("Yes, from 10.00.")
    await store.set_status(old.cid, Status.RESOLVED)
    await old.age(8 * D)
    await Chat(store, chat_id=old.chat_id).says("Hello again, a new question")
    o = outcome(await old.history(), fin(), at(0))
    assert o.kind is Kind.CLOSED and o.durable


async def test_response_and_resolution_times(store: Store) -> None:
    chat = await Chat(store).says("Is the jacket machine washable?")
    await chat.age(90)
    await chat.agent("Yes, at 30 degrees.", intent="faq.care")
    o = outcome(await chat.history(), fin(), at(25))
    assert o.first_response is not None and 89 < o.first_response < 95
    assert o.time_to_resolution is not None and 89 < o.time_to_resolution < 95


# the report


async def _sample(store: Store) -> dict[str, Chat]:
    """A small shop day: every kind of outcome once."""
    chats = {}
    chats["assumed"] = await (await Chat(store).says("How long is shipping?")).agent(
        "3-5 days.", intent="faq.shipping",
        usage={"model": "small", "tier": "routine", "prompt_tokens": 1000,
               "completion_tokens": 100, "cost_usd": 0.0002, "calls": 1})
    chats["confirmed"] = await (await Chat(store).says("Cancel my order W1")).agent(
        "Cancelled.", intent="orders.done.cancel",
        usage={"model": "big", "tier": "complex", "prompt_tokens": 2000,
               "completion_tokens": 200, "cost_usd": 0.03, "calls": 2})
    await chats["confirmed"].action("cancel_pending_order", "cancelled")
    await chats["confirmed"].says("thanks!")
    await store.db.write(sql.record_csat, chats["confirmed"].cid, 5, "agent")
    chats["greeting"] = await (await Chat(store).says("hello")).agent("Hi!", intent="greeting")
    chats["handoff"] = await (await Chat(store).says("I want to talk to a person")).agent(
        "", handoff="requested", intent="handoff.requested")
    await chats["handoff"].staff("Hi, Sam here. What's up?")
    await chats["handoff"].says("My refund, but it's fine now, solved")
    await store.db.write(sql.record_csat, chats["handoff"].cid, 2, "staff")
    chats["promise"] = await (await Chat(store).says("Where is my refund?")).agent(
        "I'll follow up by email tomorrow.", intent="orders.status")
    for c in chats.values():
        await c.age(26 * H)
    return chats


async def test_report_counts_rates_and_side_by_side_rules(store: Store) -> None:
    chats = await _sample(store)
    settings = AnalyticsSettings()
    report = await build(store, settings, since=0,
                         prices=Prices("big", input_per_token=1e-5, output_per_token=3e-5))
    assert report.conversations == 5 and report.engaged == 4 and report.greeting_only == 1
    assert (report.resolved, report.automated, report.confirmed, report.assumed) == (3, 2, 2, 1)
    assert report.resolved_by_staff == 1
    assert report.waiting == 0 and report.decided == 4
    assert report.automated_rate == 0.5 and report.resolution_rate == 0.75
    assert report.pending == {"greeting_only": 1, "promise": 1}
    assert report.handoffs == 1 and report.handoff_rate == 0.2
    assert report.handoff_reasons == {"requested": 1}
    rules = {r.rule: r for r in report.rules}
    assert rules["fin"].resolved == 3 and rules["fin"].assumed == 1
    # 26 hours of quiet is not yet Zendesk's 72: only the confirmations count, and not
    # before the quiet either.
    assert rules["zendesk"].resolved == 0 and rules["zendesk"].waiting == 2
    assert report.first_response_agent.count == 4  # every conversation the agent answered
    assert report.first_response_staff.count == 1
    cats = {c.name: c for c in report.categories}
    assert cats["cancel"].automated == 1 and cats["policy"].automated == 1
    assert category(await chats["promise"].history()) == "tracking"
    csat = {c.by: c for c in report.csat}
    assert (csat["agent"].ratings, csat["agent"].average, csat["agent"].satisfied) == (1, 5, 1)
    assert (csat["staff"].ratings, csat["staff"].average, csat["staff"].satisfied) == (1, 2, 0)
    # Cost by route, per conversation and per resolution.
    routes = {(r.tier, r.model): r for r in report.routes}
    assert routes[("routine", "small")].prompt_tokens == 1000
    assert routes[("complex", "big")].calls == 2
    assert report.cost_usd == pytest.approx(0.0302)
    assert report.cost_per_conversation == pytest.approx(0.0302 / 5, abs=1e-6)
    assert report.cost_per_resolution == pytest.approx(0.0302 / 3, abs=1e-6)
    # Routing saved: the routine turn re-priced at the complex model, plus the rule-engine
    # turns (greeting, promise) at the mean tokens of a model turn.
    s = report.savings
    assert s is not None and s.priced
    assert s.all_complex_usd == pytest.approx(0.03 + 1000 * 1e-5 + 100 * 3e-5)
    assert s.saved_on_model_turns_usd == pytest.approx(1000 * 1e-5 + 100 * 3e-5 - 0.0002)
    assert s.rule_turns == 2
    assert s.rule_turns_estimate_usd == pytest.approx(2 * (1500 * 1e-5 + 150 * 3e-5))
    # The conversations began 26 hours ago: yesterday, or the day before in the first hours
    # after midnight UTC.
    day = next(d for d in reversed(report.days) if d.conversations)
    assert day.conversations == 5 and day.automated == 2 and day.csat_ratings == 2
    assert day.cost_usd == pytest.approx(0.0302)


async def test_zendesk_rule_selectable_and_unpriced_savings_said_so(store: Store) -> None:
    await _sample(store)
    histories = await store.db.read(sql.histories, 0, None)
    report = compute(histories, AnalyticsSettings(resolution_rule="zendesk"), since=0,
                     now=at(80))
    assert report.rule == "zendesk" and "72 h" in report.definition
    assert (report.resolved, report.assumed, report.confirmed) == (3, 1, 2)
    assert report.savings is not None and not report.savings.priced
    assert "input_cost_per_token" in report.savings.note
    # 26 hours in, Zendesk has not decided the quiet ones: they stay out of the rates.
    early = compute(histories, AnalyticsSettings(resolution_rule="zendesk"), since=0)
    assert (early.waiting, early.decided, early.resolved) == (2, 2, 0)
    assert early.automated_rate == 0.0


async def test_days_are_local_days_with_gaps_filled(store: Store) -> None:
    for days_ago in (0, 2):
        chat = await (await Chat(store).says("Do you ship abroad?")).agent("Yes.")
        await chat.age(days_ago * D)
    histories = await store.db.read(sql.histories, 0, None)
    now = time.time()
    report = compute(histories, AnalyticsSettings(timezone="Pacific/Auckland"), since=0,
                     now=now)
    zone = ZoneInfo("Pacific/Auckland")
    expected = [datetime.fromtimestamp(now - n * D, zone).date().isoformat() for n in (2, 1, 0)]
    assert [d.day for d in report.days] == expected
    assert [d.conversations for d in report.days] == [1, 0, 1]


# the stats command


def _parser() -> argparse.ArgumentParser:
    """The CLI's shape (cli.build_parser adds the same through `register`)."""
    from omnichannel.analytics.commands import register

    p = argparse.ArgumentParser(prog="omnichannel")
    p.add_argument("--config", default="config.toml")
    register(p.add_subparsers(dest="command", required=True))
    return p


def _seeded_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\nstate_dir = "state"\n[commerce]\nbackend = "none"\n{extra}')

    async def seed() -> None:
        s = Store(tmp_path / "state")
        s.open()
        try:
            await _sample(s)
        finally:
            s.close()

    asyncio.run(seed())
    return path


def test_stats_prints_the_same_numbers_as_json_csv_and_tables(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _seeded_config(tmp_path)
    args = _parser().parse_args(["--config", str(config), "stats", "--since", "7", "--json"])
    assert args.fn(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["conversations"], data["resolved"], data["automated"]) == (5, 3, 2)
    assert data["rule"] == "fin" and data["revenue"] is None
    assert {r["rule"] for r in data["rules"]} == {"fin", "zendesk"}

    args = _parser().parse_args(["--config", str(config), "stats", "--csv", "--rule",
                                 "zendesk"])
    assert args.fn(args) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["section", "name", "metric", "value"]
    figures = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert figures[("overview", "", "rule")] == "zendesk"
    assert figures[("overview", "", "resolved")] == "0"  # 26 h is not Zendesk's 72
    assert figures[("rule", "fin", "resolved")] == "3"
    assert figures[("handoff_reason", "requested", "conversations")] == "1"
    assert figures[("csat", "staff", "average")] == "2.0"

    args = _parser().parse_args(["--config", str(config), "stats"])
    assert args.fn(args) == 0
    out = capsys.readouterr().out
    assert "Resolution rules side by side" in out and "automated resolutions" in out
    line = next(x for x in out.splitlines() if x.startswith("automated resolutions"))
    assert line.split()[-2:] == ["2", "50.0%"]

    # A day before every conversation, and the future: all of them, then none.
    args = _parser().parse_args(["--config", str(config), "stats", "--since", "2000-01-01",
                                 "--json"])
    assert args.fn(args) == 0 and json.loads(capsys.readouterr().out)["conversations"] == 5
    args = _parser().parse_args(["--config", str(config), "stats", "--since", "2999-01-01",
                                 "--json"])
    assert args.fn(args) == 0 and json.loads(capsys.readouterr().out)["conversations"] == 0
    args = _parser().parse_args(["--config", str(config), "stats", "--since", "yesterday"])
    assert args.fn(args) == 64


def test_hash_password_command_makes_a_hash_the_settings_accept(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from omnichannel.analytics.passwords import verify_password
    from omnichannel.analytics.settings import DashboardSettings

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    args = _parser().parse_args(["dashboard", "hash-password"])
    assert args.fn(args) == 0
    encoded = capsys.readouterr().out.strip()
    assert encoded.startswith("scrypt$") and verify_password("correct horse battery", encoded)
    assert not verify_password("correct horse batterY", encoded)
    assert DashboardSettings(enabled=True, password_hash=encoded).enabled
    with pytest.raises(ValueError):
        DashboardSettings(enabled=True, password_hash="correct horse battery")
    with pytest.raises(ValueError):
        DashboardSettings(enabled=True)


# revenue influenced


class Shop:
    """The commerce calls revenue makes, over a few orders placed at chosen times."""

    name = "fake"

    def __init__(self, orders: dict[str, list[tuple[str, float, float, bool]]]) -> None:
        self.orders = orders  # customer -> (order id, days ago, total, cancelled)
        self.lookups: list[str] = []

    async def list_products(self) -> list[Product]:
        return [Product("p1", "Trail Boots", (Variant("i1", (), True, 89.0),))]

    async def get_promo(self, code: str) -> Promo | None:
        self.lookups.append(code)
        return Promo(code, "10% off", percent_off=10) if code == "SPRING10" else None

    async def find_customer_by_email(self, email: str) -> str | None:
        return {"ann@example.com": "c1"}.get(email)

    async def list_orders(self, customer_id: str) -> list[Order]:
        now = datetime.now(UTC)
        address = Address("1 Main St", "", "Springfield", "IL", "USA", "62701")
        return [
            Order(id=oid, customer_id=customer_id, address=address,
                  items=(OrderItem("Trail Boots", "p1", "i1", total, ()),), fulfillments=(),
                  status=OrderStatus.CANCELLED if cancelled else OrderStatus.PENDING,
                  payment_history=(), created_at=now - timedelta(days=ago))
            for oid, ago, total, cancelled in self.orders.get(customer_id, [])
        ]


async def test_revenue_influenced_follows_the_stated_attribution_rule(store: Store) -> None:
    ann = await (await Chat(store, email="ann@example.com").says("Do you have boots?")).agent(
        "The Trail Boots are 89.00 and in stock.", intent="catalog.product")
    await ann.age(3 * D)
    await store.set_status(ann.cid, Status.RESOLVED)
    ann2 = await (await Chat(store, chat_id=ann.chat_id, email="ann@example.com").says(
        "Any discount?")).agent("Use code SPRING10 at checkout for 10% off.")
    await ann2.age(1.5 * D)
    bob = await (await Chat(store).says("Is WELCOME5 valid?")).agent("It is.")
    await bob.action("lookup_promo_code", '{"code": "WELCOME5"}', customer="c2")
    await bob.age(10 * D)
    await (await Chat(store).says("Any codes?")).agent("Try SPRING10.")  # no customer
    plain = await (await Chat(store).says("How long is shipping?")).agent("3-5 days.")
    await plain.action("get_order_details", "{}", customer="c3")
    shop = Shop({
        "c1": [("o-before", 5, 50.0, False), ("o-product", 2, 89.0, False),
               ("o-cancelled", 2, 70.0, True), ("o-promo", 1, 120.0, False)],
        "c2": [("o-late", 1, 30.0, False), ("o-in-window", 8, 45.0, False)],
        "c3": [("o-unrelated", 1, 99.0, False)],
    })
    histories = await store.db.read(sql.histories, 0, None)
    v = await influenced(histories, shop, 7.0)  # type: ignore[arg-type]
    credited = {a.order_id: (a.conversation_id, a.via) for a in v.attributed}
    assert credited == {
        "o-product": (ann.cid, "product"),  # two days after the boots were suggested
        "o-promo": (ann2.cid, "promo"),  # last touch: the later conversation
        "o-in-window": (bob.cid, "promo"),  # two days after the code was looked up
    }
    assert v.orders == 3 and v.revenue == 254.0
    assert v.by_kind == {"product": 89.0, "promo": 165.0}
    assert v.conversations_with_suggestions == 4  # anon too, but no customer to follow
    assert v.conversations_with_customer == 3 and v.influencing_conversations == 3
    assert "within 7 days" in v.rule and "last touch" in v.rule
    assert shop.lookups.count("SPRING10") == 1  # each candidate code asked once
    report = await build(store, AnalyticsSettings(attribution_days=1), since=0,
                         commerce=shop)  # type: ignore[arg-type]
    assert report.revenue is not None and report.revenue.orders == 1  # only o-promo


# /metrics


async def test_metrics_parse_with_prometheus_clients_own_parser(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer
    from prometheus_client.parser import text_string_to_metric_families

    from omnichannel.adapters.loopback import LoopbackAdapter
    from omnichannel.analytics.metrics import metrics
    from omnichannel.app import GATEWAY
    from omnichannel.channel import Outbound, RetryableDeliveryError
    from tests.conftest import make_config, open_app, shut

    app = await open_app(make_config(tmp_path, "[outbox]\nmax_attempts = 2", engine="builtin"))
    if not any(r.canonical == "/metrics" for r in app.router.resources()):
        app.router.add_get("/metrics", metrics)  # what app.py mounts
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        rt = app[GATEWAY]
        loop = rt.adapters["loopback"]
        assert isinstance(loop, LoopbackAdapter)
        real_send = loop.send
        flaky: list[int] = []

        async def send(out: Outbound):  # type: ignore[no-untyped-def]
            if out.chat_id == "slow" or (out.chat_id == "flaky" and not flaky):
                flaky.append(out.outbox_id)
                raise RetryableDeliveryError("HTTP 429 Too Many Requests", retry_after=0.01)
            if out.chat_id == "crash":
                raise RuntimeError("connection reset mid-send")
            return await real_send(out)

        loop.send = send  # type: ignore[method-assign]
        await loop.say("hello", chat_id="a")
        await loop.reply("a")
        await loop.say("I want to talk to a person", chat_id="b")
        await loop.reply("b")  # the handoff notice
        await loop.say("hi", chat_id="flaky")
        await loop.reply("flaky")  # after one 429 and a retry
        slow = await loop.say("hi there", chat_id="slow")  # 429 until it fails
        crash = await loop.say("hey", chat_id="crash")
        for conv in (slow, crash):
            await until(lambda c=conv: _delivery(rt.store, c.conversation_id))
        await rt.store.commit_turn(TurnWrite(crash.conversation_id, (), [], usage={
            "model": "gpt-x", "tier": "routine", "prompt_tokens": 120, "completion_tokens": 30,
            "cost_usd": 0.0004, "calls": 2, "latency_ms": 850}))
        # A turn whose every model call failed (the rules answered): failures, no model turn.
        await rt.store.commit_turn(TurnWrite(slow.conversation_id, (), [], usage={
            "model": "gpt-x", "tier": "routine", "calls": 0, "failures": [
                {"model": "gpt-x", "error": "rate_limit", "latency_s": 0.2, "status": 429},
                {"model": "gpt-x", "error": "rate_limit", "latency_s": 0.3, "status": 429},
                {"model": "gpt-y", "error": "timeout", "latency_s": 5.0}]}))
        await rt.store.db.write(sql.record_csat, crash.conversation_id, 4, "agent")

        resp = await client.get("/metrics")
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        body = await resp.text()
    finally:
        await shut(client)
    families = {f.name: f for f in text_string_to_metric_families(body)}

    def value(sample: str, **labels: str) -> float:
        found = [s.value for f in families.values() for s in f.samples
                 if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())]
        assert len(found) == 1, (sample, labels, found)
        return found[0]

    assert families["omnichannel_inbound_messages"].type == "counter"
    assert value("omnichannel_inbound_messages_total", channel="loopback") == 5
    # Each greeting (one 429-ed then sent, one failed on 429s, one uncertain) and the
    # handoff notice.
    assert value("omnichannel_outbound_messages_total", channel="loopback") == 5
    assert value("omnichannel_outbox_messages", channel="loopback", status="sent") == 3
    assert value("omnichannel_outbox_messages", channel="loopback", status="failed") == 1
    assert value("omnichannel_outbox_uncertain", channel="loopback") == 1
    assert value("omnichannel_outbox_retries_total", channel="loopback") == 2
    assert value("omnichannel_outbox_rate_limited", channel="loopback") == 1
    # every 429 counted once: one for "flaky", two for "slow" (the second failed the row)
    assert value("omnichannel_rate_limited_total", channel="loopback") == 3
    assert value("omnichannel_outbox_depth") == 0
    assert value("omnichannel_outbox_oldest_queued_age_seconds") == 0
    assert value("omnichannel_journal_pending") == 0
    assert value("omnichannel_journal_handle_seconds_count") == 5
    assert 0 <= value("omnichannel_journal_handle_seconds", quantile="0.5") < 10
    assert value("omnichannel_handoffs_total", reason="requested") == 1
    assert value("omnichannel_conversations", status="open", owner="staff") == 1
    assert value("omnichannel_conversations", status="open", owner="agent") == 4
    assert value("omnichannel_llm_tokens_total", model="gpt-x", tier="routine",
                 kind="prompt") == 120
    assert value("omnichannel_llm_calls_total", model="gpt-x", tier="routine") == 2
    assert value("omnichannel_llm_cost_usd_total", model="gpt-x", tier="routine") == 0.0004
    assert value("omnichannel_llm_turn_seconds_sum", model="gpt-x", tier="routine") == 0.85
    assert value("omnichannel_llm_turns_total", model="gpt-x", tier="routine") == 1
    assert value("omnichannel_llm_failures_total", model="gpt-x", error="rate_limit") == 2
    assert value("omnichannel_llm_failures_total", model="gpt-y", error="timeout") == 1
    assert value("omnichannel_llm_failure_seconds_total", model="gpt-y", error="timeout") == 5
    assert value("omnichannel_csat_ratings_total", by="agent") == 1
    assert value("omnichannel_csat_score_total", by="agent") == 4
    assert value("omnichannel_component_up", component="loopback") == 1
    assert value("omnichannel_agent_turns_total") == 5


async def _delivery(store: Store, conversation_id: int) -> bool:
    """The conversation's reply has settled as failed or uncertain."""
    return any(m.delivery in ("failed", "uncertain") for h in await store.db.read(
        sql.histories, 0, None, conversation_id) for m in h.messages)


def test_metric_label_values_are_escaped() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from omnichannel.analytics.metrics import render

    snap = sql.MetricsSnapshot(handoffs={'odd "reason"\\with\nnewline': 2})
    fam = {f.name: f for f in text_string_to_metric_families(render(snap, now=0))}
    [sample] = fam["omnichannel_handoffs"].samples
    assert sample.labels == {"reason": 'odd "reason"\\with\nnewline'} and sample.value == 2


# the dashboard over HTTP (the browser test drives the same pages in Chromium)

PASSWORD = "juniper-and-pine-staff"


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[Any]:
    from aiohttp import CookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from omnichannel.analytics.dashboard import setup_dashboard
    from omnichannel.analytics.passwords import hash_password
    from omnichannel.analytics.settings import DashboardSettings
    from omnichannel.app import GATEWAY
    from tests.conftest import make_config, open_app, shut

    app = await open_app(make_config(tmp_path))
    settings = DashboardSettings(enabled=True, password_hash=hash_password(PASSWORD),
                                 max_failed_logins=3)
    gw = app[GATEWAY]
    assert setup_dashboard(app, gw, settings) and setup_dashboard(app, gw, settings)  # idempotent
    client = TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    try:
        yield client
    finally:
        await shut(client)


def _form_token(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html
    return m.group(1)


async def _sign_in(client: Any, password: str = PASSWORD, next_: str = "/dashboard") -> Any:
    page = await client.get("/dashboard/login", params={"next": next_})
    return await client.post("/dashboard/login", allow_redirects=False, data={
        "csrf": _form_token(await page.text()), "password": password, "next": next_})


async def test_dashboard_login_refuses_wrong_passwords_and_forged_forms(dashboard: Any) -> None:
    client = dashboard
    resp = await client.get("/dashboard/conversations", allow_redirects=False)
    assert resp.status == 303
    assert unquote(resp.headers["Location"]) == "/dashboard/login?next=/dashboard/conversations"
    assert (await client.get("/dashboard/conversations/rows")).status == 401

    # A login form posted without its token (another site's form) is refused.
    forged = await client.post("/dashboard/login", allow_redirects=False,
                               data={"password": PASSWORD})
    assert forged.status == 403 and "omni_dash" not in forged.cookies
    wrong = await _sign_in(client, "juniper-and-pine-stuff")
    assert wrong.status == 401 and "Wrong password." in await wrong.text()
    assert "omni_dash" not in wrong.cookies

    ok = await _sign_in(client, next_="/dashboard/conversations")
    assert ok.status == 303 and ok.headers["Location"] == "/dashboard/conversations"
    cookie = ok.cookies["omni_dash"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/dashboard" and not cookie["secure"]  # plain http here
    page = await client.get("/dashboard")
    assert page.status == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert (await client.get("/dashboard/conversations/rows")).status == 200

    # Signing out ends the session; an old cookie with another signature is nothing.
    out = await client.post("/dashboard/logout", allow_redirects=False,
                            data={"csrf": _form_token(await page.text())})
    assert out.status == 303
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303
    client.session.cookie_jar.update_cookies({"omni_dash": cookie.value[:-2] + "AA"})
    assert (await client.get("/dashboard", allow_redirects=False)).status == 303


async def test_dashboard_limits_failed_logins(dashboard: Any) -> None:
    for _ in range(3):
        assert (await _sign_in(dashboard, "guess")).status == 401
    blocked = await _sign_in(dashboard)  # even the right password waits
    assert blocked.status == 429 and "Too many failed attempts" in await blocked.text()


async def test_dashboard_staff_actions_need_the_csrf_token(dashboard: Any) -> None:
    from omnichannel.app import GATEWAY

    client = dashboard
    rt = client.server.app[GATEWAY]
    loop = rt.adapters["loopback"]
    hostile = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'
    published = await loop.say(hostile, chat_id="mallory")
    await loop.reply("mallory")
    cid = published.conversation_id
    await _sign_in(client)
    page = await client.get(f"/dashboard/conversations/{cid}")
    html = await page.text()
    assert page.status == 200
    assert "<script>window" not in html and "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert 'onerror="alert' not in html
    token = _form_token(html)

    url = f"/dashboard/conversations/{cid}/takeover"
    assert (await client.post(url, data={"csrf": "nope"})).status == 403
    assert (await client.post(url, data={"csrf": token},
                              headers={"Origin": "http://evil.example"})).status == 403
    assert (await rt.store.conversation(cid)).owner is Owner.AGENT
    done = await client.post(url, data={"csrf": token}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"].endswith("?done=takeover")
    assert (await rt.store.conversation(cid)).owner is Owner.STAFF

    reply = await client.post(f"/dashboard/conversations/{cid}/reply", allow_redirects=False,
                              data={"csrf": token, "text": "Hi, Sam from the shop here."})
    assert reply.status == 303
    sent = await loop.reply("mallory")  # through the outbox to the shopper's channel
    assert sent.text == "Hi, Sam from the shop here." and sent.role is Role.STAFF
    await client.post(f"/dashboard/conversations/{cid}/giveback", data={"csrf": token})
    assert (await rt.store.conversation(cid)).owner is Owner.AGENT
    assert "back with" in (await loop.reply("mallory")).text
    await client.post(f"/dashboard/conversations/{cid}/resolve", data={"csrf": token})
    assert (await rt.store.conversation(cid)).status is Status.RESOLVED
    page = await (await client.get(f"/dashboard/conversations/{cid}")).text()
    assert "Marked resolved" not in page and "Resolved from the dashboard" in page
    assert "owner is now staff (staff_takeover)" in page or "(takeover)" in page


def test_settings_come_from_the_config_tables_once_they_exist() -> None:
    from types import SimpleNamespace

    from omnichannel.analytics.settings import (
        DashboardSettings,
        analytics_settings,
        dashboard_settings,
    )
    from omnichannel.config import Config

    # Today's Config has no [analytics] or [dashboard]: the defaults (dashboard off).
    assert analytics_settings(Config()).resolution_rule == "fin"
    assert not dashboard_settings(Config()).enabled
    # With the tables (config.py carrying these models, or its own copies of them).
    config = SimpleNamespace(analytics=AnalyticsSettings(resolution_rule="zendesk",
                                                         fin_window_hours=12),
                             dashboard={"enabled": False, "poll_seconds": 2})
    assert analytics_settings(config).fin_window_hours == 12
    assert dashboard_settings(config) == DashboardSettings(poll_seconds=2)
    with pytest.raises(ValueError):
        AnalyticsSettings(timezone="Mars/Olympus_Mons")


def test_a_rating_pressed_or_typed_is_not_a_new_request() -> None:
    from omnichannel.analytics.resolution import Say, classify
    from omnichannel.store.analytics import MessageRow

    for text, value in (("4", "csat:4"), ("I'd give it a 5", "csat:5")):
        row = MessageRow(1, "customer", text, value, (), None, False, 0.0)
        assert classify(row) is Say.SMALLTALK  # a resolved conversation stays resolved
    assert classify(MessageRow(2, "customer", "4 of the boots", None, (), None, False, 0.0)
                    ) is Say.REQUEST
