"""The sandbox page in headless Chromium (Debian's, via Playwright): pick a person, bind, press a button."""

from __future__ import annotations

import os
import shutil

import pytest

from safety.texts import t
from storage.db import Database
from tests.conftest import IN_CI
from tests.flow.harness import running_bot

pytestmark = pytest.mark.browser
STAFF = "E1001"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    reason = "no Chromium on this machine (make test installs Debian's chromium when run as root)"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


async def test_bind_get_welcomed_and_press_a_button(db: Database) -> None:
    executable = _chromium()
    from playwright.async_api import async_playwright

    async with running_bot(db) as bot:
        code = await bot.issue_code(STAFF)
        name = bot.people[STAFF].name
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1100, "height": 760})
                await page.goto(bot.server.url + "/")
                await page.get_by_test_id("user-picker").select_option(str(bot.user_id(STAFF)))
                composer = page.get_by_test_id("composer-input")
                await composer.fill(f"/start {code}")
                await composer.press("Enter")
                welcome = t("zh-CN", "bind.welcome", name=name, unit="爆破班").splitlines()[0]
                bot_messages = page.locator('[data-testid="message"][data-from="bot"]')
                await bot_messages.filter(has_text=welcome).wait_for(timeout=15_000)
                await composer.fill("/lang")
                await composer.press("Enter")
                await page.get_by_test_id("inline-button").filter(has_text="English").click()
                await bot_messages.filter(has_text=t("en", "lang.switched")).wait_for(timeout=15_000)
                shot = os.environ.get("SAFETYBOT_SCREENSHOT")
                if shot:
                    await page.screenshot(path=shot)
            finally:
                await browser.close()
    async with db.session() as session:
        from storage.models import Person

        person = await session.get(Person, bot.people[STAFF].id)
        assert person is not None and person.language == "en"
