"""Accidents through the sandbox, on both databases: an accident in 爆破班 reaches the safety officers of
普朗铜矿项目部 (王五, 吴敏) at once and the manager (周建国) by the accident_ack policy at 10 minutes unless
acknowledged before; without 已上报 the manager is reminded at 30 and 50 minutes; 已上报 stops the reminders
and records who and when; two managers pressing at once: one is recorded, the other is told. A 重大 hazard
goes up the chain the same way, and an anonymous one never names its reporter to the leader or manager."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from safety import callbacks
from safety.reports.create import ReportInput, create
from safety.texts import t
from storage.db import Database
from storage.models import Report, ReportEvent
from tests.flow.harness import EXAMPLES, TOKEN, Harness, running_bot

OFFICERS, MANAGER, LEADER, REPORTER = ("S0001", "S0002"), "M0101", "E1000", "E1001"
SECRET = callbacks.derive_secret(TOKEN)


def zh(key: str, **params: object) -> str:
    return t("zh-CN", key, **params)


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def texts(bot: Harness, employee_no: str) -> list[str]:
    return [body(m) for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"]]


async def with_text(bot: Harness, employee_no: str, needle: str) -> list[dict[str, Any]]:
    return [
        m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"] and needle in body(m)
    ]


async def new_report(bot: Harness, *, reporter: str = REPORTER, **fields: Any) -> Report:
    fields.setdefault("kind", "accident")
    fields.setdefault("description", "爆破作业面落石砸伤一人")
    async with bot.db.session() as session:
        report = await create(
            session,
            ReportInput(unit_id="team-blast", **fields),
            reporter_id=bot.people[reporter].id or 0,
            now=bot.clock(),
            defaults=bot.app.bot_data["services"].defaults,
        )
    await bot.drain()
    return report


async def at_minutes(bot: Harness, start: Any, minutes: float) -> None:
    bot.clock.now = start + timedelta(minutes=minutes)
    await bot.tick()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        for employee_no in (*OFFICERS, MANAGER, LEADER, REPORTER):
            await harness.bind(employee_no)
        yield harness


ACK = "请确认已知悉"
NOT_REPORTED = "尚未上报主管部门。按国务院令第493号"


async def test_accident_reaches_officers_at_once_manager_at_ten_minutes_reminders_at_30_and_50(
    bot: Harness,
) -> None:
    start = bot.clock()
    accident = await new_report(bot, serious_injuries=1)
    await bot.tick()
    for officer in OFFICERS:
        assert len(await with_text(bot, officer, ACK)) == 1, officer
    notice = await with_text(bot, MANAGER, accident.number)
    assert len(notice) == 1 and ACK not in body(notice[0])  # the notice with 已上报, not yet the ack digest
    await at_minutes(bot, start, 9)
    assert await with_text(bot, MANAGER, ACK) == []
    await at_minutes(bot, start, 10)
    digest = await with_text(bot, MANAGER, ACK)
    assert len(digest) == 1 and accident.number in body(digest[0])
    await at_minutes(bot, start, 29)
    assert await with_text(bot, MANAGER, NOT_REPORTED) == []
    await at_minutes(bot, start, 30)
    reminders = await with_text(bot, MANAGER, NOT_REPORTED)
    assert len(reminders) == 1 and accident.number in body(reminders[0]) and "09:30 前" in body(reminders[0])
    assert any("已上报" in b["text"] for row in reminders[0]["reply_markup"]["inline_keyboard"] for b in row)
    await at_minutes(bot, start, 49)
    assert len(await with_text(bot, MANAGER, NOT_REPORTED)) == 1
    await at_minutes(bot, start, 50)
    assert len(await with_text(bot, MANAGER, NOT_REPORTED)) == 2
    for officer in OFFICERS:  # the reminders are the manager's
        assert await with_text(bot, officer, NOT_REPORTED) == []


async def test_acknowledged_and_reported_early_nothing_more_comes_and_who_when_is_kept(bot: Harness) -> None:
    start = bot.clock()
    accident = await new_report(bot, deaths=0, serious_injuries=0, minor_injuries=2)
    await bot.tick()
    [digest] = await with_text(bot, "S0002", ACK)
    query = await bot.client.press_button(bot.user_id("S0002"), digest["message_id"], "已确认")
    assert (await bot.client.callback_answer(query))["text"] == zh("accident.done_acknowledged")
    await bot.drain()
    [notice] = await with_text(bot, MANAGER, accident.number)
    bot.clock.now = start + timedelta(minutes=12)
    query = await bot.client.press_button(bot.user_id(MANAGER), notice["message_id"], "已上报")
    answer = await bot.client.callback_answer(query)
    assert answer["text"] == zh("accident.recorded", number=accident.number, time="08:42")
    await bot.drain()
    for minutes in (10, 30, 50, 70):
        await at_minutes(bot, start, minutes)
    assert await with_text(bot, MANAGER, ACK) == []
    assert await with_text(bot, MANAGER, "尚未上报") == []
    told = zh("accident.reported_notice", number=accident.number, by="周建国", time="08:42")
    for officer in OFFICERS:
        assert told in await texts(bot, officer)
    async with bot.db.session() as session:
        stored = await session.get(Report, accident.id)
        events = (
            await session.exec(select(ReportEvent).where(col(ReportEvent.action) == "authority_reported"))
        ).all()
    assert stored is not None and stored.authority_reported_by == bot.people[MANAGER].id
    assert stored.authority_reported_at is not None
    assert [(e.actor_id, e.report_id) for e in events] == [(bot.people[MANAGER].id, accident.id)]


async def test_two_presses_at_once_one_is_recorded_the_other_told_who(db: Database, tmp_path: Path) -> None:
    """Two managers of the project (周建国 and a deputy) press 已上报 on their notices at the same moment."""
    org = (EXAMPLES / "org.yaml").read_text(encoding="utf-8")
    deputy = "  - {employee_no: M0102, name: 陈副经理, unit: proj-pulang, roles: [manager]}\n"
    org = org.replace("  - {employee_no: S0001,", deputy + "  - {employee_no: S0001,", 1)
    (tmp_path / "org.yaml").write_text(org, encoding="utf-8")
    async with running_bot(db, org_file=tmp_path / "org.yaml") as bot:
        for employee_no in (MANAGER, "M0102", *OFFICERS):
            await bot.bind(employee_no)
        accident = await new_report(bot)
        notices = {m: (await with_text(bot, m, accident.number))[0] for m in (MANAGER, "M0102")}
        queries = await asyncio.gather(
            *(bot.client.press_button(bot.user_id(m), n["message_id"], "已上报") for m, n in notices.items())
        )
        answers = [(await bot.client.callback_answer(q))["text"] for q in queries]
        recorded = [a for a in answers if a.startswith("✅ 已记录")]
        already = [a for a in answers if "登记为已上报" in a]
        assert len(recorded) == 1 and len(already) == 1, answers
        async with bot.db.session() as session:
            stored = await session.get(Report, accident.id)
            events = (
                await session.exec(select(ReportEvent).where(col(ReportEvent.action) == "authority_reported"))
            ).all()
        assert stored is not None and len(events) == 1
        winner = next(m for m in (MANAGER, "M0102") if bot.people[m].id == stored.authority_reported_by)
        assert bot.people[winner].name in already[0]


async def test_someone_elses_or_a_forged_authority_button_changes_nothing(bot: Harness) -> None:
    accident = await new_report(bot)
    [notice] = await with_text(bot, MANAGER, accident.number)
    theirs = notice["reply_markup"]["inline_keyboard"][0][-1]["callback_data"]  # signed for the manager
    for employee_no, data, refusal in (
        (REPORTER, f"ar:{accident.id}", "accident.not_allowed"),  # signed for the worker: no such right
        (LEADER, theirs, "access.button_invalid"),  # the manager's button, pressed by someone else
    ):
        person = bot.people[employee_no].id or 0
        if data.startswith("ar:"):
            data = callbacks.encode(SECRET, person_id=person, action="ar", arg=str(accident.id))
        own = [m for m in await bot.client.messages(bot.user_id(employee_no)) if m["from_bot"]][-1]
        query = await bot.client.press(bot.user_id(employee_no), own["message_id"], data)
        assert (await bot.client.callback_answer(query))["text"] == zh(refusal), employee_no
    async with bot.db.session() as session:
        stored = await session.get(Report, accident.id)
    assert stored is not None and stored.authority_reported_by is None


async def test_an_anonymous_major_hazard_goes_up_without_the_reporters_name(bot: Harness) -> None:
    start = bot.clock()
    hazard = await new_report(
        bot, kind="hazard", severity="major", description="边坡出现裂缝", anonymous=True
    )
    await bot.tick()
    await at_minutes(bot, start, 10)
    assert len(await with_text(bot, "S0001", ACK)) == 1
    digest = await with_text(bot, MANAGER, ACK)
    assert len(digest) == 1 and hazard.number in body(digest[0]) and "边坡出现裂缝" in body(digest[0])
    await at_minutes(bot, start, 60)
    assert (
        await with_text(bot, MANAGER, "尚未上报") == []
    )  # a hazard has nothing to report to the authorities
    for employee_no in (LEADER, MANAGER):
        assert not any("张三" in text for text in await texts(bot, employee_no)), employee_no
