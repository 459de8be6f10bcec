"""The Slack adapter, driven through a real in-process gateway.

Slack's side is played by tests/fake_slack.py (the Web API and Socket Mode on 127.0.0.1,
reached by the real slack_sdk through api_base) and by signed Events API / interactivity
requests to the gateway's own route, which the real Bolt app answers.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from omnichannel.adapters.slack import SlackAdapter, SlackConfig
from omnichannel.adapters.slack.mrkdwn import blocks, render, sections
from omnichannel.adapters.slack.parse import Scope, parse_action, parse_event, plain
from omnichannel.channel import (
    AdapterAuthFailed,
    AdapterNotReady,
    Button,
    DeliveryError,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
    Role,
)
from omnichannel.gateway import GatewayContext
from omnichannel.supervisor import State
from tests.conftest import Gateway
from tests.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    dm,
    event_body,
    form,
    sign,
)
from tests.support import ROOT, attach_adapter, detach_adapter, free_port, settle, until

FIXTURES = ROOT.parent / "shared" / "fixtures" / "slack"
NAME = "slack"
HOOK = "/hooks/slack/events"
SUPPORT = "C111"  # the fixtures' channel, configured as a support channel here


def fixture_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.json"))
    if not files:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Slack fixtures missing at {FIXTURES}", pytrace=False)
        pytest.skip(f"Slack fixtures not found at {FIXTURES}")
    return files


def load(name: str) -> dict[str, Any]:
    path = FIXTURES / name
    if not path.is_file():
        fixture_files()  # fails in CI, skips elsewhere
        if os.environ.get("CI") == "true":
            pytest.fail(f"fixture {path} missing", pytrace=False)
        pytest.skip(f"{path} not found")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# ---------------------------------------------------------------- gateway helpers


def settings(fake: FakeSlack | str, **extra: Any) -> SlackConfig:
    base = fake.base if isinstance(fake, FakeSlack) else fake
    return SlackConfig.model_validate({
        "enabled": True, "bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET,
        "api_base": base, "support_channels": [SUPPORT], **extra})


async def attach(gw: Gateway, config: SlackConfig) -> SlackAdapter:
    return await attach_adapter(gw, NAME, SlackAdapter(config))  # type: ignore[no-any-return]




async def detach(gw: Gateway) -> None:
    await detach_adapter(gw, NAME)


async def post(gw: Gateway, body: Any = None, *, raw: bytes | None = None,
               signed: bool = True, timestamp: int | None = None, secret: str = SIGNING_SECRET,
               headers: dict[str, str] | None = None) -> tuple[int, str]:
    """A request as Slack makes it: JSON for events, `payload=` form for interactivity."""
    interactive = isinstance(body, dict) and body.get("type") in (
        "block_actions", "view_submission", "view_closed", "shortcut", "message_action")
    data = raw if raw is not None else (form(body) if interactive else json.dumps(body).encode())
    as_form = interactive or (raw is not None and raw[:1].isalpha())  # ssl_check=1, command=
    sent = {"Content-Type": "application/x-www-form-urlencoded" if as_form
            else "application/json"}
    if signed:
        sent.update(sign(data, timestamp, secret))
    sent.update(headers or {})
    resp = await gw.client.post(HOOK, data=data, headers=sent)
    return resp.status, await resp.text()


async def journal(gw: Gateway) -> list[tuple[str, str, int]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT external_id, chat_id, message_id FROM journal WHERE channel = ? ORDER BY id",
            (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def customer_texts(gw: Gateway) -> list[tuple[str, str | None]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT m.text, m.button_value FROM messages m JOIN conversations c "
            "ON c.id = m.conversation_id WHERE c.channel = ? AND m.role = 'customer' "
            "ORDER BY m.id", (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def outbox_rows(gw: Gateway) -> list[tuple[str, int, str | None]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT status, attempts, error FROM outbox WHERE channel = ? ORDER BY id",
            (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def reply(fake: FakeSlack, timeout: float = 10) -> dict[str, Any]:
    return await asyncio.wait_for(fake.posted.get(), timeout)


class SlackDriver:
    """The contract suite's driver: signed DM events in, the fake Web API out."""

    name = NAME
    chat = "D0CONTRACT"
    # Slack answers channel_not_found for a chat id that names no channel.
    unknown_chat_is_permanent = True

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.fake = FakeSlack()
        self.adapter: SlackAdapter | None = None
        self.ts: dict[str, str] = {}

    async def open(self) -> str:
        await self.fake.start()
        self.adapter = await attach(self.gw, settings(self.fake))
        assert self.gw.rt.supervisors[NAME].health.state is State.READY
        return self.chat

    async def inject(self, text: str, event_id: str) -> int | None:
        ts = self.ts.setdefault(event_id, f"{1710000000 + len(self.ts)}.000200")
        status, answer = await post(self.gw, event_body(dm(text, ts, channel=self.chat),
                                                        f"Ev{event_id}"))
        if status != 200:
            raise RuntimeError(f"events endpoint answered {status}: {answer}")
        ids = {e: m for e, _c, m in await journal(self.gw)}
        return ids.get(f"{self.chat}:{ts}")

    async def received(self) -> dict[str, Any]:
        message = await reply(self.fake)
        return {"text": message["text"], "payload": message}

    async def close(self) -> None:
        await detach(self.gw)
        await self.fake.stop()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    f = await FakeSlack().start()
    yield f
    await f.stop()


