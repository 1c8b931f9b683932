"""The sandbox page's WeCom channel in headless Chromium: pick 企业微信 and a member, read a card the bot
sent, press its button and type a text (both reach the callback encrypted), see the card answered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.channels.wecom import events
from tests.browser.test_sandbox_page import CHROMIUM_FLAGS, _chromium
from tests.wecom.test_sandbox_page import Page, page  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
CARD = {
    "card_type": "button_interaction",
    "main_title": {"title": "今日提示卡", "desc": "高处作业系好安全带"},
    "task_id": "card-1",
    "button_list": [{"text": "已阅", "key": "ack:1"}, {"text": "跳过", "key": "skip:1"}],
}


async def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110  (the callback server appends; nothing to wait on)
            await asyncio.sleep(0.05)


async def test_pick_wecom_read_a_card_press_and_type(page: Page) -> None:  # noqa: F811
    executable = _chromium()
    from playwright.async_api import async_playwright, expect

    page.page.connect(page.phone)
    send = {"touser": "E1001", "msgtype": "template_card", "agentid": 1000002, "template_card": CARD}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            tab = await browser.new_page(viewport={"width": 1100, "height": 760})
            await tab.goto(str(page.http.base_url).rstrip("/") + "/")
            await expect(tab.get_by_test_id("channel-picker").locator("option")).to_have_count(2)
            await tab.get_by_test_id("channel-picker").select_option("wecom")
            await tab.get_by_test_id("user-picker").select_option("E1001")
            await expect(tab.get_by_test_id("chat-title")).to_contain_text("张三")
            page.wecom.state.send(send)
            card = tab.locator('[data-testid="message"][data-from="bot"]')
            await expect(card).to_contain_text("高处作业系好安全带")
            await tab.get_by_test_id("card-button").filter(has_text="已阅").click()
            await _until(lambda: len(page.got) == 1)
            press = page.got[0]
            assert isinstance(press, events.InboundButton) and press.event_key == "ack:1"
            composer = tab.get_by_test_id("composer-input")
            await composer.fill("打卡")
            await composer.press("Enter")
            await _until(lambda: len(page.got) == 2)
            assert isinstance(page.got[1], events.InboundText) and page.got[1].text == "打卡"
            update = {
                "agentid": 1000002,
                "response_code": press.response_code,
                "button": {"replace_name": "已阅 ✓"},
            }
            page.wecom.state.update_card(update)
            await expect(tab.get_by_test_id("card-answered")).to_have_text("✓ 已阅 ✓")
            await expect(tab.get_by_test_id("card-button")).to_have_count(0)
            mine = tab.locator('[data-testid="message"][data-from="user"]')
            await expect(mine).to_have_count(2)
            await expect(mine.first).to_contain_text("👆 已阅")
        finally:
            await browser.close()
