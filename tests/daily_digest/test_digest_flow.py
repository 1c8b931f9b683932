"""The daily digest through the sandbox, on both databases: at 17:30 local every safety officer and
manager (examples/org.yaml: 王五, 吴敏, 冯丽, 赵六, 周建国, 郑强, and 孙海燕 who is admin and safety officer)
gets one message with the chart as a photo, for their own units only; nobody else does; a second pass,
or two passes at once, sends nothing more."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import col, func, select

from safety.daily_digest import send as daily_digest
from storage.db import Database
from storage.models import OutboxMessage
from tests.flow.harness import Harness, running_bot

LEADERS = ("S0001", "S0002", "S0201", "M0001", "M0101", "M0201", "A0002")
OTHERS = ("A0001", "E1000", "E1001", "E2000")
BEFORE = datetime(2026, 11, 27, 9, 29, tzinfo=UTC)  # 17:29 in Shanghai
AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


@pytest.fixture
async def bot(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.chdir(tmp_path)  # the data folder ("data", relative) is the test's
    async with running_bot(db) as harness:
        for employee_no in (*LEADERS, *OTHERS):
            await harness.bind(employee_no)
        yield harness


async def photos(bot: Harness, employee_no: str) -> list[dict[str, Any]]:
    return [
        m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"] and m.get("photo")
    ]


async def rows(bot: Harness) -> int:
    async with bot.db.session() as session:
        query = (
            select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.kind) == "daily_digest")
        )
        return int((await session.exec(query)).one())


async def test_at_1730_each_officer_and_manager_gets_one_digest_photo_and_nobody_else(bot: Harness) -> None:
    bot.clock.now = BEFORE
    await bot.tick()
    assert await rows(bot) == 0
    bot.clock.now = AT
    await bot.tick()
    for employee_no in LEADERS:
        got = await photos(bot, employee_no)
        assert len(got) == 1, employee_no
        assert "每日安全简报 2026-11-27" in got[0]["caption"], employee_no
    for employee_no in OTHERS:
        assert await photos(bot, employee_no) == [], employee_no
    pulang = (await photos(bot, "S0201"))[0]["caption"]  # 新桥 only: not 普朗's teams
    assert "新桥选矿厂项目部" in pulang and "选矿班" in pulang and "爆破班" not in pulang
    branch = (await photos(bot, "M0001"))[0]["caption"]
    assert "爆破班" in branch and "选矿班" in branch
    charts = list((Path("data") / "digests" / "2026-11-27").glob("*.png"))
    assert len(charts) == 3  # one per scope: the branch, 普朗, 新桥
    with Image.open(io.BytesIO(charts[0].read_bytes())) as image:
        assert image.format == "PNG"
    bot.clock.now = AT.replace(minute=45)
    await bot.tick()
    for employee_no in LEADERS:
        assert len(await photos(bot, employee_no)) == 1, employee_no
    assert await rows(bot) == len(LEADERS)


async def test_two_passes_at_once_send_each_digest_once(bot: Harness) -> None:
    bot.clock.now = AT
    services = bot.app.bot_data["services"]
    sent = await asyncio.gather(daily_digest.run(services), daily_digest.run(services))
    assert sum(sent) == len(LEADERS)
    await bot.drain()
    for employee_no in LEADERS:
        assert len(await photos(bot, employee_no)) == 1, employee_no
    assert await rows(bot) == len(LEADERS)


async def test_the_configured_time_moves_the_digest(bot: Harness) -> None:
    """SAFETYBOT_DIGEST_AT (Services.digest_at): at 18:00, nothing goes at 17:30, every digest at 18:00."""
    bot.app.bot_data["services"].digest_at = "18:00"
    bot.clock.now = AT
    await bot.tick()
    assert await rows(bot) == 0
    bot.clock.now = AT.replace(minute=0, hour=10)  # 18:00 in Shanghai
    await bot.tick()
    assert await rows(bot) == len(LEADERS)


def test_the_setting_reaches_the_services() -> None:
    from bot.app import services_from
    from bot.settings import Settings

    settings = Settings(digest_at="06:45", telegram_token=None, _env_file=None)  # type: ignore[call-arg]
    assert services_from(settings, "1:x").digest_at == "06:45"