@pytest.fixture
async def slack(gateway_factory, fake) -> AsyncIterator[tuple[Gateway, SlackAdapter]]:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(fake))
    yield gw, adapter
    await detach(gw)


def out(text: str = "hello", buttons: tuple[Button, ...] = (),
        chat: str = "D0SHOPPER") -> Outbound:
    return Outbound(outbox_id=1, conversation_id=1, chat_id=chat, role=Role.AGENT, text=text,
                    buttons=buttons)


# ---------------------------------------------------------------- every fixture

SCOPE = Scope(BOT_USER_ID, frozenset({SUPPORT}))
# file -> (external id, chat id, sender, text, button value), or the reason it is ignored,
# or "challenge" for the URL handshake.
Expect = tuple[str, str, str, str, str | None] | str
EXPECTED: dict[str, Expect] = {
    "event_callback_app_mention.json": (
        "C111:1595926230.009600", "C111:1595926230.009600", "W222", "Hi there!", None),
    "event_callback_bot_message_subtype.json": "message subtype bot_message",
    "event_callback_message_changed.json": "message subtype message_changed",
    # From W111, which is our own bot user in these fixtures.
    "event_callback_message_channel.json": "our own message",
    "event_callback_message_deleted.json": "message subtype message_deleted",
    "event_callback_message_file_share.json": (
        "C111:1652227646.593159", "C111:1652227646.593159", "U111",
        "Hi there!\n[file: file.png (PNG)]", None),
    "event_callback_message_from_app_bot_id.json": "bot message",
    "event_callback_message_im_thread_reply.json": (
        "D111:1726133700.887259", "D111:1726133698.626339", "W222",
        "When Slack was released?", None),
    "event_callback_message_thread_broadcast.json": (
        "C111:1633670813.007500", "C111:1633663824.000500", "U111", "Hi there!", None),
    "event_callback_message_thread_reply_channel.json": (
        "C111:1726133700.887259", "C111:1726133698.626339", "W222",
        "When Slack was released?", None),
    "interactivity_block_actions_button.json": (
        "action:111.222.valid", "C111:111.222", "W111", "Button", "click_me_123"),
    "interactivity_view_submission.json": "interaction view_submission",
    "url_verification.json": "challenge",
}


def test_every_fixture_file_has_an_expectation() -> None:
    assert {p.name for p in fixture_files()} == set(EXPECTED), \
        "new fixture: add what it should normalise to"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalises(name: str) -> None:
    body = load(name)
    want = EXPECTED[name]
    if want == "challenge":
        assert body["type"] == "url_verification" and body["challenge"]
        return
    if name.startswith("interactivity_"):
        parsed = parse_action(body, NAME, "default")
    else:
        parsed = parse_event(body, NAME, "default", SCOPE)
    if isinstance(want, str):
        assert parsed.inbound is None and parsed.ignored == want
        return
    got = parsed.inbound
    assert got is not None and not parsed.needs_known_thread
    assert (got.external_id, got.chat_id, got.sender_id, got.text, got.button_value) == want
    assert (got.channel, got.account) == (NAME, "default")
    ts = body["actions"][0]["action_ts"] if "actions" in body else body["event"]["ts"]
    assert got.received_at == datetime.fromtimestamp(float(ts), UTC)


