"""The WhatsApp Cloud API adapter, driven through a real in-process gateway.

Meta's side is played by a loopback fake of the Graph API (aiohttp on 127.0.0.1) and by
signed webhook POSTs to the gateway's own dispatcher; the journal and receipts are read
back from the real store.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import ValidationError

from omnichannel.adapters.whatsapp_cloud import (
    WhatsAppCloudAdapter,
    WhatsAppCloudConfig,
    split_for_buttons,
    template_param,
)
from omnichannel.adapters.whatsapp_cloud.parse import Status, parse
from omnichannel.channel import (
    AdapterNotReady,
    Button,
    DeliveryError,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
    Role,
    WindowClosedError,
)
from omnichannel.gateway import GatewayContext
from omnichannel.supervisor import State
from tests.conftest import Gateway
from tests.support import ROOT, attach_adapter, detach_adapter, free_port

FIXTURES = ROOT.parent / "shared" / "fixtures" / "whatsapp_cloud"
NAME = "whatsapp_cloud"
PHONE_ID = "1122334455667"  # metadata.phone_number_id in the fixtures
TOKEN = "good-token"
APP_SECRET = "app-secret-for-tests"
VERIFY = "verify-me"
HOOK = "/whatsapp/webhook"
WA_ID = "972987654321"


def fixture_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.json"))
    if not files:
        if os.environ.get("CI") == "true":
            pytest.fail(f"WhatsApp fixtures missing at {FIXTURES}", pytrace=False)
        pytest.skip(f"WhatsApp fixtures not found at {FIXTURES}")
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


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def text_body(wamid: str, text: str, wa_id: str = WA_ID) -> dict[str, Any]:
    body = copy.deepcopy(load("message_text.json"))
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = wa_id
    msg = value["messages"][0]
    msg.update({"id": wamid, "from": wa_id, "text": {"body": text}})
    return body


def status_body(wamid: str, status: str) -> dict[str, Any]:
    body = copy.deepcopy(load(f"status_{status}.json"))
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid
    return body


# ---------------------------------------------------------------- the fake Graph API


class FakeGraph:
    """Meta's Graph API on 127.0.0.1: records requests, answers from a script."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.script: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.ids = itertools.count(1)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.server = TestServer(app, host="127.0.0.1")

    async def start(self) -> FakeGraph:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        await self.server.close()

    @property
    def base(self) -> str:
        return str(self.server.make_url("/v21.0"))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": {"message": "Invalid OAuth access token.",
                                                "type": "OAuthException", "code": 190}},
                                     status=401)
        parts = request.path.strip("/").split("/")
        if parts[0] == "files":
            data, mime = self.media[parts[1]]
            return web.Response(body=data, content_type=mime)
        if request.method == "GET" and parts[1:] == [PHONE_ID]:
            return web.json_response({"id": PHONE_ID})
        if request.method == "GET" and len(parts) == 2 and parts[1] in self.media:
            data, mime = self.media[parts[1]]
            return web.json_response({"url": str(self.server.make_url(f"/files/{parts[1]}")),
                                      "mime_type": mime, "file_size": len(data),
                                      "id": parts[1], "messaging_product": "whatsapp"})
        if request.method == "POST" and parts[1:] == [PHONE_ID, "messages"]:
            if self.script:
                status, answer, headers = self.script.pop(0)
                return web.json_response(answer, status=status, headers=headers)
            await self.sent.put(body)
            return web.json_response({"messaging_product": "whatsapp",
                                      "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                      "messages": [{"id": f"wamid.OUT{next(self.ids)}"}]})
        return web.json_response({"error": {"message": "Unsupported get request",
                                            "code": 100}}, status=400)

    def fail(self, status: int, code: int | None, headers: dict[str, str] | None = None) -> None:
        err: dict[str, Any] = {"message": "scripted", "type": "OAuthException"}
        if code is not None:
            err["code"] = code
        self.script.append((status, {"error": err}, headers or {}))

    def posts(self) -> list[Any]:
        return [b for m, p, b in self.requests if m == "POST"]


def settings(graph: FakeGraph | str, **extra: Any) -> WhatsAppCloudConfig:
    base = graph.base if isinstance(graph, FakeGraph) else graph
    return WhatsAppCloudConfig.model_validate({
        "enabled": True, "phone_number_id": PHONE_ID, "access_token": TOKEN,
        "app_secret": APP_SECRET, "verify_token": VERIFY, "api_base": base, **extra})


async def attach(gw: Gateway, config: WhatsAppCloudConfig) -> WhatsAppCloudAdapter:
    return await attach_adapter(gw, NAME, WhatsAppCloudAdapter(config))  # type: ignore[no-any-return]




async def detach(gw: Gateway) -> None:
    await detach_adapter(gw, NAME)


async def post(gw: Gateway, body: Any, *, signature: str | None = "auto",
               raw: bytes | None = None) -> tuple[int, str]:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(data)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    resp = await gw.client.post(HOOK, data=data, headers=headers)
    return resp.status, await resp.text()


async def journal_ids(gw: Gateway) -> list[tuple[str, int]]:
    def read(conn):  # type: ignore[no-untyped-def]
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT external_id, message_id FROM journal WHERE channel = ? ORDER BY id",
            (NAME,))]
    return await gw.store.db.read(read)  # type: ignore[no-any-return]


