"""Order texts in the shopper's language: summaries, done, refusals, held writes, lists, money."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

import omnichannel.i18n as i18n
from omnichannel.agent import ordertext
from omnichannel.agent.dialogue import State
from omnichannel.agent.guardrails import Policy, Session, Verification
from omnichannel.agent.money import money
from omnichannel.agent.orders import OrderFlow
from omnichannel.agent.tools import ToolBox, deferred_words
from tests.support import require_taubench

DATA = require_taubench()
PENDING = "#W5442520"  # Olivia Ito's: Gaming Mouse, Patio Umbrella, Hiking Boots; 663.85
DELIVERED = "#W5866402"  # hers too
# English words that must not survive in a translated order text (product names may).
ENGLISH = re.compile(r"\b(order|orders|cancel|cancelled|refund|done|shall|pending|delivered|"
                     r"yes|go ahead|anything|help|only|changed|has|the|from|by|is)\b",
                     re.I)
AGENT = Path(__file__).parents[1] / "src" / "omnichannel" / "agent"
FILES = ("orders.py", "ordertext.py", "orderrefs.py", "tools.py", "writechecks.py")


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    from omnichannel.commerce.taubench import TaubenchCommerce

    return TaubenchCommerce.load(DATA)


class _NoRefundsYet:
    """A refund ledger with nothing in it, so that the caps apply to the write itself."""

    async def refunded_for_order(self, order_id: str) -> float:
        return 0.0

    async def refunded_for_customer(self, customer_id: str, days: int) -> float:
        return 0.0

    async def refunded_by_shop(self, days: int) -> float:
        return 0.0


async def _flow(base, policy: Policy | None = None) -> OrderFlow:  # type: ignore[no-untyped-def]
    shop = base.clone()
    customer = (await shop.get_order(PENDING)).customer_id
    tools = ToolBox(shop, Session(customer, Verification.NAME_ZIP),
                    policy or Policy(return_window_days=None), conversation_key="i18n",
                    ledger=_NoRefundsYet() if policy else None)
    return OrderFlow(tools, State(), lambda text: text)


def _no_english(text: str) -> None:
    left = ENGLISH.findall(text)
    assert not left, f"English left {left} in {text!r}"


@pytest.mark.parametrize(("lang", "words"), [
    ("es", {"ask": "¿Por qué quieres cancelar el pedido #W5442520?",
            "summary": "Cancelar el pedido #W5442520 (ya no lo necesito). No se puede deshacer; "
                       "el reembolso de 663,85\xa0US$ vuelve al método de pago original.",
            "ask_yes": "¿Sigo adelante?", "yes": "Sí, adelante",
            "done": "Hecho: el pedido está cancelado.",
            "refused": "el pedido #W5866402 está en estado «entregado»; solo se pueden cambiar o "
                       "cancelar pedidos pendientes",
            "held": "Un reembolso de 663,85\xa0US$ es más de lo que puedo aprobar yo solo",
            "items": "El pedido #W5442520 (pendiente) contiene:",
            "total": "Total 663,85\xa0US$.",
            "money": "1.234,50\xa0US$", "day": "3 de mayo de 2026"}),
    ("de", {"ask": "Warum möchtest du die Bestellung #W5442520 stornieren?",
            "summary": "Bestellung #W5442520 stornieren (nicht mehr benötigt). Das kann nicht "
                       "rückgängig gemacht werden; die Erstattung von 663,85\xa0$ geht an die "
                       "ursprüngliche Zahlungsart.",
            "ask_yes": "Soll ich das so machen?", "yes": "Ja, mach das",
            "done": "Erledigt: Die Bestellung ist storniert.",
            "refused": "Bestellung #W5866402 hat den Status „zugestellt“; nur offene "
                       "Bestellungen können geändert oder storniert werden",
            "held": "Eine Erstattung von 663,85\xa0$ ist mehr, als ich allein freigeben kann",
            "items": "Bestellung #W5442520 (offen) enthält:",
            "total": "Gesamt 663,85\xa0$.",
            "money": "1.234,50\xa0$", "day": "3. Mai 2026"}),
])
async def test_a_cancel_flow_speaks_the_language(base, lang: str, words: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    with i18n.using(lang):
        flow = await _flow(base)
        ask = await flow.start(["cancel"], PENDING)
        assert ask.text == words["ask"]
        _no_english(ask.text + " ".join(b.label for b in ask.buttons))
        assert {b.value for b in ask.buttons} == {"no longer needed", "ordered by mistake"}

        summary = await flow.resume("no longer needed", "no longer needed")
        assert summary.text == f"{words['summary']} {words['ask_yes']}"
        assert [(b.label, b.value) for b in summary.buttons][0] == (words["yes"], "yes")
        _no_english(summary.text + " ".join(b.label for b in summary.buttons))

        done = await flow.execute()
        assert done.text.startswith(words["done"]) and done.intent == "orders.done.cancel"
        _no_english(done.text)

        # The tool layer's refusal, and the flow's own, both in the language.
        refused = await flow.tools.call("cancel_pending_order",
                                        {"order_id": DELIVERED, "reason": "no longer needed"})
        assert refused.error == f"Error: {words['refused']}"
        _no_english(refused.error.removeprefix("Error: "))
        again = await (await _flow(base)).start(["cancel"], DELIVERED)
        assert again.intent == "orders.refused.cancel"
        _no_english(again.text)

        listing = await (await _flow(base)).start(["what_ordered"], PENDING)
        assert listing.text.startswith(words["items"]) and listing.text.endswith(words["total"])
        _no_english(listing.text.split(":", 1)[0] + listing.text.rsplit(".", 2)[-2])

        everything = await (await _flow(base)).start(["what_ordered"], "")
        assert everything.text.count("\n- ") == 5
        _no_english(re.sub(r"\(\S+: [^)]*\)", "", everything.text))

        assert money(1234.5, "USD") == words["money"]
        assert ordertext.day(date(2026, 5, 3)) == words["day"]
        _no_english(deferred_words())


@pytest.mark.parametrize(("lang", "held"), [
    ("es", "Un reembolso de 663,85\xa0US$ es más de lo que puedo aprobar yo solo, así que tiene "
           "que revisarlo una persona de nuestro equipo."),
    ("de", "Eine Erstattung von 663,85\xa0$ ist mehr, als ich allein freigeben kann, deshalb muss "
           "sich eine Person aus unserem Team das ansehen."),
])
async def test_a_held_write_says_why_in_the_language(base, lang: str, held: str) -> None:  # type: ignore[no-untyped-def]
    with i18n.using(lang):
        flow = await _flow(base, Policy(return_window_days=None, max_refund_per_order=1.0))
        await flow.start(["cancel"], PENDING)
        turn = await flow.resume("no longer needed", "no longer needed")
        assert turn.text == held and turn.handoff is not None
        _no_english(turn.text)


async def test_english_stays_as_it_was(base) -> None:  # type: ignore[no-untyped-def]
    flow = await _flow(base)
    summary = await flow.start(["cancel"], f"cancel {PENDING}, I no longer need it")
    assert summary.text == (f"Cancel order {PENDING} (no longer needed). This cannot be undone; "
                            "the refund of $663.85 goes back to the original payment method. "
                            "Shall I go ahead?")
    assert [b.label for b in summary.buttons] == ["Yes, go ahead", "No"]
    assert money(1234.5, "USD") == "$1,234.50" and ordertext.day(date(2026, 5, 3)) == "May 3"
    refused = await flow.tools.call("cancel_pending_order",
                                    {"order_id": DELIVERED, "reason": "no longer needed"})
    assert refused.error == (f"Error: order {DELIVERED} is delivered; only pending orders can "
                             "be changed or cancelled")


def _msgids() -> set[str]:
    found = set()
    for name in FILES:
        for node in ast.walk(ast.parse((AGENT / name).read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("_", "ngettext") and node.args and \
                    isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("lang", [code for code in i18n.SHIPPED if code != i18n.DEFAULT])
def test_every_order_text_is_translated(lang: str) -> None:
    catalog = i18n._catalog("orders", lang)
    missing = sorted(m for m in _msgids() if m not in catalog)
    assert not missing, f"{lang}/orders.po lacks {missing}"
    for msgid, text in catalog.items():
        for form in (text,) if isinstance(text, str) else text:
            assert set(re.findall(r"\{\w*\}", form)) <= set(re.findall(r"\{\w*\}", msgid)) | {
                "{n}", "{days}"}, (lang, msgid, form)
