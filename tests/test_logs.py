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


def test_no_contact_detail_card_or_token_reaches_an_info_line(captured) -> None:  # type: ignore[no-untyped-def]
    secrets_ = ["ada@example.com", "+1 415 555 0100", "4111 1111 1111 1111",
                "5500-0000-0000-0004", "xoxb-123456789012-abcdefABCDEF",
                "123456789:AAH4x1Zxq1xQd0Rsc8cV2yJ6b2f9mP3kQ7w",
                "sk-proj-abcdefghijklmnopqrstuv", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
                "AC" + "0123456789abcdef" * 2]
    log = logging.getLogger("omnichannel.test")
    for value in secrets_:
        log.info("inbound from " + value)
        log.info("send to %s failed", value)
        log.warning("refused", extra={"error": f"HTTP 401 for {value}", "path": value})
        try:
            raise RuntimeError(f"boom {value}")
        except RuntimeError:
            log.exception("crashed")
    out = captured.getvalue()
    assert len(out.splitlines()) >= 4 * len(secrets_)
    for value in secrets_:
        assert value not in out, value
        assert value.split()[-1] not in out, value
    for mark in ("[email]", "[phone]", "[card]", "[token]"):
        assert mark in out
    # Ordinary figures survive: order numbers, amounts, timestamps, ids.
    log.info("order #W2378156 refunded 129.99 at 1795361891.917 (conversation 42)")
    assert "#W2378156 refunded 129.99 at 1795361891.917 (conversation 42)" in \
        captured.getvalue()