class WhatsAppCloudDriver:
    """The contract suite's driver: signed webhooks in, the fake Graph API out."""

    name = NAME
    chat = "15550001111"

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.graph = FakeGraph()
        self.adapter: WhatsAppCloudAdapter | None = None

    async def open(self) -> str:
        await self.graph.start()
        self.adapter = await attach(self.gw, settings(self.graph))
        assert self.gw.rt.supervisors[NAME].health.state is State.READY
        return self.chat

    async def inject(self, text: str, event_id: str) -> int | None:
        status, answer = await post(self.gw, text_body(f"wamid.{event_id}", text, self.chat))
        if status != 200:
            raise RuntimeError(f"webhook answered {status}: {answer}")
        ids = dict(await journal_ids(self.gw))
        return ids.get(f"wamid.{event_id}")

    async def received(self) -> dict[str, Any]:
        body = await asyncio.wait_for(self.graph.sent.get(), 10)
        text = (body["text"]["body"] if body["type"] == "text"
                else body["interactive"]["body"]["text"])
        return {"text": text, "payload": body}

    async def close(self) -> None:
        await detach(self.gw)
        await self.graph.close()


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    g = await FakeGraph().start()
    yield g
    await g.close()


@pytest.fixture
async def wa(gateway_factory, graph) -> AsyncIterator[tuple[Gateway, WhatsAppCloudAdapter]]:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(graph))
    yield gw, adapter
    await detach(gw)


def out(text: str = "hello", buttons: tuple[Button, ...] = (), window_open: bool = True,
        chat: str = WA_ID) -> Outbound:
    return Outbound(outbox_id=1, conversation_id=1, chat_id=chat, role=Role.AGENT, text=text,
                    buttons=buttons, window_open=window_open)


# ---------------------------------------------------------------- every fixture

ORDER = ("[order from the WhatsApp catalog, total 180 ILS]\n- 3 x HAMBURGER at 30 ILS\n"
         "- 2 x FRENCH_FRIES at 35 ILS\n- 2 x SODA at 10 ILS")
