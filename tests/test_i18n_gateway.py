"""The gateway's own texts in the shopper's language: handoff and business-hours notices, CSAT,
the holding reply, and the merchant's texts per language (docs/languages.md)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent import Turn
from omnichannel.agent.voice import Voice, Words
from omnichannel.config import Config, ConfigError, HoursConfig, parse
from omnichannel.conversation import Role
from omnichannel.hours import describe, handoff_notice
from omnichannel.router import CSAT_QUESTION, CSAT_TEXT, HOLDING_REPLY, Router, csat_message

ZONE = ZoneInfo("America/New_York")
THURSDAY_NIGHT = datetime(2026, 12, 17, 20, 0, tzinfo=ZONE)  # closed until Friday 9:00
WEDNESDAY_NOON = datetime(2026, 12, 16, 12, 0, tzinfo=ZONE)
SATURDAY = datetime(2026, 12, 19, 12, 0, tzinfo=ZONE)


def _notice(config: Config, now: datetime) -> str:
    # Router.handoff_notice reads only the config: no store or adapters needed.
    return Router.handoff_notice(SimpleNamespace(config=config), now)  # type: ignore[arg-type]


def test_english_is_unchanged() -> None:
    config = Config()
    assert _notice(config, WEDNESDAY_NOON) == config.handoff.notice
    assert "from tomorrow at 9:00. You don't" in _notice(config, THURSDAY_NIGHT)
    assert "from Monday at 9:00." in _notice(config, SATURDAY)
    assert csat_message(4096, 0).text == CSAT_TEXT
    assert Voice().greeting.startswith("Hi! I'm Juno.")


def test_handoff_notices_in_german() -> None:
    config = Config()
    with i18n.using("de"):
        inside = _notice(config, WEDNESDAY_NOON)
        outside = _notice(config, SATURDAY)
        back = config.handoff.text("back_to_agent_notice").format(assistant_name="Juno")
        pending = config.autonomy.text("pending_notice")
    assert inside.startswith("Ich habe dieses Gespräch an unser Team übergeben.")
    assert "ab Montag um 9:00 Uhr." in outside
    assert back == "Sie sind wieder bei Juno, unserem Assistenten."
    assert pending.startswith("Danke!")


def test_business_hours_in_words_per_language() -> None:
    friday, monday = datetime(2026, 12, 18, 9, tzinfo=ZONE), datetime(2026, 12, 21, 9, tzinfo=ZONE)
    far = datetime(2026, 12, 28, 9, tzinfo=ZONE)
    assert describe(far, THURSDAY_NIGHT) == "Monday 28 December at 9:00"
    with i18n.using("de"):
        assert describe(friday, THURSDAY_NIGHT) == "morgen um 9:00 Uhr"
        assert describe(far, THURSDAY_NIGHT) == "Montag, 28. Dezember, um 9:00 Uhr"
    with i18n.using("es"):
        assert describe(monday, THURSDAY_NIGHT) == "el lunes a las 9:00"
    with i18n.using("fr"):
        assert describe(far, THURSDAY_NIGHT) == "lundi 28 décembre à 9:00"
    never = HoursConfig(mon="", tue="", wed="", thu="", fri="", timezone="America/New_York")
    with i18n.using("nl"):
        assert handoff_notice("in", "vanaf {next_open}", never, SATURDAY) == \
            "vanaf de volgende werkdag"


def test_csat_question_and_buttons_in_german() -> None:
    with i18n.using("de"):
        buttons = csat_message(4096, 5)
        typed = csat_message(4096, 0)
    assert buttons.text.startswith("Konnten wir helfen? Bitte bewerten Sie dieses Gespräch")
    assert buttons.text != CSAT_QUESTION
    assert [(b.label, b.value) for b in buttons.buttons] == [
        (str(n), f"csat:{n}") for n in range(1, 6)]
    assert typed.text.endswith("Antworten Sie mit einer Zahl.") and typed.buttons == ()


async def test_holding_reply_and_notice_follow_a_german_shopper(gateway) -> None:  # type: ignore[no-untyped-def]
    async def broken(conv, history, deps) -> Turn:  # type: ignore[no-untyped-def]
        raise RuntimeError("provider down")

    gateway.rt.router.engine.respond = broken  # type: ignore[method-assign]
    await gateway.loopback.say("Hallo, ich habe eine Frage zu meiner Bestellung und brauche "
                               "bitte Ihre Hilfe.")
    first = await gateway.loopback.reply()
    notice = await gateway.loopback.reply()
    with i18n.using("de"):
        assert first.text == i18n.translator("gateway")(HOLDING_REPLY) != HOLDING_REPLY
    assert first.role is Role.AGENT
    assert notice.role is Role.SYSTEM and "Ich habe dieses Gespräch" in notice.text


async def test_merchant_topics_per_language(gateway_factory) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory('[handoff]\ntopics = ["wholesale"]\n'
                               '[handoff.translations.de]\ntopics = ["Großhandel"]\n')
    await gw.loopback.say("Guten Tag, ich interessiere mich für den Großhandel mit Ihren "
                          "Produkten.")
    notice = await gw.loopback.reply()
    assert notice.role is Role.SYSTEM and "Ich habe dieses Gespräch" in notice.text
    router = gw.rt.router
    assert router.config.handoff.spoken_topics("en") == ["wholesale"]
    assert router.config.handoff.spoken_topics("de") == ["wholesale", "Großhandel"]


def test_a_merchants_greeting_per_language_wins() -> None:
    config = parse('[brand]\ngreeting = "Welcome to the shop!"\n'
                   '[brand.translations.de]\ngreeting = "Willkommen im Laden!"\n'
                   'sign_off = ""\n', "test")
    b = config.brand
    voice = Voice(greeting=b.greeting, sign_off="— the team", translations={
        lang: Words(t.greeting, t.sign_off, t.person_label)
        for lang, t in b.translations.items()})
    with i18n.using("de"):
        assert b.text("greeting") == voice.greeting == "Willkommen im Laden!"
        assert voice.sign("Hallo") == "Hallo"  # "" for a language: no sign-off in it
        assert voice.person_label == "Mit einem Menschen sprechen"  # our default, translated
    with i18n.using("es"):  # their own words, never translated
        assert voice.greeting == b.text("greeting") == "Welcome to the shop!"
    assert voice.sign("Hi") == "Hi\n\n— the team"


def test_a_custom_english_notice_without_translation_stays_as_written() -> None:
    custom = "A person from our team will reply here soon."
    config = parse(f'[handoff]\nnotice = "{custom}"\n'
                   '[handoff.translations.fr]\nnotice = "Quelqu\'un vous répondra ici."\n',
                   "test")
    with i18n.using("de"):
        assert _notice(config, WEDNESDAY_NOON) == custom
        # The out-of-hours notice was kept as ours: our German, with a German weekday.
        assert "ab Montag um 9:00 Uhr" in _notice(config, SATURDAY)
    with i18n.using("fr"):
        assert _notice(config, WEDNESDAY_NOON) == "Quelqu'un vous répondra ici."


@pytest.mark.parametrize(("text", "expected"), [
    ('[brand.translations.xx]\ngreeting = "Hi"\n',
     "brand.translations.xx.[key]: Input should be 'en', 'es', 'de', 'fr', 'pt', 'it' or 'nl'"),
    ('[handoff.translations.de]\nnotise = "Hallo"\n',
     "handoff.translations.de.notise: unknown key"),
    ('[autonomy.translations.pt]\npending_notice = 3\n',
     "autonomy.translations.pt.pending_notice: Input should be a valid string"),
])
def test_bad_language_keys_are_named(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(text, "test")
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


def test_a_bad_language_key_stops_the_process(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[brand.translations.klingon]\ngreeting = "nuqneH"\n')
    result = subprocess.run([sys.executable, "-m", "omnichannel", "--config", str(cfg), "run"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert "brand.translations.klingon" in result.stderr and "Traceback" not in result.stderr
