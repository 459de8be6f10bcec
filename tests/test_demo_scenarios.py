"""The demo's scenario shoppers: one per thing to try, deterministic, and each one true of
the shop (the order is in the state it claims, the shopper verifies by name and zip)."""

from __future__ import annotations

import importlib
import json
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from omnichannel.commerce import NotEligible, OrderStatus
from omnichannel.commerce.demo import DEFAULT_NOW, DemoCommerce, generate
from omnichannel.commerce.demo.scenarios import Scenario, ScenarioKind, scenarios

NOW = DEFAULT_NOW
# The module, not the function the package exports under the same name.
gen_module = importlib.import_module("omnichannel.commerce.demo.generate")


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenarios") / "shop.db"
    generate(path)
    return path


@pytest.fixture(scope="module")
def picked(shop_file: Path) -> dict[ScenarioKind, Scenario]:
    found = scenarios(shop_file)
    assert [s.kind for s in found] == list(ScenarioKind)
    return {s.kind: s for s in found}


def test_one_distinct_shopper_per_kind(picked: dict[ScenarioKind, Scenario]) -> None:
    assert len({s.email for s in picked.values()}) == len(ScenarioKind)
    for s in picked.values():
        assert s.currency == "USD"
        assert re.fullmatch(r"#JP\d{6}", s.order_id)
        assert s.items and s.total > 0
        assert s.name == f"{s.first_name} {s.last_name}"
        assert s.name in s.message and s.order_id in s.message
        assert s.zip in s.message