# file -> (external id, text, button value) for messages, or a Status for receipts.
EXPECTED: dict[str, tuple[str, str, str | None] | Status] = {
    "message_text.json": ("wamid.xyzxyz", "Body Text", None),
    "message_image.json": ("wamid.xyzxyz", "[image] (media 65463453)", None),
    "message_document_forwarded.json": (
        "wamid.xyzxyz",
        "[forwarded] [document: filename.pdf - caption] (media 1234567890987654321)", None),
    "message_text_reply_with_context.json": ("wamid.xyzxyz", "replied text", None),
    "message_order_cart.json": ("wamid.xyzxyz", ORDER, None),
    "message_text_with_ctwa_referral.json": ("wamid.ID", "BODY\n[came from ad: AD_TITLE]", None),
    "interactive_button_reply.json": ("wamid.xyzxyz", "title", "callback_data"),
    "interactive_list_reply.json": ("wamid.zyzxyz", "title", "callback_data"),
    "button_template_quick_reply.json": ("wamid.xsidjw", "title", "callback_data"),
    "status_sent.json": Status("wamid.xyzxyz", "sent"),
    "status_delivered.json": Status("wamid.xyzxyz", "delivered"),
    "status_read.json": Status("wamid.xyzxyz", "read"),
    "status_failed.json": Status("wamid.xyzxyz", "failed",
                                 "130472 User's number is part of an experiment"),
}


def test_every_fixture_file_has_an_expectation() -> None:
    names = {p.name for p in fixture_files()}
    assert names == set(EXPECTED), "new fixture: add what it should normalise to"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_normalises(name: str) -> None:
    body = load(name)
    parsed = parse(body, NAME, "default", PHONE_ID)
    want = EXPECTED[name]
    if isinstance(want, Status):
        assert parsed.statuses == [want] and parsed.inbound == []
        return
    assert parsed.statuses == [] and len(parsed.inbound) == 1
    got = parsed.inbound[0]
    msg = body["entry"][0]["changes"][0]["value"]["messages"][0]
    assert (got.external_id, got.text, got.button_value) == want
    assert (got.channel, got.account, got.chat_id, got.sender_id) == (
        NAME, "default", WA_ID, WA_ID)
    assert got.sender_name == "Test Name" and got.verified_phone == "+" + WA_ID
    assert got.received_at == datetime.fromtimestamp(int(msg["timestamp"]), UTC)
    media = [(m.media_id, m.kind) for m in parsed.media]
    if msg["type"] in ("image", "document"):
        assert media == [(msg[msg["type"]]["id"], msg["type"])]
    else:
        assert media == []


def test_other_numbers_other_fields_and_unknown_types_are_ignored() -> None:
    body = load("message_text.json")
    assert parse(body, NAME, "default", "999").inbound == []
    weird = copy.deepcopy(body)
    weird["entry"][0]["changes"][0]["value"]["messages"][0]["type"] = "reaction"
    assert parse(weird, NAME, "default", PHONE_ID).ignored == 1
    other = copy.deepcopy(body)
    other["entry"][0]["changes"][0]["field"] = "account_update"
    assert parse(other, NAME, "default", PHONE_ID).inbound == []
    assert parse({"object": "page", "entry": []}, NAME, "default", PHONE_ID).ignored == 1


async def test_every_fixture_through_the_gateway(wa) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = wa
    for path in fixture_files():
        status, text = await post(gw, json.loads(path.read_bytes()))
        assert status == 200, (path.name, text)
    want = {w[0] for w in EXPECTED.values() if isinstance(w, tuple)}
    stored = await journal_ids(gw)
    assert {e for e, _m in stored} == want and len(stored) == len(want)  # dedup on wamid
    convs = await gw.store.list_conversations()
    assert len(convs) == 1  # one chat: the shopper's wa_id


# ---------------------------------------------------------------- webhook security


