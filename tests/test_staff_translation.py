"""Staff and translation (issue 14 item 6): with [models.routine] set, staff read shopper
messages translated into the shop's language and may have a reply translated into the
shopper's; a failed translation sends nothing. Against the loopback model and Slack fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from omnichannel.conversation import Owner, Role
from tests.conftest import Gateway
from tests.fake_llm import FakeLLM, Step
from tests.fake_slack import FakeSlack
from tests.support import until
from tests.test_console import console_gateway, in_thread, staff_says, thread_of, top_level

# What the fake model answers: Spanish into English and English into Spanish, by the prompt.
TO_ENGLISH = {"Quiero hablar con una persona, por favor": "I want to talk to a person, please"}
TO_SPANISH = {"Your parcel left the warehouse today.": "Tu paquete salió del almacén hoy."}


def translating(broken_into: str | None = None):  # type: ignore[no-untyped-def]
    def respond(body: dict[str, Any]) -> Step:
        system = body["messages"][0]["content"]
        text = body["messages"][-1]["content"]
        if broken_into is not None and f"into {broken_into}" in system:
            return Step(status=500)
        table = TO_SPANISH if "into Spanish" in system else TO_ENGLISH
        return Step(text=table.get(text, f"[translated] {text}"))

    return respond


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    server = await FakeLLM().start()
    server.responder = translating()
    yield server
    await server.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    yield fake
    await fake.stop()


def models_toml(fake: FakeLLM) -> str:
    return (f'[models.routine]\nmodel = "openai/fake-routine"\napi_base = "{fake.base}"\n'
            'api_key = "test-key"\ntimeout = 5\nfree = true\n')


async def spanish_handoff(gw: Gateway, chat: str = "ana") -> int:
    pub = await gw.loopback.say("Quiero hablar con una persona, por favor", chat_id=chat)
    notice = await gw.loopback.reply(chat)
    assert notice.role is Role.SYSTEM
    conv = await gw.store.conversation(pub.conversation_id)
    assert conv is not None and conv.language == "es" and conv.owner is Owner.STAFF
    return pub.conversation_id


def packet_of(slack: FakeSlack, ts: str) -> str:
    return json.dumps(next(m for m in top_level(slack) if m["ts"] == ts)["blocks"],
                      ensure_ascii=False)


def thread_text(slack: FakeSlack, ts: str) -> str:
    return " ".join(m["text"] or "" for m in in_thread(slack, ts))


# ---------------------------------------------------------------- Slack
async def test_the_packet_shows_a_spanish_message_translated_under_it(  # type: ignore[no-untyped-def]
        gateway_factory, slack, llm) -> None:
    gw = await console_gateway(gateway_factory, slack, models_toml(llm))
    conv = await spanish_handoff(gw)
    packet = packet_of(slack, await thread_of(gw, conv))
    original = packet.index("Quiero hablar con una persona, por favor")
    assert packet.index("_English:_ I want to talk to a person, please") > original
    assert "*Language:* Spanish" in packet
    # The agent's own (Spanish) handoff notice is not a shopper message: not translated.
    prompts = [r["messages"][-1]["content"] for r in llm.requests]
    assert prompts == ["Quiero hablar con una persona, por favor"]


async def test_an_english_shopper_is_not_translated(gateway_factory, slack, llm) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack, models_toml(llm))
    pub = await gw.loopback.say("I want to talk to a human please", chat_id="bo")
    await gw.loopback.reply("bo")
    packet = packet_of(slack, await thread_of(gw, pub.conversation_id))
    assert "I want to talk to a human" in packet and "_English:_" not in packet
    assert llm.requests == []


async def test_a_staff_reply_is_translated_into_spanish_and_marked(  # type: ignore[no-untyped-def]
        gateway_factory, slack, llm) -> None:
    extra = "[console]\ntranslate_replies = true\n" + models_toml(llm)
    gw = await console_gateway(gateway_factory, slack, extra)
    conv = await spanish_handoff(gw)
    ts = await thread_of(gw, conv)
    await staff_says(gw, ts, "note: checking the warehouse", "5.1")
    await staff_says(gw, ts, "Your parcel left the warehouse today.", "5.2")
    reply = await gw.loopback.reply("ana")
    assert reply.role is Role.STAFF and reply.text == "Tu paquete salió del almacén hoy."
    transcript = await gw.store.transcript(conv)
    sent = next(m for m in transcript if m.role is Role.STAFF)
    assert sent.text == "Tu paquete salió del almacén hoy."
    notes = [m for m in transcript if m.role is Role.NOTE]
    marked = [n for n in notes if "translated from English into Spanish" in n.text]
    assert len(marked) == 1 and "Your parcel left the warehouse today." in marked[0].text
    assert marked[0].id > sent.id  # the note follows the message it describes
    assert not any("checking the warehouse" in p["messages"][-1]["content"]
                   for p in llm.requests)  # notes stay as written
    await until(lambda: "Tu paquete salió" in thread_text(slack, ts))
    assert "Sent to the shopper" in thread_text(slack, ts)


async def test_a_failed_translation_sends_nothing_and_tells_staff(  # type: ignore[no-untyped-def]
        gateway_factory, slack, llm) -> None:
    llm.responder = translating(broken_into="Spanish")
    extra = "[console]\ntranslate_replies = true\n" + models_toml(llm)
    gw = await console_gateway(gateway_factory, slack, extra)
    conv = await spanish_handoff(gw)
    ts = await thread_of(gw, conv)
    await staff_says(gw, ts, "Your parcel left the warehouse today.", "6.1")
    await until(lambda: "Not sent" in thread_text(slack, ts))
    assert "could not be translated into Spanish" in thread_text(slack, ts)
    assert "Sent to the shopper" not in thread_text(slack, ts)
    assert gw.loopback.queue("ana").empty()
    transcript = await gw.store.transcript(conv)
    assert not any(m.role is Role.STAFF for m in transcript)


async def test_without_an_llm_slack_translates_nothing(gateway_factory, slack) -> None:  # type: ignore[no-untyped-def]
    gw = await console_gateway(gateway_factory, slack, "[console]\ntranslate_replies = true\n")
    conv = await spanish_handoff(gw)
    ts = await thread_of(gw, conv)
    assert "_English:_" not in packet_of(slack, ts)
    await staff_says(gw, ts, "Your parcel left the warehouse today.", "7.1")
    reply = await gw.loopback.reply("ana")
    assert reply.text == "Your parcel left the warehouse today."
    notes = [m.text for m in await gw.store.transcript(conv) if m.role is Role.NOTE]
    assert not any("translated" in n for n in notes)


# ---------------------------------------------------------------- CLI (omnichannel reply)
async def test_cli_reply_translate(gateway_factory, llm, capsys) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.agent.translate import translator_for
    from omnichannel.console.inbox import staff_reply

    gw = await gateway_factory(models_toml(llm), engine="builtin")
    conv = await spanish_handoff(gw)
    tr = translator_for(gw.config.models.routine, gw.config.brand.language)
    assert tr is not None
    assert await staff_reply(gw.store, conv, "Your parcel left the warehouse today.", True,
                             translate=True, translator=tr) == 0
    assert "translated into Spanish" in capsys.readouterr().out
    transcript = await gw.store.transcript(conv)
    assert [m.text for m in transcript if m.role is Role.STAFF] == [
        "Tu paquete salió del almacén hoy."]
    assert any("translated from English into Spanish" in m.text and
               "Your parcel left" in m.text for m in transcript if m.role is Role.NOTE)

    llm.responder = translating(broken_into="Spanish")
    tr = translator_for(gw.config.models.routine, gw.config.brand.language)
    assert await staff_reply(gw.store, conv, "Anything else?", True, translate=True,
                             translator=tr) == 1
    err = capsys.readouterr().err
    assert "could not be translated into Spanish" in err and "nothing was sent" in err
    transcript = await gw.store.transcript(conv)
    assert len([m for m in transcript if m.role is Role.STAFF]) == 1


async def test_cli_translate_without_an_llm_refuses(gateway_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.agent.translate import translator_for
    from omnichannel.console.inbox import staff_reply

    gw = await gateway_factory(engine="builtin")
    conv = await spanish_handoff(gw)
    assert translator_for(gw.config.models.routine, "en") is None
    assert await staff_reply(gw.store, conv, "Hello", True, translate=True,
                             translator=None) == 1
    assert "needs an LLM" in capsys.readouterr().err
    assert not any(m.role is Role.STAFF for m in await gw.store.transcript(conv))
    # Without --translate nothing changed.
    assert await staff_reply(gw.store, conv, "Hello", True) == 0


# ---------------------------------------------------------------- dashboard
PASSWORD = "juniper-and-pine-staff"


async def dashboard_client(tmp_path, toml: str):  # type: ignore[no-untyped-def]
    from aiohttp import CookieJar
    from aiohttp.test_utils import TestClient, TestServer

    from omnichannel.analytics.dashboard import setup_dashboard
    from omnichannel.analytics.passwords import hash_password
    from omnichannel.analytics.settings import DashboardSettings
    from omnichannel.app import GATEWAY
    from tests.conftest import make_config, open_app
    from tests.test_analytics import _form_token

    app = await open_app(make_config(tmp_path, toml, engine="builtin"))
    assert setup_dashboard(app, app[GATEWAY], DashboardSettings(
        enabled=True, password_hash=hash_password(PASSWORD)))
    client = TestClient(TestServer(app), cookie_jar=CookieJar(unsafe=True))
    await client.start_server()
    login = await client.get("/dashboard/login")
    await client.post("/dashboard/login", allow_redirects=False, data={
        "csrf": _form_token(await login.text()), "password": PASSWORD, "next": "/dashboard"})
    return client


async def test_dashboard_shows_translations_and_translates_a_reply(tmp_path, llm) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.app import GATEWAY
    from tests.conftest import shut
    from tests.test_analytics import _form_token

    client = await dashboard_client(tmp_path, models_toml(llm))
    try:
        rt = client.server.app[GATEWAY]
        loop = rt.adapters["loopback"]
        pub = await loop.say("Quiero hablar con una persona, por favor", chat_id="ana")
        await loop.reply("ana")
        cid = pub.conversation_id
        html = await (await client.get(f"/dashboard/conversations/{cid}")).text()
        assert html.index("I want to talk to a person, please") > html.index(
            "Quiero hablar con una persona, por favor")
        assert 'class="translation"' in html
        assert "Translate into Spanish before sending" in html
        token = _form_token(html)
        url = f"/dashboard/conversations/{cid}/reply"
        done = await client.post(url, allow_redirects=False, data={
            "csrf": token, "text": "Your parcel left the warehouse today.", "translate": "1"})
        assert done.status == 303 and done.headers["Location"].endswith("?done=translated")
        sent = await loop.reply("ana")
        assert sent.role is Role.STAFF and sent.text == "Tu paquete salió del almacén hoy."
        page = await (await client.get(done.headers["Location"])).text()
        assert "translated from English into Spanish" in page and "Reply translated" in page

        llm.responder = translating(broken_into="Spanish")
        failed = await client.post(url, allow_redirects=False, data={
            "csrf": token, "text": "Anything else I can do?", "translate": "1"})
        assert failed.status == 502
        body = await failed.text()
        assert "could not be translated into Spanish" in body and "nothing was sent" in body
        assert "Anything else I can do?</textarea>" in body  # the staff's text is kept
        staff = [m for m in await rt.store.transcript(cid) if m.role is Role.STAFF]
        assert len(staff) == 1
        assert loop.queue("ana").empty()
    finally:
        await shut(client)


async def test_without_an_llm_the_dashboard_offers_no_translation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from omnichannel.app import GATEWAY
    from tests.conftest import shut
    from tests.test_analytics import _form_token

    client = await dashboard_client(tmp_path, "")
    try:
        rt = client.server.app[GATEWAY]
        loop = rt.adapters["loopback"]
        pub = await loop.say("Quiero hablar con una persona, por favor", chat_id="ana")
        await loop.reply("ana")
        html = await (await client.get(f"/dashboard/conversations/{pub.conversation_id}")).text()
        assert "Translate into" not in html and 'class="translation"' not in html
        assert "Spanish" in html  # the language is still shown
        url = f"/dashboard/conversations/{pub.conversation_id}/reply"
        plain = await client.post(url, allow_redirects=False,
                                  data={"csrf": _form_token(html), "text": "Hello!"})
        assert plain.status == 303 and plain.headers["Location"].endswith("?done=reply")
        assert (await loop.reply("ana")).text == "Hello!"
    finally:
        await shut(client)
