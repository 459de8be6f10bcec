"""The LLM engine in the shopper's language: the prompt names it, the claim checker reads it,
and the engine's own words (held writes, the confirmation line, the holding reply) are in it."""

from __future__ import annotations

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent.prompt import POLICY, system_prompt
from omnichannel.conversation import Owner, Role
from tests.fake_llm import FakeLLM, call, reply
from tests.support import require_taubench
from tests.test_llm_engine import _capped, _toml, _turn

DATA = require_taubench()
OLIVIA_PENDING = "#W5442520"
OMAR_DELIVERED = "#W6067464"
OMAR_CARD = "credit_card_4190576"


@pytest.fixture
async def fake():  # type: ignore[no-untyped-def]
    server = await FakeLLM().start()
    yield server
    await server.close()


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    from omnichannel.commerce.taubench import TaubenchCommerce

    return TaubenchCommerce.load(DATA)


@pytest.fixture
async def agent(gateway_factory, fake, base):  # type: ignore[no-untyped-def]
    gw = await gateway_factory(_toml(fake))
    gw.rt.router.commerce = base.clone()
    return gw


def _system(fake: FakeLLM, index: int = 0) -> str:
    return str(fake.requests[index]["messages"][0]["content"])


async def test_the_system_prompt_names_the_conversations_language(agent, fake) -> None:  # type: ignore[no-untyped-def]
    fake.script("fake-routine", reply("¡Hola! ¿En qué puedo ayudarte?"))
    (out,) = await _turn(agent, "Hola, necesito ayuda con mi pedido, por favor")
    assert out.text.startswith("¡Hola!")
    prompt = _system(fake)
    assert "The conversation is in Spanish. Always reply in Spanish" in prompt
    assert "passages, tool results" in prompt  # even when what it reads is English
    conv = await agent.store.conversation((await agent.store.list_conversations())[0].id)
    assert conv is not None and conv.language == "es"


def test_the_language_line_comes_after_the_cacheable_voice_and_policy() -> None:
    from omnichannel.agent.voice import Voice

    voice = Voice()
    prompts = {}
    for lang in ("en", "es", "de"):
        with i18n.using(lang):
            prompts[lang] = system_prompt(voice)
    stable = prompts["en"][:prompts["en"].index(POLICY) + len(POLICY)]
    for lang, name in (("en", "English"), ("es", "Spanish"), ("de", "German")):
        assert prompts[lang].startswith(stable)  # the same prefix in every language
        assert prompts[lang][len(stable):].strip().startswith(f"The conversation is in {name}.")


async def test_a_spanish_claim_is_rewritten_once_then_handed_off(agent, fake) -> None:  # type: ignore[no-untyped-def]
    fake.script("fake-routine", reply("Ya he procesado tu reembolso."),
                reply("Puedes pedir un reembolso desde la página de tu pedido."))
    (out,) = await _turn(agent, "Hola, quiero que me devuelvan el dinero de mi pedido, por favor")
    assert out.text == "Puedes pedir un reembolso desde la página de tu pedido."
    rewrite = [m["content"] for m in fake.requests[-1]["messages"] if m["role"] == "system"][-1]
    assert "Ya he procesado tu reembolso" in rewrite
    fake.script("fake-routine", reply("Ya he procesado tu reembolso."),
                reply("Tu reembolso ha sido procesado, de verdad."))
    replies = await _turn(agent, "Entonces, ¿me vais a devolver el dinero o no?")
    assert len(fake.requests) == 4  # one rewrite each turn, no more
    agent_texts = [r.text for r in replies if r.role is Role.AGENT]
    assert agent_texts == ["Lo siento, ahora mismo no puedo responder bien a esto."]
    assert not any("reembolso" in r.text for r in replies)
    conv = (await agent.store.list_conversations())[0]
    assert conv.handoff_reason == "broken_promise" and conv.owner == Owner.STAFF


async def test_held_refund_words_are_spanish(gateway_factory, fake, base) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(_capped(fake))
    gw.rt.router.commerce = base.clone()
    before = gw.rt.router.commerce.db_hash()
    fake.script("fake-routine", call("find_user_id_by_name_zip", first_name="Omar",
                                     last_name="Anderson", zip="19031"),
                reply("Gracias Omar, ya estás verificado."))
    await _turn(gw, "Hola, soy Omar Anderson y mi código postal es el 19031")
    fake.script("fake-routine",
                call("refund_order", order_id=OMAR_DELIVERED, amount=900,
                     payment_method_id=OMAR_CARD),
                reply("Una persona revisará tu reembolso."))
    replies = await _turn(gw, "Quiero que me devolváis 900 dólares del pedido #W6067464")
    agent = [r for r in replies if r.role is Role.AGENT]
    assert len(agent) == 1 and not agent[0].buttons
    assert agent[0].text.startswith("Un reembolso de ")
    assert "supera lo que puedo aprobar por mi cuenta" in agent[0].text
    assert "A refund of" not in agent[0].text
    conv = (await gw.store.list_conversations())[0]
    assert conv.handoff_reason == "over_cap"
    full = await gw.store.conversation(conv.id)
    assert full is not None and full.language == "es"
    assert gw.rt.router.commerce.db_hash() == before


async def test_the_confirmation_line_and_buttons_are_spanish(agent, fake) -> None:  # type: ignore[no-untyped-def]
    fake.script("fake-routine",
                call("find_user_id_by_name_zip", first_name="Olivia", last_name="Ito",
                     zip="80218"),
                call("cancel_pending_order", order_id=OLIVIA_PENDING, reason="no longer needed"),
                reply("¡Hecho! Tu pedido ha sido cancelado."),  # a lie: it waits for a yes
                reply("¿Quieres que lo cancele?"))
    (ask,) = await _turn(agent, "Hola, soy Olivia Ito, código postal 80218, quiero cancelar el "
                                "pedido #W5442520 porque ya no lo necesito")
    assert "ha sido cancelado" not in ask.text
    assert "Para confirmar: " in ask.text and ask.text.endswith("¿Sigo adelante?")
    assert OLIVIA_PENDING in ask.text and "To confirm" not in ask.text
    assert [(b.label, b.value) for b in ask.buttons] == [("Sí, adelante", "yes"), ("No", "no")]
