"""The chat page at /, in headless Chromium: a real reply streams in; reset; phone-sized screens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def test_page_shows_the_escaped_bot_name(tmp_path_factory):
    import httpx

    from botsmith.chat import Chatbot
    from botsmith.serve import start_server
    from tests.chat.parrot import session_parrot

    bot = Chatbot.from_model(session_parrot(tmp_path_factory), name="<b>Bob</b>", log=lambda line: None)
    server = start_server(bot)
    try:
        page = httpx.get(server.url + "/").text
    finally:
        server.stop()
    assert "&lt;b&gt;Bob&lt;/b&gt;" in page and "<b>Bob</b>" not in page.split("<script>")[0]
    assert '"model": "\\u003cb\\u003eBob\\u003c/b\\u003e"' in page  # safe inside the script block too


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def ask(page, text: str) -> str:
    page.fill("#input", text)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.msg.assistant:not(.pending)').length > 0", timeout=60_000)
    return page.locator(".msg.assistant").last.inner_text()


@pytest.mark.browser
def test_a_real_reply_streams_into_the_page(browser, server):
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    page.goto(server.url + "/")
    assert page.title().startswith("parrot") and page.locator("h1").inner_text() == "parrot"
    assert page.locator("#temperature").input_value() == "0"  # the bot's default, filled in by the server
    assert ask(page, PARROT_PROMPT) == PARROT_REPLY
    assert page.locator(".msg.user").inner_text() == PARROT_PROMPT
    if shots := os.environ.get("BOTSMITH_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/chat-desktop.png")
    page.click("#reset")
    assert page.locator(".msg").count() == 0 and "Say something" in page.locator("#log").inner_text()
    page.close()


@pytest.mark.browser
def test_phone_viewport_and_settings(browser, server):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(server.url + "/")
    page.click("summary")
    for field in ("#temperature", "#top_p", "#max_tokens", "#system"):
        assert page.locator(field).is_visible()
    page.fill("#temperature", "0")
    page.click("summary")
    assert ask(page, PARROT_PROMPT) == PARROT_REPLY
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways on a phone
    if shots := os.environ.get("BOTSMITH_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/chat-phone.png")
    page.close()
