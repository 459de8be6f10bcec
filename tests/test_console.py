"""The staff console in Slack (issue 7) against the loopback Slack fake, with signed event and
interactivity requests, the loopback channel and the web widget as the shopper's side."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from omnichannel.config import HoursConfig
from omnichannel.conversation import Owner, Role, Status
from omnichannel.hours import handoff_notice
from omnichannel.store import OutMessage, TurnWrite
from tests.conftest import Gateway
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, event_body, form, sign
from tests.support import until

CHANNEL = "C0STAFF01"
PATH = "/slack/console"


def console_toml(fake: FakeSlack, extra: str = "") -> str:
    return (f'[console.slack]\nenabled = true\nbot_token = "{BOT_TOKEN}"\n'
            f'signing_secret = "{SIGNING_SECRET}"\nchannel = "{CHANNEL}"\n'
            f'api_base = "{fake.base}"\n{extra}')


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


async def console_gateway(gateway_factory, fake: FakeSlack, extra: str = "", **kw: Any) -> Gateway:  # type: ignore[no-untyped-def]
    gw: Gateway = await gateway_factory(console_toml(fake, extra), engine="builtin", **kw)
    sup = gw.rt.supervisors["console.slack"]
    await until(lambda: sup.health.state.value == "ready")
    return gw


async def post(gw: Gateway, body: bytes, content_type: str, retry: bool = False) -> int:
    headers = {"Content-Type": content_type, **sign(body)}
    if retry:
        headers["X-Slack-Retry-Num"] = "1"
    resp = await gw.client.post(PATH, data=body, headers=headers)
    return resp.status


async def staff_says(gw: Gateway, thread_ts: str, text: str, ts: str,
                     user: str = "U0STAFF") -> int:
    event = {"type": "message", "user": user, "text": text, "ts": ts, "channel": CHANNEL,
             "thread_ts": thread_ts, "channel_type": "channel", "event_ts": ts}
    body = json.dumps(event_body(event, f"Ev{ts.replace('.', '')}")).encode()
    return await post(gw, body, "application/json")


async def press(gw: Gateway, action: str, value: str, trigger: str,
                user: str = "U0STAFF") -> int:
    payload = {"type": "block_actions", "user": {"id": user}, "trigger_id": trigger,
               "channel": {"id": CHANNEL},
               "actions": [{"action_id": action, "value": value, "type": "button"}]}
    return await post(gw, form(payload), "application/x-www-form-urlencoded")


async def thread_of(gw: Gateway, conv_id: int) -> str:
    found = await until(lambda: gw.store.thread_for(conv_id))
    return str(found[1])


def top_level(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages if not m.get("thread_ts")]


def in_thread(fake: FakeSlack, ts: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages if m.get("thread_ts") == ts]


async def handed_off(gw: Gateway, chat: str = "shopper") -> int:
    pub = await gw.loopback.say("I want to talk to a human", chat_id=chat)
    notice = await gw.loopback.reply(chat)
    assert notice.role is Role.SYSTEM
    return pub.conversation_id


# ---------------------------------------------------------------- handoff and the thread
async def test_a_handoff_opens_one_thread_with_the_packet(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    conv = await handed_off(gw)
    ts = await thread_of(gw, conv)
    packet = next(m for m in top_level(slack) if m["ts"] == ts)
    blocks = json.dumps(packet["blocks"])
    for piece in ("The shopper asked for a person", "`requested`", "*Channel:* loopback",
                  "take_over", "send_suggested", "give_back", "resolve",
                  "I want to talk to a human"):
        assert piece in blocks, piece
    console = gw.rt.supervisors["console.slack"]
    assert console.health.state.value == "ready"
    await asyncio.sleep(0.2)
    # The sync loop runs again (woken, and on its timer): still one thread.
    await gw.loopback.say("hello? anyone?")
    await asyncio.sleep(0.3)
    assert len(top_level(slack)) == 1


async def test_thread_reply_reaches_the_shopper_notes_stay_internal(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    conv = await handed_off(gw)
    ts = await thread_of(gw, conv)
    assert await staff_says(gw, ts, "note: checking the warehouse first", "1.1") == 200
    await until(lambda: any("Noted internally" in (m["text"] or "")
                            for m in in_thread(slack, ts)))
    assert await staff_says(gw, ts, "Hi, Sam here. Your parcel left today.", "1.2") == 200
    reply = await gw.loopback.reply()
    assert reply.role is Role.STAFF and reply.text == "Hi, Sam here. Your parcel left today."
    transcript = await gw.store.transcript(conv)
    notes = [m.text for m in transcript if m.role is Role.NOTE]
    assert any("checking the warehouse first" in n for n in notes)
    assert gw.loopback.queue("shopper").empty()  # the note never went out
    # Slack's retry of the same event is acknowledged and not sent twice.
    assert await post(gw, json.dumps(event_body(
        {"type": "message", "user": "U0STAFF", "text": "Hi, Sam here. Your parcel left today.",
         "ts": "1.2", "channel": CHANNEL, "thread_ts": ts}, "Ev12")).encode(),
        "application/json", retry=True) == 200
    await asyncio.sleep(0.3)
    assert gw.loopback.queue("shopper").empty()


async def test_a_thread_reply_reaches_a_web_widget_shopper(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    import aiohttp

    from tests.wsclient import ChatClient

    gw = await console_gateway(gateway_factory, slack, webchat=True)
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        chat = ChatClient(base, http)
        await chat.connect()
        await chat.send("I want to speak to a person please", "w-1")
        await chat.frame("ack")
        await chat.frame("message")  # the handoff notice
        convs = await gw.store.list_conversations()
        conv = next(c.id for c in convs if c.channel == "webchat")
        ts = await thread_of(gw, conv)
        await staff_says(gw, ts, "Hello from the team!", "2.1")
        frame = await chat.frame("message")
        assert frame["text"] == "Hello from the team!" and frame["role"] == "staff"
        await chat.close()


async def test_take_over_give_back_and_resolve(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    conv = await handed_off(gw, "other")
    ts = await thread_of(gw, conv)
    await press(gw, "give_back", str(conv), "t1")
    back = await gw.loopback.reply("other")
    assert back.role is Role.SYSTEM and "back with" in back.text
    assert (await gw.store.conversation(conv)).owner is Owner.AGENT  # type: ignore[union-attr]
    await press(gw, "take_over", str(conv), "t2")
    await until(lambda: _owner(gw, conv, Owner.STAFF))
    await press(gw, "resolve", str(conv), "t3")
    await until(lambda: _status(gw, conv, Status.RESOLVED))
    # The console says so in the thread last, after the status and the note.
    await until(lambda: all(w in " ".join(m["text"] or "" for m in in_thread(slack, ts))
                            for w in ("took over", "resolved it")))
    notes = [m.text for m in await gw.store.transcript(conv) if m.role is Role.NOTE]
    assert any("gave the conversation back" in n for n in notes)
    assert any("took the conversation over" in n for n in notes)
    assert any("resolved the conversation" in n for n in notes)
    texts = " ".join(m["text"] or "" for m in in_thread(slack, ts))
    assert "took over" in texts and "resolved it" in texts


async def _owner(gw: Gateway, conv: int, owner: Owner) -> bool:
    c = await gw.store.conversation(conv)
    return c is not None and c.owner is owner


async def _status(gw: Gateway, conv: int, status: Status) -> bool:
    c = await gw.store.conversation(conv)
    return c is not None and c.status is status


async def test_a_reply_to_an_agent_owned_conversation_asks_first(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    conv = await handed_off(gw)
    ts = await thread_of(gw, conv)
    await press(gw, "give_back", str(conv), "g1")
    await gw.loopback.reply()  # the give-back notice
    await staff_says(gw, ts, "Quick note from us: 10% off today", "3.1")
    ask = await until(lambda: next((m for m in in_thread(slack, ts)
                                    if "pending_send_once" in json.dumps(m["blocks"] or "")),
                                   None))
    key = json.loads(json.dumps(ask["blocks"]))[1]["elements"][1]["value"]
    assert gw.loopback.queue("shopper").empty()  # nothing sent before the answer
    await press(gw, "pending_send_once", key, "p1")
    await press(gw, "pending_send_once", key, "p2")  # pressed twice: sent once
    sent = await gw.loopback.reply()
    assert sent.text == "Quick note from us: 10% off today"
    await asyncio.sleep(0.3)
    assert gw.loopback.queue("shopper").empty()
    assert await _owner(gw, conv, Owner.AGENT)  # "send once" leaves the agent on


# ---------------------------------------------------------------- assisted mode
ASSISTED = '[autonomy]\ncategories = { policy = "assisted" }\n'


async def _draft(gw: Gateway, slack: FakeSlack) -> tuple[int, int, str]:
    pub = await gw.loopback.say("how long does shipping take?")
    conv = pub.conversation_id
    ts = await thread_of(gw, conv)
    msg = await until(lambda: next((m for m in in_thread(slack, ts)
                                    if "approve_draft" in json.dumps(m["blocks"] or "")),
                                   None))
    draft_id = int(msg["blocks"][1]["elements"][0]["value"])
    await expect_pending_notice(gw)
    return conv, draft_id, ts


async def expect_pending_notice(gw: Gateway, chat: str = "shopper") -> None:
    """While a draft waits the shopper is told so (once), and gets nothing else."""
    notice = await gw.loopback.reply(chat)
    assert notice.role is Role.SYSTEM and "checking my answer" in notice.text


async def test_an_approved_draft_is_sent_exactly_once(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack, ASSISTED)
    conv, draft_id, _ts = await _draft(gw, slack)
    await asyncio.sleep(0.2)
    assert gw.loopback.queue("shopper").empty()  # nothing before approval
    draft = await gw.store.draft(draft_id)
    assert draft is not None and draft.category == "policy" and draft.status == "pending"
    await press(gw, "approve_draft", str(draft_id), "a1")
    await press(gw, "approve_draft", str(draft_id), "a2")  # a double press
    sent = await gw.loopback.reply()
    assert sent.role is Role.AGENT and sent.text == draft.text
    await asyncio.sleep(0.4)
    assert gw.loopback.queue("shopper").empty()
    assert (await gw.store.draft(draft_id)).status == "sent"  # type: ignore[union-attr]
    agent = [m for m in await gw.store.transcript(conv) if m.role is Role.AGENT]
    assert len(agent) == 1


async def test_edited_draft_sends_the_edit_rejected_sends_nothing(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack, ASSISTED)
    _conv, draft_id, _ts = await _draft(gw, slack)
    await press(gw, "edit_draft", str(draft_id), "e1")
    view = await until(lambda: slack.views[0] if slack.views else None)
    assert view["private_metadata"] == str(draft_id)
    submission = {"type": "view_submission", "user": {"id": "U0STAFF"}, "trigger_id": "e2",
                  "view": {"callback_id": "edit_draft", "private_metadata": str(draft_id),
                           "state": {"values": {"reply": {"text": {
                               "type": "plain_text_input",
                               "value": "Shipping takes 3-5 business days. - Sam"}}}}}}
    assert await post(gw, form(submission), "application/x-www-form-urlencoded") == 200
    sent = await gw.loopback.reply()
    assert sent.text == "Shipping takes 3-5 business days. - Sam"
    rows = await gw.store.autonomy_rows()
    assert rows[-1][:2] == ("policy", "sent") and rows[-1][2] > 0  # the edit distance
    # A second question, rejected: nothing reaches the shopper.
    await gw.loopback.say("and what about returns?")
    second = await until(lambda: _pending(gw, draft_id))
    await expect_pending_notice(gw)
    await press(gw, "reject_draft", str(second), "r1")
    await until(lambda: _status_of(gw, second, "rejected"))
    await asyncio.sleep(0.3)
    assert gw.loopback.queue("shopper").empty()


async def _pending(gw: Gateway, after: int) -> int | None:
    for candidate in range(after + 1, after + 5):
        d = await gw.store.draft(candidate)
        if d is not None and d.status == "pending":
            return candidate
    return None


async def _status_of(gw: Gateway, draft_id: int, status: str) -> bool:
    d = await gw.store.draft(draft_id)
    return d is not None and d.status == status


async def test_agent_never_sends_while_staff_own_it_even_queued(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    conv_id = await handed_off(gw)
    await press(gw, "give_back", str(conv_id), "gb")
    await gw.loopback.reply()
    conv = await gw.store.conversation(conv_id)
    assert conv is not None and conv.owner is Owner.AGENT
    # The race: the agent's reply is filed and queued under the agent's epoch ...
    ids = await gw.store.commit_turn(TurnWrite(
        conv_id, (), [OutMessage(Role.AGENT, "agent talking", (), [("agent talking", ())])],
        owner_epoch=conv.owner_epoch))
    # ... then a person takes over before the outbox claims it.
    await press(gw, "take_over", str(conv_id), "to")
    await until(lambda: _owner(gw, conv_id, Owner.STAFF))
    gw.rt.router.outbox.kick(conv_id, ids)  # type: ignore[union-attr]
    await asyncio.sleep(0.5)
    assert gw.loopback.queue("shopper").empty()
    ts = await thread_of(gw, conv_id)
    await staff_says(gw, ts, "A person here.", "9.1")
    assert (await gw.loopback.reply()).text == "A person here."


# ---------------------------------------------------------------- hours, signatures
def test_out_of_hours_wording_names_the_next_opening() -> None:
    hours = HoursConfig(timezone="Europe/Berlin", holidays=["2026-12-25"])
    inside, outside = "A person will reply shortly.", "We're back {next_open}."
    wed_noon = datetime(2026, 12, 23, 11, 0, tzinfo=UTC)  # 12:00 in Berlin
    assert handoff_notice(inside, outside, hours, wed_noon) == inside
    thu_night = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)  # then Christmas Day is closed
    assert handoff_notice(inside, outside, hours, thu_night) == "We're back Monday at 9:00."
    sat = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert handoff_notice(inside, outside, hours, sat) == "We're back Monday at 9:00."
    early = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 7:00 on a Wednesday
    assert handoff_notice(inside, outside, hours, early) == "We're back today at 9:00."


async def test_out_of_hours_handoff_tells_the_shopper_when(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    closed = ('[handoff.hours]\ntimezone = "UTC"\nmon = ""\ntue = ""\nwed = ""\nthu = ""\n'
              'fri = ""\nsat = ""\nsun = "00:00-00:01"\n')
    gw = await gateway_factory(closed, engine="builtin")
    await gw.loopback.say("I want a human")
    notice = await gw.loopback.reply()
    assert "They're away right now" in notice.text and "at 0:00" in notice.text


async def test_unsigned_or_stale_console_requests_are_refused(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    body = form({"type": "block_actions", "actions": []})
    resp = await gw.client.post(PATH, data=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 401
    stale = sign(body, int(time.time()) - 600)
    resp = await gw.client.post(PATH, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", **stale})
    assert resp.status == 401


# ---------------------------------------------------------------- the autonomy ladder
async def test_recorded_approvals_suggest_promotion_and_regression_demotion(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from omnichannel.channel import Inbound
    from omnichannel.console import autonomy
    from omnichannel.store import Store
    from omnichannel.store import staff as staff_sql
    from tests.support import ROOT, write_config

    config = write_config(tmp_path, 1, '[autonomy]\nmin_drafts = 5\n'
                          'categories = { policy = "assisted", refund = "assisted", '
                          'cancel = "off" }\n')
    store = Store(tmp_path / "state")
    store.open()
    try:
        pub = await store.journal(Inbound("loopback", "default", "e1", "c", "c", "hi"))

        def record(conn, category, outcome, distance=0):  # type: ignore[no-untyped-def]
            status = "shadow" if outcome == "shadow" else "pending"
            draft_id = staff_sql.add_draft(conn, pub.conversation_id, category, "assisted",
                                           "Our return window is 30 days.", (), [], status)
            if outcome == "shadow":
                staff_sql.score_shadow(conn, draft_id, "staff text", distance)
            elif outcome == "rejected":
                staff_sql.decide_draft(conn, draft_id, "rejected", "U1", None, None)
            else:
                staff_sql.decide_draft(conn, draft_id, "approved", "U1", "x", distance)
                staff_sql.finish_draft(conn, draft_id, "sent")

        for _ in range(9):
            await store.db.write(record, "policy", "sent")
        await store.db.write(record, "policy", "sent", 12)  # one edit: 90% unchanged
        for outcome in ("sent", "sent", "rejected", "rejected", "rejected", "sent"):
            await store.db.write(record, "refund", outcome)
        for _ in range(5):
            await store.db.write(record, "cancel", "shadow", 3)
    finally:
        store.close()
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "omnichannel", "--config", str(config),
                         "autonomy", "--json"], capture_output=True, text=True, cwd=ROOT,
        timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by = {c["category"]: c for c in report["categories"]}
    assert by["policy"]["unchanged"] == 9 and by["policy"]["edited"] == 1
    assert by["refund"]["rejected"] == 3
    advice = report["suggestions"]
    assert any(a.startswith("promote policy: assisted -> autonomous") for a in advice)
    assert any(a.startswith("demote refund: assisted -> off") for a in advice)
    assert any(a.startswith("promote cancel: off -> assisted") for a in advice)
    assert all("[autonomy.categories]" in a for a in advice)  # a person applies it
    stats = autonomy.tally([("policy", "sent", 0, "assisted")] * 3,
                           autonomy.AutonomyConfig(min_drafts=5, categories={
                               "policy": "assisted"}))
    assert autonomy.suggestions(stats, autonomy.AutonomyConfig(min_drafts=5)) == []


# ---------------------------------------------------------------- assisted writes
async def test_an_assisted_cancel_runs_only_when_staff_approve(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.commerce import OrderStatus
    from omnichannel.commerce.taubench import TaubenchCommerce
    from tests.support import require_taubench

    base = TaubenchCommerce.load(require_taubench())
    gw = await console_gateway(gateway_factory, slack,
                               '[autonomy]\ncategories = { cancel = "assisted" }\n'
                               "[guardrails]\nmax_refund_per_order = 0\n"
                               "max_refund_per_customer_30d = 0\nmax_refund_per_day = 0\n")
    shop = gw.rt.router.commerce = base.clone()  # type: ignore[union-attr]
    await gw.loopback.say("I'm Olivia Ito, zip 80218. Please cancel order #W5442520, I no "
                          "longer need it.")
    conv = (await until(gw.store.list_conversations))[0].id
    ts = await thread_of(gw, conv)

    async def next_draft(seen: int) -> dict[str, Any]:
        return await until(lambda: next((m for m in in_thread(slack, ts)[seen:]
                                         if "approve_draft" in json.dumps(m["blocks"] or "")),
                                        None))

    # In an assisted category every reply is a draft, the confirmation question too.
    first = await next_draft(0)
    await expect_pending_notice(gw)
    assert gw.loopback.queue("shopper").empty()
    await press(gw, "approve_draft", first["blocks"][1]["elements"][0]["value"], "ok0")
    ask = await gw.loopback.reply()
    assert ask.text.endswith("Shall I go ahead?")
    seen = len(in_thread(slack, ts))
    await gw.loopback.say("yes", button_value="yes")
    msg = await next_draft(seen)
    assert "cancel_pending_order" in json.dumps(msg["blocks"])  # staff see the write
    assert (await shop.get_order("#W5442520")).status is OrderStatus.PENDING  # not yet
    await expect_pending_notice(gw)
    assert gw.loopback.queue("shopper").empty()
    draft_id = int(msg["blocks"][1]["elements"][0]["value"])
    await press(gw, "approve_draft", str(draft_id), "ok1")
    done = await gw.loopback.reply()
    assert done.text.startswith("Done: the order is cancelled")
    assert (await shop.get_order("#W5442520")).status is OrderStatus.CANCELLED

    def who(conn):  # type: ignore[no-untyped-def]
        return [r[0] for r in conn.execute("SELECT approved_by FROM actions WHERE tool = "
                                           "'cancel_pending_order' AND approved_by IS NOT NULL")]

    assert await gw.store.db.read(who) == ["staff:U0STAFF"]


# ---------------------------------------------------------------- satisfaction rating
async def test_csat_is_asked_once_after_a_resolution_and_recorded(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(engine="builtin")
    await gw.loopback.say("how long does shipping take?")
    await gw.loopback.reply()
    pub = await gw.loopback.say("thanks, that's all")
    await gw.loopback.reply()  # "You're welcome! ..."
    question = await gw.loopback.reply()
    assert question.role is Role.SYSTEM and "rate this conversation" in question.text
    assert [b.value for b in question.buttons] == [f"csat:{n}" for n in range(1, 6)] or \
        "Reply with a number" in question.text
    await gw.loopback.say("thank you!")  # a second thank-you: not asked again
    await gw.loopback.reply()
    await asyncio.sleep(0.3)
    assert gw.loopback.queue("shopper").empty()
    await gw.loopback.say("4", button_value="csat:4")
    assert (await gw.loopback.reply()).text == "Thank you for your rating!"
    await gw.loopback.say("5", button_value="csat:5")  # rated once
    await asyncio.sleep(0.3)
    assert gw.loopback.queue("shopper").empty()

    def ratings(conn):  # type: ignore[no-untyped-def]
        return [json.loads(r[0]) for r in conn.execute(
            "SELECT detail FROM events WHERE kind = 'csat' AND conversation_id = ?",
            (pub.conversation_id,))]

    assert await gw.store.db.read(ratings) == [{"score": 4, "by": "agent"}]


async def test_csat_after_a_staff_resolve_never_after_anger(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack)
    conv = await handed_off(gw)
    ts = await thread_of(gw, conv)
    await staff_says(gw, ts, "Sorted: a new one ships today.", "7.1")
    await gw.loopback.reply()
    await press(gw, "resolve", str(conv), "rs")
    question = await gw.loopback.reply()
    assert "rate this conversation" in question.text
    await gw.loopback.say("5", button_value="csat:5")  # lands on the resolved conversation
    assert (await gw.loopback.reply()).text == "Thank you for your rating!"
    convs = await gw.store.list_conversations()
    assert [c.id for c in convs] == [conv]  # no new conversation for the rating

    def rating(conn):  # type: ignore[no-untyped-def]
        return [json.loads(r[0]) for r in conn.execute(
            "SELECT detail FROM events WHERE kind = 'csat'")]

    assert await gw.store.db.read(rating) == [{"score": 5, "by": "staff"}]
    angry = await handed_off_angrily(gw)
    ts2 = await thread_of(gw, angry)
    await press(gw, "resolve", str(angry), "rs2")
    await until(lambda: any("resolved it." in (m["text"] or "") for m in in_thread(slack, ts2)))
    await asyncio.sleep(0.3)
    assert gw.loopback.queue("angry").empty()  # no rating asked after anger


async def handed_off_angrily(gw: Gateway) -> int:
    pub = await gw.loopback.say("This is ridiculous, you people are useless and I am furious!",
                                chat_id="angry")
    await until(lambda: _owner(gw, pub.conversation_id, Owner.STAFF))
    await asyncio.sleep(0.3)
    while not gw.loopback.queue("angry").empty():  # the reply and the notice
        await gw.loopback.reply("angry")
    return pub.conversation_id


# ---------------------------------------------------------------- the shopper's language
async def test_staff_see_the_conversations_language(gateway_factory, slack, capsys) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.console import inbox
    from omnichannel.staffconsole import blocks as packets

    gw = await console_gateway(gateway_factory, slack)
    pub = await gw.loopback.say("Hola, quiero hablar con una persona, por favor.",
                                chat_id="ana")
    notice = await gw.loopback.reply("ana")
    assert notice.role is Role.SYSTEM
    ts = await thread_of(gw, pub.conversation_id)
    packet = next(m for m in top_level(slack) if m["ts"] == ts)
    assert "*Language:* Spanish" in json.dumps(packet["blocks"])
    assert await inbox.show(gw.store, pub.conversation_id) == 0
    assert "language=Spanish" in capsys.readouterr().out
    assert await inbox.conversations(gw.store, show_all=False, limit=10, as_json=False) == 0
    assert "Spanish" in capsys.readouterr().out
    assert await inbox.conversations(gw.store, show_all=True, limit=10, as_json=True) == 0
    assert '"language": "es"' in capsys.readouterr().out
    _, unknown = packets.packet({"conversation_id": 9, "channel": "sms", "owner": "staff"})
    assert "*Language:* not yet known" in json.dumps(unknown)
