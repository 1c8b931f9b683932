"""A rectification past its deadline through the sandbox, on both databases: the responsible person (王二)
is reminded at the end of the deadline day (Shanghai), the safety officers (王五, 吴敏) get a digest one day
later, the manager (周建国) three days later — each naming the report, never the reporter. Submitted in
time: nothing comes; sent back after the deadline: it escalates at the next tick. Two officers pressing
已处理 at once: one wins. (Assignment is set in the database and `duties.on_assigned` called, as the chat's
指派 does.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from safety.reports import duties
from safety.reports.create import ReportInput, create
from safety.texts import t
from storage.db import Database
from storage.models import Report
from tests.flow.harness import Harness, running_bot

OFFICERS, MANAGER, RESPONSIBLE, REPORTER = ("S0001", "S0002"), "M0101", "E1002", "E1001"
DEADLINE = date(2026, 11, 28)
DUE = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # the end of 11-28 in Shanghai
REMINDER, DIGEST = "整改期限已到", "整改到期"


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def with_text(bot: Harness, employee_no: str, needle: str) -> list[dict[str, Any]]:
    return [
        m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"] and needle in body(m)
    ]


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        for employee_no in (*OFFICERS, MANAGER, RESPONSIBLE, REPORTER):
            await harness.bind(employee_no)
        yield harness


async def assigned_hazard(bot: Harness) -> Report:
    """张三's hazard, assigned by 王五 to 王二 until 11-28 with measures."""
    defaults = bot.app.bot_data["services"].defaults
    async with bot.db.session() as session:
        report = await create(
            session,
            ReportInput(
                kind="hazard",
                unit_id="team-blast",
                severity="general",
                description="配电箱门锁损坏",
                location_text="1520中段配电硐室",
            ),
            reporter_id=bot.people[REPORTER].id or 0,
            now=bot.clock(),
            defaults=defaults,
        )
        report.state, report.responsible_id, report.deadline = (
            "assigned",
            bot.people[RESPONSIBLE].id,
            DEADLINE,
        )
        report.measures, report.assigned_by = "更换门锁并张贴警示标志", bot.people["S0001"].id
        report.assigned_at, report.version = bot.clock(), report.version + 1
        session.add(report)
        await session.flush()
        await duties.on_assigned(session, report, now=bot.clock(), defaults=defaults)
    await bot.drain()
    return report


async def at(bot: Harness, moment: datetime) -> None:
    bot.clock.now = moment
    await bot.tick()


async def set_state(bot: Harness, report: Report, state: str) -> None:
    """The responsible person submits (or the verifier sends it back): the hook the chat's step calls."""
    defaults = bot.app.bot_data["services"].defaults
    async with bot.db.session() as session:
        stored = await session.get(Report, report.id)
        assert stored is not None
        stored.state, stored.version = state, stored.version + 1
        session.add(stored)
        await session.flush()
        if state == "submitted":
            await duties.on_submitted(
                session, stored, now=bot.clock(), actor_id=bot.people[RESPONSIBLE].id or 0
            )
        else:
            await duties.on_rejected(session, stored, now=bot.clock(), defaults=defaults)
    await bot.drain()


async def test_past_its_deadline_it_reaches_the_person_then_the_officers_then_the_manager(
    bot: Harness,
) -> None:
    hazard = await assigned_hazard(bot)
    await at(bot, DUE - timedelta(minutes=1))
    assert await with_text(bot, RESPONSIBLE, REMINDER) == []
    await at(bot, DUE + timedelta(seconds=1))
    [reminder] = await with_text(bot, RESPONSIBLE, REMINDER)
    assert hazard.number in body(reminder) and "期限 2026-11-28" in body(reminder)
    assert "更换门锁并张贴警示标志" in body(reminder)
    assert any("整改完成" in b["text"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row)
    await at(bot, DUE + timedelta(days=1) - timedelta(minutes=1))
    assert [await with_text(bot, o, DIGEST) for o in OFFICERS] == [[], []]
    await at(bot, DUE + timedelta(days=1))
    for officer in OFFICERS:
        [digest] = await with_text(bot, officer, DIGEST)
        text = body(digest)
        assert hazard.number in text and "责任人：王二" in text and "整改期限：2026-11-28" in text
        assert "1520中段配电硐室" in text and "张三" not in text
    assert await with_text(bot, MANAGER, DIGEST) == []
    [digest] = await with_text(bot, "S0001", DIGEST)
    query = await bot.client.press_button(bot.user_id("S0001"), digest["message_id"], "提醒")
    assert (await bot.client.callback_answer(query))["text"] == zh("digest.done_reminded", name="王二")
    await bot.drain()
    nudges = await with_text(bot, RESPONSIBLE, "王五 提醒您")
    assert len(nudges) == 1 and hazard.number in body(nudges[0])
    await at(bot, DUE + timedelta(days=3))
    [digest] = await with_text(bot, MANAGER, DIGEST)
    assert hazard.number in body(digest) and "张三" not in body(digest)


async def test_submitted_in_time_nothing_comes_sent_back_late_it_escalates_at_the_next_tick(
    bot: Harness,
) -> None:
    hazard = await assigned_hazard(bot)
    bot.clock.now = DUE - timedelta(hours=5)
    await set_state(bot, hazard, "submitted")
    for moment in (DUE + timedelta(seconds=1), DUE + timedelta(days=1), DUE + timedelta(days=3, hours=1)):
        await at(bot, moment)
    assert await with_text(bot, RESPONSIBLE, REMINDER) == []
    assert [await with_text(bot, who, DIGEST) for who in (*OFFICERS, MANAGER)] == [[], [], []]
    bot.clock.now = DUE + timedelta(days=1, hours=2)  # 驳回 a day after the deadline
    await set_state(bot, hazard, "assigned")
    await at(bot, bot.clock.now + timedelta(seconds=1))
    for officer in OFFICERS:  # the highest step now due: the officers'
        [digest] = await with_text(bot, officer, DIGEST)
        assert hazard.number in body(digest)
    assert await with_text(bot, MANAGER, DIGEST) == []


async def test_two_officers_pressing_handled_at_once_one_wins(bot: Harness) -> None:
    await assigned_hazard(bot)
    await at(bot, DUE + timedelta(days=1))
    digests = {o: (await with_text(bot, o, DIGEST))[0] for o in OFFICERS}
    queries = await asyncio.gather(
        *(bot.client.press_button(bot.user_id(o), d["message_id"], "已处理") for o, d in digests.items())
    )
    answers = sorted([(await bot.client.callback_answer(q))["text"] for q in queries])
    assert answers == sorted([zh("digest.done_handled", name="王二"), zh("digest.already_closed")])
    await bot.drain()
    await at(bot, DUE + timedelta(days=3))
    assert await with_text(bot, MANAGER, DIGEST) == []  # handled: it goes no further
    edited = await with_text(bot, "S0001", "已处理：")
    assert edited, "the digest shows who handled it"