def test_channel_messages_need_a_mention_a_support_channel_or_our_thread() -> None:
    body = load("event_callback_message_thread_reply_channel.json")
    elsewhere = Scope(BOT_USER_ID)  # C111 not a support channel
    parsed = parse_event(body, NAME, "default", elsewhere)
    assert parsed.inbound is not None and parsed.needs_known_thread  # ours only if known
    top = copy.deepcopy(load("event_callback_message_channel.json"))
    top["event"]["user"] = "U777"
    assert parse_event(top, NAME, "default", elsewhere).ignored == \
        "channel message without a mention"
    top["event"]["text"] = f"<@{BOT_USER_ID}> where is my order?"
    got = parse_event(top, NAME, "default", elsewhere).inbound
    assert got is not None and got.text == "where is my order?"
    assert got.chat_id == "C111:1596183880.004200"  # answered in the message's thread
    im = copy.deepcopy(load("event_callback_message_im_thread_reply.json"))
    del im["event"]["thread_ts"]
    got = parse_event(im, NAME, "default", elsewhere).inbound
    assert got is not None and got.chat_id == "D111"  # a DM is answered at top level


def test_slack_markup_in_shopper_text_becomes_plain() -> None:
    text = (f"<@{BOT_USER_ID}> order <https://shop.example/o/1|#1001> &amp; "
            "<https://x.example> to <mailto:a@b.example|a@b.example> cc <@U9> in <#C1|sales> "
            "<!here> 2 &lt; 3")
    assert plain(f"hi <@{BOT_USER_ID}>  can you\n    help?", BOT_USER_ID) == \
        "hi can you\n    help?"  # only the gap our mention leaves is closed
    assert plain(text, BOT_USER_ID) == ("order #1001 (https://shop.example/o/1) & "
                                        "https://x.example to a@b.example cc @U9 in #sales "
                                        "@here 2 < 3")


async def test_every_fixture_through_the_route(slack, caplog) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    caplog.set_level(logging.INFO, logger="omnichannel.adapters.slack")
    for path in fixture_files():
        status, text = await post(gw, json.loads(path.read_bytes()))
        assert status == 200, (path.name, text)
        if path.name == "url_verification.json":
            assert json.loads(text) == {"challenge": load(path.name)["challenge"]}
    stored = await journal(gw)
    want = {(w[0], w[1]) for w in EXPECTED.values() if isinstance(w, tuple)}
    assert {(e, c) for e, c, _m in stored} == want and len(stored) == len(want)
    assert sorted(await customer_texts(gw)) == sorted(
        (w[3], w[4]) for w in EXPECTED.values() if isinstance(w, tuple))
    ignored = [r for r in caplog.records if r.getMessage() in (
        "slack event ignored", "slack request ignored")]
    assert len(ignored) >= 4  # edits, deletions, other bots, the modal: each with a log line


# ---------------------------------------------------------------- request security


async def test_unsigned_wrongly_signed_and_stale_requests_get_401(slack) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    body = event_body(dm("let me in", "1710000001.000100"), "EvSig1")
    raw = json.dumps(body).encode()
    now = int(time.time())
    assert (await post(gw, raw=raw, signed=False))[0] == 401
    assert (await post(gw, raw=raw, secret="not-the-secret"))[0] == 401
    assert (await post(gw, raw=raw, timestamp=now - 6 * 60))[0] == 401  # replayed
    assert (await post(gw, raw=raw, timestamp=now + 6 * 60))[0] == 401
    headers = sign(raw)
    altered = raw.replace(b"let me in", b"LET ME IN")
    assert (await post(gw, raw=altered, signed=False, headers=headers))[0] == 401
    assert (await post(gw, raw=raw, signed=False, headers={
        "X-Slack-Signature": headers["X-Slack-Signature"],
        "X-Slack-Request-Timestamp": "soon"}))[0] == 401
    assert (await post(gw, raw=raw, signed=False, headers={
        "X-Slack-Request-Timestamp": str(now)}))[0] == 401
    challenge = json.dumps(load("url_verification.json")).encode()
    status, text = await post(gw, raw=challenge, signed=False)
    assert status == 401 and "challenge" not in text  # the handshake is signed too
    assert await journal(gw) == []
    assert await gw.store.list_conversations() == []
    assert (await post(gw, raw=raw))[0] == 200
    assert [e for e, _c, _m in await journal(gw)] == ["D0SHOPPER:1710000001.000100"]


