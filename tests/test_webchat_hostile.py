"""Hostile input at the web chat: refused or neutralised, with nothing stored half-way."""

from __future__ import annotations

import aiohttp
import pytest

from omnichannel.adapters.webchat import tokens
from tests.wsclient import ChatClient


@pytest.fixture
async def web(gateway_factory):  # type: ignore[no-untyped-def]
    gw = await gateway_factory(webchat=True)
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        yield gw, base, http


async def _messages(gw) -> int:  # type: ignore[no-untyped-def]
    rows = await gw.store.list_conversations(limit=100)
    total = 0
    for r in rows:
        total += len(await gw.store.transcript(r.id))
    return total


async def test_one_megabyte_message_closes_the_socket_and_stores_nothing(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.connect()
    await c.send("x" * 1_000_000, "big")
    msg = await c.ws.receive()  # type: ignore[union-attr]
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert c.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG  # type: ignore[union-attr]
    assert await _messages(gw) == 0


async def test_over_the_text_limit_gets_a_clear_error(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.connect()
    await c.send("y" * 2001, "long")
    err = await c.frame("error")
    assert err["code"] == "too_long" and "2000" in err["message"]
    assert err["client_id"] == "long"
    assert await _messages(gw) == 0


async def test_invalid_utf8_text_frame_is_refused(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.connect()
    ws = c.ws
    assert ws is not None
    # A TEXT frame whose payload is not UTF-8, written below the client's own encoder.
    writer = ws._writer  # noqa: SLF001
    await writer.send_frame(b'{"type":"message","text":"\xff\xfe","client_id":"u"}',
                            aiohttp.WSMsgType.TEXT)
    msg = await ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == aiohttp.WSCloseCode.INVALID_TEXT
    assert await _messages(gw) == 0


async def test_script_tags_are_stored_and_returned_as_plain_text(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.connect()
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    await c.send(evil, "x1")
    ack = await c.frame("ack")
    reply = await c.frame("message")
    assert reply["text"] == evil  # the echo engine: the text comes back as data, unchanged
    transcript = await gw.store.transcript((await gw.store.list_conversations())[0].id)
    assert transcript[0].id == ack["id"] and transcript[0].text == evil
    widget = await (await http.get(base + "/widget.js")).text()
    code = "\n".join(line for line in widget.splitlines() if not line.strip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in code  # the widget renders every text with DOM text nodes


async def test_forged_or_expired_token_is_refused(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    good = await ChatClient(base, http).new_session()
    sid, exp, mail, sig = good.split(".")
    forged = [
        f"{sid}x.{exp}.{mail}.{sig}",  # another session id, same signature
        f"{sid}.{int(exp) + 10}.{mail}.{sig}",  # extended expiry
        tokens.issue(b"not the server key", 3600)[1],  # signed with a guessed key
        tokens.issue(gw.rt.adapters["webchat"]._key, -10)[1],  # noqa: SLF001  expired
        "garbage",
    ]
    for token in forged:
        c = ChatClient(base, http)
        c.token = token
        ws = await http.ws_connect(base.replace("http", "ws") + f"/chat/ws?token={token}")
        msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.CLOSE, token
        assert ws.close_code == 4401, token
    assert await _messages(gw) == 0


async def test_foreign_origin_is_refused(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    evil = {"Origin": "https://evil.example"}
    resp = await http.post(base + "/chat/session", json={}, headers=evil)
    assert resp.status == 403 and "origin" in (await resp.json())["error"]
    token = await ChatClient(base, http).new_session()
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await http.ws_connect(base.replace("http", "ws") + f"/chat/ws?token={token}",
                              headers=evil)
    assert err.value.status == 403
    own = {"Origin": base}
    assert (await http.post(base + "/chat/session", json={}, headers=own)).status == 200


async def test_malformed_frames_get_errors_and_store_nothing(web) -> None:  # type: ignore[no-untyped-def]
    gw, base, http = web
    c = ChatClient(base, http)
    await c.connect()
    ws = c.ws
    assert ws is not None
    await ws.send_str("not json")
    assert (await c.frame("error"))["code"] == "bad_json"
    await ws.send_json({"type": "message", "text": "hi"})
    assert (await c.frame("error"))["code"] == "bad_client_id"
    await ws.send_json({"type": "bogus", "client_id": "a"})
    assert (await c.frame("error"))["code"] == "bad_type"
    await ws.send_bytes(b"\x00\x01")
    assert (await c.frame("error"))["code"] == "binary"
    await ws.send_json({"type": "message", "text": "   ", "client_id": "b"})
    assert (await c.frame("error"))["code"] == "empty"
    assert await _messages(gw) == 0


async def test_rate_limit_per_session(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(
        "[channels.webchat]\nenabled = true\nrate_limit_burst = 3\nrate_limit_per_minute = 1\n"
    )
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        c = ChatClient(base, http)
        await c.connect()
        codes = []
        for i in range(5):
            await c.send(f"m{i}", f"id{i}")
            frame = await c.frame("ack") if i < 3 else await c.frame("error")
            codes.append(frame["type"] if frame["type"] == "ack" else frame["code"])
        assert codes == ["ack", "ack", "ack", "rate_limited", "rate_limited"]


async def test_signed_shopper_identity(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(
        '[channels.webchat]\nenabled = true\nidentity_secret = "s3cret"\n'
    )
    base = str(gw.client.make_url("")).rstrip("/")
    good = tokens.identity_hash(b"s3cret", "Ann@Example.com")
    async with aiohttp.ClientSession() as http:
        bad = await http.post(base + "/chat/session",
                              json={"email": "ann@example.com", "user_hash": "0" * 64})
        assert bad.status == 403
        c = ChatClient(base, http)
        await c.new_session(email="Ann@Example.com", user_hash=good)
        await c.connect()
        await c.send("hello", "1")
        await c.frame("ack")
    session = tokens.verify(gw.rt.adapters["webchat"]._key, c.token)  # noqa: SLF001
    assert session is not None and session.email == "ann@example.com"


async def test_reconnecting_does_not_refill_the_rate_limit(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(
        "[channels.webchat]\nenabled = true\nrate_limit_burst = 2\nrate_limit_per_minute = 1\n"
    )
    base = str(gw.client.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        c = ChatClient(base, http)
        await c.connect()
        for i in range(2):
            await c.send(f"m{i}", f"id{i}")
            await c.frame("ack")
        await c.close()
        await c.connect()  # same token, new socket
        await c.send("again", "id-x")
        assert (await c.frame("error"))["code"] == "rate_limited"
