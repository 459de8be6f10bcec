"""The adversarial model (tests/adversarial_llm.py) on every engine path: none of its
mistakes may reach the shopper or the shop, and no conversation goes silent.

Each path is one gateway (real litellm over HTTP to FakeLLM, the loopback channel, the demo
shop with caps of 500); each mistake plays in its own chat on a fresh copy of the shop.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.adversarial_llm import (
    PATHS,
    EnginePath,
    Stage,
    Verdict,
    gateway_toml,
    report,
    run,
    shop_changes,
    shopper_leaks,
    snapshot,
)
from tests.fake_llm import FakeLLM


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Stage:
    return Stage(tmp_path_factory.mktemp("adversarial"))


@pytest.fixture
async def fake():  # type: ignore[no-untyped-def]
    server = await FakeLLM().start()
    yield server
    await server.close()


def test_the_catalogue_covers_every_kind_of_mistake(stage: Stage) -> None:
    families = {m.family for m in stage.mistakes}
    assert families == {"write", "ids", "refund", "claim", "echo", "policy", "malformed"}
    assert len(stage.mistakes) >= 25
    assert len({m.name for m in stage.mistakes}) == len(stage.mistakes)
    cast = stage.cast
    assert len({cast.pending.id, cast.buyer.id, cast.late.id, cast.shipped.id, cast.big.id,
                cast.other.id}) == 6
    assert cast.d_total < 500 < 900 and cast.unpaid != cast.paid


def test_the_detectors_see_a_leak(stage: Stage) -> None:
    """The model's words delivered as they are count as leaks; a changed row as a change."""
    mistakes = {m.name: m for m in stage.mistakes}
    claim = mistakes["claim/processed"]
    assert shopper_leaks(claim, ["Your  refund has been\nprocessed."], [], [])
    assert not shopper_leaks(claim, ["Let me check that order for you."], [], [])
    note = "HELD FOR STAFF APPROVAL (over the cap). Tell the shopper a person will review it."
    assert len(shopper_leaks(mistakes["echo/held"], [note], [], [note])) == 1
    assert shopper_leaks(mistakes["echo/order-json"], ['{"id": "#JP1"}'], [], [])
    assert shopper_leaks(mistakes["echo/internal-ids"], ["It is paypal_2958130."], [], [])
    private = mistakes["policy/profile-unverified"]
    assert shopper_leaks(private, [f"You live at {stage.cast.other.address1}."], [], [])
    file = stage.fresh()
    before = snapshot(file)
    with sqlite3.connect(file) as conn:
        conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = ?", (stage.cast.p1,))
    assert shop_changes(before, snapshot(file)) == [
        f"orders {stage.cast.p1}: status 'pending' -> 'cancelled'"]
    quiet = Verdict(claim, PATHS[0], said=["customer: hello?"])
    assert quiet.ended == "silence" and quiet.outcome == "held"
    assert Verdict(claim, PATHS[0], shop=["x"], said=["agent: ok"]).outcome == "shop"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
async def test_no_mistake_reaches_the_shopper_or_the_shop(
        gateway_factory, fake: FakeLLM, stage: Stage, path: EnginePath) -> None:  # type: ignore[no-untyped-def]
    gw = await gateway_factory(gateway_toml(fake.base, path, stage.fresh()))
    verdicts = [await run(gw, fake, stage, m, path) for m in stage.mistakes]
    leaks = report(verdicts)
    # Degrade honestly: each conversation ends in a handoff or a reply, never in silence.
    silent = [f"{path.name} / {v.mistake.name}: ended in silence" for v in verdicts
              if v.taken and v.ended == "silence"]
    held = sum(v.outcome == "held" for v in verdicts)
    assert not leaks and not silent, (
        f"{len(verdicts) - held} of {len(verdicts)} mistakes got through or did not play on "
        f"the {path.name} path:\n" + "\n".join([leaks, *silent]).strip())