async def test_malformed_bodies_get_400_and_store_nothing(slack) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    for raw in (b"{not json", b"\xff\xfe{", b"", b"payload=%7Bbroken"):
        status, _text = await post(gw, raw=raw)
        assert status == 400, raw
    status, text = await post(gw, {"type": "event_callback", "event": "x"})
    assert status == 400 and "event" in text
    status, _text = await post(gw, {"event": {"type": "message"}})
    assert status == 400
    no_ts = event_body(dm("hi", "1.0"), "EvBad")
    del no_ts["event"]["ts"]
    status, text = await post(gw, no_ts)
    assert status == 400 and "ts" in text
    broken = copy.deepcopy(load("interactivity_block_actions_button.json"))
    broken["actions"] = [{"type": "button", "value": "v", "action_id": "a"}]
    del broken["user"]
    assert (await post(gw, broken))[0] == 400
    assert await journal(gw) == []


async def test_unknown_events_are_acknowledged_and_logged(slack, caplog) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    caplog.set_level(logging.INFO, logger="omnichannel.adapters.slack")
    reaction = event_body({"type": "reaction_added", "user": "U1", "reaction": "tada",
                           "item": {"type": "message", "channel": "C111", "ts": "1.2"},
                           "event_ts": "1.3"}, "EvReact")
    assert (await post(gw, reaction))[0] == 200
    assert (await post(gw, {"type": "app_rate_limited", "team_id": "T111",
                            "minute_rate_limited": 1518467820}))[0] == 200
    assert (await post(gw, raw=b"ssl_check=1&token=legacy"))[0] == 200  # Slack's probe
    command = b"command=%2Fshop&text=hello&user_id=U1&channel_id=C111&team_id=T111"
    assert (await post(gw, raw=command))[0] == 200  # a slash command pointed here
    logged = [(r.getMessage(), getattr(r, "event_type", None), getattr(r, "type", None))
              for r in caplog.records]
    assert ("slack request ignored", "reaction_added", "event_callback") in logged
    assert ("slack request ignored", None, "app_rate_limited") in logged
    assert await journal(gw) == []


