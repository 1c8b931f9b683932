"""The December notice: when next year's official calendar is missing and an active card has a `holiday:`
rule, every admin (A0001 钱七, A0002 孙海燕 in examples/org.yaml) is told once per year, through the outbox;
later runs, and two runs at once, send nothing more. Through the sandbox on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlmodel import col, select

from safety.calendar import WorkCalendar
from safety.cards.calendar_notice import notify_missing_year
from safety.config import Defaults
from safety.imports import import_org
from safety.imports.cards_file import CardsReport, import_cards
from safety.texts import t
from storage.db import Database
from storage.models import CalendarNotice, OutboxMessage
from tests.flow.harness import Clock, Harness, running_bot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ADMINS, MANAGER = ("A0001", "A0002"), "M0001"
DEC_3 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
HEADLINE = t("zh-CN", "cards_calendar.notice_missing", year=2027)

CARDS = """\
cards:
  - id: spring-restart
    title: 春节复工开工第一课
    date: "holiday:春节:first_workday_after"
    audience: {roles: [manager]}
    items: [复工前全员安全教育]
    ack: [read, deployed]
  - id: spring-festival
    title: 春节安全生产提示卡
    date: "lunar:01-01"
    audience: {roles: [manager]}
    items: [节前隐患排查]
    ack: [read]
"""
LUNAR_ONLY = CARDS.split("  - id: spring-festival\n")[0].replace(
    'date: "holiday:春节:first_workday_after"', 'date: "lunar:01-08"'
)


async def load_cards(db: Database, text: str = CARDS) -> None:
    async with db.session() as session:
        report = await import_cards(session, text, now=DEC_3)
    assert isinstance(report, CardsReport), report


async def notices(bot: Harness, employee_no: str) -> list[str]:
    found = await bot.client.messages(bot.user_id(employee_no))
    return [str(m.get("text") or "") for m in found if m["from_bot"] and HEADLINE in str(m.get("text") or "")]


async def test_admins_are_told_once_in_december(db: Database) -> None:
    async with running_bot(db, clock=Clock(DEC_3)) as bot:
        for employee_no in (*ADMINS, MANAGER):
            await bot.bind(employee_no)
        await load_cards(db)
        await bot.tick()
        for admin in ADMINS:
            told = await notices(bot, admin)
            assert len(told) == 1, (admin, told)
            assert "spring-restart 春节复工开工第一课（holiday:春节:first_workday_after）" in told[0]
            assert "safetybot import holidays" in told[0]
            assert "spring-festival" not in told[0]  # a lunar rule needs no official calendar
        assert await notices(bot, MANAGER) == []
        bot.clock.advance(hours=1)
        await bot.tick()
        bot.clock.advance(days=1)
        await bot.tick()
        assert [len(await notices(bot, admin)) for admin in ADMINS] == [1, 1]


async def _org(db: Database) -> None:
    async with db.session() as session:
        await import_org(session, (EXAMPLES / "org.yaml").read_text(encoding="utf-8"))


async def run(db: Database, now: datetime, calendar: WorkCalendar | None = None) -> int:
    async with db.session() as session:
        return await notify_missing_year(
            session, now=now, defaults=Defaults(), calendar=calendar or WorkCalendar()
        )


async def outbox_keys(db: Database) -> list[str]:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage.key).order_by(col(OutboxMessage.key)))).all()
    return list(rows)


async def test_two_runs_at_once_write_one_notice_per_admin(db: Database) -> None:
    await _org(db)
    await load_cards(db)
    written = await asyncio.gather(run(db, DEC_3), run(db, DEC_3))
    assert sorted(written) == [0, 2]
    keys = await outbox_keys(db)
    assert len(keys) == 2 and all(k.startswith("calendar-missing:2027:to:") for k in keys)
    async with db.session() as session:
        assert [n.key for n in (await session.exec(select(CalendarNotice))).all()] == [
            "calendar-missing:2027"
        ]


def _rows_2027() -> list[Any]:
    return [
        SimpleNamespace(day=datetime(2027, 2, d).date(), is_workday=False, name="spring_festival")
        for d in range(5, 14)
    ]


async def test_nothing_outside_december_when_covered_or_without_holiday_rules(db: Database) -> None:
    await _org(db)
    await load_cards(db, LUNAR_ONLY)
    assert await run(db, DEC_3) == 0  # no card depends on the official calendar
    await load_cards(db)
    assert await run(db, datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == 0  # 23:59 on 30 November in Shanghai
    assert await run(db, DEC_3, WorkCalendar(_rows_2027())) == 0  # 2027 is loaded
    assert await outbox_keys(db) == []
    assert await run(db, datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == 2  # 00:00 on 1 December in Shanghai
