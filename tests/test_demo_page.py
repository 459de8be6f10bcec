"""The web chat's demo shop page shows the shop's own catalog: GET /shop/featured.json (mounted
by the gateway, priced in [brand] currency) and the page that renders it, in a browser too."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omnichannel.commerce.demo import generate
from omnichannel.commerce.demo.generate import CATALOGUE
from omnichannel.commerce.demo.showcase import PREFERRED, featured, summary
from omnichannel.commerce.model import Product, Variant
from tests.support import Daemon, free_port

NAMES = {row[0] for row in CATALOGUE}
AVAILABILITY = re.compile(r"in stock|sold out|only [1-5] left")


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "shop.db"
    generate(path)
    return path


def _demo(shop_file: Path, extra: str = "") -> str:
    return f'[commerce]\nbackend = "demo"\ndata = "{shop_file}"\n{extra}'


def _variant(n: int, price: float, colour: str, size: str, stock: int) -> Variant:
    return Variant(str(n), (("size", size), ("color", colour)), stock > 0, price, stock)


def test_summary_of_one_product() -> None:
    p = Product("p1", "Test Jacket", (
        _variant(1, 100, "black", "S", 2), _variant(2, 110, "black", "M", 1),
        _variant(3, 100, "rust", "S", 0)), "A jacket.")
    f = summary(p)
    assert (f.price, f.varies, f.available, f.availability) == (100, True, True, "only 3 left")
    assert [(c.name, c.available) for c in f.colours] == [("black", True), ("rust", False)]
    assert [(o.name, o.values) for o in f.options] == [("size", ("S", "M"))]
    gone = summary(Product("p2", "Gone", (_variant(4, 50, "red", "L", 0),)))
    assert (gone.available, gone.availability, gone.price, gone.varies) == (
        False, "sold out", 50, False)
    plenty = summary(Product("p3", "Plenty", (Variant("5", (), True, 9.5, None),)))
    assert (plenty.availability, plenty.stock, plenty.colours) == ("in stock", None, ())


def test_featured_prefers_the_named_products_and_shows_one_sold_out() -> None:
    def product(name: str, stock: int) -> Product:
        return Product(name, name, (_variant(hash(name) % 1000, 10, "black", "M", stock),))

    catalog = [product(f"Other {n}", 9) for n in range(10)] + [product(PREFERRED[1], 9),
                                                               product(PREFERRED[0], 9)]
    catalog.append(product("Gone Tent", 0))
    picked = featured(catalog, limit=4)
    assert [f.name for f in picked] == [PREFERRED[0], PREFERRED[1], "Other 0", "Gone Tent"]
    assert featured(catalog, limit=0) == []
    assert [f.name for f in featured(catalog[:3], limit=8)] == ["Other 0", "Other 1", "Other 2"]


async def test_featured_json_is_the_demo_catalog_in_the_shop_currency(
        gateway_factory: Any, shop_file: Path) -> None:
    gw = await gateway_factory(_demo(shop_file), webchat=True)
    resp = await gw.client.get("/shop/featured.json")
    assert resp.status == 200
    body = await resp.json()
    assert body["currency"] == "USD"
    products = body["products"]
    assert len(products) == 8
    assert {p["name"] for p in products} <= NAMES
    assert [p["name"] for p in products][:7] == list(PREFERRED[:7])
    for p in products:
        assert re.fullmatch(r"(from )?\$\d[\d,]*\.\d\d", p["price"]), p["price"]
        assert AVAILABILITY.fullmatch(p["availability"])
        assert p["description"] and p["options"]
        assert all(set(c) == {"name", "available"} for c in p["colours"])
    assert any(p["colours"] for p in products)
    assert any(not p["available"] for p in products)  # availability is part of the demo
    jacket = products[0]
    assert jacket["name"] == "Ridgeline Rain Jacket"
    assert {c["name"] for c in jacket["colours"]} <= {"black", "spruce green", "lake blue", "rust"}
    assert [o["name"] for o in jacket["options"]] == ["size"]


async def test_featured_json_follows_brand_currency(gateway_factory: Any,
                                                    shop_file: Path) -> None:
    gw = await gateway_factory(_demo(shop_file, '[brand]\ncurrency = "CAD"\n'), webchat=True)
    body = await (await gw.client.get("/shop/featured.json")).json()
    assert body["currency"] == "CAD"
    assert all(re.fullmatch(r"(from )?CA\$\d[\d,]*\.\d\d", p["price"]) for p in body["products"])


async def test_featured_json_only_with_a_shop_and_the_web_chat(gateway_factory: Any,
                                                               shop_file: Path) -> None:
    no_shop = await gateway_factory(webchat=True)
    assert (await no_shop.client.get("/shop/featured.json")).status == 404
    no_chat = await gateway_factory(_demo(shop_file))
    assert (await no_chat.client.get("/shop/featured.json")).status == 404


async def test_page_renders_the_catalog_from_the_route(gateway_factory: Any,
                                                       shop_file: Path) -> None:
    gw = await gateway_factory(_demo(shop_file), webchat=True)
    page = await (await gw.client.get("/")).text()
    assert 'id="featured"' in page and "/shop/featured.json" in page
    assert "Juniper &amp; Pine" in page
    assert "innerHTML" not in page  # catalog text is set as text, never parsed
    # The made-up products the page used to list are gone, and no price is hard-coded.
    assert "Summit Shell Jacket" not in page
    assert not re.search(r'class="price">\$', page)


# --- in a browser ---------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def daemon(tmp_path: Path, shop_file: Path) -> Iterator[Daemon]:
    import importlib.util

    if not os.path.exists(CHROMIUM) or importlib.util.find_spec("playwright") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("browser test cannot run in CI: chromium or playwright missing")
        pytest.skip("chromium or playwright missing")
    port = free_port()
    config = tmp_path / "config.toml"
    euro = '[brand]\ncurrency = "EUR"\n'
    config.write_text(f'[server]\nhost = "127.0.0.1"\nport = {port}\n[store]\n'
                      f'state_dir = "state"\n[logging]\nformat = "text"\n'
                      f'{_demo(shop_file, euro)}[channels.webchat]\nenabled = true\n')
    d = Daemon(config, port).start()
    try:
        yield d
    finally:
        d.stop()


@pytest.mark.browser
def test_the_page_shows_the_catalog_in_a_browser(daemon: Daemon) -> None:
    from playwright.sync_api import expect, sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(daemon.url + "/")
            cards = page.locator("#featured .card[data-product-id]")
            expect(cards).to_have_count(8)
            expect(page.locator("#featured")).not_to_have_attribute("aria-busy", "true")
            first = cards.first
            expect(first.locator("h3")).to_have_text("Ridgeline Rain Jacket")
            expect(first.locator(".price")).to_have_text(re.compile(r"(From )?€\d+\.\d\d"))
            expect(first.locator(".colours li").first).to_be_visible()
            expect(page.locator("#featured .stock.out")).to_have_count(1)
            expect(page.locator("#featured-note")).to_be_hidden()
            # "Ask about it" opens the chat with a question about that product.
            first.get_by_role("button", name="Ask about it").click()
            expect(page.locator("#omni-panel")).to_be_visible()
            expect(page.locator("#omni-input")).to_have_value(
                "Do you have the Ridgeline Rain Jacket in stock?")
        finally:
            browser.close()
    assert errors == []