def test_deterministic_for_the_seed(shop_file: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again.db")
    assert scenarios(tmp_path / "again.db") == scenarios(shop_file)
    generate(tmp_path / "other.db", seed=8)
    assert scenarios(tmp_path / "other.db") != scenarios(shop_file)


def test_statuses_window_and_cap(picked: dict[ScenarioKind, Scenario]) -> None:
    assert picked[ScenarioKind.PENDING].status == "pending"
    assert picked[ScenarioKind.SHIPPED].status == "shipped"
    assert picked[ScenarioKind.RETURN].status == "delivered"
    assert picked[ScenarioKind.RETURN].total <= 500
    assert picked[ScenarioKind.OVER_CAP].status == "delivered"
    assert picked[ScenarioKind.OVER_CAP].total > 500
    canada = picked[ScenarioKind.CANADA]
    assert re.fullmatch(r"[ABCEGHJKLMNPRSTVXY]\d[A-Z] \d[A-Z]\d", canada.zip)
    assert "postal code" in canada.message
    for kind in (ScenarioKind.PENDING, ScenarioKind.SHIPPED, ScenarioKind.RETURN,
                 ScenarioKind.OVER_CAP):
        assert not re.search(r"[A-Z]\d[A-Z]", picked[kind].zip)


async def test_each_scenario_is_true_of_the_shop(
        shop_file: Path, picked: dict[ScenarioKind, Scenario]) -> None:
    shop = DemoCommerce.open(shop_file, clock=lambda: NOW)
    try:
        for s in picked.values():
            cid = await shop.find_customer_by_name_zip(s.first_name, s.last_name, s.zip)
            assert cid is not None, s
            customer = await shop.get_customer(cid)
            assert customer.email == s.email and s.order_id in customer.order_ids
            order = await shop.get_order(s.order_id)
            assert order.status.value == s.status
            assert tuple(i.name for i in order.items) == s.items
            assert order.total == s.total
        shipped = await shop.get_order(picked[ScenarioKind.SHIPPED].order_id)
        assert shipped.fulfillments and all(f.tracking_ids for f in shipped.fulfillments)
        with pytest.raises(NotEligible):
            await shop.cancel_order(shipped.id, "no longer needed", key="scenario-shipped")
        for kind in (ScenarioKind.RETURN, ScenarioKind.OVER_CAP):
            order = await shop.get_order(picked[kind].order_id)
            assert order.delivered_at is not None
            assert NOW - order.delivered_at <= timedelta(days=30)
    finally:
        shop.close()


async def test_canadian_postal_code_matches_in_any_case_and_spacing(
        shop_file: Path, picked: dict[ScenarioKind, Scenario]) -> None:
    s = picked[ScenarioKind.CANADA]
    squashed = s.zip.replace(" ", "")
    shop = DemoCommerce.open(shop_file, clock=lambda: NOW)
    try:
        expected = await shop.find_customer_by_name_zip(s.first_name, s.last_name, s.zip)
        assert expected is not None
        for typed in (squashed.lower(), squashed, s.zip.lower(), f" {s.zip} ",
                      f"{squashed[:3]}  {squashed[3:]}".lower()):
            found = await shop.find_customer_by_name_zip(s.first_name.upper(),
                                                         s.last_name.lower(), typed)
            assert found == expected, typed
        assert await shop.find_customer_by_name_zip(s.first_name, s.last_name, "A1A 1A1") is None
    finally:
        shop.close()


def test_window_and_cap_follow_the_arguments(shop_file: Path) -> None:
    later = scenarios(shop_file, now=NOW + timedelta(days=400))
    assert {s.kind for s in later} == set(ScenarioKind) - {ScenarioKind.RETURN,
                                                           ScenarioKind.OVER_CAP}
    no_window = {s.kind for s in scenarios(shop_file, now=NOW + timedelta(days=400),
                                           return_window_days=None)}
    assert {ScenarioKind.RETURN, ScenarioKind.OVER_CAP} <= no_window
    assert ScenarioKind.OVER_CAP not in {s.kind for s in scenarios(shop_file, refund_cap=None)}
    high = {s.kind: s for s in scenarios(shop_file, refund_cap=800.0)}
    assert ScenarioKind.OVER_CAP not in high or high[ScenarioKind.OVER_CAP].total > 800


def test_a_small_shop_still_has_a_delivery_over_the_cap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Seed 1's 30 orders have no recent delivery over $500 of their own: one is made.
    monkeypatch.setattr(gen_module, "N_ORDERS", 30)
    monkeypatch.setattr(gen_module, "HISTORY_DAYS", 30)
    path = tmp_path / "small.db"
    generate(path, seed=1)
    picked = {s.kind: s for s in scenarios(path)}
    big = picked[ScenarioKind.OVER_CAP]
    assert big.total > 500
    conn = sqlite3.connect(path)
    try:
        paid = conn.execute("SELECT amount FROM payments WHERE order_id = ? AND position = 0",
                            (big.order_id,)).fetchone()[0]
        shipped = {i for (ids,) in conn.execute(
            "SELECT item_ids FROM fulfillments WHERE order_id = ?", (big.order_id,))
            for i in json.loads(ids)}
        items = {i for (i,) in conn.execute("SELECT item_id FROM order_items WHERE order_id = ?",
                                            (big.order_id,))}
    finally:
        conn.close()
    assert paid == pytest.approx(big.total)
    assert shipped == items
    assert big.status == OrderStatus.DELIVERED.value


def test_init_demo_prints_one_line_per_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from omnichannel.cli import main

    config = tmp_path / "config.toml"
    config.write_text('[store]\nstate_dir = "state"\n[knowledge]\nbuiltin_helpcenter = false\n')
    assert main(["init", "--demo", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    found = scenarios(tmp_path / "state" / "demo-shop.db", now=datetime.now(UTC))
    assert [s.kind for s in found] == list(ScenarioKind)
    lines = [line for line in out.splitlines() if "Hi, I'm" in line]
    assert len(lines) == len(found)
    for line, s in zip(lines, found, strict=True):
        assert f'"{s.message}"' in line
    over = next(line for line, s in zip(lines, found, strict=True)
                if s.kind is ScenarioKind.OVER_CAP)
    assert "over the $500.00 refund cap" in over
    assert re.search(r"of \$\d[\d,]*\.\d\d", over)