async def test_signature_valid_invalid_missing_altered_and_replayed(wa) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = wa
    raw = json.dumps(text_body("wamid.sig1", "hello")).encode()
    assert (await post(gw, None, raw=raw, signature=sign(raw, "wrong-secret")))[0] == 403
    assert (await post(gw, None, raw=raw, signature=None))[0] == 403
    assert (await post(gw, None, raw=raw, signature="sha256=" + "0" * 64))[0] == 403
    assert (await post(gw, None, raw=raw, signature=sign(raw)[7:]))[0] == 403  # no prefix
    assert (await post(gw, None, raw=b"{not json", signature=None))[0] == 403  # before parse
    altered = raw.replace(b"hello", b"HELLO")
    assert (await post(gw, None, raw=altered, signature=sign(raw)))[0] == 403
    reformatted = json.dumps(json.loads(raw), indent=1).encode()  # same JSON, other bytes
    assert (await post(gw, None, raw=reformatted, signature=sign(raw)))[0] == 403
    assert await journal_ids(gw) == []
    assert (await post(gw, None, raw=raw, signature=sign(raw)))[0] == 200
    assert (await post(gw, None, raw=raw, signature=sign(raw)))[0] == 200  # Meta's retry
    stored = await journal_ids(gw)
    assert [e for e, _m in stored] == ["wamid.sig1"]
    convs = await gw.store.list_conversations()
    transcript = await gw.store.transcript(convs[0].id)
    assert [m.text for m in transcript if m.role is Role.CUSTOMER] == ["hello"]


async def test_malformed_bodies_get_400_with_a_reason(wa) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = wa
    status, text = await post(gw, None, raw=b"{not json")
    assert status == 400 and "JSON" in text
    status, text = await post(gw, None, raw=b"\xff\xfe")
    assert status == 400
    status, text = await post(gw, {"object": "whatsapp_business_account", "entry": "x"})
    assert status == 400 and "entry" in text
    bad = text_body("wamid.bad", "x")
    del bad["entry"][0]["changes"][0]["value"]["messages"][0]["from"]
    status, text = await post(gw, bad)
    assert status == 400 and "from" in text
    assert await journal_ids(gw) == []


async def test_no_200_when_the_journal_write_fails(wa) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = wa
    router = gw.rt.router

    async def failing(inbound):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    original, router.publish = router.publish, failing
    try:
        status, _text = await post(gw, text_body("wamid.lost", "hi"))
    finally:
        router.publish = original
    assert status == 500
    assert (await post(gw, text_body("wamid.lost", "hi")))[0] == 200  # Meta's retry lands
    assert [e for e, _m in await journal_ids(gw)] == ["wamid.lost"]


async def test_hub_challenge_handshake(wa) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = wa
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    resp = await gw.client.get(HOOK, params=good)
    assert resp.status == 200 and await resp.text() == "1158201444"
    for bad in ({**good, "hub.verify_token": "nope"}, {**good, "hub.mode": "unsubscribe"},
                {"hub.challenge": "1"}):
        resp = await gw.client.get(HOOK, params=bad)
        assert resp.status == 403 and "1158201444" not in await resp.text()


# ---------------------------------------------------------------- sending


async def test_send_text_and_round_trip_through_the_agent(wa, graph) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = wa
    receipt = await adapter.send(out("plain words"))
    assert receipt.platform_message_id == "wamid.OUT1"
    body = await asyncio.wait_for(graph.sent.get(), 10)
    assert body == {"messaging_product": "whatsapp", "recipient_type": "individual",
                    "to": WA_ID, "type": "text",
                    "text": {"body": "plain words", "preview_url": False}}
    assert (await post(gw, text_body("wamid.in1", "echo me")))[0] == 200
    reply = await asyncio.wait_for(graph.sent.get(), 10)  # the echo engine's answer
    assert reply["to"] == WA_ID and reply["text"]["body"] == "echo me"


