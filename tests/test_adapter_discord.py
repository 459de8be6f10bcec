"""The Discord adapter: the real discord.py client against a loopback Discord.

Fixture payloads go through the pure parser; everything else runs discord.py itself
(login, zlib-stream gateway, heartbeats, resume, REST with its rate-limit handling) against
tests/fake_discord.py, inside an in-process gateway with the echo engine, so the agent's
reply to a message is the message's own text.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import discord.http
import pytest
from pydantic import ValidationError

from omnichannel.adapters.discord import DiscordAdapter, DiscordConfig, compose
from omnichannel.adapters.discord.parse import (
    Kind,
    Place,
    Scope,
    needs_place,
    parse_gateway,
    parse_interaction,
    parse_message,
)
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
from tests.fake_discord import (
    BOT_ID,
    DM_ID,
    GENERAL_ID,
    GUILD_ID,
    OTHER,
    SHOPPER,
    SUPPORT_ID,
    TOKEN,
    FakeDiscord,
)
from tests.support import ROOT, attach_adapter, detach_adapter, free_port, until

FIXTURES = ROOT.parent / "shared" / "fixtures" / "discord"
NAME = "discord"
SID = SHOPPER["id"]


def fixture_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.json"))
    if not files:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Discord fixtures missing at {FIXTURES}", pytrace=False)
        pytest.skip(f"Discord fixtures not found at {FIXTURES}")
    return files


def load(name: str) -> Any:
    path = FIXTURES / name
    if not path.is_file():
        fixture_files()
        if os.environ.get("CI") == "true":
            pytest.fail(f"fixture {path} missing", pytrace=False)
        pytest.skip(f"{path} not found")
    return json.loads(path.read_text())


def scope(**kw: Any) -> Scope:
    base: dict[str, Any] = {"channel": NAME, "account": "default", "bot_id": BOT_ID}
    base.update(kw)
    return Scope(**base)


# ---------------------------------------------------------------- every fixture

Want = tuple[str, str, str, str | None]  # external id, chat id, text, sender name
NINES = "999999999999999999"
# file -> [(scope overrides, the Inbound's (id, chat, text, name), or why it is ignored)]
EXPECTED: dict[str, list[tuple[dict[str, Any], Want | str]]] = {
    "gateway_hello_docs.json": [({}, "gateway op ignored")],
    "gateway_message_create_all_fields.json": [({}, "webhook")],
    "gateway_message_create_guild_with_mention.json": [
        # The scrubbed capture mentions user 999..., who is also its author.
        ({}, "not addressed to the bot"),
        ({"bot_id": NINES}, "own message"),
        ({"support_channels": frozenset({NINES})}, (NINES, f"{NINES}/{NINES}", "none", "none")),
        ({"support_channels": frozenset({NINES}), "guilds": frozenset({"1"})},
         "server not in guilds"),
    ],
    "gateway_message_update_guild.json": [
        ({}, "message edit ignored"),
        ({"support_channels": frozenset({NINES})}, "message edit ignored")],
    "message_create_d_captured_2017.json": [
        ({}, ("302917639565475840", "244567637332328449", "a", "zeyla"))],
    "message_object_crossposted_docs.json": [({}, "crosspost from another server")],
    "message_object_example_docs.json": [
        ({}, ("334385199974967042", "290926798999357250", "Supa Hot", "Mason"))],
    "message_update_d_captured_2017.json": [({}, "edit")],
}


def test_every_fixture_file_has_an_expectation() -> None:
    assert {p.name for p in fixture_files()} == set(EXPECTED), \
        "new fixture: add what it should normalise to"


@pytest.mark.parametrize(("name", "case"), [(n, i) for n, rows in sorted(EXPECTED.items())
                                            for i in range(len(rows))])
def test_fixture_normalises(name: str, case: int, caplog: pytest.LogCaptureFixture) -> None:
    overrides, want = EXPECTED[name][case]
    data = load(name)
    caplog.set_level(logging.DEBUG, logger="omnichannel.adapters.discord")
    got = (parse_gateway(data, scope(**overrides)) if "op" in data
           else parse_message(data, scope(**overrides)))
    if isinstance(want, str):
        assert got is None
        said = " ".join(f"{r.getMessage()} {getattr(r, 'reason', '')}" for r in caplog.records)
        assert want in said
        return
    assert got is not None
    d = data.get("d", data)
    inbound = got.inbound
    assert (inbound.external_id, inbound.chat_id, inbound.text, inbound.sender_name) == want
    assert (inbound.channel, inbound.account, inbound.sender_id) == (
        NAME, "default", d["author"]["id"])
    assert inbound.received_at == datetime.fromisoformat(d["timestamp"])
    assert inbound.button_value is None and got.message_id == d["id"]


def test_threads_open_only_for_support_channels_when_enabled() -> None:
    data = load("gateway_message_create_guild_with_mention.json")
    both = frozenset({NINES})
    assert parse_gateway(data, scope(support_channels=both, use_threads=True)).open_thread
    assert not parse_gateway(data, scope(support_channels=both)).open_thread
    inside = parse_gateway(data, scope(support_channels=frozenset({"5"}), use_threads=True),
                           Place(Kind.THREAD, "5"))
    assert inside is not None and not inside.open_thread and inside.inbound.chat_id == NINES


# ---------------------------------------------------------------- the parser, by rule

def test_only_guild_messages_outside_support_channels_need_a_channel_lookup() -> None:
    s = scope(support_channels=frozenset({SUPPORT_ID}))
    shopper = {"id": SID}
    assert needs_place({"guild_id": GUILD_ID, "channel_id": GENERAL_ID, "author": shopper}, s)
    assert not needs_place({"guild_id": GUILD_ID, "channel_id": SUPPORT_ID, "author": shopper}, s)
    assert not needs_place({"channel_id": DM_ID, "author": shopper}, s)
    for bot in ({"id": BOT_ID}, {"id": "5", "bot": True}):
        assert not needs_place({"guild_id": GUILD_ID, "channel_id": GENERAL_ID, "author": bot}, s)
    assert not needs_place(None, s)


def msg(content: str, **extra: Any) -> dict[str, Any]:
    return {"id": "11", "channel_id": GENERAL_ID, "author": dict(SHOPPER), "type": 0,
            "content": content, "mentions": [], "timestamp": "2024-05-01T10:00:00+00:00",
            "edited_timestamp": None, **extra}


def test_mentions_are_stripped_and_other_users_named() -> None:
    bot = {"id": BOT_ID, "username": "shopbot", "bot": True}
    d = msg(f"<@{BOT_ID}>  where is <@!{OTHER['id']}>'s order?  <@!{BOT_ID}>",
            guild_id=GUILD_ID, mentions=[bot, OTHER], member={"nick": "Ada at work"})
    got = parse_message(d, scope())
    assert got is not None
    assert got.inbound.text == "where is @bob's order?"
    assert got.inbound.chat_id == f"{GENERAL_ID}/{SID}"
    assert got.inbound.sender_name == "Ada at work"
    # A mention in the text alone counts (a client that left mentions[] empty).
    assert parse_message(msg(f"<@{BOT_ID}> hi", guild_id=GUILD_ID), scope()) is not None
    assert parse_message(msg("hi", guild_id=GUILD_ID), scope()) is None


def test_who_and_what_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="omnichannel.adapters.discord")
    s = scope()
    cases = {
        "own message": msg("x", author={"id": BOT_ID, "bot": True}),
        "bot": msg("x", author={"id": "77", "username": "otherbot", "bot": True}),
        "webhook": msg("x", webhook_id="88"),
        "system message (type 7)": msg("", type=7),
        "edit": msg("x", edited_timestamp="2024-05-01T10:01:00+00:00"),
        "server not in guilds": msg(f"<@{BOT_ID}> x", guild_id="42"),
    }
    for reason, d in cases.items():
        caplog.clear()
        assert parse_message(d, scope(guilds=frozenset({GUILD_ID}))) is None, reason
        assert any(getattr(r, "reason", None) == reason for r in caplog.records), reason
    assert parse_message(msg("reply", type=19, message_reference={"message_id": "5"}), s)
    caplog.clear()
    assert parse_message(msg(""), s) is None  # no content intent, no attachment
    assert "message content intent" in caplog.text


def test_attachments_stickers_and_giant_content() -> None:
    d = msg("see photo", attachments=[{"id": "1", "filename": "box.jpg"}],
            sticker_items=[{"id": "2", "name": "wave"}])
    got = parse_message(d, scope())
    assert got is not None
    assert got.inbound.text == "see photo\n[attachment: box.jpg]\n[sticker: wave]"
    only = parse_message(msg("", attachments=[{"id": "1", "filename": "r.pdf"}]), scope())
    assert only is not None and only.inbound.text == "[attachment: r.pdf]"
    giant = parse_message(msg("word " * 50_000), scope())
    assert giant is not None and len(giant.inbound.text) == 4000 + len(" [cut]")


@pytest.mark.parametrize("bad", [
    None, [], {"id": "x", "channel_id": "1", "author": {"id": "2"}},
    {"id": "1", "channel_id": "1"}, {"id": "1", "channel_id": "1", "author": {"id": 2}},
    {"id": "1", "channel_id": "1", "author": {"id": "2"}, "content": 5},
    {"id": "1", "channel_id": "1", "author": {"id": "2"}, "guild_id": "g"},
])
def test_malformed_messages_are_logged_and_ignored(bad: Any,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    assert parse_message(bad, scope()) is None
    assert "malformed MESSAGE_CREATE ignored" in caplog.text


def test_gateway_envelopes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="omnichannel.adapters.discord")
    assert parse_gateway("nope", scope()) is None
    assert parse_gateway({"op": 0, "d": {}}, scope()) is None
    assert "no event name" in caplog.text
    assert parse_gateway({"op": 0, "t": "BRAND_NEW_THING", "d": {}}, scope()) is None
    assert "unknown dispatch ignored" in caplog.text
    assert parse_gateway({"op": 0, "t": "GUILD_CREATE", "d": {}}, scope()) is None
    caplog.clear()
    assert parse_gateway({"op": 0, "t": "MESSAGE_UPDATE", "d": {"content": 5}}, scope()) is None
    assert "message edit ignored" in caplog.text
    d = msg("hi there")
    got = parse_gateway({"op": 0, "t": "MESSAGE_CREATE", "s": 4, "d": d}, scope())
    assert got is not None and got.inbound.chat_id == GENERAL_ID  # no guild_id: a DM


def press(custom_id: str = "track", **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "1234567890123456789", "type": 3, "token": "tok", "channel_id": DM_ID,
        "data": {"custom_id": custom_id, "component_type": 2}, "user": SHOPPER,
        "message": {"components": [{"type": 1, "components": [
            {"type": 2, "label": "Track my order", "custom_id": "track"},
            {"type": 2, "label": "A very long choice", "custom_id": "~1"}]}]}}
    d.update(kw)
    return d


def test_button_presses() -> None:
    got = parse_interaction(press(), scope())
    assert got is not None and got.interaction_token == "tok"
    i = got.inbound
    assert (i.external_id, i.chat_id, i.sender_id, i.text, i.button_value) == (
        "1234567890123456789", DM_ID, SID, "Track my order", "track")
    assert i.received_at is not None and i.received_at.year >= 2024
    label_only = parse_interaction(press("~1"), scope())
    assert label_only is not None
    assert (label_only.inbound.text, label_only.inbound.button_value) == (
        "A very long choice", None)
    member = {"user": SHOPPER, "nick": "Ada"}
    shared = parse_interaction(press(channel_id=GENERAL_ID, guild_id=GUILD_ID, member=member,
                                     user=None, channel={"id": GENERAL_ID, "type": 0}), scope())
    assert shared is not None and shared.inbound.chat_id == f"{GENERAL_ID}/{SID}"
    assert shared.inbound.sender_name == "Ada"
    thread = parse_interaction(press(channel_id="77", guild_id=GUILD_ID, member=member,
                                     channel={"id": "77", "type": 11, "parent_id": "5"}),
                               scope())
    assert thread is not None and thread.inbound.chat_id == "77"
    for bad in (press(type=2), press(data={"custom_id": "x", "component_type": 3}),
                press(token=None), press(user=None), press(id="x"), "junk"):
        assert parse_interaction(bad, scope()) is None


# ---------------------------------------------------------------- compose and config

def test_custom_ids_carry_the_value_when_discord_can() -> None:
    buttons = [Button("Track", "track"), Button("Long", "v" * 101), Button("Again", "track"),
               Button("Empty", ""), Button("Tilde", "~x")]
    assert compose.custom_ids(buttons) == ["track", "~1", "~2", "~3", "~4"]


async def test_buttons_become_rows_of_five() -> None:
    buttons = tuple(Button(f"Choice {i}" + "x" * (90 if i == 0 else 0), f"v{i}")
                    for i in range(12))
    rows = compose.view(buttons).to_components()
    assert [len(r["components"]) for r in rows] == [5, 5, 2]
    first = rows[0]["components"][0]
    assert len(first["label"]) == 80 and first["label"].endswith("…")
    assert first["custom_id"] == "v0"


def test_chat_ids() -> None:
    assert compose.chat_ref("123") == compose.ChatRef(123)
    assert compose.chat_ref("123/456") == compose.ChatRef(123, 456)
    for bad in ("nobody-here", "1/2/3", "", "12a"):
        with pytest.raises(PermanentDeliveryError):
            compose.chat_ref(bad)


def test_send_errors() -> None:
    assert isinstance(compose.send_error(OSError("reset")), RetryableDeliveryError)
    assert isinstance(compose.send_error(TimeoutError()), RetryableDeliveryError)
    limited = compose.send_error(discord.RateLimited(90.0))
    assert isinstance(limited, RetryableDeliveryError) and limited.retry_after == 90.0
    assert type(compose.send_error(ValueError("?"))) is DeliveryError


def settings(fake: FakeDiscord | str, **extra: Any) -> DiscordConfig:
    base = fake.api_base if isinstance(fake, FakeDiscord) else fake
    return DiscordConfig.model_validate({
        "enabled": True, "token": TOKEN, "api_base": base, "guild_ready_timeout": 0.05,
        "ready_timeout": 10, "timeout": 5, "restart_base": 0.05, "journal_retries": 1,
        "support_channels": [int(SUPPORT_ID)], **extra})


def test_config_is_strict_and_keeps_the_token_out_of_repr() -> None:
    cfg = settings("https://discord.com/api/v10")
    assert TOKEN not in repr(cfg) and cfg.support_channels == [SUPPORT_ID]
    for bad in ({"no_such_key": 1}, {"token": " "}, {"token": "a b"},
                {"support_channels": ["general"]}, {"guilds": [1.5]},
                {"thread_name": "Help {who}"}, {"max_ratelimit_wait": 5},
                {"thread_archive_minutes": 30}, {"api_base": "discord.com"}):
        with pytest.raises(ValidationError):
            settings("https://discord.com/api/v10", **bad)
    defaults = DiscordConfig.model_validate({"token": "t"})
    assert defaults.api_base == "https://discord.com/api/v10" and defaults.use_threads


# ---------------------------------------------------------------- through discord.py

async def attach(gw: Gateway, config: DiscordConfig) -> DiscordAdapter:
    return await attach_adapter(gw, NAME, DiscordAdapter(config))  # type: ignore[no-any-return]


async def detach(gw: Gateway) -> None:
    await detach_adapter(gw, NAME)


async def journal(gw: Gateway) -> list[tuple[str, int, str]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT external_id, message_id, chat_id FROM journal WHERE channel = ? "
            "ORDER BY id", (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def reply(fake: FakeDiscord, timeout: float = 10) -> dict[str, Any]:
    return await asyncio.wait_for(fake.sent.get(), timeout)


class DiscordDriver:
    """The contract suite's driver: MESSAGE_CREATEs through the fake gateway, replies read
    from the fake REST API."""

    name = NAME
    unknown_chat_is_permanent = True  # "nobody-here" is not a Discord channel id

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.fake = FakeDiscord()
        self.adapter: DiscordAdapter | None = None
        self.ids: dict[str, str] = {}

    async def open(self) -> str:
        await self.fake.start()
        self.adapter = await attach(self.gw, settings(self.fake))
        assert self.gw.rt.supervisors[NAME].health.state is State.READY
        return DM_ID

    async def inject(self, text: str, event_id: str) -> int | None:
        assert self.adapter is not None
        mid = self.ids.setdefault(event_id, self.fake.snowflake())
        await self.fake.dispatch("MESSAGE_CREATE", self.fake.message(text, DM_ID,
                                                                     message_id=mid))
        adapter = self.adapter

        async def stored() -> int | None:
            if mid in adapter.unjournaled:
                raise RuntimeError(f"the adapter could not journal message {mid}")
            return dict((e, m) for e, m, _c in await journal(self.gw)).get(mid)
        return await until(stored, timeout=10)  # type: ignore[no-any-return]

    async def received(self) -> dict[str, Any]:
        body = await reply(self.fake)
        return {"text": body["content"], "payload": body}

    async def close(self) -> None:
        await detach(self.gw)
        await self.fake.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    f = await FakeDiscord().start()
    yield f
    await f.close()


@pytest.fixture
async def dc(gateway_factory, fake) -> AsyncIterator[tuple[Gateway, DiscordAdapter]]:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(fake))
    yield gw, adapter
    await detach(gw)


OUTBOX_IDS = itertools.count(100_000)  # far from the gateway's own rows: nonces differ


def out(text: str = "hello", buttons: tuple[Button, ...] = (), chat: str = DM_ID,
        outbox_id: int | None = None) -> Outbound:
    return Outbound(outbox_id=outbox_id or next(OUTBOX_IDS), conversation_id=1, chat_id=chat,
                    role=Role.AGENT, text=text, buttons=buttons)


async def test_a_dm_in_and_the_reply_out(dc, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = dc
    caplog.set_level(logging.DEBUG, logger="omnichannel.adapters.discord")
    conn = fake.connections[0]
    assert conn.query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert conn.zlib is not None and conn.heartbeats >= 1  # one right after HELLO
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert intents.guilds and intents.guild_messages and intents.dm_messages
    assert intents.message_content and not intents.members and not intents.presences
    assert [r.path for r in fake.requests[:3]] == [
        "/api/v10/users/@me", "/api/v10/oauth2/applications/@me", "/api/v10/gateway/bot"]
    asked = fake.message("where is my parcel?", DM_ID)
    await fake.dispatch("MESSAGE_CREATE", asked)
    body = await reply(fake)
    assert (body["channel_id"], body["content"]) == (DM_ID, "where is my parcel?")
    assert body["allowed_mentions"] == {"parse": []} and "message_reference" not in body
    assert body["nonce"].endswith("-1") and body["enforce_nonce"] is True  # outbox row 1
    # Discord sends our own reply back as a MESSAGE_CREATE: it is not answered.
    own = fake.posted[0]["message"]["id"]
    await until(lambda: any(getattr(r, "reason", None) == "own message"
                            and getattr(r, "message_id", None) == own for r in caplog.records))
    assert [(e, c) for e, _m, c in await journal(gw)] == [(asked["id"], DM_ID)]
    convs = await gw.store.list_conversations()
    assert len(convs) == 1 and convs[0].chat_id == DM_ID
    assert fake.sent.empty()
    ready = await gw.client.get("/readyz")
    assert (await ready.json())["channels"][NAME]["state"] == "ready"


async def test_guild_messages_mentions_and_support_threads(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(fake))
    try:
        await fake.dispatch("MESSAGE_CREATE", fake.message("just chatting", GENERAL_ID,
                                                           guild_id=GUILD_ID))
        ask = fake.message(f"<@{BOT_ID}> do you ship to Norway?", GENERAL_ID,
                           guild_id=GUILD_ID, mentions=[fake.bot])
        await fake.dispatch("MESSAGE_CREATE", ask)
        body = await reply(fake)
        assert (body["channel_id"], body["content"]) == (GENERAL_ID, "do you ship to Norway?")
        assert str(body["message_reference"]["message_id"]) == ask["id"]  # pings the shopper
        assert body["allowed_mentions"] == {"parse": [], "users": [int(SID)], "replied_user": True}
        # A support channel: no mention needed, and the conversation moves to a thread.
        first = fake.message("my order is late", SUPPORT_ID, guild_id=GUILD_ID)
        await fake.dispatch("MESSAGE_CREATE", first)
        body = await reply(fake)
        assert (body["channel_id"], body["content"]) == (first["id"], "my order is late")
        made = fake.requests_to("POST", f"/channels/{SUPPORT_ID}/messages/{first['id']}/threads")
        assert made and made[0].body["name"] == "Support: Ada Lovelace"
        assert made[0].body["auto_archive_duration"] == 1440
        await fake.dispatch("MESSAGE_CREATE", fake.message("order 1042", first["id"],
                                                           guild_id=GUILD_ID))
        body = await reply(fake)
        assert (body["channel_id"], body["content"]) == (first["id"], "order 1042")
        assert "message_reference" not in body  # a thread is the shopper's own place
        stored = await journal(gw)
        assert [c for _e, _m, c in stored] == [f"{GENERAL_ID}/{SID}", first["id"], first["id"]]
        assert len(await gw.store.list_conversations()) == 2
        # A thread the cache does not know: looked up once over REST, then remembered.
        fake.thread("777", SUPPORT_ID, "old", owner=SID)
        for text in ("back again", "still there?"):
            await fake.dispatch("MESSAGE_CREATE", fake.message(text, "777", guild_id=GUILD_ID))
            assert (await reply(fake))["content"] == text
        assert len(fake.requests_to("GET", "/channels/777")) == 1
        assert adapter.restarts == 0
    finally:
        await detach(gw)


async def test_without_threads_shoppers_stay_apart(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    await attach(gw, settings(fake, use_threads=False))
    try:
        await fake.dispatch("MESSAGE_CREATE", fake.message("hi from ada", SUPPORT_ID,
                                                           guild_id=GUILD_ID))
        await fake.dispatch("MESSAGE_CREATE", fake.message("hi from bob", SUPPORT_ID,
                                                           guild_id=GUILD_ID, author=OTHER))
        bodies = [await reply(fake), await reply(fake)]
        assert {b["content"] for b in bodies} == {"hi from ada", "hi from bob"}
        assert {b["channel_id"] for b in bodies} == {SUPPORT_ID}
        assert fake.requests_to("POST", "/threads") == []
        assert {c.chat_id for c in await gw.store.list_conversations()} == {
            f"{SUPPORT_ID}/{SID}", f"{SUPPORT_ID}/{OTHER['id']}"}
    finally:
        await detach(gw)


async def test_thread_refused_falls_back_to_the_channel(dc, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = dc
    fake.fail_next("thread", 403, {"message": "Missing Permissions", "code": 50013})
    await fake.dispatch("MESSAGE_CREATE", fake.message("help", SUPPORT_ID, guild_id=GUILD_ID))
    body = await reply(fake)
    assert (body["channel_id"], body["content"]) == (SUPPORT_ID, "help")
    assert "could not open a thread" in caplog.text
    assert [c for _e, _m, c in await journal(gw)] == [f"{SUPPORT_ID}/{SID}"]


async def test_shared_channel_reply_without_a_known_message_mentions_the_shopper(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    await adapter.send(out("after a restart", chat=f"{GENERAL_ID}/{SID}"))
    body = await reply(fake)
    assert body["content"] == f"<@{SID}> after a restart"
    assert body["allowed_mentions"]["users"] == [int(SID)]


async def test_buttons_go_out_as_components_and_a_press_comes_back(dc, fake) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = dc
    buttons = (Button("Track my order", "track"), Button("Talk to a person", "handoff"))
    receipt = await adapter.send(out("What would you like?", buttons))
    body = await reply(fake)
    assert receipt.platform_message_id == body["id"]
    assert body["components"] == [{"type": 1, "components": [
        {"type": 2, "style": 2, "disabled": False, "label": "Track my order",
         "custom_id": "track"},
        {"type": 2, "style": 2, "disabled": False, "label": "Talk to a person",
         "custom_id": "handoff"}]}]
    sent = fake.posted[-1]["message"]
    pressed = fake.press(sent, "track")
    await fake.dispatch("INTERACTION_CREATE", pressed)
    answer = await reply(fake)  # the echo engine repeats what the press said
    assert (answer["channel_id"], answer["content"]) == (DM_ID, "Track my order")
    acks = [c for c in fake.callbacks if c[0] == pressed["id"]]
    assert len(acks) == 1 and acks[0][1] == {"type": 6}
    assert acks[0][2] - fake.dispatched[pressed["id"]] < 3.0
    convs = await gw.store.list_conversations()
    transcript = await gw.store.transcript(convs[0].id)
    customer = [m for m in transcript if m.role is Role.CUSTOMER]
    assert [(m.text, m.button_value) for m in customer] == [("Track my order", "track")]


async def test_a_press_the_journal_refuses_is_not_acknowledged(dc, fake) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = dc
    await adapter.send(out("Pick", (Button("Yes", "yes"),)))
    await reply(fake)
    sent = fake.posted[-1]["message"]
    router = gw.rt.router

    async def failing(inbound):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    original, router.publish = router.publish, failing
    try:
        pressed = fake.press(sent, "yes")
        await fake.dispatch("INTERACTION_CREATE", pressed)
        await until(lambda: pressed["id"] in adapter.unjournaled)
    finally:
        router.publish = original
    assert fake.callbacks == []  # Discord tells the shopper the press failed
    assert await journal(gw) == []


async def test_a_429_is_waited_out_by_discord_py(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    fake.rate_limit_next("send", 0.3)
    started = time.monotonic()
    receipt = await adapter.send(out("slow down"))
    assert time.monotonic() - started >= 0.3
    tries = fake.requests_to("POST", f"/channels/{DM_ID}/messages")
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 0.3
    assert [p["content"] for p in fake.posted] == ["slow down"]
    assert receipt.platform_message_id == fake.posted[0]["message"]["id"]
    # Longer than max_ratelimit_wait: the outbox gets it back with the wait.
    fake.rate_limit_next("send", 120.0)
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out("later"))
    assert exc.value.retry_after == 120.0
    # Without Discord's Via header discord.py treats a 429 as a ban page: Retry-After counts.
    fake.fail_next("send", 429, "<html>banned</html>", {"Retry-After": "7"})
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out("later"))
    assert exc.value.retry_after == 7.0


async def test_http_errors_map_to_delivery_errors(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    fake.fail_next("send", 403, {"message": "Cannot send messages to this user", "code": 50007})
    with pytest.raises(PermanentDeliveryError) as perm:
        await adapter.send(out())
    assert "50007" in str(perm.value)
    fake.fail_next("send", 404, {"message": "Unknown Channel", "code": 10003})
    with pytest.raises(PermanentDeliveryError):
        await adapter.send(out())
    fake.fail_next("send", 503, {"message": "upstream", "code": 0})
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(out())
    with pytest.raises(PermanentDeliveryError):
        await adapter.send(out(chat="nobody-here"))
    with pytest.raises(PermanentDeliveryError):
        await adapter.send(out("x" * 2001))
    assert fake.posted == []


async def test_discord_unreachable_mid_flight_is_retryable(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    base = discord.http.Route.BASE
    discord.http.Route.BASE = f"http://127.0.0.1:{free_port()}/api/v10"  # refused
    try:
        with pytest.raises(RetryableDeliveryError, match="unreachable"):
            await adapter.send(out("anyone?"))
    finally:
        discord.http.Route.BASE = base
    await adapter.send(out("now?"))
    assert [p["content"] for p in fake.posted] == ["now?"]


async def test_a_retried_send_posts_once(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    first = await adapter.send(out("same row", outbox_id=7))
    again = await adapter.send(out("same row", outbox_id=7))  # e.g. after a lost answer
    assert first == again and len(fake.posted) == 1


async def test_typing_indicator(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    await adapter.typing(DM_ID)
    await adapter.typing(f"{GENERAL_ID}/{SID}")
    assert fake.typing == [DM_ID, GENERAL_ID]


async def test_heartbeats_are_sent_on_hello_s_interval_and_acked(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fast = await FakeDiscord(heartbeat_interval=50).start()
    try:
        adapter = await attach(gw, settings(fast))
        await until(lambda: fast.connections[0].heartbeats >= 3)
        assert adapter.client is not None and adapter.client.latency < 1.0  # ACKs measured
        assert len(fast.connections) == 1  # no missed ACK, no reconnect
    finally:
        await detach(gw)
        await fast.close()


async def test_a_dropped_socket_is_resumed(dc, fake) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = dc
    session = fake.session.id
    await fake.drop()
    # Sent while the socket is down: the RESUME replays it.
    await fake.dispatch("MESSAGE_CREATE", fake.message("are you there?", DM_ID))
    body = await reply(fake)
    assert body["content"] == "are you there?"
    assert len(fake.resumes) == 1 and fake.resumes[0]["session_id"] == session
    assert len(fake.identifies) == 1 and len(fake.connections) == 2
    await fake.dispatch("MESSAGE_CREATE", fake.message("and now?", DM_ID))
    assert (await reply(fake))["content"] == "and now?"
    assert adapter.restarts == 0
    assert gw.rt.supervisors[NAME].health.state is State.READY


async def test_a_forgotten_session_identifies_again(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, _adapter = dc
    await fake.drop(forget=True)
    await until(lambda: len(fake.identifies) == 2 and fake.connected.is_set())
    assert len(fake.resumes) == 1  # tried first, refused with op 9
    await fake.dispatch("MESSAGE_CREATE", fake.message("new session", DM_ID))
    assert (await reply(fake))["content"] == "new session"


async def test_a_duplicate_message_is_answered_once(dc, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = dc
    m = fake.message("only once", DM_ID)
    await fake.dispatch("MESSAGE_CREATE", m)
    await fake.dispatch("MESSAGE_CREATE", m)
    assert (await reply(fake))["content"] == "only once"
    await fake.dispatch("MESSAGE_CREATE", fake.message("next", DM_ID))
    assert (await reply(fake))["content"] == "next"
    assert [e for e, _m, _c in await journal(gw)].count(m["id"]) == 1


async def test_a_message_before_ready_is_answered(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fake.early.append(("MESSAGE_CREATE", fake.message("quick, before ready", DM_ID)))
    await attach(gw, settings(fake, guild_ready_timeout=0.3))
    try:
        assert (await reply(fake))["content"] == "quick, before ready"
    finally:
        await detach(gw)


async def test_odd_dispatches_and_a_client_crash(gateway_factory, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(fake, restart_base=0.3))
    caplog.set_level(logging.INFO)
    try:
        await fake.dispatch("SHINY_NEW_EVENT", {"x": 1})
        await fake.dispatch("MESSAGE_UPDATE", fake.message("edited", DM_ID))
        # discord.py keeps a non-string content; the adapter refuses it.
        await fake.dispatch("MESSAGE_CREATE", {**fake.message("x", DM_ID), "content": 5})
        await until(lambda: "malformed MESSAGE_CREATE ignored" in caplog.text)
        assert "unknown dispatch ignored" in caplog.text and "message edit ignored" in caplog.text
        assert await journal(gw) == []
        # A payload discord.py's own parser chokes on ends its connect(): the adapter logs
        # it and logs in again after a backoff.
        await fake.dispatch("MESSAGE_CREATE", {"id": "1", "channel_id": DM_ID})
        await until(lambda: adapter.client is None)
        with pytest.raises(RetryableDeliveryError):  # while it waits to log in again
            await adapter.send(out("not now"))
        await until(lambda: adapter.restarts == 1 and fake.connected.is_set()
                    and len(fake.identifies) == 2)
        assert "discord client stopped; logging in again" in caplog.text
        await fake.dispatch("MESSAGE_CREATE", fake.message("still answered", DM_ID))
        assert (await reply(fake))["content"] == "still answered"
        assert fake.sent.empty() and await journal(gw) != []
    finally:
        await detach(gw)


async def test_giant_content_is_cut_and_answered_in_2000_character_parts(dc, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = dc
    await fake.dispatch("MESSAGE_CREATE", fake.message("lorem ipsum " * 20_000, DM_ID))
    stored = await until(lambda: gw.store.list_conversations())
    text = (await gw.store.transcript(stored[0].id))[0].text
    assert text.endswith("[cut]") and len(text) == 4006
    parts = [await reply(fake)]
    while " ".join(p["content"] for p in parts).split() != text.split():
        parts.append(await reply(fake))
    assert all(len(p["content"]) <= 2000 for p in parts) and len(parts) >= 3


async def test_a_bad_token_fails_auth(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    cfg = settings(fake, token="not-the-token")
    try:
        await attach(gw, cfg)
        health = gw.rt.supervisors[NAME].health
        assert health.state is State.FAILED and "credentials refused" in health.detail
        assert "not-the-token" not in health.detail and "not-the-token" not in repr(cfg)
        assert fake.connections == []  # never got as far as the gateway
        resp = await gw.client.get("/readyz")
        assert resp.status == 503
        assert (await resp.json())["channels"][NAME]["state"] == "failed"
    finally:
        await detach(gw)


async def test_a_refused_identify_or_intent_fails_auth(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = DiscordAdapter(settings(fake))
    fake.message_content_allowed = False
    with pytest.raises(AdapterAuthFailed, match="Message Content"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    fake.message_content_allowed = True
    fake.identify_close = 4004
    with pytest.raises(AdapterAuthFailed, match="4004"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    await adapter.stop()
    ok = DiscordAdapter(settings(fake, message_content_intent=False))
    fake.message_content_allowed = False
    await ok.start(GatewayContext(gw.rt, NAME))  # without the intent, it connects
    await ok.stop()


async def test_unreachable_discord_is_not_ready(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = DiscordAdapter(settings(f"http://127.0.0.1:{free_port()}/api/v10"))
    with pytest.raises(AdapterNotReady, match="unreachable"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(out())
    await adapter.stop()


async def test_login_5xx_is_not_ready_and_no_ready_times_out(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fake.fail_next("me", 503)
    adapter = DiscordAdapter(settings(fake))
    with pytest.raises(AdapterNotReady, match="503"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    fake.fail_next("gateway", 503)
    with pytest.raises(AdapterNotReady):
        await adapter.start(GatewayContext(gw.rt, NAME))
    slow = DiscordAdapter(settings(fake, ready_timeout=0.3, guild_ready_timeout=5))
    with pytest.raises(AdapterNotReady, match="no READY"):
        await slow.start(GatewayContext(gw.rt, NAME))
    assert slow.client is None and slow._task is None


async def test_stop_closes_the_gateway_and_is_idempotent(dc, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = dc
    ws = fake.connections[-1].ws
    await adapter.stop()
    await until(lambda: ws.closed)
    # discord.py closes with 1000, but its reader, woken by that close, sends 4000 first.
    assert ws.close_code in (1000, 4000) and adapter.client is None
    await adapter.stop()
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(out())
