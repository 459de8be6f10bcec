"""JSON logs carry the conversation id; message text and contact details stay out above DEBUG."""

from __future__ import annotations

import io
import json
import logging

import pytest

from omnichannel import logs


@pytest.fixture
def captured():  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RedactionFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def _lines(stream: io.StringIO) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_private_fields_are_dropped_above_debug(captured) -> None:  # type: ignore[no-untyped-def]
    log = logging.getLogger("omnichannel.test")
    log.info("inbound", extra={"text": "my address is 1 Main St", "email": "a@b.example"})
    log.debug("inbound", extra={"text": "call me on +1 555 123 4567, a@b.example"})
    info, debug = _lines(captured)
    assert info["text"] == "[redacted]" and info["email"] == "[redacted]"
    assert info["logger"] == "omnichannel.test"
    assert debug["text"] == "call me on [phone], [email]"


async def test_turn_logs_carry_the_conversation_id(gateway_factory, captured) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(engine="builtin")
    pub = await gw.loopback.say("I want a human")
    await gw.loopback.reply()
    handed = [r for r in _lines(captured) if r["msg"] == "handed off"]
    assert handed and handed[0]["conversation_id"] == pub.conversation_id
    assert handed[0]["reason"] == "requested"
    assert all("I want a human" not in json.dumps(r) for r in _lines(captured))
