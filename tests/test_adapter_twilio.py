"""The Twilio adapters (sms, whatsapp) against a loopback fake of Twilio's REST API.

Everything listens on 127.0.0.1: the gateway (aiohttp TestServer), the fake Twilio API and
the fake media host. Webhooks are signed the way Twilio signs them, for the public URL.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from twilio.request_validator import RequestValidator

from omnichannel.adapters.twilio import TwilioSMSAdapter, TwilioWhatsAppAdapter, sms
from omnichannel.adapters.twilio.config import SMSConfig, WhatsAppConfig
from omnichannel.channel import (
    AdapterNotReady,
    Inbound,
    Outbound,
    PermanentDeliveryError,
    Published,
    RetryableDeliveryError,
    Role,
    WindowClosedError,
)
from omnichannel.gateway import Gateway as Runtime
from omnichannel.gateway import GatewayContext
from omnichannel.supervisor import State, Supervisor
from tests.conftest import Gateway, close
from tests.support import ROOT, until

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "test-auth-token-0123456789"
PUBLIC = "https://shop.example.com"
FIXTURES = ROOT.parent / "shared" / "fixtures" / "twilio"
SHOPPER = "+14155550100"


# ---------------------------------------------------------------- fake Twilio REST API
class FakeTwilio:
    """POST Accounts/{sid}/Messages.json and GET Accounts/{sid}.json with Twilio's JSON and
    error shapes; `script` queues non-default answers; /media/* serves test files."""

    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.script: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.sids: list[str] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self.media_auth: list[str | None] = []
        self.token = TOKEN
        self._n = itertools.count(1)
        app = web.Application()
        app.router.add_get("/2010-04-01/Accounts/{sid}.json", self.account)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create)
        app.router.add_get("/media/{name}", self.serve)
        app.router.add_get("/redirect/{name}", self.redirect)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def _authorised(self, request: web.Request) -> bool:
        want = "Basic " + base64.b64encode(f"{SID}:{self.token}".encode()).decode()
        return request.headers.get("Authorization") == want

    @staticmethod
    def error(status: int, code: int, message: str,
              headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response({"code": code, "message": message, "status": status,
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}"},
                                 status=status, headers=headers)

    async def account(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["sid"] != SID:
            return self.error(401, 20003, "Authenticate")
        return web.json_response({"sid": SID, "friendly_name": "fake", "status": "active",
                                  "type": "Full"})

    async def create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self.error(401, 20003, "Authenticate")
        form = {k: str(v) for k, v in (await request.post()).items()}
        if self.script:
            status, headers, body = self.script.pop(0)
            return web.json_response(body, status=status, headers=headers)
        sid = self.sids.pop(0) if self.sids else f"SM{next(self._n):032x}"
        self.messages.append(form)
        self.queue.put_nowait(form)
        return web.json_response({
            "sid": sid, "account_sid": SID, "to": form.get("To"), "from": form.get("From"),
            "body": form.get("Body", ""), "status": "queued", "num_segments": "1",
            "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Thu, 01 Jan 2026 00:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json",
        }, status=201)

    async def serve(self, request: web.Request) -> web.Response:
        self.media_auth.append(request.headers.get("Authorization"))
        body, ctype = self.media[request.match_info["name"]]
        return web.Response(body=body, content_type=ctype)

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(f"/media/{request.match_info['name']}")

    async def received(self, to: str, timeout: float = 10.0) -> dict[str, str]:
        while True:
            msg = await asyncio.wait_for(self.queue.get(), timeout)
            if msg.get("To") == to:
                return msg


# ---------------------------------------------------------------- gateway plumbing
class RecordingContext(GatewayContext):
    """The real gateway context, remembering what each publish returned."""

    def __init__(self, runtime: Runtime, channel: str) -> None:
        super().__init__(runtime, channel)
        self.published: dict[str, Published] = {}

    async def publish(self, inbound: Inbound) -> Published:
        result = await super().publish(inbound)
        self.published[inbound.external_id] = result
        return result


@dataclass
class Harness:
    gw: Gateway
    adapter: TwilioSMSAdapter | TwilioWhatsAppAdapter
    fake: FakeTwilio
    ctx: RecordingContext
    sup: Supervisor
    extra: list[Callable[[], Any]] = field(default_factory=list)

    async def post(self, path: str, form: dict[str, str], *, signed_for: str | None = None,
                   signature: str | None = "auto") -> tuple[int, str]:
        if signature == "auto":
            signature = sign((signed_for or PUBLIC) + path, form)
        headers = {"X-Twilio-Signature": signature} if signature is not None else {}
        async with self.gw.client.post(path, data=form, headers=headers) as resp:
            return resp.status, await resp.text()

    async def close(self) -> None:
        # The gateway first, as app.py orders it: lanes finish, the outbox drains into the
        # still-running channel; then the channel and its fake platform.
        await close(self.gw)
        await self.sup.stop()
        await self.adapter.stop()
        await self.fake.server.close()


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, form))


def settings(channel: str, fake_url: str, **extra: Any) -> SMSConfig | WhatsAppConfig:
    base: dict[str, Any] = {"enabled": True, "account_sid": SID, "auth_token": TOKEN,
                            "public_url": PUBLIC, "api_base": fake_url,
                            # No test reaches a real media host, whatever DNS says.
                            "allowed_media_hosts": ["127.0.0.1"]}
    if channel == "sms":
        return SMSConfig.model_validate({"from_number": "+15555550100", **base, **extra})
    return WhatsAppConfig.model_validate({"from_number": "whatsapp:+15555550100", **base,
                                          **extra})


async def attach(gw: Gateway, channel: str, fake: FakeTwilio | None = None,
                 wait: bool = True, **extra: Any) -> Harness:
    """Start a Twilio adapter inside a running gateway the way app.py's _adapter_ctx does
    (until the `sms` / `whatsapp` entry points exist, a config table cannot do it)."""
    if fake is None:
        fake = FakeTwilio()
        await fake.server.start_server()
    cls = TwilioSMSAdapter if channel == "sms" else TwilioWhatsAppAdapter
    adapter = cls(settings(channel, fake.url, **extra))  # type: ignore[arg-type]
    ctx = RecordingContext(gw.rt, channel)
    sup = gw.rt.launch(channel, adapter, ctx, base=0.05, cap=0.1, max_restarts=2)
    h = Harness(gw, adapter, fake, ctx, sup)
    if wait:
        await until(lambda: sup.health.state in (State.READY, State.FAILED))
        assert sup.health.state is State.READY, sup.health.detail
    return h



@pytest.fixture
async def twilio(gateway_factory) -> AsyncIterator[Callable[..., Any]]:  # type: ignore[no-untyped-def]
    made: list[Harness] = []

    async def make(channel: str = "sms", **extra: Any) -> Harness:
        gw = await gateway_factory()
        h = await attach(gw, channel, **extra)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.close()


def fixture_files() -> list[Path]:
    if not FIXTURES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Twilio fixtures missing at {FIXTURES}", pytrace=False)
        pytest.skip(f"Twilio fixtures not found at {FIXTURES}")
    return sorted(FIXTURES.glob("*.json"))


def inbound_form(text: str, sid: str, sender: str = SHOPPER, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": SID, "From": sender,
            "To": "+15555550100", "Body": text, "NumMedia": "0", "ApiVersion": "2010-04-01",
            **extra}


def out(chat: str, text: str = "hello", window_open: bool = True) -> Outbound:
    return Outbound(outbox_id=1, conversation_id=1, chat_id=chat, role=Role.AGENT, text=text,
                    window_open=window_open)


async def conversations(gw: Gateway) -> int:
    return len(await gw.store.list_conversations())


# ---------------------------------------------------------------- contract-suite drivers
class _TwilioDriver:
    name = "sms"
    chat = SHOPPER

    def __init__(self, gw) -> None:  # type: ignore[no-untyped-def]
        self.gw = gw
        self.harness: Harness | None = None

    @property
    def adapter(self) -> TwilioSMSAdapter | TwilioWhatsAppAdapter:
        assert self.harness is not None
        return self.harness.adapter

    async def open(self) -> str:
        self.harness = await attach(self.gw, self.name)
        return self.chat

    async def inject(self, text: str, event_id: str) -> int | None:
        assert self.harness is not None
        status, body = await self.harness.post(f"/twilio/{self.name}",
                                               inbound_form(text, event_id, self.chat))
        if status != 200:
            raise RuntimeError(f"webhook answered {status}: {body.strip()}")
        return self.harness.ctx.published[event_id].message_id

    async def received(self) -> dict[str, str]:
        assert self.harness is not None
        msg = await self.harness.fake.received(self.chat)
        return {"text": msg["Body"], **msg}

    async def close(self) -> None:
        if self.harness is not None:
            await self.harness.close()


class TwilioSMSDriver(_TwilioDriver):
    name = "sms"
    chat = SHOPPER


class TwilioWhatsAppDriver(_TwilioDriver):
    name = "whatsapp"
    chat = "whatsapp:" + SHOPPER


# ---------------------------------------------------------------- fixtures: every capture
EXPECTED: dict[str, dict[str, Any]] = {
    "sms_incoming_text.json": dict(
        channel="sms", external_id="SMc56324aa4a31735561b7205472192d68",
        chat_id="+541100000000", text="Hello", sender_name=None,
        verified_phone="+541100000000"),
    # Upstream's media values are junk ("json", "www.google.com"): a placeholder, no fetch.
    "mms_incoming_with_media.json": dict(
        channel="sms", external_id="SMa56324aa4a31735561b7205472192d68",
        chat_id="+571100000000", text="Hello\n[file attached]", sender_name=None,
        verified_phone="+571100000000"),
    "whatsapp_incoming_text.json": dict(
        channel="whatsapp", external_id="SM7cd85aed706d25735d1c8019234XXXXX",
        chat_id="whatsapp:+886123456789", text="hi", sender_name=None,
        verified_phone="+886123456789"),
    "whatsapp_incoming_image.json": dict(
        channel="whatsapp", external_id="MMad0463f6e2a946b3fc91d9a04a2XXXXX",
        chat_id="whatsapp:+886123456789", text="xd\n[image attached]", sender_name=None,
        verified_phone="+886123456789"),
    # Only SmsSid here: the older name of MessageSid.
    "whatsapp_incoming_ctwa_ad_referral.json": dict(
        channel="whatsapp", external_id="SM123", chat_id="+1234567890", text="Test message",
        sender_name="muhsin", verified_phone="+1234567890"),
    "whatsapp_status_sent.json": dict(channel="whatsapp", status="sent"),
    "whatsapp_status_delivered.json": dict(channel="whatsapp", status="delivered"),
    "whatsapp_status_read.json": dict(channel="whatsapp", status="read"),
}


def test_every_fixture_file_has_an_expectation() -> None:
    assert {p.name for p in fixture_files()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_fixture_is_normalised(name: str, twilio) -> None:  # type: ignore[no-untyped-def]
    files = {p.name: p for p in fixture_files()}
    form = json.loads(files[name].read_text())
    want = dict(EXPECTED[name])
    channel = want.pop("channel")
    h: Harness = await twilio(channel)
    if "status" in want:
        sid = form["MessageSid"]
        h.fake.sids.append(sid)  # the reply the status is about gets this SID
        await h.post(f"/twilio/{channel}", inbound_form("hi", "SMin1", form["To"]))
        await h.fake.received(form["To"])
        pid = await until(lambda: outbox_row(h.gw, sid))
        status, body = await h.post(f"/twilio/{channel}/status", form)
        assert (status, body) == (200, '<?xml version="1.0" encoding="UTF-8"?><Response/>')
        assert pid and await delivery(h.gw) == want["status"]
        return
    seen: list[Inbound] = []
    original = h.ctx.publish

    async def spy(inbound: Inbound) -> Published:
        seen.append(inbound)
        return await original(inbound)

    h.ctx.publish = spy  # type: ignore[method-assign]
    status, body = await h.post(f"/twilio/{channel}", form)
    assert status == 200 and "<Response/>" in body
    [got] = seen
    assert {k: getattr(got, k) for k in want} == want
    assert got.sender_id == got.chat_id and got.account == "default"


async def outbox_row(gw: Gateway, pid: str) -> bool:
    def q(conn):  # type: ignore[no-untyped-def]
        return conn.execute("SELECT status FROM outbox WHERE platform_message_id = ?",
                            (pid,)).fetchone()
    row = await gw.store.db.read(q)
    return row is not None and row[0] == "sent"


async def delivery(gw: Gateway) -> str | None:
    def q(conn):  # type: ignore[no-untyped-def]
        row = conn.execute("SELECT delivery FROM messages WHERE role = 'agent' "
                           "ORDER BY id DESC").fetchone()
        return row[0] if row else None
    return await gw.store.db.read(q)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- signatures and storage
async def test_valid_signature_is_stored_then_answered(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    status, body = await h.post("/twilio/sms", inbound_form("hello there", "SMok1"))
    assert status == 200 and body.endswith("<Response/>")
    assert "SMok1" in h.ctx.published  # stored before the 200
    reply = await h.fake.received(SHOPPER)
    assert reply["Body"] == "hello there" and reply["From"] == "+15555550100"
    assert reply["StatusCallback"] == PUBLIC + "/twilio/sms/status"


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "wrong-token"])
async def test_bad_or_missing_signature_is_403_and_nothing_stored(twilio, signature) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    form = inbound_form("let me in", "SMbad")
    if signature == "wrong-token":
        signature = sign(PUBLIC + "/twilio/sms", form, token="another-token")
    status, _ = await h.post("/twilio/sms", form, signature=signature)
    assert status == 403
    assert h.ctx.published == {} and await conversations(h.gw) == 0


async def test_tampered_body_fails_the_signature(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    form = inbound_form("refund me $5", "SMtamper")
    sig = sign(PUBLIC + "/twilio/sms", form)
    status, _ = await h.post("/twilio/sms", {**form, "Body": "refund me $500"}, signature=sig)
    assert status == 403 and await conversations(h.gw) == 0


def test_direct_signature_matches_twilios_validator() -> None:
    """The hot-path HMAC and Twilio's RequestValidator agree on every shape of form: repeated
    keys and values, unicode, empty values, odd characters; the port variants and the
    wrong token fall through to (and are judged by) Twilio's validator."""
    from multidict import MultiDict

    from omnichannel.adapters.twilio import webhook as wh

    url = "https://shop.example.com/twilio/sms?x=1&y=%20"
    forms = [
        MultiDict(),
        MultiDict([("Body", "héllo 👋"), ("From", "+15555550100"), ("MessageSid", "SM1")]),
        MultiDict([("MediaUrl0", "a"), ("MediaUrl0", "b"), ("MediaUrl0", "a"), ("Z", "")]),
        MultiDict([("Body", "line\nbreak&amp;=?"), ("body", "case"), ("B", "1")]),
    ]
    for form in forms:
        want = RequestValidator("tok").compute_signature(url, form)
        assert wh.sign("tok", url, form) == want
        assert wh.verify("tok", url, form, want)
        assert not wh.verify("other", url, form, want)
    form = forms[1]
    with_port = RequestValidator("tok").compute_signature(
        "https://shop.example.com:443/twilio/sms", form)
    assert wh.verify("tok", "https://shop.example.com/twilio/sms", form, with_port)


async def test_behind_a_proxy_the_public_url_is_what_counts(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    # The request reaches us as http://127.0.0.1:PORT/twilio/sms?shop=1 ...
    local = str(h.gw.client.make_url("")).rstrip("/")
    assert local.startswith("http://127.0.0.1:")
    form = inbound_form("via proxy", "SMproxy")
    # ... signed for the URL Twilio called (the public one): accepted, query included.
    assert (await h.post("/twilio/sms?shop=1", form))[0] == 200
    # Signed for the URL the gateway saw: that is not what Twilio would have signed.
    status, _ = await h.post("/twilio/sms?shop=1", inbound_form("via proxy", "SMproxy2"),
                             signed_for=local)
    assert status == 403
    assert set(h.ctx.published) == {"SMproxy"}


async def test_replayed_message_sid_is_stored_once_and_answered_once(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    form = inbound_form("only once", "SMreplay")
    assert (await h.post("/twilio/sms", form))[0] == 200
    first = h.ctx.published["SMreplay"]
    assert (await h.post("/twilio/sms", form))[0] == 200  # Twilio's retry still gets a 200
    second = h.ctx.published["SMreplay"]
    assert second.duplicate and second.message_id == first.message_id
    assert (await h.fake.received(SHOPPER))["Body"] == "only once"
    await h.post("/twilio/sms", inbound_form("next", "SMnext"))
    assert (await h.fake.received(SHOPPER))["Body"] == "next"


@pytest.mark.parametrize("drop", ["From", "MessageSid"])
async def test_malformed_signed_body_is_400_with_a_reason(twilio, drop) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    form = inbound_form("x", "SMmal")
    del form[drop]
    if drop == "MessageSid":
        del form["SmsSid"]
    status, body = await h.post("/twilio/sms", form)
    assert status == 400 and f"{drop} is missing" in body
    assert await conversations(h.gw) == 0


async def test_journal_failure_is_not_acknowledged(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    router = h.gw.rt.router
    assert router is not None

    async def failing(inbound: Inbound) -> Published:
        raise OSError("disk full")

    router.publish = failing  # type: ignore[method-assign]
    status, _ = await h.post("/twilio/sms", inbound_form("lost?", "SMfail"))
    assert status == 503 and await conversations(h.gw) == 0


# ---------------------------------------------------------------- media
async def test_media_is_downloaded_within_limits_from_allowed_hosts(twilio, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "media"
    h: Harness = await twilio("whatsapp", media_dir=str(folder), max_media_bytes=1000,
                              allowed_media_hosts=["127.0.0.1"])
    h.fake.media.update({"ok.jpg": (b"\xff\xd8jpeg" * 10, "image/jpeg"),
                         "big.png": (b"x" * 5000, "image/png"),
                         "page.html": (b"<html>", "text/html")})
    base = h.fake.url
    form = inbound_form("", "MMmedia", "whatsapp:" + SHOPPER, NumMedia="5",
                        MediaUrl0=f"{base}/redirect/ok.jpg", MediaContentType0="image/jpeg",
                        MediaUrl1=f"{base}/media/big.png", MediaContentType1="image/png",
                        MediaUrl2=f"{base}/media/page.html", MediaContentType2="text/html",
                        MediaUrl3="https://evil.example.com/x.jpg",
                        MediaContentType3="image/jpeg",
                        MediaUrl4="www.google.com", MediaContentType4="audio/ogg")
    assert (await h.post("/twilio/whatsapp", form))[0] == 200
    assert [p.name for p in folder.iterdir()] == ["MMmedia-0.jpg"]
    assert (folder / "MMmedia-0.jpg").read_bytes() == b"\xff\xd8jpeg" * 10
    # The account credentials went to the API host (here the fake) only.
    assert h.fake.media_auth[0] is not None and h.fake.media_auth[0].startswith("Basic ")
    msg = await h.fake.received("whatsapp:" + SHOPPER)
    assert msg["Body"] == ("[image attached]\n[image attached]\n[file attached]\n"
                           "[image attached]\n[audio attached]")


async def test_media_lands_in_the_state_directory_by_default(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    h.fake.media["b.png"] = (b"png-bytes", "image/png")
    form = inbound_form("see", "MMdefault", NumMedia="1",
                        MediaUrl0=f"{h.fake.url}/media/b.png", MediaContentType0="image/png")
    assert (await h.post("/twilio/sms", form))[0] == 200
    saved = h.gw.config.store.state_dir / "media" / "sms" / "MMdefault-0.png"
    assert saved.read_bytes() == b"png-bytes"  # on disk before the 200


async def test_download_media_off_fetches_nothing(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms", download_media=False)
    h.fake.media["a.jpg"] = (b"jpeg", "image/jpeg")
    form = inbound_form("look", "MMnofetch", NumMedia="1",
                        MediaUrl0=f"{h.fake.url}/media/a.jpg", MediaContentType0="image/jpeg")
    assert (await h.post("/twilio/sms", form))[0] == 200
    assert (await h.fake.received(SHOPPER))["Body"] == "look\n[image attached]"
    assert h.fake.media_auth == []


# ---------------------------------------------------------------- status callbacks
async def test_status_callbacks_move_delivery_and_failures_carry_the_error(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    h.fake.sids.append("SMstatus0000000000000000000000001")
    await h.post("/twilio/sms", inbound_form("ping", "SMs1"))
    await h.fake.received(SHOPPER)
    await until(lambda: outbox_row(h.gw, "SMstatus0000000000000000000000001"))
    base = {"MessageSid": "SMstatus0000000000000000000000001", "AccountSid": SID,
            "To": SHOPPER, "From": "+15555550100", "ApiVersion": "2010-04-01"}
    for status in ("queued", "sent", "delivered"):
        assert (await h.post("/twilio/sms/status", {**base, "MessageStatus": status}))[0] == 200
    assert await delivery(h.gw) == "delivered"
    # Unsigned status callbacks change nothing.
    bad = {**base, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert (await h.post("/twilio/sms/status", bad, signature="forged"))[0] == 403
    assert await delivery(h.gw) == "delivered"
    undelivered = {**bad, "ErrorMessage": "Unreachable destination handset"}
    assert (await h.post("/twilio/sms/status", undelivered))[0] == 200

    def q(conn):  # type: ignore[no-untyped-def]
        return tuple(conn.execute("SELECT status, error FROM outbox").fetchone())
    assert await h.gw.store.db.read(q) == (
        "failed", "Twilio error 30003: Unreachable destination handset")
    assert await delivery(h.gw) == "failed"
    # A status for a message we never sent, and one without a status: 200 and 400.
    assert (await h.post("/twilio/sms/status", {**base, "MessageSid": "SMnope",
                                                "MessageStatus": "read"}))[0] == 200
    assert (await h.post("/twilio/sms/status", base))[0] == 400


# ---------------------------------------------------------------- sending
async def test_send_returns_the_twilio_sid(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("whatsapp")
    receipt = await h.adapter.send(out(SHOPPER, "your parcel is on its way"))
    assert receipt.platform_message_id is not None
    assert receipt.platform_message_id.startswith("SM")
    [msg] = h.fake.messages
    assert msg["To"] == "whatsapp:" + SHOPPER and msg["From"] == "whatsapp:+15555550100"
    assert msg["Body"] == "your parcel is on its way"
    assert msg["StatusCallback"] == PUBLIC + "/twilio/whatsapp/status"


async def test_rate_limit_is_retryable_with_retry_after(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    h.fake.script.append((429, {"Retry-After": "7"}, {
        "code": 20429, "message": "Too Many Requests", "status": 429}))
    with pytest.raises(RetryableDeliveryError) as err:
        await h.adapter.send(out(SHOPPER))
    assert err.value.retry_after == 7.0 and "20429" in str(err.value)


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_retryable(twilio, status) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    h.fake.script.append((status, {}, {"code": 20500, "message": "Internal", "status": status}))
    with pytest.raises(RetryableDeliveryError) as err:
        await h.adapter.send(out(SHOPPER))
    assert err.value.retry_after is None


@pytest.mark.parametrize("code", [21211, 21610, 63016])
async def test_client_errors_are_permanent(twilio, code) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    h.fake.script.append((400, {}, {"code": code, "message": "refused", "status": 400}))
    with pytest.raises(PermanentDeliveryError) as err:
        await h.adapter.send(out(SHOPPER))
    assert str(code) in str(err.value) and TOKEN not in str(err.value)
    # 21610: Twilio says the number sent STOP; later sends fail without a request.
    assert isinstance(h.adapter, TwilioSMSAdapter)
    assert (SHOPPER in h.adapter.opted_out_numbers) is (code == 21610)


async def test_unreachable_twilio_is_retryable_on_send(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    await h.fake.server.close()
    with pytest.raises(RetryableDeliveryError):
        await h.adapter.send(out(SHOPPER))


async def test_closed_window_sends_the_approved_template(twilio) -> None:  # type: ignore[no-untyped-def]
    content = "HX" + "ab" * 16
    h: Harness = await twilio("whatsapp", template_content_sid=content,
                              template_variables={"1": "{shop_name}", "2": "{text}"})
    receipt = await h.adapter.send(out("whatsapp:" + SHOPPER, "Your refund is done.",
                                       window_open=False))
    assert receipt.platform_message_id
    [msg] = h.fake.messages
    assert msg["ContentSid"] == content and "Body" not in msg
    variables = json.loads(msg["ContentVariables"])
    assert variables == {"1": h.ctx.brand.shop_name, "2": "Your refund is done."}


async def test_closed_window_without_a_template_raises(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("whatsapp")
    with pytest.raises(WindowClosedError):
        await h.adapter.send(out("whatsapp:" + SHOPPER, window_open=False))
    assert h.fake.messages == []
    sms_h: Harness = await twilio("sms")  # SMS has no window: window_open is ignored
    assert (await sms_h.adapter.send(out(SHOPPER, window_open=False))).platform_message_id


async def test_long_sms_is_cut_to_max_segments(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms", max_segments=2, overflow="cut")
    text = "Your order 1042 ships today and arrives on Friday. " * 12
    await h.adapter.send(out(SHOPPER, text))
    body = h.fake.messages[0]["Body"]
    assert body.endswith("... (shortened for SMS)")  # GSM-7 turned "…" into "..."
    assert sms.count_segments(body) == sms.Segments(sms.Encoding.GSM7, len(body), 2)
    assert text.startswith(body.removesuffix("... (shortened for SMS)"))


async def test_long_sms_links_to_the_whole_reply(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms", max_segments=2)
    text = "Your order <1042> ships today & arrives on Friday. " * 12
    await h.adapter.send(out(SHOPPER, text))
    await h.adapter.send(out(SHOPPER, text))  # a retry of the same outbox row
    first, again = (m["Body"] for m in h.fake.messages)
    assert first == again  # same row, same token: one page
    head, _, link = first.partition(" ... Full reply: ")
    assert text.startswith(head) and sms.count_segments(first).count <= 2
    assert link.startswith(PUBLIC + "/twilio/sms/full?r=")
    local = link.replace(PUBLIC, str(h.gw.client.make_url("")).rstrip("/"))
    async with h.gw.client.session.get(local) as resp:
        page = await resp.text()
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
        assert "noindex" in resp.headers["X-Robots-Tag"]
    assert "&lt;1042&gt; ships today &amp; arrives" in page and "<1042>" not in page
    token = link.rsplit("=", 1)[1]
    forged = token[:-1] + ("B" if token.endswith("A") else "A")
    for bad in ("nope", "../../etc/passwd", forged):
        resp = await h.gw.client.get("/twilio/sms/full", params={"r": bad})
        assert resp.status == 404
    assert len(list((h.gw.config.store.state_dir / "sms-full-replies").iterdir())) == 1
    await h.adapter.send(out(SHOPPER, "Short answer."))
    assert h.fake.messages[-1]["Body"] == "Short answer."  # no link when it fits


# ---------------------------------------------------------------- start-up
async def test_refused_credentials_fail_the_channel(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fake = FakeTwilio()
    fake.token = "the-real-token-is-different"
    await fake.server.start_server()
    h = await attach(gw, "sms", fake, wait=False)
    try:
        await until(lambda: h.sup.health.state is State.FAILED)
        assert "credentials refused" in h.sup.health.detail
        assert TOKEN not in h.sup.health.detail
        assert (await h.post("/twilio/sms", inbound_form("x", "SMx")))[0] == 404
    finally:
        await h.close()


async def test_unreachable_twilio_is_not_ready(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory()
    fake = FakeTwilio()
    await fake.server.start_server()
    url = fake.url
    await fake.server.close()  # connection refused from now on
    adapter = TwilioSMSAdapter(settings("sms", url))  # type: ignore[arg-type]
    with pytest.raises(AdapterNotReady, match="unreachable"):
        await adapter.start(GatewayContext(gw.rt, "sms"))
    assert adapter._http is None  # nothing left open for the supervisor's next attempt
    await adapter.stop()


# ---------------------------------------------------------------- STOP / START
async def test_stop_is_journaled_and_blocks_sends_until_start(twilio) -> None:  # type: ignore[no-untyped-def]
    h: Harness = await twilio("sms")
    assert (await h.post("/twilio/sms", inbound_form(" Stop ", "SMstop")))[0] == 200
    conv = h.ctx.published["SMstop"].conversation_id
    assert [m.text for m in await h.gw.store.transcript(conv)][0] == "Stop"
    with pytest.raises(PermanentDeliveryError, match=r"opted out \(STOP\)"):
        await h.adapter.send(out(SHOPPER))
    # Recorded, not remembered: a restarted adapter on the same state still refuses.
    restarted = TwilioSMSAdapter(h.adapter.settings)
    await restarted.start(GatewayContext(h.gw.rt, "sms"))
    try:
        with pytest.raises(PermanentDeliveryError, match=r"opted out \(STOP\)"):
            await restarted.send(out(SHOPPER))
    finally:
        await restarted.stop()
    await h.adapter.start(h.ctx)  # take the routes back from the stopped instance
    assert (await h.post("/twilio/sms", inbound_form("START", "SMstart")))[0] == 200
    assert (await h.adapter.send(out(SHOPPER, "welcome back"))).platform_message_id
    assert "welcome back" in [m["Body"] for m in h.fake.messages]
    assert json.loads((h.gw.config.store.state_dir / "sms-opt-outs-default.json")
                      .read_text()) == []


# ---------------------------------------------------------------- pure functions
@pytest.mark.parametrize("text, encoding, units, count", [
    ("", sms.Encoding.GSM7, 0, 0),
    ("a" * 160, sms.Encoding.GSM7, 160, 1),
    ("a" * 161, sms.Encoding.GSM7, 161, 2),
    ("a" * 306, sms.Encoding.GSM7, 306, 2),
    ("a" * 307, sms.Encoding.GSM7, 307, 3),
    ("€" * 80, sms.Encoding.GSM7, 160, 1),  # the extension table costs two septets
    ("€" * 81, sms.Encoding.GSM7, 162, 2),
    ("a" * 152 + "€" + "a" * 10, sms.Encoding.GSM7, 164, 2),  # escape pair not split
    ("a" * 152 + "€" * 77, sms.Encoding.GSM7, 306, 3),
    ("ł" * 70, sms.Encoding.UCS2, 70, 1),
    ("ł" * 71, sms.Encoding.UCS2, 71, 2),
    ("ł" * 134, sms.Encoding.UCS2, 134, 2),
    ("ł" * 135, sms.Encoding.UCS2, 135, 3),
    ("😀" * 35, sms.Encoding.UCS2, 70, 1),  # outside the BMP: two UTF-16 units
    ("😀" * 34, sms.Encoding.UCS2, 68, 1),
    ("😀" * 36, sms.Encoding.UCS2, 72, 2),
    ("a" * 66 + "😀", sms.Encoding.UCS2, 68, 1),
    ("a" * 66 + "😀" + "a" * 3, sms.Encoding.UCS2, 71, 2),
])
def test_segment_counting(text: str, encoding: sms.Encoding, units: int, count: int) -> None:
    assert sms.count_segments(text) == sms.Segments(encoding, units, count)


def test_smart_encoding_keeps_text_gsm7_only_when_it_can() -> None:
    assert sms.smart_encode("It’s here — finally…") == "It's here - finally..."
    assert sms.smart_encode("It’s here 😀") == "It’s here 😀"
    assert sms.smart_encode("Ça coûte 5 €") == "Ça coûte 5 €"  # û: UCS-2 anyway


def test_fit_cuts_at_a_word_boundary() -> None:
    assert sms.fit("short", 1, " (more)") == "short"
    text = " ".join(f"word{i}" for i in range(100))
    cut = sms.fit(text, 1, " (more)")
    assert cut.endswith(" (more)") and len(cut) <= 160
    kept = cut.removesuffix(" (more)")
    assert text.startswith(kept) and text[len(kept)] == " "
    emoji = "😀 " * 100
    assert sms.count_segments(sms.fit(emoji, 2, " …")).count <= 2
    assert sms.count_segments(sms.fit("x" * 1000, 1, "…")).count == 1  # one huge word


@pytest.mark.parametrize("text, word", [
    ("STOP", sms.Keyword.STOP), (" stop ", sms.Keyword.STOP), ("Stop.", sms.Keyword.STOP),
    ("unsubscribe", sms.Keyword.STOP), ("start", sms.Keyword.START),
    ("Unstop", sms.Keyword.START), ("help", sms.Keyword.HELP), ("HELP!", sms.Keyword.HELP),
    ("please stop texting me", None), ("stop it", None), ("", None),
])
def test_keywords_are_whole_messages(text: str, word: sms.Keyword | None) -> None:
    assert sms.keyword(text) is word


def test_config_is_strict_and_checks_numbers() -> None:
    good = {"enabled": True, "account_sid": SID, "auth_token": TOKEN, "public_url": PUBLIC}
    SMSConfig.model_validate({**good, "from_number": "+15555550100"})
    for bad in ({"from_number": "5555550100"}, {"from_number": "whatsapp:+15555550100"},
                {"from_number": "+15555550100", "template_content_sid": "HX" + "a" * 32},
                {"from_number": "+15555550100", "public_url": "shop.example.com"},
                {"from_number": "+15555550100", "nope": 1}):
        with pytest.raises(ValueError):
            SMSConfig.model_validate({**good, **bad})
    wa = WhatsAppConfig.model_validate({**good, "from_number": "whatsapp:+15555550100",
                                        "public_url": PUBLIC + "/"})
    assert wa.public_url == PUBLIC and TOKEN not in repr(wa)
    with pytest.raises(ValueError):
        WhatsAppConfig.model_validate({**good, "from_number": "+15555550100"})


async def test_an_erased_contacts_hashed_opt_out_is_still_honoured(twilio) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import hmac

    h: Harness = await twilio("sms")
    key = h.ctx.secret("opt-out")
    hashed = "hmac-sha256:" + hmac.new(key, SHOPPER.encode(), hashlib.sha256).hexdigest()
    path = h.gw.config.store.state_dir / "sms-opt-outs-default.json"
    path.write_text(json.dumps([hashed]))  # what `contact erase` leaves behind
    await h.adapter.start(h.ctx)
    assert SHOPPER not in path.read_text()
    with pytest.raises(PermanentDeliveryError, match=r"opted out \(STOP\)"):
        await h.adapter.send(out(SHOPPER))
    assert (await h.post("/twilio/sms", inbound_form("START", "SMback")))[0] == 200
    assert (await h.adapter.send(out(SHOPPER, "welcome back"))).platform_message_id


# ---------------------------------------------------------------- in the shopper's language
async def test_the_sms_footers_speak_the_conversations_language(twilio) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    h: Harness = await twilio("sms", max_segments=2, overflow="cut")
    text = "Tu pedido 1042 sale hoy y llega el viernes a tu casa. " * 12
    await h.adapter.send(replace(out(SHOPPER, text), language="es"))
    body = h.fake.messages[0]["Body"]
    assert body.endswith("... (acortado para SMS)") and sms.count_segments(body).count == 2
    linked: Harness = await twilio("sms", max_segments=2)
    await linked.adapter.send(replace(out(SHOPPER, text), outbox_id=7, language="es"))
    head, _, link = linked.fake.messages[0]["Body"].partition(" ... Respuesta completa: ")
    assert text.startswith(head) and link.endswith("&l=es")
    local = link.replace(PUBLIC, str(linked.gw.client.make_url("")).rstrip("/"))
    async with linked.gw.client.session.get(local) as resp:
        assert resp.status == 200 and "<html lang=es>" in await resp.text()
    async with linked.gw.client.session.get(local.replace("r=", "r=x")) as resp:
        assert resp.status == 404 and "Esta respuesta ha caducado" in await resp.text()
