"""A worker reporting an accident on a holiday reaches the person on duty: 何伟 (a team leader of 运输班,
who would not hear of 爆破班's reports) is 值班员 for 普朗铜矿项目部; an accident in 爆破班 during his shift
reaches him at once, a general hazard does not, and an accident after his shift ended does not either.
Through the sandbox, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from safety.imports.shifts_file import import_shifts
from safety.shifts.replace import ShiftsReport
from storage.db import Database
from tests.flow.harness import Harness, running_bot
from tests.flow.test_accident_duties import new_report, texts

ON_DUTY, REPORTER = "E1200", "E1001"
# the harness clock starts at 2026-11-27 00:30 UTC (08:30 in Asia/Shanghai)
ROSTER = (
    "shifts:\n"
    f'  - {{date: 2026-11-27, from: "08:00", to: "12:00", employee_no: {ON_DUTY}, role: 值班员,'
    " unit: proj-pulang}\n"
)


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    async with running_bot(db) as harness:
        for employee_no in (ON_DUTY, REPORTER):
            await harness.bind(employee_no)
        async with harness.db.session() as session:
            report = await import_shifts(
                session, ROSTER, now=harness.clock(), defaults=harness.app.bot_data["services"].defaults
            )
        assert isinstance(report, ShiftsReport), report
        yield harness


async def test_an_accident_reaches_the_person_on_duty_a_general_hazard_does_not(bot: Harness) -> None:
    before = len(await texts(bot, ON_DUTY))
    accident = await new_report(bot)
    hazard = await new_report(bot, kind="hazard", severity="general", description="护栏松动")
    got = (await texts(bot, ON_DUTY))[before:]
    assert [m for m in got if accident.number in m], got
    assert not [m for m in got if hazard.number in m]


async def test_after_the_shift_an_accident_does_not_reach_them(bot: Harness) -> None:
    bot.clock.now += timedelta(hours=4)  # 12:30: the shift ended at 12:00
    before = len(await texts(bot, ON_DUTY))
    accident = await new_report(bot)
    assert not [m for m in (await texts(bot, ON_DUTY))[before:] if accident.number in m]
