"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a real
gateway process (web chat on, the dashboard mounted, state in pytest's tmp_path)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from omnichannel.analytics.passwords import hash_password
from omnichannel.conversation import Status
from omnichannel.store import Store
from omnichannel.store import analytics as sql
from tests.support import ROOT, free_port, write_config
from tests.test_analytics import Chat
from tests.test_widget_browser import ARGS, CHROMIUM, WAIT, _missing

pytestmark = pytest.mark.browser

PASSWORD = "juniper-and-pine-staff"
QUESTION = "How do I return an item?"
HOSTILE = "<script>window.__pwned=1</script><b>bold</b>"

# The gateway as `omnichannel run` builds it, plus the dashboard (cli/app wiring aside).
SERVE = """
import asyncio, signal, sys
from pathlib import Path
from aiohttp import web
from omnichannel.analytics.dashboard import setup_dashboard
from omnichannel.analytics.settings import DashboardSettings
from omnichannel.app import build_app
from omnichannel.config import load
from omnichannel.gateway import Gateway

async def main():
    config = load(Path(sys.argv[1]))
    gw = await Gateway.open(config)
    app = build_app(gw)
    setup_dashboard(app, gw, DashboardSettings(enabled=True, password_hash=sys.argv[2],
                                               poll_seconds=1))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, config.server.host, config.server.port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    await gw.close()

asyncio.run(main())
"""


class Gateway:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.config = write_config(folder, self.port)
        self.log = folder / "gateway.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Gateway:
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVE, str(self.config), hash_password(PASSWORD)],
                stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as resp:
                    if json.loads(resp.read())["ready"]:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gateway not ready after {timeout}s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def _seed(state: Path) -> int:
    """Last week's conversations: answered, rated, one with a model turn and an action, one
    waiting for staff. Returns the id of the one with the action."""
    store = Store(state)
    store.open()
    try:
        for days_ago, score in ((4, 5), (2, 4), (1, 3)):
            chat = await (await Chat(store).says("Do you ship to Canada?")).agent(
                "Yes, in 7-10 days.", intent="faq.shipping")
            await store.db.write(sql.record_csat, chat.cid, score, "agent")
            await (await chat.delivered()).age(days_ago * 86400)
        order = await (await Chat(store).says("Please cancel order W123")).agent(
            "Done: order W123 is cancelled.", intent="orders.done.cancel",
            usage={"model": "gpt-routine", "tier": "routine", "prompt_tokens": 900,
                   "completion_tokens": 80, "cost_usd": 0.0021, "calls": 2})
        await order.action("cancel_pending_order", "Order W123 cancelled; refund 42.00 to "
                           "the original card")
        await store.set_status(order.cid, Status.RESOLVED)
        await (await order.delivered()).age(3 * 86400)
        waiting = await (await Chat(store).says("I want to talk to a person")).agent(
            "", handoff="requested", intent="handoff.requested")
        await (await waiting.delivered()).age(3600)
        return order.cid
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[Gateway, int]]:
    # Playwright's sync API keeps a loop running on this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        ordered = pool.submit(asyncio.run, _seed(tmp_path / "state")).result()
    g = Gateway(tmp_path).start()
    try:
        yield g, ordered
    finally:
        g.stop()
        if g.proc is not None and g.proc.returncode not in (0, None):
            print(g.log.read_text())


def _refused_sign_in(msg: Any) -> bool:
    """A wrong password is answered 401, which Chromium reports on the console."""
    return "status of 401" in msg.text and msg.location["url"].endswith("/dashboard/login")


@pytest.fixture
def pages(browser: Any) -> Iterator[Any]:
    """A fresh context per page; page errors and console errors (CSP refusals among them)
    are collected and must stay empty."""
    contexts, errors = [], []

    def make(console: bool = True, **options: Any) -> Any:
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(WAIT)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        if console:
            page.on("console", lambda m: errors.append(f"{m.text} {m.location['url']}")
                    if m.type == "error" and not _refused_sign_in(m) else None)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert errors == [], f"errors in the page: {errors}"


