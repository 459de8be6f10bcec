"""The Telegram adapter, driven through a real in-process gateway and the real PTB `Bot`.

Telegram's side is played by a loopback fake of the Bot API (tests/fake_telegram.py) and by
webhook POSTs to the gateway's own dispatcher; the journal is read back from the real store.
"""

from __future__ import annotations

import asyncio
import copy
import html
import json
import logging
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from omnichannel.adapters.telegram import TelegramAdapter, TelegramConfig
from omnichannel.adapters.telegram.compose import (
    CALLBACK_MAX,
    callback_data,
    escape,
    is_token,
    split,
    token,
    utf16_len,
)
from omnichannel.adapters.telegram.parse import Me, ShapeError, parse
from omnichannel.agent import Turn
from omnichannel.agent.engine import Deps, new_customer_messages
from omnichannel.channel import (
    AdapterNotReady,
    Button,
    DeliveryError,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
    Role,
)
from omnichannel.conversation import Conversation, Message
from omnichannel.gateway import GatewayContext
from omnichannel.supervisor import State
from tests.conftest import Gateway
from tests.fake_telegram import (
    BOT_ID,
    BOT_USERNAME,
    TOKEN,
    USER_ID,
    FakeBotAPI,
    message_update,
    user,
)
from tests.support import ROOT, attach_adapter, detach_adapter, free_port, settle, until

FIXTURES = ROOT.parent / "shared" / "fixtures" / "telegram"
NAME = "telegram"
SECRET = "hook-secret_0123456789-abcdef"
HOOK = "/hooks/telegram"
ME = Me(BOT_ID, BOT_USERNAME)
GROUP = -1001234567890


def fixture_files() -> list[Path]:
    """The published Telegram payloads in ../shared: missing fails in CI, skips elsewhere (a
    fresh clone with nothing beside it still passes; the other Telegram tests still run)."""
    files = sorted(FIXTURES.glob("*.json"))
    if not files:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Telegram fixtures missing at {FIXTURES}", pytrace=False)
        pytest.skip(f"Telegram fixtures not found at {FIXTURES}")
    return files


def load(name: str) -> dict[str, Any]:
    if not (FIXTURES / name).is_file():
        fixture_files()  # fails in CI, skips elsewhere; a single missing file fails below
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def settings(fake: FakeBotAPI | str, **extra: Any) -> TelegramConfig:
    base = fake.base if isinstance(fake, FakeBotAPI) else fake
    values: dict[str, Any] = {"enabled": True, "token": TOKEN, "api_base": base,
                              "mode": "webhook", "webhook_secret": SECRET, "timeout": 5,
                              "poll_timeout": 2, "reconnect_base": 0.05,
                              "reconnect_cap": 0.2}
    return TelegramConfig.model_validate({**values, **extra})


def polling(fake: FakeBotAPI | str, **extra: Any) -> TelegramConfig:
    return settings(fake, mode="polling", webhook_secret=None, **extra)


async def attach(gw: Gateway, config: TelegramConfig) -> TelegramAdapter:
    return await attach_adapter(gw, NAME, TelegramAdapter(config))  # type: ignore[no-any-return]




async def detach(gw: Gateway) -> None:
    await detach_adapter(gw, NAME)


async def post(gw: Gateway, body: Any = None, *, secret: str | None = SECRET,
               raw: bytes | None = None) -> tuple[int, str]:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    resp = await gw.client.post(HOOK, data=data, headers=headers)
    return resp.status, await resp.text()


