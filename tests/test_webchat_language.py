"""The widget speaks the shopper's language: labels from the widget catalog, chosen by the
browser's language at the start and by the conversation's language after."""

from __future__ import annotations

import aiohttp
import pytest

import omnichannel.i18n as i18n
from omnichannel.adapters.webchat import labels
from tests.wsclient import ChatClient


@pytest.fixture
async def web(gateway_factory):  # type: ignore[no-untyped-def]
    gw = await gateway_factory(webchat=True, engine="builtin")
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        yield gw, base, http


async def _session(http: aiohttp.ClientSession, base: str, **body: str) -> dict:  # type: ignore[type-arg]
    async with http.post(base + "/chat/session", json=body) as resp:
        assert resp.status == 200
        return await resp.json()  # type: ignore[no-any-return]


async def test_a_german_browser_gets_german_labels_and_hints_german(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    started = await _session(http, base, language="de-DE")
    assert started["lang"] == "de"
    assert started["labels"]["placeholder"] == "Schreib deine Nachricht…"
    assert started["labels"]["person"] == "Mit einem Menschen sprechen"
    c = ChatClient(base, http)
    c.token = started["token"]
    url = base.replace("http", "ws", 1) + f"/chat/ws?token={c.token}&lang=de-DE"
    c.ws = await http.ws_connect(url)
    history = await c.frame("history")
    assert history["lang"] == "de" and history["labels"]["send"] == "Nachricht senden"
    await c.send("Hallo", "m1")
    await c.frame("ack")
    reply = await c.frame("message")
    assert reply["lang"] == "de" and "labels" not in reply  # the labels are German already
    [row] = await gw.store.list_conversations(limit=5)
    conv = await gw.store.conversation(row.id)
    assert conv is not None and conv.language_hint == "de-DE" and conv.language == "de"
    await c.close()


async def test_labels_follow_a_shopper_who_switches_language(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.new_session()
    url = base.replace("http", "ws", 1) + f"/chat/ws?token={c.token}&lang=de"
    c.ws = await http.ws_connect(url)
    assert (await c.frame("history"))["labels"]["close"] == "Chat schließen"
    await c.send("Hola, ¿dónde está mi pedido? Lo compré hace una semana.", "m1")
    reply = await c.frame("message")
    assert reply["lang"] == "es"
    assert reply["labels"]["close"] == "Cerrar el chat"
    await c.close()


async def test_no_or_unshipped_language_keeps_english_and_refused_tags_are_dropped(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    assert (await _session(http, base))["labels"]["send"] == "Send message"
    assert (await _session(http, base, language="ja-JP"))["lang"] == "en"
    assert (await _session(http, base, language="<script>"))["lang"] == "en"
    c = ChatClient(base, http)
    await c.new_session()
    c.ws = await http.ws_connect(base.replace("http", "ws", 1)
                                 + f"/chat/ws?token={c.token}&lang=x" + "-a" * 40)
    assert (await c.frame("history"))["lang"] == "en"
    await c.close()


async def test_refusals_are_in_the_socket_language(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.new_session()
    c.ws = await http.ws_connect(base.replace("http", "ws", 1)
                                 + f"/chat/ws?token={c.token}&lang=fr-FR")
    await c.frame("history")
    await c.send("y" * 2001, "long")
    err = await c.frame("error")
    assert err["code"] == "too_long" and err["message"].startswith("le message est trop long")
    assert "2000" in err["message"] and "2001" in err["message"]
    await c.close()


def test_every_label_is_translated_and_english_is_the_default() -> None:
    english = labels.labels("en")
    assert english["placeholder"] == "Type your message…" and english["person"] == (
        "Talk to a person")
    for lang in i18n.SHIPPED[1:]:
        translated = labels.labels(lang)
        assert translated.keys() == english.keys()
        same = [k for k in english if translated[k] == english[k]]
        assert same in ([], ["log"]), (lang, same)  # "Conversation" is French too
        for key in ("panel", "team", "typing"):
            assert "{name}" in translated[key], (lang, key)
    assert labels.labels("de", "Ask our crew")["person"] == "Ask our crew"  # the merchant's own


def test_the_widget_script_sends_the_browser_language_and_uses_the_labels() -> None:
    from omnichannel.adapters.webchat import STATIC

    js = (STATIC / "widget.js").read_text()
    assert "navigator.language" in js and "body.language = LANG" in js
    assert "'&lang=' + encodeURIComponent(LANG)" in js
    assert "applyLabels(f.lang, f.labels)" in js and "applyLabels(d.lang, d.labels)" in js
    # every key the server sends has an English default in the script
    for key in labels.labels("en"):
        assert f"{key}:" in js or key == "person", key