def test_dashboard_in_the_browser(gateway: tuple[Gateway, int], pages: Any,
                                  tmp_path: Path) -> None:
    from playwright.sync_api import expect

    g, ordered = gateway
    page = pages(viewport={"width": 1280, "height": 900})

    # 1. Every page asks for the password first; a wrong one is refused.
    page.goto(g.url + "/dashboard/conversations")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next=(%2F|/)dashboard(%2F|/)"
                                        r"conversations$"))
    page.fill("#password", "juniper-and-pine-guess")
    page.click("#login button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("Wrong password.")
    expect(page.locator("#password")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "omni_dash"]

    # 2. The right one opens the page asked for; the session cookie is out of scripts' reach.
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    expect(page).to_have_url(g.url + "/dashboard/conversations")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "omni_dash"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "omni_dash" not in page.evaluate("document.cookie")
    rows = page.locator("#conversation-rows tr[data-id]")
    expect(rows).to_have_count(5)
    expect(page.locator("#conversation-rows tr[data-channel=webchat]")).to_have_count(0)

    # 3. A shopper starts a widget conversation: the list shows it without a reload.
    page.evaluate("window.__still_here = true")
    shopper = pages(console=False, viewport={"width": 1280, "height": 800})
    shopper.goto(g.url + "/")
    shopper.click("#omni-launcher")
    expect(shopper.locator("#omni-panel")).to_be_visible()
    shopper.fill("#omni-input", QUESTION)
    shopper.press("#omni-input", "Enter")
    expect(shopper.locator("#omni-log .omni-msg[data-role=agent][data-id]")).to_have_count(1)
    shopper.fill("#omni-input", HOSTILE)
    shopper.press("#omni-input", "Enter")
    expect(shopper.locator("#omni-log .omni-msg[data-role=agent][data-id]")).to_have_count(2)
    new_row = page.locator("#conversation-rows tr[data-channel=webchat]")
    expect(new_row).to_have_count(1)
    expect(rows).to_have_count(6)
    assert page.evaluate("window.__still_here") is True  # polled, not reloaded

    # Filters: only what staff own.
    page.select_option("#f-owner", "staff")
    page.click(".filters button[type=submit]")
    expect(page.locator("#conversation-rows tr[data-id]")).to_have_count(1)
    expect(page.locator("#conversation-rows tr[data-owner=staff]")).to_have_count(1)
    page.goto(g.url + "/dashboard/conversations")

    # 4. The transcript: the shopper's words as text, the agent's grounded answer.
    new_row.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Conversation #")
    transcript = page.locator("#transcript")
    expect(transcript.locator(".msg[data-role=customer]").first).to_contain_text(QUESTION)
    expect(transcript.locator(".msg[data-role=agent]").first).to_contain_text(
        "(From our help center: Returns and refunds)")
    expect(transcript.locator(".msg[data-role=customer]").nth(1)).to_contain_text(HOSTILE)
    assert transcript.locator("b, script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # A conversation with a tool call shows the action and its result.
    page.goto(f"{g.url}/dashboard/conversations/{ordered}")
    action = page.locator("#action-rows tr")
    expect(action).to_have_count(1)
    expect(action).to_contain_text("cancel_pending_order")
    expect(action).to_contain_text("refund 42.00")
    expect(transcript.locator(".event[data-kind=llm_usage]")).to_contain_text("gpt-routine")

    # 5. The overview's charts are drawn with the data.
    page.click("nav a[href='/dashboard']")
    charts = page.locator("#charts svg.chart")
    expect(charts).to_have_count(5)
    volume = page.locator("svg.chart-bars[aria-label='Conversations per day'] rect.bar")
    expect(volume.first).to_be_visible()
    values = [float(v) for v in volume.evaluate_all("els => els.map(e => e.dataset.value)")]
    assert sum(values) == 6 and len(values) >= 5, values  # a bar per day of the week shown
    csat = page.locator("svg[aria-label='CSAT, average'] circle.point")
    expect(csat).to_have_count(3)
    assert sorted(csat.evaluate_all("els => els.map(e => +e.dataset.value)")) == [3, 4, 5]
    cost = page.locator("svg[aria-label='Model cost per day (USD)'] rect.bar[data-value='0.0021']")
    expect(cost).to_have_count(1)
    expect(page.locator("svg[aria-label='Automated resolution rate'] circle.point").first
           ).to_be_visible()
    expect(page.locator("[data-kpi=conversations] .value")).to_have_text("6")
    expect(page.locator("#handoff-rows tr[data-id]")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "dashboard-overview.png"), full_page=True)

    # 6. Signing out ends it.
    page.click("header .logout button")
    expect(page).to_have_url(g.url + "/dashboard/login")
    page.goto(g.url + "/dashboard")
    expect(page.locator("#password")).to_be_visible()