async def test_send_buttons_as_interactive_reply_buttons(wa, graph) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = wa
    buttons = (Button("Track my order please now", "track"), Button("Returns", "returns"))
    await adapter.send(out("Pick one", buttons))
    body = await asyncio.wait_for(graph.sent.get(), 10)
    assert body["type"] == "interactive"
    inter = body["interactive"]
    assert inter["type"] == "button" and inter["body"] == {"text": "Pick one"}
    assert inter["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "track", "title": "Track my order plea…"}},
        {"type": "reply", "reply": {"id": "returns", "title": "Returns"}}]
    assert all(len(b["reply"]["title"]) <= 20 for b in inter["action"]["buttons"])
    same = (Button("Order status for order A1", "a1"),
            Button("Order status for order A2", "a2"))
    await adapter.send(out("Which?", same))
    titles = [b["reply"]["title"] for b in
              (await asyncio.wait_for(graph.sent.get(), 10))["interactive"]["action"]["buttons"]]
    assert len(set(titles)) == 2 and all(len(t) <= 20 for t in titles)
    long = "First paragraph. " * 80 + "\n\n" + "Which one?"
    receipt = await adapter.send(out(long, buttons))
    first = await asyncio.wait_for(graph.sent.get(), 10)
    second = await asyncio.wait_for(graph.sent.get(), 10)
    assert first["type"] == "text" and second["type"] == "interactive"
    assert second["interactive"]["body"]["text"] == "Which one?"
    assert receipt.platform_message_id == "wamid.OUT4"


def test_long_button_texts_split_at_a_break() -> None:
    head, body = split_for_buttons("a" * 1500 + ". " + "b" * 100)
    assert body == "b" * 100 and head.endswith(".")
    assert split_for_buttons("short") == ("", "short")
    assert template_param("line one\n\nline\ttwo     x") == "line one line two x"


async def test_graph_errors_map_to_delivery_errors(wa, graph) -> None:  # type: ignore[no-untyped-def]
    _gw, adapter = wa
    graph.fail(429, 130429, {"Retry-After": "7"})
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out())
    assert exc.value.retry_after == 7.0 and "130429" in str(exc.value)
    graph.fail(400, 80007)
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(out())
    graph.fail(503, None)
    with pytest.raises(RetryableDeliveryError) as exc:
        await adapter.send(out())
    assert exc.value.retry_after is None
    graph.fail(400, 131026)  # message undeliverable
    with pytest.raises(PermanentDeliveryError) as perm:
        await adapter.send(out())
    assert not isinstance(perm.value, WindowClosedError)
    graph.fail(400, 131047)
    with pytest.raises(WindowClosedError):
        await adapter.send(out())
    with pytest.raises(WindowClosedError):
        await adapter.send(out(window_open=False))
    assert graph.sent.empty()


