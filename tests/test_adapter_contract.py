"""The adapter contract: one table of checks that every channel adapter passes.

Each adapter gets a driver that plays the platform's side (a shopper typing, the platform
receiving). New adapters add a driver here; the checks stay the same.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import aiohttp
import pytest
from pydantic import ValidationError

from omnichannel.channel import (
    Capabilities,
    ChannelConfig,
    DeliveryReceipt,
    Outbound,
    PermanentDeliveryError,
    Role,
)
from omnichannel.registry import GROUP, load_class
from tests.test_adapter_discord import DiscordDriver
from tests.test_adapter_email import EmailDriver
from tests.test_adapter_slack import SlackDriver
from tests.test_adapter_telegram import TelegramDriver
from tests.test_adapter_twilio import TwilioSMSDriver, TwilioWhatsAppDriver
from tests.test_adapter_whatsapp_cloud import WhatsAppCloudDriver
from tests.wsclient import ChatClient


class LoopbackDriver:
    name = "loopback"

    def __init__(self, gw) -> None:  # type: ignore[no-untyped-def]
        self.gw = gw
        self.adapter = gw.loopback

    async def open(self) -> str:
        return "contract-chat"

    async def inject(self, text: str, event_id: str) -> int | None:
        pub = await self.adapter.say(text, chat_id="contract-chat", external_id=event_id)
        return pub.message_id

    async def received(self) -> Outbound | dict:  # type: ignore[type-arg]
        return await self.adapter.reply("contract-chat")

    async def close(self) -> None:
        pass


class WebchatDriver:
    name = "webchat"

    def __init__(self, gw) -> None:  # type: ignore[no-untyped-def]
        self.gw = gw
        self.adapter = gw.rt.adapters["webchat"]
        self.http = aiohttp.ClientSession()
        self.client = ChatClient(str(gw.client.make_url("")).rstrip("/"), self.http)
        self.pending: list[dict] = []  # type: ignore[type-arg]

    async def open(self) -> str:
        await self.client.connect()
        assert self.client.token is not None
        return self.client.token.split(".")[0]

    async def inject(self, text: str, event_id: str) -> int | None:
        await self.client.send(text, event_id)
        while True:  # replies to earlier messages may arrive first: keep them for received()
            frame = await self.client.frame()
            if frame["type"] == "message":
                self.pending.append(frame)
            elif frame["type"] == "ack":
                return frame["id"]  # type: ignore[no-any-return]
            elif frame["type"] == "error":
                return None

    async def received(self) -> Outbound | dict:  # type: ignore[type-arg]
        if self.pending:
            return self.pending.pop(0)
        return await self.client.frame("message")

    async def close(self) -> None:
        await self.client.close()
        await self.http.close()


DRIVERS = {"email": EmailDriver, "loopback": LoopbackDriver, "webchat": WebchatDriver,
           "sms": TwilioSMSDriver, "whatsapp": TwilioWhatsAppDriver,
           "whatsapp_cloud": WhatsAppCloudDriver, "slack": SlackDriver,
           "discord": DiscordDriver,
           "telegram": TelegramDriver}


def _text(item: Outbound | dict) -> str:  # type: ignore[type-arg]
    return item.text if isinstance(item, Outbound) else item["text"]


@pytest.fixture(params=sorted(DRIVERS))
async def driver(request, gateway_factory):  # type: ignore[no-untyped-def]
    gw = await gateway_factory(webchat=True)
    d = DRIVERS[request.param](gw)
    await d.open()
    yield d
    await d.close()


def test_every_installed_adapter_has_a_driver() -> None:
    assert {ep.name for ep in entry_points(group=GROUP)} == set(DRIVERS)


@pytest.mark.parametrize("name", sorted(DRIVERS))
def test_declares_name_capabilities_and_a_strict_config(name: str) -> None:
    cls = load_class(name)
    assert cls.name == name
    assert isinstance(cls.capabilities, Capabilities)
    assert cls.capabilities.max_text_length > 0
    assert issubclass(cls.config_model, ChannelConfig)
    with pytest.raises(ValidationError):
        cls.config_model.model_validate({"enabled": True, "no_such_key": 1})
    for method in ("start", "send", "typing", "stop"):
        assert callable(getattr(cls, method))


async def test_inbound_is_stored_then_acknowledged_and_answered(driver) -> None:  # type: ignore[no-untyped-def]
    message_id = await driver.inject("contract hello", "evt-1")
    assert message_id is not None
    reply = await driver.received()
    assert _text(reply) == "contract hello"


async def test_redelivered_event_is_stored_once_and_answered_once(driver) -> None:  # type: ignore[no-untyped-def]
    first = await driver.inject("only once", "evt-dup")
    second = await driver.inject("only once", "evt-dup")
    assert first == second
    assert _text(await driver.received()) == "only once"
    await driver.inject("next", "evt-next")
    assert _text(await driver.received()) == "next"  # not a second "only once"


async def test_no_ack_when_the_journal_write_fails(driver) -> None:  # type: ignore[no-untyped-def]
    router = driver.gw.rt.router

    async def failing(inbound):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    original = router.publish
    router.publish = failing
    try:
        with pytest.raises(Exception):  # noqa: B017  the adapter's own failure signal
            got = await driver.inject("lost?", "evt-fail")
            assert got is not None  # an ack would mean "stored", which is false
    finally:
        router.publish = original
    assert await driver.gw.store.list_conversations() == []


async def test_send_returns_a_typed_receipt_even_with_no_one_listening(driver) -> None:  # type: ignore[no-untyped-def]
    outbound = Outbound(outbox_id=999, conversation_id=1, chat_id="nobody-here",
                        role=Role.STAFF, text="hello?")
    if getattr(driver, "unknown_chat_is_permanent", False):
        # Email: a chat id is a thread token; an unknown one has no address to write to.
        with pytest.raises(PermanentDeliveryError):
            await driver.adapter.send(outbound)
        return
    receipt = await driver.adapter.send(outbound)
    assert isinstance(receipt, DeliveryReceipt)


async def test_stop_is_idempotent(driver) -> None:  # type: ignore[no-untyped-def]
    await driver.adapter.stop()
    await driver.adapter.stop()


async def test_replies_never_exceed_the_declared_length(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory("[channels.loopback]\nenabled = true\nmax_text_length = 40\n")
    text = "First sentence here. " * 3 + "\n\n" + "Another paragraph with words. " * 2
    await gw.loopback.say(text.strip())
    parts = []
    while " ".join(parts).split() != text.split():
        parts.append((await gw.loopback.reply()).text)
    assert all(len(p) <= 40 for p in parts)