async def test_giant_bodies_are_refused_with_413(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await attach(gw, settings(fake, max_body_bytes=2048))
    try:
        big = event_body(dm("x" * 4000, "1710000002.000100"), "EvBig")
        status, _text = await post(gw, big)
        assert status == 413

        async def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: read, then cut
            yield json.dumps(big).encode()

        raw = json.dumps(big).encode()
        resp = await gw.client.post(HOOK, data=chunks(), headers={
            **sign(raw), "Content-Type": "application/json"})
        assert resp.status == 413
        assert await journal(gw) == []
        assert (await post(gw, event_body(dm("small", "1710000003.000100"), "EvOk")))[0] == 200
    finally:
        await detach(gw)


async def test_no_ack_when_the_journal_write_fails(slack) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    router = gw.rt.router

    async def failing(inbound):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    body = event_body(dm("are you there?", "1710000004.000100"), "EvLost")
    original, router.publish = router.publish, failing
    try:
        assert (await post(gw, body))[0] == 500
        press = copy.deepcopy(load("interactivity_block_actions_button.json"))
        assert (await post(gw, press))[0] == 500
    finally:
        router.publish = original
    status, _text = await post(gw, body, headers={"X-Slack-Retry-Num": "1",
                                                  "X-Slack-Retry-Reason": "http_error"})
    assert status == 200  # Slack's retry lands
    assert [e for e, _c, _m in await journal(gw)] == ["D0SHOPPER:1710000004.000100"]


# ---------------------------------------------------------------- through bolt and the web client


async def test_message_in_reply_out_in_the_right_place(slack, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    assert (await post(gw, event_body(dm("where is *my* order?", "1710000010.000100"),
                                      "EvDM1")))[0] == 200
    answer = await reply(fake)
    assert answer["channel"] == "D0SHOPPER" and answer["thread_ts"] is None
    assert answer["text"] == "where is *my* order?"
    call = fake.method_calls("chat.postMessage")[-1]
    assert call.token == BOT_TOKEN and "blocks" not in call.args
    # A mention in a channel: answered in the thread of the shopper's message.
    mention = {"type": "app_mention", "user": "U0CHAN", "ts": "1710000011.000100",
               "channel": "C0PUBLIC", "text": f"<@{BOT_USER_ID}> do you ship to Oslo?",
               "event_ts": "1710000011.000100"}
    assert (await post(gw, event_body(mention, "EvM1")))[0] == 200
    same_message = {**mention, "type": "message", "channel_type": "channel"}
    assert (await post(gw, event_body(same_message, "EvM2")))[0] == 200  # both callbacks
    answer = await reply(fake)
    assert (answer["channel"], answer["thread_ts"]) == ("C0PUBLIC", "1710000011.000100")
    assert answer["text"] == "do you ship to Oslo?"
    # A follow-up in that thread needs no mention; one in a stranger's thread is not ours.
    follow = {"type": "message", "user": "U0CHAN", "ts": "1710000012.000100",
              "thread_ts": "1710000011.000100", "channel": "C0PUBLIC",
              "channel_type": "channel", "text": "and to Bergen?"}
    assert (await post(gw, event_body(follow, "EvM3")))[0] == 200
    answer = await reply(fake)
    assert (answer["thread_ts"], answer["text"]) == ("1710000011.000100", "and to Bergen?")
    stranger = {**follow, "ts": "1710000013.000100", "thread_ts": "1700000000.000001",
                "text": "chatting among ourselves"}
    assert (await post(gw, event_body(stranger, "EvM4")))[0] == 200
    await settle(gw, NAME)
    assert fake.posted.empty()
    assert len(await journal(gw)) == 3


async def test_duplicate_event_with_retry_header_is_answered_once(slack, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    body = event_body(dm("only once please", "1710000020.000100"), "EvDup")
    assert (await post(gw, body))[0] == 200
    for n in ("1", "2"):
        status, _text = await post(gw, body, headers={"X-Slack-Retry-Num": n,
                                                      "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
    assert (await reply(fake))["text"] == "only once please"
    assert (await post(gw, event_body(dm("next", "1710000021.000100"), "EvNext")))[0] == 200
    assert (await reply(fake))["text"] == "next"  # not a second "only once please"
    assert len(await journal(gw)) == 2


async def test_buttons_go_out_as_block_kit_and_a_press_comes_back(slack, fake) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = slack
    assert (await post(gw, event_body(dm("hi", "1710000030.000100"), "EvB0")))[0] == 200
    await reply(fake)
    choices = (Button("Track my order", "track"), Button("Return <an> item & more", "return"))
    receipt = await adapter.send(out("**Pick one:**", choices))
    sent = await reply(fake)
    assert receipt.platform_message_id == f"D0SHOPPER:{sent['ts']}"
    assert sent["text"] == "*Pick one:*"  # the notification fallback
    assert sent["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Pick one:*"}},
        {"type": "actions", "block_id": "omni_buttons", "elements": [
            {"type": "button", "action_id": "omni_button_0", "value": "track",
             "text": {"type": "plain_text", "text": "Track my order", "emoji": True}},
            {"type": "button", "action_id": "omni_button_1", "value": "return",
             "text": {"type": "plain_text", "text": "Return <an> item & more",
                      "emoji": True}}]}]
    press = copy.deepcopy(load("interactivity_block_actions_button.json"))
    press.update({"trigger_id": "999.888.press", "user": {"id": "U0SHOPPER", "name": "ana"},
                  "container": {"type": "message", "message_ts": sent["ts"],
                                "channel_id": "D0SHOPPER", "is_ephemeral": False},
                  "channel": {"id": "D0SHOPPER", "name": "directmessage"}})
    press["actions"][0].update({"action_id": "omni_button_0", "value": "track",
                                "text": {"type": "plain_text", "text": "Track my order"}})
    status, _text = await post(gw, press)
    assert status == 200
    assert (await post(gw, press))[0] == 200  # the same interaction again: stored once
    echoed = await reply(fake)
    assert (echoed["channel"], echoed["thread_ts"], echoed["text"]) == (
        "D0SHOPPER", None, "Track my order")
    assert (await customer_texts(gw))[-1] == ("Track my order", "track")
    assert [e for e, _c, _m in await journal(gw)][-1] == "action:999.888.press"
    await settle(gw, NAME)
    assert fake.posted.empty()


async def test_a_short_429_is_waited_out_and_a_long_one_goes_to_the_outbox(slack, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = slack
    fake.rate_limit_next(1)
    started = time.monotonic()
    await adapter.send(out("after the wait"))
    assert (await reply(fake))["text"] == "after the wait"
    first, second = fake.method_calls("chat.postMessage")[-2:]
    assert second.at - first.at >= 1.0 and time.monotonic() - started < 5
    fake.rate_limit_next(30)
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out("too soon"))
    assert exc.value.retry_after == 30.0 and "429" in str(exc.value)
    fake.rate_limit_next(0)
    fake.rate_limit_next(0)  # survives the one in-call retry
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out("still too soon"))
    assert exc.value.retry_after == 0.0
    assert fake.posted.empty()


async def test_the_outbox_honours_retry_after(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await attach(gw, settings(fake, rate_limit_max_wait=0))
    try:
        fake.rate_limit_next(1)
        assert (await post(gw, event_body(dm("patience", "1710000040.000100"), "EvRL")))[0] \
            == 200
        assert (await reply(fake))["text"] == "patience"
        refused, landed = fake.method_calls("chat.postMessage")
        assert landed.at - refused.at >= 1.0
        await settle(gw, NAME)
        assert [(st, n) for st, n, _e in await outbox_rows(gw)] == [("sent", 2)]
        assert fake.posted.empty()
    finally:
        await detach(gw)


async def test_a_dropped_connection_and_a_short_outage_deliver_once(slack, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = slack
    fake.drop = 1  # the SDK's connection retry sends it again on a new connection
    assert (await post(gw, event_body(dm("first", "1710000050.000100"), "EvDrop1")))[0] == 200
    assert (await reply(fake))["text"] == "first" and fake.drop == 0
    await fake.stop()  # Slack down: connections refused; the outbox keeps the reply
    assert (await post(gw, event_body(dm("second", "1710000051.000100"), "EvDrop2")))[0] \
        == 200
    await until(lambda: _retried(gw), timeout=10)
    await fake.start()
    assert (await reply(fake))["text"] == "second"
    await settle(gw, NAME)
    assert [m["text"] for m in fake.messages] == ["first", "second"]
    assert [s for s, _a, _e in await outbox_rows(gw)] == ["sent", "sent"]


async def _retried(gw: Gateway) -> bool:
    rows = await outbox_rows(gw)
    return len(rows) == 2 and rows[1][1] >= 1 and "unreachable" in (rows[1][2] or "")


async def test_slack_errors_map_to_delivery_errors(slack, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = slack
    for code in ("invalid_auth", "not_in_channel", "channel_not_found", "is_archived",
                 "msg_too_long"):
        fake.fail_next(code)
        with pytest.raises(PermanentDeliveryError) as perm:
            await adapter.send(out())
        assert code in str(perm.value)
    fake.not_in_channel.add("C0PRIVATE")
    with pytest.raises(PermanentDeliveryError):
        await adapter.send(out(chat="C0PRIVATE:1700000000.000001"))
    with pytest.raises(PermanentDeliveryError):
        await adapter.send(out(chat="nobody-here"))
    fake.fail_next("service_unavailable", 503)
    with pytest.raises(RetryableDeliveryError) as retry:
        await adapter.send(out())
    assert retry.value.retry_after is None
    fake.fail_next("internal_error", 500)  # may have been posted: never resent blindly
    with pytest.raises(DeliveryError) as unsure:
        await adapter.send(out())
    assert not isinstance(unsure.value, (PermanentDeliveryError, RetryableDeliveryError))
    assert fake.posted.empty()
    assert BOT_TOKEN not in str(unsure.value) and BOT_TOKEN not in str(retry.value)


async def test_long_text_with_buttons_is_split_into_sections(slack, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = slack
    text = ("Fish & chips & more. " * 200).strip()  # 4,200 chars, longer once escaped
    await adapter.send(out(text, (Button("Yes", "yes"),), chat="C111:1700000000.000001"))
    sent = await reply(fake)
    assert sent["thread_ts"] == "1700000000.000001"
    texts = [b["text"]["text"] for b in sent["blocks"] if b["type"] == "section"]
    assert len(texts) >= 2 and all(len(t) <= 3000 for t in texts)
    assert " ".join(texts) == render(text) and "&amp;" in texts[0]


def test_mrkdwn_rendering() -> None:
    cases = {
        "plain words": "plain words",
        "a & b < c > d": "a &amp; b &lt; c &gt; d",
        "<!channel> hi": "&lt;!channel&gt; hi",  # no mass mention from echoed text
        "**Order 1001** shipped": "*Order 1001* shipped",
        "__also bold__ and ~~gone~~": "*also bold* and ~gone~",
        "See [the policy](https://shop.example/returns?a=1&b=2) now":
            "See <https://shop.example/returns?a=1&amp;b=2|the policy> now",
        "[a|b <x>](https://e.example/p)": "<https://e.example/p|a¦b &lt;x&gt;>",
        "## Returns\n- one\n* two": "*Returns*\n• one\n• two",
        "code `a **b** <c>` stays": "code `a **b** &lt;c&gt;` stays",
        "```\n**raw** & raw\n```": "```\n**raw** &amp; raw\n```",
        "2 * 3 * 4": "2 * 3 * 4",
    }
    for source, want in cases.items():
        assert render(source) == want, source
    assert sections("a &amp; b " * 10, 25) == [
        "a &amp; b a &amp; b a", "&amp; b a &amp; b a", "&amp; b a &amp; b a",
        "&amp; b a &amp; b a", "&amp; b a &amp; b"]
    assert sections("&amp;" * 10, 12) == ["&amp;&amp;"] * 5  # never inside an entity
    many = tuple(Button(f"Choice {i} " + "x" * 80, f"v{i}") for i in range(30))
    actions = blocks("pick", many)[-1]["elements"]
    assert len(actions) == 25 and all(len(a["text"]["text"]) <= 75 for a in actions)
    assert len({a["action_id"] for a in actions}) == 25


# ---------------------------------------------------------------- start, stop, config


async def test_start_with_a_bad_token_fails_auth(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    cfg = settings(fake, bot_token="xoxb-revoked")
    try:
        await attach(gw, cfg)
        health = gw.rt.supervisors[NAME].health
        assert health.state is State.FAILED and "invalid_auth" in health.detail
        assert "xoxb-revoked" not in health.detail and "xoxb-revoked" not in repr(cfg)
        assert ("POST", HOOK) not in gw.rt.routes
    finally:
        await detach(gw)


async def test_start_with_slack_unreachable_is_not_ready(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = SlackAdapter(settings(f"http://127.0.0.1:{free_port()}/api/"))
    with pytest.raises(AdapterNotReady):
        await adapter.start(GatewayContext(gw.rt, NAME))
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(out())
    await adapter.stop()
    await adapter.stop()


def test_config_is_strict_and_keeps_secrets_out_of_repr() -> None:
    cfg = settings("https://slack.com/api/")
    assert BOT_TOKEN not in repr(cfg) and SIGNING_SECRET not in repr(cfg)
    assert (cfg.mode, cfg.events_path, cfg.max_body_bytes) == ("http", HOOK, 256 * 1024)
    for bad in ({"no_such_key": 1}, {"signing_secret": ""}, {"support_channels": ["general"]},
                {"max_body_bytes": 10 * 1024 * 1024}, {"events_path": "no-slash"},
                {"signing_secret": None}, {"mode": "socket"}):
        with pytest.raises(ValidationError):
            settings("https://slack.com/api/", **bad)
    socket = settings("https://slack.com/api/", mode="socket", signing_secret=None,
                      app_token=APP_TOKEN)
    assert APP_TOKEN not in repr(socket)


# ---------------------------------------------------------------- Socket Mode


def socket_settings(fake: FakeSlack, **extra: Any) -> SlackConfig:
    return settings(fake, **{"mode": "socket", "signing_secret": None, "app_token": APP_TOKEN,
                             "ping_interval": 0.2, "timeout": 5, **extra})


async def test_socket_mode_stores_then_acks_and_answers(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, socket_settings(fake))
    try:
        assert gw.rt.supervisors[NAME].health.state is State.READY
        assert ("POST", HOOK) not in gw.rt.routes  # no public endpoint in socket mode
        assert adapter.socket is not None and await adapter.socket.connected()
        envelope = await fake.deliver(event_body(dm("over the socket", "1710000060.000100"),
                                                 "EvS1"))
        ack = await asyncio.wait_for(fake.acks.get(), 5)
        assert ack["envelope_id"] == envelope
        assert [e for e, _c, _m in await journal(gw)] == ["D0SHOPPER:1710000060.000100"]
        assert (await reply(fake))["text"] == "over the socket"
        # Slack redelivers the same event: acknowledged, not answered twice.
        again = await fake.deliver(event_body(dm("over the socket", "1710000060.000100"),
                                              "EvS1"), retry_attempt=1)
        assert (await asyncio.wait_for(fake.acks.get(), 5))["envelope_id"] == again
        press = copy.deepcopy(load("interactivity_block_actions_button.json"))
        press["container"]["channel_id"] = "D0SHOPPER"
        del press["container"]["message_ts"]
        pressed = await fake.deliver(press, kind="interactive")
        assert (await asyncio.wait_for(fake.acks.get(), 5))["envelope_id"] == pressed
        assert (await reply(fake))["text"] == "Button"
        await settle(gw, NAME)
        assert [m["text"] for m in fake.messages] == ["over the socket", "Button"]
    finally:
        await detach(gw)


async def test_socket_mode_withholds_the_ack_when_the_journal_fails(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await attach(gw, socket_settings(fake))
    router = gw.rt.router
    calls = 0

    async def failing(inbound):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        raise OSError("disk full")

    try:
        original, router.publish = router.publish, failing
        try:
            lost = await fake.deliver(event_body(dm("lost?", "1710000070.000100"), "EvS2"))
            await until(lambda: calls == 1, timeout=5)
        finally:
            router.publish = original
        kept = await fake.deliver(event_body(dm("kept", "1710000071.000100"), "EvS3"))
        assert (await asyncio.wait_for(fake.acks.get(), 5))["envelope_id"] == kept
        assert fake.acks.empty() and lost != kept
        assert [e for e, _c, _m in await journal(gw)] == ["D0SHOPPER:1710000071.000100"]
    finally:
        await detach(gw)


async def test_socket_mode_reconnects_after_the_link_drops(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, socket_settings(fake))
    try:
        opened = len(fake.method_calls("apps.connections.open"))
        await fake.drop_sockets()
        await until(lambda: len(fake.method_calls("apps.connections.open")) > opened
                    and fake.sockets, timeout=10)
        await until(adapter.socket.connected, timeout=5)  # type: ignore[union-attr]
        await fake.deliver(event_body(dm("still there?", "1710000080.000100"), "EvS4"))
        await asyncio.wait_for(fake.acks.get(), 5)
        assert (await reply(fake))["text"] == "still there?"
    finally:
        await detach(gw)


async def test_socket_mode_with_a_bad_app_token_fails_auth(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = SlackAdapter(socket_settings(fake, app_token="xapp-wrong"))
    with pytest.raises(AdapterAuthFailed) as exc:
        await adapter.start(GatewayContext(gw.rt, NAME))
    assert "invalid_auth" in str(exc.value) and "xapp-wrong" not in str(exc.value)
    assert not fake.sockets
    await adapter.stop()
