"""The web chat widget in a real browser: Debian's Chromium, driven by Playwright, talking
to the real daemon (a subprocess on a free port, state in pytest's tmp_path)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Daemon, free_port, write_config

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT = 15_000  # ms: generous upper bound for Playwright's auto-waiting, never a sleep
QUESTION = "How do I return an item?"
HOSTILE = "<script>window.__pwned=1</script><b>bold</b>"
GREETING = "Hi! I'm Juno"
HANDOFF_NOTICE = "passed this conversation to our team"


def _missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (install it with: sudo apt-get install -y chromium)"
    if importlib.util.find_spec("playwright") is None:
        return ("playwright is missing (install it with: "
                ".venv/bin/pip install -e '.[test]'; never `playwright install`)")
    return None


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
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    port = free_port()
    d = Daemon(write_config(tmp_path, port), port).start()
    try:
        yield d
    finally:
        d.stop()
        if d.proc is not None and d.proc.returncode not in (0, None):
            print(d.logs())


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Any]:
    """A fresh browser context (own localStorage) per page; page errors are collected."""
    contexts, errors = [], []

    def make(**options: Any) -> Any:
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(WAIT)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def _open_panel(page: Any) -> None:
    from playwright.sync_api import expect

    page.click("#omni-launcher")
    expect(page.locator("#omni-panel")).to_be_visible(timeout=WAIT)
    expect(page.locator("#omni-launcher")).to_have_attribute("aria-expanded", "true")


def _send(page: Any, text: str) -> None:
    page.fill("#omni-input", text)
    page.press("#omni-input", "Enter")


def _transcript(page: Any) -> list[tuple[str | None, str | None, str]]:
    """(id, role, text) of every stored bubble in the log, in order."""
    return page.eval_on_selector_all(
        "#omni-log .omni-msg[data-id]",
        "els => els.map(e => [e.dataset.id, e.dataset.role,"
        " e.querySelector('.omni-text').textContent])",
    )


def test_conversation_in_the_widget(daemon: Daemon, page_factory: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = page_factory(viewport={"width": 1280, "height": 800})
    # 1. The demo shop page, the launcher, the panel and the greeting.
    page.goto(daemon.url + "/")
    expect(page).to_have_title(re.compile(re.escape("Juniper & Pine")))
    _open_panel(page)
    log = page.locator("#omni-log")
    expect(log.locator(".omni-msg[data-greeting]")).to_contain_text(GREETING, timeout=WAIT)
    expect(page.locator("#omni-input")).to_be_focused()

    # 2. A question: the bubble is acknowledged, the answer is grounded in a named article.
    _send(page, QUESTION)
    mine = log.locator(".omni-msg[data-role=customer]").filter(has_text=QUESTION)
    expect(mine).to_have_count(1, timeout=WAIT)
    expect(mine).to_have_attribute("data-status", "stored", timeout=WAIT)
    expect(mine).to_have_attribute("data-id", re.compile(r"\S"))
    agent = log.locator(".omni-msg[data-role=agent][data-id]")
    expect(agent).to_have_count(1, timeout=WAIT)
    expect(agent.first).to_contain_text("return")
    expect(agent.first).to_contain_text("(From our help center: Returns and refunds)")
    # A how-to question is answered, never met with an identity check (this daemon has no
    # shop, so no "Start a return" offer; tests/test_conversations.py checks the offer).
    expect(agent.first).not_to_contain_text("confirm who you are")
    page.screenshot(path=str(tmp_path / "widget-answer.png"))

    # 3. Markup typed by the shopper is text, never HTML.
    _send(page, HOSTILE)
    hostile = log.locator(".omni-msg[data-role=customer]").nth(1)
    expect(hostile).to_have_attribute("data-status", "stored", timeout=WAIT)
    expect(hostile.locator(".omni-text")).to_have_text(HOSTILE)
    expect(agent).to_have_count(2, timeout=WAIT)  # the reply to it has arrived too
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert log.locator("b, script").count() == 0
    before = _transcript(page)
    assert [role for _, role, _ in before] == ["customer", "agent", "customer", "agent"]
    assert before[2][2] == HOSTILE
    assert len({mid for mid, _, _ in before}) == 4

    # 4. After a reload the same conversation comes back from the server's history.
    page.reload()
    _open_panel(page)
    expect(log.locator(".omni-msg[data-id]")).to_have_count(4, timeout=WAIT)
    assert _transcript(page) == before
    expect(log.locator(".omni-msg[data-greeting]")).to_have_count(0)
    assert log.locator("b, script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"

    # 5. "Talk to a person": the handoff notice and the staff banner.
    expect(page.locator("#omni-status")).to_be_hidden()
    page.click("#omni-person")
    asked = log.locator(".omni-msg[data-role=customer]").filter(has_text="Talk to a person")
    expect(asked).to_have_attribute("data-status", "stored", timeout=WAIT)
    notice = log.locator(".omni-msg[data-role=system]")
    expect(notice).to_have_count(1, timeout=WAIT)
    expect(notice).to_contain_text(HANDOFF_NOTICE)
    expect(page.locator("#omni-status")).to_be_visible(timeout=WAIT)
    expect(page.locator("#omni-panel")).to_have_attribute("data-owner", "staff")
    expect(page.locator("#omni-error")).to_be_hidden()


def test_phone_viewport_is_full_screen(daemon: Daemon, page_factory: Any) -> None:
    from playwright.sync_api import expect

    # Reduced motion: no slide-in animation, so the box measured is the final one.
    page = page_factory(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True,
                        reduced_motion="reduce")
    page.goto(daemon.url + "/")
    _open_panel(page)
    expect(page.locator("#omni-log .omni-msg[data-greeting]")).to_contain_text(GREETING)
    box = page.locator("#omni-panel").bounding_box()
    assert box is not None
    assert box["width"] >= 370, box
    assert box["height"] >= 660, box
    assert box["x"] <= 1 and box["y"] <= 1, box
    # The input and the send button are on screen, not pushed below the fold.
    send = page.locator("#omni-send").bounding_box()
    assert send is not None and send["y"] + send["height"] <= 667, send


def test_keyboard_open_and_escape(daemon: Daemon, page_factory: Any) -> None:
    from playwright.sync_api import expect

    page = page_factory(viewport={"width": 1280, "height": 800})
    page.goto(daemon.url + "/")
    launcher = page.locator("#omni-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#omni-panel")).to_be_visible(timeout=WAIT)
    expect(page.locator("#omni-input")).to_be_focused(timeout=WAIT)
    expect(launcher).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("hello")  # typing goes straight into the chat box
    expect(page.locator("#omni-input")).to_have_value("hello")
    page.keyboard.press("Escape")
    expect(page.locator("#omni-panel")).to_be_hidden(timeout=WAIT)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()  # focus goes back to the launcher


def test_rating_buttons_appear_and_a_click_records_the_score(daemon: Daemon, page_factory: Any,
                                                              tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = page_factory(viewport={"width": 1280, "height": 800})
    sent: list[str] = []
    received: list[str] = []

    def watch(ws: Any) -> None:
        ws.on("framesent", lambda payload: sent.append(
            payload if isinstance(payload, str) else payload.decode()))
        ws.on("framereceived", lambda payload: received.append(str(payload)))

    page.on("websocket", watch)
    page.goto(daemon.url + "/")
    _open_panel(page)
    log = page.locator("#omni-log")
    for _ in range(100):  # the socket is open (its history frame arrived) before typing
        if received:
            break
        page.wait_for_timeout(50)
    # Typing sends a typing frame (throttled: fewer frames than keystrokes), then the message.
    page.locator("#omni-input").press_sequentially(QUESTION)
    page.press("#omni-input", "Enter")
    expect(log.locator(".omni-msg[data-role=agent][data-id]")).to_have_count(1, timeout=WAIT)
    typing = [f for f in sent if json.loads(f).get("type") == "typing"]
    assert 1 <= len(typing) < len(QUESTION), sent
    # "thanks" closes the matter: the rating question comes with its five buttons.
    _send(page, "thanks")
    question = log.locator(".omni-msg[data-role=system]").filter(has_text="rate this conversation")
    expect(question).to_have_count(1, timeout=WAIT)
    buttons = question.locator(".omni-buttons .omni-btn")
    expect(buttons).to_have_text(["1", "2", "3", "4", "5"], timeout=WAIT)
    page.screenshot(path=str(tmp_path / "widget-rating.png"))
    buttons.nth(3).click()
    expect(log.locator(".omni-msg[data-role=system]").filter(
        has_text="Thank you for your rating!")).to_have_count(1, timeout=WAIT)
    expect(log.locator(".omni-buttons")).to_have_count(0)  # answered: no buttons left
    with sqlite3.connect(tmp_path / "state" / "omnichannel.db") as db:
        rows = db.execute("SELECT detail FROM events WHERE kind = 'csat'").fetchall()
    assert [json.loads(r[0]) for r in rows] == [{"score": 4, "by": "agent"}]


# What a shopper with each browser language asks first (ours).
ASKS = {"es": ("es-ES", "¿Cómo puedo devolver un artículo?"),
        "de": ("de-DE", "Wie kann ich einen Artikel zurückschicken?"),
        "fr": ("fr-FR", "Comment puis-je retourner un article ?"),
        "pt": ("pt-PT", "Como posso devolver um artigo?"),
        "it": ("it-IT", "Come posso restituire un articolo?"),
        "nl": ("nl-NL", "Hoe kan ik een artikel terugsturen?")}


@pytest.mark.parametrize("lang", list(ASKS))
def test_the_widget_speaks_the_browsers_language(daemon: Daemon, page_factory: Any,
                                                 lang: str) -> None:
    """A browser in another language: its labels, greeting and person button, and a
    question answered in that language."""
    from playwright.sync_api import expect

    from omnichannel.i18n.detect import choose

    locale, question = ASKS[lang]
    page = page_factory(viewport={"width": 1280, "height": 800}, locale=locale)
    page.goto(daemon.url + "/")
    _open_panel(page)
    expect(page.locator("#omni-panel")).to_have_attribute("lang", lang, timeout=WAIT)
    placeholder = page.get_attribute("#omni-input", "placeholder") or ""
    assert placeholder and placeholder != "Type your message\u2026", placeholder
    log = page.locator("#omni-log")
    greeting = log.locator(".omni-msg[data-greeting]")
    expect(greeting).not_to_contain_text(GREETING, timeout=WAIT)
    _send(page, question)
    agent = log.locator(".omni-msg[data-role=agent][data-id]")
    expect(agent).to_have_count(1, timeout=WAIT)
    text = agent.first.locator(".omni-text").text_content() or ""
    assert choose(text, previous=None) == lang, text
    person = page.locator("#omni-person").text_content() or ""
    assert person and person != "Talk to a person", person
