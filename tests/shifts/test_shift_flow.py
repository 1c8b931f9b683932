"""The holiday duty roster through the sandbox, on both databases. 普朗铜矿项目部 has 周建国 as 带班领导 and
王五 as 值班员 on 2026-11-28 (08:00 → 08:00): the day before, exactly those two are reminded, once; at
08:00 each gets the shift message with 到岗; 王五 confirms, 周建国 does not: he is reminded at 15 minutes,
and at 30 minutes (not before) the safety officers get a digest naming only him; `/onduty` names both with
their state. A double tap of 到岗 records one confirmation; someone else's (or a forged) button is refused
and changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, func, select

from safety import callbacks
from safety.imports.shifts_file import import_shifts
from safety.shifts.replace import ShiftsReport
from safety.texts import t
from storage.db import Database
from storage.models import AuditEntry, DutyShift, Obligation
from tests.flow.harness import TOKEN, Harness, running_bot

LEADER, OFFICER, OTHER_OFFICER, WORKER = "M0101", "S0001", "S0002", "E1001"
SECRET = callbacks.derive_secret(TOKEN)
START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)  # 2026-11-28 08:00 in Asia/Shanghai
DAY_BEFORE, STARTS, REMINDER, DIGEST = "值班提醒", "值班现在开始", "尚未确认到岗", "值班未到岗"


def roster(day: str, start: str = "08:00", end: str = "08:00") -> str:
    return (
        "shifts:\n"
        f'  - {{date: {day}, from: "{start}", to: "{end}", employee_no: {LEADER}, role: 带班领导,'
        " unit: proj-pulang}\n"
        f'  - {{date: {day}, from: "{start}", to: "{end}", employee_no: {OFFICER}, role: 值班员,'
        " unit: proj-pulang}\n"
    )


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


async def with_text(bot: Harness, employee_no: str, needle: str) -> list[dict[str, Any]]:
    return [
        m
        for m in await bot.client.messages(bot.user_id(employee_no))
        if m["from_bot"] and needle in str(m.get("text") or "")
    ]


async def load(bot: Harness, text: str) -> None:
    async with bot.db.session() as session:
        report = await import_shifts(
            session, text, now=bot.clock(), defaults=bot.app.bot_data["services"].defaults
        )
    assert isinstance(report, ShiftsReport), report


async def onduty(bot: Harness, employee_no: str) -> str:
    user = bot.user_id(employee_no)
    sent = await bot.client.send_text(user, "/onduty")
    return str((await bot.client.wait_for(user, after_message_id=sent["message_id"]))["text"])


async def shift_of(bot: Harness, employee_no: str) -> DutyShift:
    async with bot.db.session() as session:
        return (
            await session.exec(
                select(DutyShift).where(col(DutyShift.person_id) == bot.people[employee_no].id)
            )
        ).one()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        for employee_no in (LEADER, OFFICER, OTHER_OFFICER, WORKER):
            await harness.bind(employee_no)
        yield harness


async def test_reminded_the_day_before_confirmed_or_escalated_and_shown_by_onduty(bot: Harness) -> None:
    await load(bot, roster("2026-11-28"))
    await bot.tick()
    await bot.tick()  # once, however often housekeeping runs
    for employee_no in (LEADER, OFFICER):
        [reminder] = await with_text(bot, employee_no, DAY_BEFORE)
        assert "普朗铜矿项目部" in reminder["text"] and "2026-11-28 08:00–次日08:00" in reminder["text"]
    for employee_no in (OTHER_OFFICER, WORKER):
        assert await with_text(bot, employee_no, DAY_BEFORE) == []
    assert zh("shifts.onduty_none") in await onduty(bot, WORKER)

    bot.clock.now = START
    await bot.tick()
    starts = {e: await with_text(bot, e, STARTS) for e in (LEADER, OFFICER)}
    assert [len(found) for found in starts.values()] == [1, 1]
    assert "到岗" in starts[OFFICER][0]["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert await with_text(bot, OTHER_OFFICER, STARTS) == []
    bot.clock.now = START + timedelta(minutes=2)
    query = await bot.client.press_button(bot.user_id(OFFICER), starts[OFFICER][0]["message_id"], "到岗")
    assert (await bot.client.callback_answer(query))["text"] == "已确认到岗 08:02"
    await bot.drain()

    bot.clock.now = START + timedelta(minutes=15)
    await bot.tick()
    assert len(await with_text(bot, LEADER, REMINDER)) == 1
    assert await with_text(bot, OFFICER, REMINDER) == []
    bot.clock.now = START + timedelta(minutes=29)
    await bot.tick()
    assert await with_text(bot, OTHER_OFFICER, DIGEST) == []
    bot.clock.now = START + timedelta(minutes=30)
    await bot.tick()
    [digest] = await with_text(bot, OTHER_OFFICER, DIGEST)
    assert "带班领导 周建国 08:00–次日08:00" in digest["text"] and "王五" not in digest["text"]

    shown = await onduty(bot, WORKER)  # a worker of 爆破班 sees the project's roster above the team
    lines = {line.split("｜")[2].split(" ")[0]: line for line in shown.splitlines() if "｜" in line}
    assert set(lines) == {"周建国", "王五"}
    assert "未确认到岗" in lines["周建国"] and "13800000004" in lines["周建国"]  # the same branch
    assert "已到岗 08:02" in lines["王五"]
    user = bot.user_id(LEADER)
    sent = await bot.client.send_text(user, "/pending")
    pending = (await bot.client.wait_for(user, after_message_id=sent["message_id"]))["text"]
    assert zh("pending.kind_duty_shift") in pending


async def test_a_double_tap_confirms_once_and_others_buttons_change_nothing(bot: Harness) -> None:
    await load(bot, roster("2026-11-27", "08:00", "20:00"))  # started at 08:00; the clock is at 08:30
    await bot.tick()
    assert await with_text(bot, OFFICER, DAY_BEFORE) == []  # too late for the day-before reminder
    [message] = await with_text(bot, OFFICER, STARTS)
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    user = bot.user_id(OFFICER)
    queries = await asyncio.gather(*(bot.client.press(user, message["message_id"], data) for _ in range(2)))
    answers = sorted([(await bot.client.callback_answer(q))["text"] for q in queries])
    assert answers == sorted(["已确认到岗 08:30", zh("shifts.already_confirmed", time="08:30")])

    officer_shift = await shift_of(bot, OFFICER)
    [own] = await with_text(bot, LEADER, STARTS)
    leader = bot.people[LEADER].id or 0
    forged = callbacks.encode(SECRET, person_id=leader, action="ds", arg=str(officer_shift.id))
    for pressed, refusal in ((data, "access.button_invalid"), (forged, "shifts.not_yours")):
        query = await bot.client.press(bot.user_id(LEADER), own["message_id"], pressed)
        assert (await bot.client.callback_answer(query))["text"] == zh(refusal)
    assert (await shift_of(bot, LEADER)).confirmed_at is None
    async with bot.db.session() as session:
        audits = (
            await session.exec(
                select(func.count())
                .select_from(AuditEntry)
                .where(col(AuditEntry.action) == "shift.confirmed")
            )
        ).one()
        states = {
            o.subject_id: o.state
            for o in (
                await session.exec(select(Obligation).where(col(Obligation.kind) == "duty_shift"))
            ).all()
        }
    assert audits == 1
    assert states == {bot.people[OFFICER].id: "done", leader: "open"}
