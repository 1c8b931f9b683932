"""The weekly summary through the sandbox, on both databases: on Monday at 17:30 Shanghai time every safety
officer and manager (examples/org.yaml: 王五, 吴敏, 冯丽, 赵六, 周建国, 郑强, 孙海燕) gets one summary of last
week for their own units, beside the daily digest; nobody else does; not again that week, and nothing on
Tuesday; two passes at once (two sessions) write one message per leader."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import col, func, select

from safety.daily_digest import send as daily_digest
from safety.daily_digest import weekly_send
from storage.db import Database
from storage.models import CheckIn, OutboxMessage, Round
from tests.flow.harness import Harness, running_bot

LEADERS = ("S0001", "S0002", "S0201", "M0001", "M0101", "M0201", "A0002")
XINQIAO = ("S0201", "M0201")  # 新桥 had no rounds, reports or cards last week
OTHERS = ("A0001", "E1000", "E1001", "E2000")
MONDAY_BEFORE = datetime(2026, 11, 30, 9, 29, tzinfo=UTC)  # 17:29 in Shanghai, Monday
MONDAY = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
TITLE = "安全周报 2026-W48（11-23–11-29）"


@pytest.fixture
async def bot(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    monkeypatch.chdir(tmp_path)  # the data folder ("data", relative) is the test's
    async with running_bot(db) as harness:
        for employee_no in (*LEADERS, *OTHERS):
            await harness.bind(employee_no)
        async with db.session() as session:  # 爆破班 checked in 3 of 4 on Tuesday of last week
            opens = datetime(2026, 11, 23, 23, tzinfo=UTC)
            found = Round(unit_id="team-blast", day=date(2026, 11, 24), opens_at=opens, due_at=opens)
            session.add(found)
            await session.flush()
            for n in ("E1000", "E1001", "E1002"):
                session.add(
                    CheckIn(round_id=found.id or 0, person_id=harness.people[n].id or 0, status="on_time")
                )
        yield harness


async def summaries(bot: Harness, employee_no: str) -> list[dict[str, Any]]:
    """The weekly summaries the person received: a photo with it as caption, or (no data) a text."""
    messages = await bot.client.messages(bot.user_id(employee_no))
    return [m for m in messages if m["from_bot"] and TITLE in (m.get("caption") or m.get("text") or "")]


async def rows(bot: Harness) -> int:
    async with bot.db.session() as session:
        query = (
            select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.kind) == weekly_send.KIND)
        )
        return int((await session.exec(query)).one())


async def test_on_monday_at_1730_each_officer_and_manager_gets_one_summary_and_nobody_else(
    bot: Harness,
) -> None:
    bot.clock.now = MONDAY_BEFORE
    await bot.tick()
    assert await rows(bot) == 0
    bot.clock.now = MONDAY
    await bot.tick()
    for employee_no in LEADERS:
        got = await summaries(bot, employee_no)
        assert len(got) == 1, employee_no
    for employee_no in OTHERS:
        assert await summaries(bot, employee_no) == [], employee_no
    pulang = (await summaries(bot, "S0001"))[0]
    assert pulang.get("photo") and "普朗铜矿项目部" in pulang["caption"]
    assert "爆破班：签到 3/4（75%）" in pulang["caption"] and "选矿班" not in pulang["caption"]
    branch = (await summaries(bot, "M0001"))[0]
    assert branch.get("photo") and "西南分公司" in branch["caption"] and "爆破班" in branch["caption"]
    for employee_no in XINQIAO:  # one line, no chart
        (quiet,) = await summaries(bot, employee_no)
        assert not quiet.get("photo") and "上周没有签到、隐患、整改和提示卡记录" in quiet["text"]
    daily = [
        m
        for m in await bot.client.messages(bot.user_id("S0001"))
        if "每日安全简报" in (m.get("caption") or "")
    ]
    assert len(daily) == 1 and "上周" not in daily[0]["caption"]  # the daily digest stays as it is
    charts = sorted((Path("data") / "digests" / "weekly" / "2026-W48").glob("*.png"))
    assert [c.name for c in charts] == ["branch-sw.png", "proj-pulang.png"]  # one per scope with data
    with Image.open(io.BytesIO(charts[0].read_bytes())) as image:
        assert image.format == "PNG"
    bot.clock.now = MONDAY.replace(hour=14)  # later that Monday: nothing more
    await bot.tick()
    bot.clock.now = MONDAY + timedelta(days=1)  # Tuesday 17:30: the daily digest only
    await bot.tick()
    for employee_no in LEADERS:
        assert len(await summaries(bot, employee_no)) == 1, employee_no
    assert await rows(bot) == len(LEADERS)


async def test_no_summary_on_other_days(bot: Harness) -> None:
    services = bot.app.bot_data["services"]
    for back in range(1, 7):  # Tuesday to Sunday before that Monday, at and after 17:30
        for hour in (9, 15):
            bot.clock.now = MONDAY.replace(hour=hour) - timedelta(days=back)
            assert await weekly_send.run(services) == 0
    assert await rows(bot) == 0


async def test_two_passes_at_once_write_one_summary_per_leader(bot: Harness) -> None:
    bot.clock.now = MONDAY
    services = bot.app.bot_data["services"]
    sent = await asyncio.gather(weekly_send.run(services), weekly_send.run(services))
    assert sum(sent) == len(LEADERS)
    await bot.drain()
    for employee_no in LEADERS:
        assert len(await summaries(bot, employee_no)) == 1, employee_no
    assert await rows(bot) == len(LEADERS)


async def test_the_daily_step_sends_both_on_monday(bot: Harness) -> None:
    """Housekeeping calls send.run only: on Monday it writes the daily digests and the summaries."""
    bot.clock.now = MONDAY
    assert await daily_digest.run(bot.app.bot_data["services"]) == 2 * len(LEADERS)
    assert await daily_digest.run(bot.app.bot_data["services"]) == 0