async def journal(gw: Gateway) -> list[tuple[str, int]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT external_id, message_id FROM journal WHERE channel = ? ORDER BY id",
            (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def customer_texts(gw: Gateway) -> list[tuple[str, str | None]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT m.text, m.button_value FROM messages m JOIN conversations c "
            "ON c.id = m.conversation_id WHERE c.channel = ? AND m.role = 'customer' "
            "ORDER BY m.id", (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


async def next_sent(fake: FakeBotAPI) -> dict[str, Any]:
    return await asyncio.wait_for(fake.sent.get(), 10)


def ext(update_id: int) -> str:
    return f"{BOT_ID}:{update_id}"


class TelegramDriver:
    """The contract suite's driver: webhook mode (secret token), the fake Bot API out."""

    name = NAME
    chat = str(USER_ID)
    # A chat id Telegram does not know is refused for good ("Bad Request: chat not found").
    unknown_chat_is_permanent = True

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.fake = FakeBotAPI()
        self.adapter: TelegramAdapter | None = None
        self.update_ids: dict[str, int] = {}

    async def open(self) -> str:
        await self.fake.start()
        self.adapter = await attach(self.gw, settings(self.fake))
        assert self.gw.rt.supervisors[NAME].health.state is State.READY
        return self.chat

    async def inject(self, text: str, event_id: str) -> int | None:
        uid = self.update_ids.setdefault(event_id, 1000 + len(self.update_ids))
        status, answer = await post(self.gw, message_update(uid, text, chat_id=USER_ID))
        if status != 200:
            raise RuntimeError(f"webhook answered {status}: {answer}")
        return dict(await journal(self.gw)).get(ext(uid))

    async def received(self) -> dict[str, Any]:
        body = await next_sent(self.fake)
        return {"text": html.unescape(body["text"]), "payload": body}

    async def close(self) -> None:
        await detach(self.gw)
        await self.fake.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    f = await FakeBotAPI().start()
    yield f
    await f.close()


@pytest.fixture
async def tg(gateway_factory, fake) -> AsyncIterator[tuple[Gateway, TelegramAdapter]]:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(fake))
    yield gw, adapter
    await detach(gw)


def out(text: str = "hello", buttons: tuple[Button, ...] = (),
        chat: str = str(USER_ID)) -> Outbound:
    return Outbound(outbox_id=1, conversation_id=1, chat_id=chat, role=Role.AGENT, text=text,
                    buttons=buttons)


# ---------------------------------------------------------------- every fixture

# file -> (external id, chat, sender, text, button value, sender name), or why it is ignored.
EXPECTED: dict[str, tuple[str, str, str, str, str | None, str] | str] = {
    "update_callback_query_inline_keyboard.json":
        (ext(10000), "2", "1", "-=Font Size=-", "*", "Name Surname"),
    "update_edited_message_supergroup_text.json": "edited message",
    "update_message_private_command_start.json":
        (ext(259894302), "12345678", "12345678", "/start", None, "FirstName"),
    "update_message_private_document.json":
        (ext(259894303), "12345678", "12345678", "[document: aaa.txt]", None, "FirstName"),
    "update_message_private_photo.json":
        (ext(259894300), "12345678", "12345678", "[photo]", None, "FistName LastName"),
    "update_message_private_text.json":
        (ext(892252934), "218485655", "218485655", "hello there", None, "Waffle"),
    "update_message_private_voice.json":
        (ext(259894301), "12345678", "12345678", "[voice message, 1 s]", None,
         "FistName LastName"),
    "update_message_supergroup_photo.json": "not addressed to the bot",
    "update_message_supergroup_reply.json": "not addressed to the bot",  # a user's message
    "update_message_supergroup_text.json": "not addressed to the bot",
}


def test_every_fixture_file_has_an_expectation() -> None:
    assert {p.name for p in fixture_files()} == set(EXPECTED), "new fixture: add a row"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalises(name: str) -> None:
    body = load(name)
    parsed = parse(body, ME, NAME, "default")
    want = EXPECTED[name]
    assert parsed.update_id == body["update_id"]
    if isinstance(want, str):
        assert parsed.inbound is None and parsed.ignored is not None and want in parsed.ignored
        return
    got = parsed.inbound
    assert got is not None and parsed.ignored is None
    assert (got.external_id, got.chat_id, got.sender_id, got.text, got.button_value,
            got.sender_name) == want
    assert (got.channel, got.account, got.verified_phone, got.verified_email) == (
        NAME, "default", None, None)
    if "callback_query" in body:
        assert parsed.callback_id == body["callback_query"]["id"] and got.received_at is None
    else:
        assert parsed.callback_id is None
        assert got.received_at == datetime.fromtimestamp(body["message"]["date"], UTC)


async def test_every_fixture_through_the_webhook(gateway_factory, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, "omnichannel.adapters.telegram")
    gw = await gateway_factory(debounce=0.3)  # one chat's four messages: one turn
    adapter = await attach(gw, settings(fake))
    try:
        for path in fixture_files():
            status, text = await post(gw, json.loads(path.read_bytes()))
            assert status == 200, (path.name, text)
        want = {w[0] for w in EXPECTED.values() if isinstance(w, tuple)}
        assert {e for e, _m in await journal(gw)} == want
        ignored = [r for r in caplog.records if r.getMessage() == "Telegram update ignored"]
        assert len(ignored) == 4
        await adapter.drain()
        assert [c.params["callback_query_id"] for c in fake.of("answerCallbackQuery")] == [
            "4382bfdwdsb323b2d9"]
        chats = {2, 12345678, 218485655}  # every reply goes to a private chat we heard from
        replied: set[int] = set()
        while replied != chats:
            body = await next_sent(fake)
            assert body["chat_id"] in chats and body["parse_mode"] == "HTML"
            replied.add(body["chat_id"])
    finally:
        await detach(gw)


# ---------------------------------------------------------------- parsing rules


def group(update_id: int, text: str, **extra: Any) -> dict[str, Any]:
    return message_update(update_id, text, chat_id=GROUP, chat_type="supergroup", **extra)


def mention(text: str, handle: str) -> list[dict[str, Any]]:
    off = utf16_len(text[: text.index(handle)])
    return [{"type": "mention", "offset": off, "length": utf16_len(handle)}]


ADDRESSED: list[tuple[str, dict[str, Any], str | None]] = [
    ("mention", group(1, "@shop_help_bot where is my order?",
                      entities=mention("@shop_help_bot where", "@shop_help_bot")),
     "where is my order?"),
    ("mention after emoji, any case", group(2, "🙂🙂 hi @Shop_Help_Bot",
                                            entities=mention("🙂🙂 hi @Shop_Help_Bot",
                                                             "@Shop_Help_Bot")),
     "🙂🙂 hi"),
    ("text_mention", group(3, "Shop Help can you help",
                           entities=[{"type": "text_mention", "offset": 0, "length": 9,
                                      "user": {"id": BOT_ID, "is_bot": True,
                                               "first_name": "Shop Help"}}]),
     "can you help"),
    ("command for us", group(4, "/help@shop_help_bot now",
                             entities=[{"type": "bot_command", "offset": 0, "length": 19}]),
     "/help now"),
    ("reply to the bot", group(5, "yes please", reply_to_message={
        "message_id": 9, "date": 1, "chat": {"id": GROUP, "type": "supergroup"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Shop Help"}, "text": "?"}),
     "yes please"),
    ("caption mention", group(6, "", caption="@shop_help_bot broken on arrival",
                              caption_entities=mention("@shop_help_bot", "@shop_help_bot"),
                              photo=[{"file_id": "F", "file_unique_id": "U", "width": 1,
                                      "height": 1}]),
     "[photo] broken on arrival"),
    ("only the mention", group(7, "@shop_help_bot",
                               entities=mention("@shop_help_bot", "@shop_help_bot")),
     "@shop_help_bot"),
    ("another bot mentioned", group(8, "@other_bot hi",
                                    entities=mention("@other_bot", "@other_bot")), None),
    ("bare command", group(9, "/start",
                           entities=[{"type": "bot_command", "offset": 0, "length": 6}]),
     None),
    ("from a bot", group(10, "@shop_help_bot spam", sender={
        "id": 99, "is_bot": True, "first_name": "Spam"},
        entities=mention("@shop_help_bot", "@shop_help_bot")), None),
]


@pytest.mark.parametrize(("case", "update", "want"), ADDRESSED, ids=[a[0] for a in ADDRESSED])
def test_groups_need_a_mention_or_a_reply_to_the_bot(case: str, update: dict[str, Any],
                                                     want: str | None) -> None:
    if case == "caption mention":
        del update["message"]["text"]
    parsed = parse(update, ME, NAME, "default")
    if want is None:
        assert parsed.inbound is None and parsed.ignored
        return
    assert parsed.inbound is not None, parsed.ignored
    assert parsed.inbound.text == want
    assert (parsed.inbound.chat_id, parsed.inbound.sender_id) == (f"{GROUP}:{USER_ID}",
                                                                  str(USER_ID))
    assert parsed.reply_to == update["message"]["message_id"]


def _with(update_id: int, **content: Any) -> dict[str, Any]:
    update = message_update(update_id, "", **content)
    del update["message"]["text"]
    return update


MEDIA: list[tuple[dict[str, Any], str]] = [
    (_with(1, video={"file_id": "F", "file_unique_id": "U", "width": 1, "height": 1,
                     "duration": 2}, caption="it arrived like this"),
     "[video] it arrived like this"),
    (_with(2, animation={"file_id": "F", "file_unique_id": "U", "width": 1, "height": 1,
                         "duration": 1}, document={"file_id": "F", "file_unique_id": "U"}),
     "[GIF]"),
    (_with(3, sticker={"file_id": "F", "file_unique_id": "U", "type": "regular", "width": 1,
                       "height": 1, "is_animated": False, "is_video": False, "emoji": "👍"}),
     "[sticker 👍]"),
    (_with(4, location={"latitude": 32.08, "longitude": 34.78}),
     "[location: 32.08, 34.78]"),
    (_with(5, audio={"file_id": "F", "file_unique_id": "U", "duration": 3,
                     "title": "Jingle"}), "[audio: Jingle]"),
    (_with(6, video_note={"file_id": "F", "file_unique_id": "U", "length": 1,
                          "duration": 1}), "[video message]"),
    (message_update(7, "look at this", forward_origin={"type": "hidden_user", "date": 1,
                                                        "sender_user_name": "X"}),
     "[forwarded] look at this"),
]


@pytest.mark.parametrize(("update", "want"), MEDIA, ids=[m[1][:14] for m in MEDIA])
def test_media_become_placeholders_staff_can_read(update: dict[str, Any], want: str) -> None:
    parsed = parse(update, ME, NAME, "default")
    assert parsed.inbound is not None and parsed.inbound.text == want


def test_a_shared_contact_vouches_a_phone_only_when_it_is_the_senders_own() -> None:
    own = _with(1, contact={"phone_number": "972 50-123-4567", "first_name": "Dana",
                            "user_id": USER_ID})
    other = _with(2, contact={"phone_number": "+15550001111", "first_name": "Bob",
                              "user_id": 7})
    typed = _with(3, contact={"phone_number": "+15550001111", "first_name": "Bob"})
    got = [parse(u, ME, NAME, "default").inbound for u in (own, other, typed)]
    assert got[0] is not None and got[0].verified_phone == "+972501234567"
    assert got[0].text == "[contact: Dana, 972 50-123-4567]"
    assert [g.verified_phone for g in got[1:] if g is not None] == [None, None]
    plain = parse(message_update(4, "my number is +972501234567"), ME, NAME, "default")
    assert plain.inbound is not None and plain.inbound.verified_phone is None


async def test_an_own_contact_card_verifies_the_phone_in_the_store(tg) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    card = _with(1301, contact={"phone_number": "+972501234567", "first_name": "Dana",
                                "user_id": USER_ID})
    assert (await post(gw, card))[0] == 200

    def contact(conn):  # type: ignore[no-untyped-def]
        return conn.execute("SELECT c.phone, c.phone_verified FROM contacts c JOIN identities "
                            "i ON i.contact_id = c.id WHERE i.channel = ? AND i.external_id = ?",
                            (NAME, str(USER_ID))).fetchone()

    assert tuple(await gw.store.db.read(contact)) == ("+972501234567", 1)


def test_edits_channel_posts_service_messages_and_unknown_updates_are_ignored() -> None:
    cases = {
        "edited message": load("update_edited_message_supergroup_text.json"),
        "channel post": {"update_id": 2, "channel_post": {"message_id": 1, "date": 1,
                                                          "chat": {"id": -100, "type":
                                                                   "channel"},
                                                          "text": "news"}},
        "'my_chat_member' is not handled": {"update_id": 3, "my_chat_member": {}},
        "service message": _with(4, new_chat_title="renamed"),
        "from a bot": message_update(5, "hi", sender={"id": 9, "is_bot": True,
                                                      "first_name": "B"}),
        "inline-mode": {"update_id": 6, "callback_query": {
            "id": "q6", "from": user(), "chat_instance": "1", "inline_message_id": "i",
            "data": "x"}},
    }
    for reason, update in cases.items():
        parsed = parse(update, ME, NAME, "default")
        assert parsed.inbound is None and reason in (parsed.ignored or ""), (reason, parsed)
    assert parse(cases["inline-mode"], ME, NAME, "default").callback_id == "q6"


def test_malformed_updates_are_refused_with_a_reason() -> None:
    good = message_update(1, "hi")
    cases: list[tuple[Any, str]] = [
        ([good], "JSON object"), ({"message": good["message"]}, "update_id"),
        ({"update_id": True, "message": good["message"]}, "update_id"),
        ({"update_id": 1, "message": "hi"}, "message"),
    ]
    no_from = copy.deepcopy(good)
    del no_from["message"]["from"]
    cases.append((no_from, "message.from"))
    no_chat = copy.deepcopy(good)
    no_chat["message"]["chat"] = {"type": "private"}
    cases.append((no_chat, "message.chat.id"))
    huge = message_update(2, "x" * 9000)
    cases.append((huge, "longer than"))
    for update, why in cases:
        with pytest.raises(ShapeError, match=why.replace(".", r"\.")):
            parse(update, ME, NAME, "default")


def test_html_escaping_callback_data_and_utf16_splitting() -> None:
    assert escape('<b>Tom & "Jerry"</b> > 3') == '&lt;b&gt;Tom &amp; "Jerry"&lt;/b&gt; &gt; 3'
    assert callback_data("track") == "track"
    long = "return order #W1234567: " + "the colour is not what the photo showed " * 2
    for value in (long, "", "~hlooks-like-a-token", "ä" * 40):  # 80 bytes
        data = callback_data(value)
        assert is_token(data) and len(data.encode()) <= CALLBACK_MAX and data == token(value)
    assert callback_data("é" * 32) == "é" * 32  # exactly 64 bytes
    emoji = "😀" * 3000  # 3000 characters, 6000 UTF-16 units
    parts = split(emoji)
    assert "".join(parts) == emoji and all(utf16_len(p) <= 4096 for p in parts)
    words = ("word " * 1000).strip() + " 😀" * 800
    parts = split(words)
    assert len(parts) == 2 and all(utf16_len(p) <= 4096 for p in parts)
    assert " ".join(parts) == words and not parts[0].endswith(" ")
    assert split("short") == ["short"]


def test_config_is_strict_and_keeps_secrets_out_of_repr() -> None:
    cfg = settings("https://api.telegram.org")
    assert TOKEN not in repr(cfg) and SECRET not in repr(cfg)
    adapter = TelegramAdapter(cfg)
    assert TOKEN.split(":")[1] not in repr(adapter)
    assert polling("https://api.telegram.org").mode == "polling"
    bad: list[dict[str, Any]] = [
        {"no_such_key": 1}, {"token": "not-a-token"}, {"token": "123:short"},
        {"webhook_secret": None}, {"webhook_secret": "short"},
        {"webhook_secret": "has spaces in it, which Telegram refuses"},
        {"mode": "polling", "webhook_url": "https://shop.example/hooks/telegram"},
        {"webhook_url": "http://insecure.example/hook"}, {"poll_timeout": 0},
        {"max_body_bytes": 10 * 1024 * 1024}, {"webhook_path": "no-slash"},
    ]
    for extra in bad:
        with pytest.raises(ValidationError):
            settings("https://api.telegram.org", **extra)
    defaults = TelegramConfig.model_validate({"token": TOKEN})
    assert (defaults.mode, defaults.webhook_path, defaults.api_base, defaults.max_body_bytes,
            defaults.poll_timeout) == ("polling", HOOK, "https://api.telegram.org",
                                       256 * 1024, 25)


# ---------------------------------------------------------------- webhook mode


async def test_webhook_start_calls_getme_and_nothing_else(tg, fake) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = tg
    assert fake.methods() == ["getMe"]
    assert gw.rt.supervisors[NAME].health.state is State.READY
    assert ("POST", HOOK) in gw.rt.routes
    resp = await gw.client.get("/readyz")
    assert (await resp.json())["channels"][NAME]["state"] == "ready"
    assert repr(adapter) == f"TelegramAdapter(mode=webhook, bot=@{BOT_USERNAME})"


async def test_webhook_registered_only_when_url_or_secret_changed(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    url = "https://shop.example/hooks/telegram"
    try:
        await attach(gw, settings(fake, webhook_url=url))
        assert fake.methods() == ["getMe", "getWebhookInfo", "setWebhook"]
        assert fake.webhook == {"url": url, "secret_token": SECRET,
                                "allowed_updates": ["message", "edited_message",
                                                    "callback_query"]}
        await detach(gw)
        fake.calls.clear()
        await attach(gw, settings(fake, webhook_url=url))  # a restart: nothing to change
        assert fake.methods() == ["getMe", "getWebhookInfo"]
        await detach(gw)
        fake.calls.clear()
        await attach(gw, settings(fake, webhook_url=url, webhook_secret=SECRET + "-new"))
        assert fake.methods() == ["getMe", "getWebhookInfo", "setWebhook"]
        assert fake.webhook["secret_token"] == SECRET + "-new"
        await detach(gw)
        fake.webhook["url"] = "https://someone-else.example/x"  # changed behind our back
        fake.calls.clear()
        await attach(gw, settings(fake, webhook_url=url, webhook_secret=SECRET + "-new"))
        assert fake.methods()[-1] == "setWebhook" and fake.webhook["url"] == url
    finally:
        await detach(gw)


async def test_webhook_message_in_reply_out_as_escaped_html(tg, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    text = "Is 2 < 3 & 5 > 4? <b>not bold</b>"
    assert (await post(gw, message_update(501, text)))[0] == 200
    body = await next_sent(fake)
    assert body["chat_id"] == USER_ID and body["parse_mode"] == "HTML"
    assert body["text"] == "Is 2 &lt; 3 &amp; 5 &gt; 4? &lt;b&gt;not bold&lt;/b&gt;"
    assert "reply_markup" not in body
    assert await customer_texts(gw) == [(text, None)]
    convs = await gw.store.list_conversations()
    assert [c.chat_id for c in convs] == [str(USER_ID)]


async def test_webhook_secret_token_is_required_and_checked(tg) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    update = message_update(601, "let me in")
    status, text = await post(gw, update, secret=None)
    assert status == 401 and "Secret-Token" in text
    for wrong in ("nope", SECRET[:-1] + "X", SECRET + "X", ""):
        assert (await post(gw, update, secret=wrong))[0] == 403
    assert (await post(gw, None, raw=b"{not json", secret=None))[0] == 401  # before parsing
    assert await journal(gw) == []
    assert (await post(gw, update))[0] == 200
    assert [e for e, _m in await journal(gw)] == [ext(601)]


async def test_webhook_bad_bodies(tg, caplog) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    caplog.set_level(logging.INFO, "omnichannel.adapters.telegram")
    status, text = await post(gw, raw=b"{not json")
    assert status == 400 and "JSON" in text
    assert (await post(gw, raw=b"\xff\xfe"))[0] == 400
    assert (await post(gw, [1, 2]))[0] == 400
    status, text = await post(gw, {"update_id": 5, "message": {"chat": {"id": 1}}})
    assert status == 400 and "message.from" in text
    status, text = await post(gw, message_update(7, "x" * 9000))  # under the body cap
    assert status == 400 and "longer than" in text
    assert any(r.getMessage() == "webhook body refused" for r in caplog.records)
    # Unknown kinds of update: 200 (Telegram must not retry them) and a log line.
    caplog.clear()
    assert (await post(gw, {"update_id": 8, "message_reaction": {"chat": {}}}))[0] == 200
    assert (await post(gw, load("update_edited_message_supergroup_text.json")))[0] == 200
    reasons = [getattr(r, "reason", "") for r in caplog.records
               if r.getMessage() == "Telegram update ignored"]
    assert reasons == ["update type 'message_reaction' is not handled",
                       "edited message (the original was answered already)"]
    assert await journal(gw) == []


async def test_webhook_refuses_giant_bodies(tg) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    update = message_update(701, "padding")
    update["message"]["padding"] = "x" * (300 * 1024)  # a valid update, too big
    status, _text = await post(gw, update)
    assert status == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        raw = json.dumps(update).encode()
        for i in range(0, len(raw), 64 * 1024):
            yield raw[i:i + 64 * 1024]

    resp = await gw.client.post(HOOK, data=chunks(), headers={
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert resp.status == 413
    assert await journal(gw) == []
    assert (await post(gw, message_update(702, "small again")))[0] == 200


async def test_duplicate_update_is_stored_and_answered_once(tg, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    update = message_update(801, "only once")
    assert (await post(gw, update))[0] == 200
    assert (await post(gw, update))[0] == 200  # Telegram redelivers
    first = await next_sent(fake)
    other = message_update(802, "someone else", chat_id=USER_ID + 1,
                           sender=user(USER_ID + 1, "Avi", None))
    assert (await post(gw, other))[0] == 200
    second = await next_sent(fake)
    assert (first["text"], second["text"]) == ("only once", "someone else")
    assert [e for e, _m in await journal(gw)] == [ext(801), ext(802)]
    await settle(gw, NAME)
    assert fake.sent.empty() and len(fake.of("sendMessage")) == 2


async def test_no_200_when_the_journal_write_fails(tg) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    router = gw.rt.router

    async def failing(inbound):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    original, router.publish = router.publish, failing
    try:
        status, _text = await post(gw, message_update(901, "hi"))
    finally:
        router.publish = original
    assert status == 500
    assert (await post(gw, message_update(901, "hi")))[0] == 200  # Telegram's retry lands
    assert [e for e, _m in await journal(gw)] == [ext(901)]


# ---------------------------------------------------------------- buttons


LONG = "Return order #W1234567: the colour is not what the photo showed, please"


class ButtonEngine:
    """Offers two buttons, one with a value over Telegram's 64 bytes; records presses."""

    name = "buttons"
    history = 0

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    async def respond(self, conversation: Conversation, history: Sequence[Message],
                      deps: Deps) -> Turn:
        burst = new_customer_messages(history)
        self.seen += [(m.text, m.button_value) for m in burst]
        pressed = [m.button_value for m in burst if m.button_value]
        if pressed:
            return Turn(text=f"You chose: {pressed[-1]}")
        return Turn(text="Pick one", buttons=(Button("Track my order", "track"),
                                              Button("Return it", LONG)))


async def test_buttons_go_out_as_an_inline_keyboard_and_come_back(tg, fake) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = tg
    engine = ButtonEngine()
    gw.rt.router.engine = engine
    assert (await post(gw, message_update(1001, "hi")))[0] == 200
    body = await next_sent(fake)
    rows = body["reply_markup"]["inline_keyboard"]
    assert rows[0] == [{"text": "Track my order", "callback_data": "track"}]
    assert rows[1][0]["text"] == "Return it" and is_token(rows[1][0]["callback_data"])
    assert all(len(r[0]["callback_data"].encode()) <= 64 for r in rows)
    assert body["text"] == "Pick one"
    press = fake.press(1002, USER_ID, body["message_id"], rows[1][0]["callback_data"])
    assert (await post(gw, press))[0] == 200
    assert (await post(gw, press))[0] == 200  # redelivered: stored and answered once
    await adapter.drain()
    assert [c.params["callback_query_id"] for c in fake.of("answerCallbackQuery")] == [
        "cq1002"]
    await until(lambda: len(engine.seen) == 2)
    assert engine.seen == [("hi", None), ("Return it", LONG)]  # the full value, mapped back
    assert (await next_sent(fake))["text"] == f"You chose: {LONG}"
    # A token that matches no button in the history degrades to a plain, honest text.
    stale = fake.press(1003, USER_ID, body["message_id"], token("gone"))
    stale["callback_query"]["message"]["reply_markup"] = {"inline_keyboard": []}
    assert (await post(gw, stale))[0] == 200
    await until(lambda: len(engine.seen) == 3)
    assert engine.seen[-1] == ("[pressed a button that is no longer available]", None)


async def test_group_members_get_conversations_of_their_own(tg, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    engine = ButtonEngine()
    gw.rt.router.engine = engine
    ask = "@shop_help_bot hi"
    dana = group(1201, ask, entities=mention(ask, "@shop_help_bot"))
    assert (await post(gw, dana))[0] == 200
    body = await next_sent(fake)
    assert body["chat_id"] == GROUP  # answered in the group, quoting the question
    assert body["reply_parameters"] == {"message_id": 1201,
                                        "allow_sending_without_reply": True}
    avi = 777
    press = fake.press(1202, GROUP, body["message_id"], "track", user_id=avi)
    assert (await post(gw, press))[0] == 200
    await until(lambda: len(engine.seen) == 2)
    said = {c.chat_id: [m.text for m in await gw.store.transcript(c.id)
                        if m.role is Role.CUSTOMER]
            for c in await gw.store.list_conversations()}
    # Avi pressing the button under Dana's answer lands in Avi's own conversation.
    assert said == {f"{GROUP}:{USER_ID}": ["hi"], f"{GROUP}:{avi}": ["Track my order"]}
    answer = await next_sent(fake)
    assert answer["chat_id"] == GROUP and answer["text"] == "You chose: track"
    assert answer["reply_parameters"]["message_id"] == body["message_id"]
    assert (await post(gw, group(1203, "chatting among ourselves")))[0] == 200
    assert [e for e, _m in await journal(gw)] == [ext(1201), ext(1202)]


# ---------------------------------------------------------------- sending


async def test_429_retry_after_is_honoured_by_the_outbox(tg, fake) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = tg
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", {"retry_after": 1})
    assert (await post(gw, message_update(1101, "slow down")))[0] == 200
    assert (await next_sent(fake))["text"] == "slow down"
    first, second = fake.of("sendMessage")
    assert second.at - first.at >= 0.99  # after retry_after, not before

    def row(conn):  # type: ignore[no-untyped-def]
        return conn.execute("SELECT status, attempts FROM outbox WHERE channel = ?",
                            (NAME,)).fetchone()

    await until(lambda: gw.store.db.read(row))
    assert tuple(await gw.store.db.read(row))[1] == 2


async def test_send_errors_map_to_delivery_errors(tg, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = tg
    fake.blocked.add(USER_ID)
    with pytest.raises(PermanentDeliveryError, match="blocked"):
        await adapter.send(out())
    fake.blocked.clear()
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(PermanentDeliveryError, match="(?i)chat not found"):
        await adapter.send(out())
    fake.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
              {"migrate_to_chat_id": -1009})
    with pytest.raises(PermanentDeliveryError, match="-1009"):
        await adapter.send(out(chat="-55"))
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", {"retry_after": 7})
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out())
    assert exc.value.retry_after == 7.0
    fake.fail("sendMessage", 502, "Bad Gateway")
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out())
    assert exc.value.retry_after is None
    fake.fail("sendMessage", 401, "Unauthorized")
    with pytest.raises(RetryableDeliveryError, match="token"):
        await adapter.send(out())
    fake.drop("sendMessage")  # the request may have arrived: neither retried nor refused
    with pytest.raises(DeliveryError) as dropped:
        await adapter.send(out())
    assert not isinstance(dropped.value, RetryableDeliveryError | PermanentDeliveryError)
    calls = len(fake.calls)
    with pytest.raises(PermanentDeliveryError):
        await adapter.send(out(chat="nobody-here"))
    assert len(fake.calls) == calls  # refused before any request
    assert fake.sent.empty()
    for err in (exc.value, dropped.value):
        assert TOKEN not in str(err)


async def test_long_emoji_text_is_split_with_buttons_on_the_last_part(tg, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = tg
    text = "😀" * 3000  # fits the core's 4096 characters, not Telegram's 4096 UTF-16 units
    receipt = await adapter.send(out(text, (Button("OK", "ok"),)))
    first, second = await next_sent(fake), await next_sent(fake)
    assert first["text"] + second["text"] == text
    assert "reply_markup" not in first and second["reply_markup"]["inline_keyboard"]
    assert receipt.platform_message_id == f"{USER_ID}:{second['message_id']}"


async def test_typing_indicator(tg, fake) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = tg
    await adapter.typing(str(USER_ID))
    await adapter.typing("not-a-chat")  # quietly nothing
    assert [(c.method, c.params) for c in fake.calls[1:]] == [
        ("sendChatAction", {"chat_id": USER_ID, "action": "typing"})]


# ---------------------------------------------------------------- start and health


async def test_a_refused_token_stops_the_channel_without_leaking_it(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    wrong = f"{BOT_ID}:AAE-revoked_token-0123456789abcdef"
    try:
        await attach(gw, settings(fake, token=wrong))
        health = gw.rt.supervisors[NAME].health
        assert health.state is State.FAILED and "credentials refused" in health.detail
        assert wrong.split(":")[1] not in health.detail
        assert ("POST", HOOK) not in gw.rt.routes
        resp = await gw.client.get("/readyz")
        assert resp.status == 503 and (await resp.json())["channels"][NAME]["state"] == "failed"
    finally:
        await detach(gw)


async def test_unreachable_api_is_not_ready(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = TelegramAdapter(settings(f"http://127.0.0.1:{free_port()}", timeout=2))
    with pytest.raises(AdapterNotReady, match="unreachable|ConnectError|NetworkError"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(out())
    fake.fail("getMe", 502, "Bad Gateway")
    adapter = TelegramAdapter(settings(fake))
    with pytest.raises(AdapterNotReady, match="Bad Gateway"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    await adapter.stop()


async def test_the_token_never_reaches_the_logs(gateway_factory, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    gw = await gateway_factory()
    try:
        adapter = await attach(gw, settings(fake))
        await adapter.send(out("hello"))
        fake.fail("sendMessage", 400, "Bad Request: chat not found")
        with pytest.raises(PermanentDeliveryError):
            await adapter.send(out())
    finally:
        await detach(gw)
    lines = [r.getMessage() + repr(r.__dict__) for r in caplog.records]
    assert any("<token>/getMe" in line for line in lines)  # httpx did log the URL, masked
    assert not [line for line in lines if TOKEN.split(":")[1] in line]


# ---------------------------------------------------------------- polling mode


async def test_polling_message_and_button_round_trip(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fake.push(message_update(2001, "queued while we were down"))
    try:
        await attach(gw, polling(fake))
        first = fake.of("getUpdates")[0].params
        assert fake.methods()[:2] == ["getMe", "getUpdates"]
        assert first == {"timeout": 0, "allowed_updates": ["message", "edited_message",
                                                           "callback_query"]}
        assert ("POST", HOOK) not in gw.rt.routes
        assert (await next_sent(fake))["text"] == "queued while we were down"
        engine = ButtonEngine()
        gw.rt.router.engine = engine
        other = USER_ID + 7
        fake.push(message_update(2002, "hi", chat_id=other, sender=user(other)))
        body = await next_sent(fake)
        data = body["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        fake.push(fake.press(2003, other, body["message_id"], data, user_id=other))
        await until(lambda: len(engine.seen) == 2)
        assert engine.seen[-1] == ("Track my order", "track")
        await until(lambda: fake.of("answerCallbackQuery"))
        # Each poll confirms what the journal already holds, and nothing more.
        await until(lambda: fake.of("getUpdates")[-1].params.get("offset") == 2004)
        offsets = [c.params.get("offset") for c in fake.of("getUpdates")]
        assert offsets[:2] == [None, 2002] and offsets == sorted(offsets, key=lambda o: o or 0)
        assert [e for e, _m in await journal(gw)] == [ext(2001), ext(2002), ext(2003)]
    finally:
        await detach(gw)


async def test_polling_survives_dropped_connections_and_502s(gateway_factory, fake, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, "omnichannel.adapters.telegram")
    gw = await gateway_factory()
    fake.serve("getUpdates")  # the call inside start
    fake.drop("getUpdates", 2)
    fake.fail("getUpdates", 502, "Bad Gateway")
    fake.fail("getUpdates", 502, "Bad Gateway")
    try:
        adapter = await attach(gw, polling(fake))
        fake.push(message_update(2101, "are you there?"))
        assert (await next_sent(fake))["text"] == "are you there?"
        assert not fake.script["getUpdates"]  # every failure was met and survived
        assert adapter._poll is not None and not adapter._poll.done()
        assert gw.rt.supervisors[NAME].health.state is State.READY
        warned = [r for r in caplog.records if r.getMessage() == "getUpdates failed, retrying"]
        assert len(warned) == 4
        assert any(r.getMessage() == "Telegram polling recovered" for r in caplog.records)
    finally:
        await detach(gw)


async def test_polling_confirms_only_updates_the_journal_holds(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    try:
        await attach(gw, polling(fake))
        router = gw.rt.router
        original, failures = router.publish, []

        async def flaky(inbound):  # type: ignore[no-untyped-def]
            if not failures:
                failures.append(inbound.external_id)
                raise OSError("disk full")
            return await original(inbound)

        router.publish = flaky
        bad = message_update(2201, "no chat")
        bad["message"]["chat"] = {"type": "private"}
        fake.push(bad, message_update(2202, "kept"))
        assert (await next_sent(fake))["text"] == "kept"
        assert failures == [ext(2202)]
        assert [e for e, _m in await journal(gw)] == [ext(2202)]
        # After the failed write the same updates were asked for again (offset unchanged),
        # and the malformed one was skipped for good.
        offsets = [c.params.get("offset") for c in fake.of("getUpdates")][1:]
        assert offsets[:2] == [None, 2202]
        await until(lambda: fake.of("getUpdates")[-1].params.get("offset") == 2203)
    finally:
        router.publish = original
        await detach(gw)


async def test_polling_start_reports_a_webhook_in_the_way(gateway_factory, fake) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fake.webhook["url"] = "https://shop.example/hooks/telegram"
    adapter = TelegramAdapter(polling(fake))
    with pytest.raises(AdapterNotReady, match="webhook is set"):
        await adapter.start(GatewayContext(gw.rt, NAME))
    assert fake.methods() == ["getMe", "getUpdates"] and adapter.bot is None
    await adapter.stop()


# ---------------------------------------------------------------- the shopper's language
def test_the_senders_language_code_is_the_language_hint() -> None:
    body = load("update_message_private_text.json")
    assert body["message"]["from"]["language_code"] == "en"
    got = parse(body, ME, NAME, "default").inbound
    assert got is not None and got.language_hint == "en"
    spanish = copy.deepcopy(body)
    spanish["message"]["from"]["language_code"] = "es-MX"
    got = parse(spanish, ME, NAME, "default").inbound
    assert got is not None and got.language_hint == "es-MX"
    del spanish["message"]["from"]["language_code"]
    got = parse(spanish, ME, NAME, "default").inbound
    assert got is not None and got.language_hint is None
    pressed = parse(load("update_callback_query_inline_keyboard.json"), ME, NAME,
                    "default").inbound
    assert pressed is not None and pressed.language_hint == "en"