async def test_template_when_the_window_is_closed(gateway_factory, graph) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(graph, template_name="order_update",
                                        template_language="de", template_parameter="text"))
    try:
        receipt = await adapter.send(out("Your parcel\nleft today.", window_open=False))
        body = await asyncio.wait_for(graph.sent.get(), 10)
        assert receipt.platform_message_id and body["type"] == "template"
        assert body["template"] == {
            "name": "order_update", "language": {"code": "de"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": "Your parcel left today."}]}]}
        graph.fail(400, 131047)  # Meta's clock says closed while ours said open
        await adapter.send(out("late"))
        assert (await asyncio.wait_for(graph.sent.get(), 10))["type"] == "template"
    finally:
        await detach(gw)


async def test_statuses_update_delivery_in_the_store(wa, graph) -> None:  # type: ignore[no-untyped-def]
    gw, _adapter = wa
    assert (await post(gw, text_body("wamid.in2", "status please")))[0] == 200
    await asyncio.wait_for(graph.sent.get(), 10)

    def delivery(conn):  # type: ignore[no-untyped-def]
        return conn.execute(
            "SELECT o.platform_message_id, o.status, m.delivery FROM outbox o "
            "JOIN messages m ON m.id = o.message_id WHERE o.channel = ?", (NAME,)).fetchone()

    for _ in range(100):
        row = await gw.store.db.read(delivery)
        if row and row[0]:
            break
        await asyncio.sleep(0.02)
    wamid = row[0]
    assert wamid.startswith("wamid.OUT")
    for status in ("delivered", "read", "delivered"):
        assert (await post(gw, status_body(wamid, status)))[0] == 200
    assert tuple(await gw.store.db.read(delivery))[1:] == ("sent", "read")
    assert (await post(gw, status_body("wamid.unknown", "read")))[0] == 200
    assert (await post(gw, status_body(wamid, "failed")))[0] == 200
    assert tuple(await gw.store.db.read(delivery))[1:] == ("failed", "failed")


# ---------------------------------------------------------------- start and media


async def test_start_with_a_bad_token_fails_auth(gateway_factory, graph) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    cfg = settings(graph, access_token="expired")
    try:
        await attach(gw, cfg)
        health = gw.rt.supervisors[NAME].health
        assert health.state is State.FAILED and "credentials refused" in health.detail
        assert "expired" not in health.detail and "expired" not in repr(cfg)
        assert ("GET", HOOK) not in gw.rt.routes
    finally:
        await detach(gw)


async def test_start_with_graph_unreachable_is_not_ready(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = WhatsAppCloudAdapter(settings(f"http://127.0.0.1:{free_port()}/v21.0"))
    with pytest.raises(AdapterNotReady):
        await adapter.start(GatewayContext(gw.rt, NAME))
    with pytest.raises(DeliveryError):
        await adapter.send(out())
    await adapter.stop()


async def test_media_is_downloaded_within_limits(gateway_factory, graph, tmp_path) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    media = tmp_path / "media"
    adapter = await attach(gw, settings(graph, media_dir=str(media), max_media_bytes=1000,
                                        allowed_media_types=["image/*"]))
    try:
        graph.media = {"65463453": (b"\xff\xd8jpeg" * 10, "image/jpeg"),
                       "1234567890987654321": (b"%PDF", "application/pdf")}
        assert (await post(gw, load("message_image.json")))[0] == 200
        assert (await post(gw, load("message_document_forwarded.json")))[0] == 200  # dup
        doc = copy.deepcopy(load("message_document_forwarded.json"))
        doc["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.pdf"
        assert (await post(gw, doc))[0] == 200  # fresh, but PDFs are not allowed here
        big = copy.deepcopy(load("message_image.json"))
        msg = big["entry"][0]["changes"][0]["value"]["messages"][0]
        msg["id"], msg["image"]["id"] = "wamid.big", "777"
        graph.media["777"] = (b"x" * 5000, "image/png")
        assert (await post(gw, big))[0] == 200
        await adapter.drain()
        assert sorted(p.name for p in media.iterdir()) == ["65463453.jpg"]  # no .part left
        looked_up = {p.rsplit("/", 1)[1] for m, p, _b in graph.requests if m == "GET"}
        assert {"65463453", "1234567890987654321", "777"} <= looked_up
        assert (media / "65463453.jpg").read_bytes() == b"\xff\xd8jpeg" * 10
    finally:
        await detach(gw)


async def test_media_lands_in_the_state_directory_by_default(wa, graph) -> None:  # type: ignore[no-untyped-def]
    gw, adapter = wa
    graph.media = {"65463453": (b"\xff\xd8jpeg", "image/jpeg")}
    assert (await post(gw, load("message_image.json")))[0] == 200
    await adapter.drain()
    saved = gw.config.store.state_dir / "media" / NAME / "65463453.jpg"
    assert saved.read_bytes() == b"\xff\xd8jpeg"


async def test_download_media_off_means_no_download(gateway_factory, graph) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    adapter = await attach(gw, settings(graph, download_media=False))
    try:
        assert (await post(gw, load("message_image.json")))[0] == 200
        await adapter.drain()
        assert [p for m, p, _b in graph.requests if p.endswith("/65463453")] == []
    finally:
        await detach(gw)


def test_config_is_strict_and_keeps_secrets_out_of_repr() -> None:
    cfg = settings("https://graph.facebook.com/v21.0")
    assert TOKEN not in repr(cfg) and APP_SECRET not in repr(cfg)
    with pytest.raises(ValidationError):
        settings("https://graph.facebook.com/v21.0", no_such_key=1)
    with pytest.raises(ValidationError):
        settings("https://graph.facebook.com/v21.0", app_secret="")
    with pytest.raises(ValidationError):
        settings("https://graph.facebook.com/v21.0", phone_number_id="../x")
